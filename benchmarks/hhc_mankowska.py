"""Mankowska et al. (2014) home-health-care instances: reader, evaluator, rounds conversion.

The 70 instances of Mankowska, Meisel & Bierwirth (2014), *The home health care routing and
scheduling problem with interdependent services*, live in ``../shared/data/hhc/mankowska2014``
(or ``$ROUNDS_BENCH_DATA/hhc/mankowska2014``; see its README). This module

* reads an instance in either published format (Ceschia et al.'s JSON or Mankowska's text
  format, gzipped or not) into one :class:`Instance`;
* reads the published best solutions (``solutions_json/``) into a :class:`Solution`;
* evaluates any solution independently (:func:`evaluate`): the published objective
  ``(D + T + T_max) / 3`` and every hard rule (coverage, skills, earliest starts, two different
  caregivers per double service, simultaneous and precedence offsets, travel times consistent
  with start times);
* converts an instance into a rounds :class:`~rounds.Problem` through the public model
  (:func:`to_problem`) and a rounds :class:`~rounds.Plan` back into a :class:`Solution`
  (:func:`plan_to_solution`), so that rounds' answers are scored by the same evaluator.

Usage (from the repository root; wrap timed runs in the shared benchmark lock)::

    .venv/bin/python -m benchmarks.hhc_mankowska published
    flock /tmp/rounds-bench.lock .venv/bin/python -m benchmarks.hhc_mankowska solve \\
        --families A,B,C --time-limit 60 --seed 0

Conversion, in short: one client and one package per patient; one visit per required service
with skill ``s<k>``; the second service of a double service is the package's second visit with
``min/max_gap_from_previous_min`` of ``(0, 0)`` (simultaneous) or ``(mind, maxd)``
(precedence: the service listed first starts first) and, for precedence,
``different_carer_from_previous``. The soft latest start ``l_i`` is the
visit's ``preferred_end``; its hard ``latest_start`` is the end of a generous horizon. Every
caregiver starts and ends at the depot, and travel is a :class:`~rounds.GivenMatrix` of the
Euclidean distances. rounds plans in whole minutes, so one instance time unit is
:func:`scale_of` minutes (100 when durations allow, fewer when a 19-unit service would exceed
rounds' 24 h visit limit).

The solver's objective is ``travel_per_min * travel + late_per_min * lateness +
worst_late_per_min * largest lateness`` (all 1), that is ``SCALE * (D + T + T_max)``: the
published objective up to the factor 3 and the minute grid. The evaluator scores
``(D + T + T_max) / 3`` independently of rounds.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import json
import math
import os
import platform
import re
import shlex
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

import rounds
from benchmarks.instances import DATA_DIR as SHARED_DATA
from rounds import (
    Carer,
    Client,
    GivenMatrix,
    Location,
    ObjectiveWeights,
    Package,
    Plan,
    Problem,
    Shift,
    TravelSettings,
    Visit,
)

DATA_DIR = SHARED_DATA / "hhc" / "mankowska2014"
RESULTS = Path(__file__).parent / "results"
COMMAND = "python -m benchmarks.hhc_mankowska"

#: Tolerance, in instance time units, for times and offsets read from published solutions
#: (their times and the JSON distances carry three decimals).
TOL = 1e-2
ORIGIN = datetime(2025, 1, 6)
MODE = "drive"
#: Cost of leaving one visit unallocated: far above any D + T of these sets in minutes.
UNALLOCATED_COST = 10**9
FAMILY_SIZES = {"A": 10, "B": 25, "C": 50, "D": 75, "E": 100, "F": 200, "G": 300}

Sync = Literal["simultaneous", "sequential"]
FloatArray = npt.NDArray[np.float64]


# -- the instance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """One service a patient needs: its type (``"s1"`` ...) and duration."""

    service: str
    duration: float


@dataclass(frozen=True)
class Patient:
    """A patient: location, start window ``[e, l]`` (``l`` soft) and one or two services.

    For a double service, ``sync`` says whether the two start together (``"simultaneous"``) or
    the second starts ``min_gap`` to ``max_gap`` after the first (``"sequential"``).
    """

    id: str
    x: float
    y: float
    e: float
    l: float  # noqa: E741 (the paper's name)
    services: tuple[Service, ...]
    sync: Sync | None = None
    min_gap: float = 0.0
    max_gap: float = 0.0


@dataclass(frozen=True)
class Instance:
    """A Mankowska instance. ``distances`` is indexed depot (0), then patients in order."""

    name: str
    depot: tuple[float, float]
    patients: tuple[Patient, ...]
    caregivers: tuple[tuple[str, frozenset[str]], ...]
    """``(id, services the caregiver may perform)`` in input order."""
    distances: FloatArray

    @property
    def node(self) -> dict[str, int]:
        """Row of each patient id in :attr:`distances`."""
        return {p.id: i + 1 for i, p in enumerate(self.patients)}

    @property
    def patient_by_id(self) -> dict[str, Patient]:
        """Patients keyed by id."""
        return {p.id: p for p in self.patients}


def _open_text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return f.read()
    return path.read_text(encoding="utf-8")


def instance_name(path: Path) -> str:
    """``InstanzCPLEX_HCSRP_10_1`` for ``.../InstanzCPLEX_HCSRP_10_1.json.gz`` and the like."""
    return re.sub(r"\.(json|txt)(\.gz)?$", "", path.name)


def read_json(path: Path) -> Instance:
    """Read an instance in Ceschia et al.'s JSON format (``.json`` or ``.json.gz``)."""
    data = json.loads(_open_text(path))
    patients = []
    for p in data["patients"]:
        sync = p.get("synchronization")
        kind: Sync | None = None
        lo = hi = 0.0
        if sync is not None:
            kind = "simultaneous" if sync["type"] == "simultaneous" else "sequential"
            if kind == "sequential":
                lo, hi = (float(v) for v in sync["distance"])
        services = tuple(
            Service(r["service"], float(r["duration"])) for r in p["required_caregivers"]
        )
        if (len(services) == 2) != (kind is not None):
            raise ValueError(f"{path}: patient {p['id']} has {len(services)} services, {sync=}")
        e, l = (float(v) for v in p["time_window"])  # noqa: E741
        x, y = (float(v) for v in p["location"])
        patients.append(Patient(p["id"], x, y, e, l, services, kind, lo, hi))
    depot = data["central_offices"][0]["location"]
    caregivers = tuple((c["id"], frozenset(c["abilities"])) for c in data["caregivers"])
    distances = np.asarray(data["distances"], dtype=np.float64)
    if distances.shape != (len(patients) + 1,) * 2:
        raise ValueError(f"{path}: distance matrix of shape {distances.shape}")
    return Instance(
        instance_name(path),
        (float(depot[0]), float(depot[1])),
        tuple(patients),
        caregivers,
        distances,
    )


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    key: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if re.fullmatch(r"[A-Za-z]+", line):
            key = line
            out[key] = []
        elif key is not None:
            out[key].append(line)
    return out


def read_txt(path: Path) -> Instance:
    """Read an instance in Mankowska's original text format (``.txt`` or ``.txt.gz``).

    Node 0 is the depot, nodes 1..n the patients, node n+1 a copy of the depot (dropped).
    A double service's two services are listed in increasing service index, which is the order
    of precedence (as in the JSON files).
    """
    sec = _sections(_open_text(path))

    def numbers(key: str) -> list[list[float]]:
        return [[float(v) for v in line.split()] for line in sec[key]]

    n_nodes = int(sec["nbNodes"][0])
    n_k = int(sec["nbVehi"][0])
    n_s = int(sec["nbServi"][0])
    r = numbers("r")
    a = numbers("a")
    xs = numbers("x")[0]
    ys = numbers("y")[0]
    d = np.asarray(numbers("d"), dtype=np.float64)
    p = numbers("p")
    mind, maxd = numbers("mind")[0], numbers("maxd")[0]
    e, l = numbers("e")[0], numbers("l")[0]  # noqa: E741
    doubles = {int(v) - 1 for v in sec["DS"][0].split()} if sec.get("DS") else set()
    patients = []
    for i in range(1, n_nodes - 1):
        need = [s for s in range(n_s) if r[i][s] == 1]
        services = tuple(Service(f"s{s + 1}", p[i * n_k][s]) for s in need)
        kind: Sync | None = None
        lo = hi = 0.0
        if len(need) == 2:
            if i not in doubles:
                raise ValueError(f"{path}: node {i} needs two services but is not in DS")
            if mind[i] == 0 and maxd[i] == 0:
                kind = "simultaneous"
            else:
                kind, lo, hi = "sequential", mind[i], maxd[i]
        patients.append(Patient(f"p{i}", xs[i], ys[i], e[i], l[i], services, kind, lo, hi))
    caregivers = tuple(
        (f"c{k + 1}", frozenset(f"s{s + 1}" for s in range(n_s) if a[k][s] == 1))
        for k in range(n_k)
    )
    return Instance(instance_name(path), (xs[0], ys[0]), tuple(patients), caregivers, d[:-1, :-1])


def read_instance(path: Path) -> Instance:
    """Read an instance in either format, by its file name."""
    return read_json(path) if ".json" in path.name else read_txt(path)


def instance_path(name: str, data_dir: Path = DATA_DIR) -> Path:
    """The JSON file of instance ``name`` (e.g. ``InstanzCPLEX_HCSRP_10_1``)."""
    return data_dir / "instances_json" / f"{name}.json.gz"


# -- solutions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One service start in a caregiver's route."""

    patient: str
    service: str
    start: float


@dataclass(frozen=True)
class Solution:
    """Each caregiver's calls in route order."""

    routes: dict[str, tuple[Call, ...]]


def read_solution(path: Path) -> Solution:
    """Read a published solution (``sol-<instance>-<seed>.json``); ``arrival_time`` is the start."""
    data = json.loads(_open_text(path))
    routes = {
        r["caregiver_id"]: tuple(
            Call(v["patient"], v["service"], float(v["arrival_time"]))
            for v in r.get("locations", ())
        )
        for r in data["routes"]
    }
    return Solution(routes)


def solution_paths(data_dir: Path = DATA_DIR) -> dict[str, Path]:
    """Published best solution of each instance, keyed by instance name."""
    out = {}
    for path in sorted((data_dir / "solutions_json").glob("sol-*.json")):
        name = re.sub(r"^sol-(.*)-\d+\.json$", r"\1", path.name)
        out[name] = path
    return out


@dataclass(frozen=True)
class Published:
    """A row of ``results.csv``."""

    instance: str
    paper_id: str
    best_objective: float
    proven_optimal: bool
    best_source: str = ""
    ceschia_objective: float = math.nan
    """Objective of Ceschia et al.'s solution, the one in ``solutions_json`` (3 decimals)."""
    ceschia_parts: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    """Its distance, total tardiness and largest tardiness."""

    @property
    def family(self) -> str:
        """``"A"`` ... ``"G"``."""
        return self.paper_id[0]


def read_results(data_dir: Path = DATA_DIR) -> dict[str, Published]:
    """Best published objective of every instance, keyed by instance name, in file order."""
    with (data_dir / "results.csv").open(newline="", encoding="utf-8") as f:
        return {
            row["instance"]: Published(
                row["instance"],
                row["paper_id"],
                float(row["best_objective"]),
                row["proven_optimal"].strip().lower() == "yes",
                row["best_source"],
                float(row["ceschia2024_best"]),
                (
                    float(row["ceschia2024_distance"]),
                    float(row["ceschia2024_total_tardiness"]),
                    float(row["ceschia2024_max_tardiness"]),
                ),
            )
            for row in csv.DictReader(f)
        }


# -- the evaluator ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """Objective parts (instance units) and every hard rule a solution breaks."""

    distance: float
    tardiness: float
    max_tardiness: float
    violations: tuple[str, ...] = field(default=())
    latest_return: float = 0.0
    """When the last caregiver is back at the depot (not a rule; reported)."""

    @property
    def objective(self) -> float:
        """The published objective ``(D + T + T_max) / 3``."""
        return (self.distance + self.tardiness + self.max_tardiness) / 3.0

    @property
    def feasible(self) -> bool:
        """True when no hard rule is broken."""
        return not self.violations


def evaluate(instance: Instance, solution: Solution, tol: float = TOL) -> Evaluation:
    """Score ``solution`` with the published objective and list the hard rules it breaks.

    Parameters
    ----------
    instance
        The instance.
    solution
        Each caregiver's calls in route order, with start times.
    tol
        Tolerance in time units for times and offsets.

    Returns
    -------
    Evaluation
        Distance ``D`` (depot to depot over every route), total tardiness ``T`` over service
        starts, largest tardiness ``T_max``, and the violations (empty when feasible).
    """
    node = instance.node
    patients = instance.patient_by_id
    skills = dict(instance.caregivers)
    d = instance.distances
    bad: list[str] = []
    done: dict[tuple[str, str], list[tuple[str, float]]] = {}
    distance = tardiness = max_tardiness = latest_return = 0.0
    for carer, calls in solution.routes.items():
        if carer not in skills:
            bad.append(f"unknown caregiver {carer}")
            continue
        here, free = 0, 0.0  # at the depot from time 0
        for c in calls:
            patient = patients.get(c.patient)
            if patient is None:
                bad.append(f"{carer}: unknown patient {c.patient}")
                continue
            durations = {s.service: s.duration for s in patient.services}
            if c.service not in durations:
                bad.append(f"{carer}: {c.patient} does not need {c.service}")
                continue
            if c.service not in skills[carer]:
                bad.append(f"{carer} is not qualified for {c.service} at {c.patient}")
            to = node[c.patient]
            leg = float(d[here, to]) if here != to else 0.0
            distance += leg
            if c.start < free + leg - tol:
                bad.append(
                    f"{carer}: {c.patient}/{c.service} starts at {c.start:.3f}, before "
                    f"{free + leg:.3f} (previous end plus travel)"
                )
            if c.start < patient.e - tol:
                bad.append(f"{c.patient}/{c.service} starts at {c.start:.3f} before e={patient.e}")
            late = max(0.0, c.start - patient.l)
            tardiness += late
            max_tardiness = max(max_tardiness, late)
            done.setdefault((c.patient, c.service), []).append((carer, c.start))
            here, free = to, c.start + durations[c.service]
        if calls:
            back = float(d[here, 0])
            distance += back
            latest_return = max(latest_return, free + back)
    for patient in instance.patients:
        starts: list[tuple[str, float]] = []
        for s in patient.services:
            got = done.get((patient.id, s.service), [])
            if len(got) != 1:
                bad.append(f"{patient.id}/{s.service} is done {len(got)} times")
            starts.append(got[0] if got else ("", math.nan))
        if patient.sync is None or any(math.isnan(t) for _, t in starts):
            continue
        (c1, t1), (c2, t2) = starts
        if c1 == c2:
            bad.append(f"{patient.id}: both services by the same caregiver {c1}")
        lag = t2 - t1
        if patient.sync == "simultaneous" and abs(lag) > tol:
            bad.append(f"{patient.id}: simultaneous services start {lag:.3f} apart")
        if patient.sync == "sequential" and not (
            patient.min_gap - tol <= lag <= patient.max_gap + tol
        ):
            bad.append(
                f"{patient.id}: second service starts {lag:.3f} after the first, outside "
                f"[{patient.min_gap:g}, {patient.max_gap:g}]"
            )
    return Evaluation(distance, tardiness, max_tardiness, tuple(bad), latest_return)


# -- conversion to and from rounds --------------------------------------------------------------


#: rounds' limits the time scale must respect: a visit lasts at most 24 h and a gap between
#: calls at most 14 days (see :class:`rounds.Visit`).
MAX_DURATION_MIN = 24 * 60
MAX_GAP_MIN = 14 * 24 * 60


def scale_of(instance: Instance, preferred: int = 100) -> int:
    """Minutes per instance time unit: ``preferred``, or less if rounds' limits need it."""
    longest = max(s.duration for p in instance.patients for s in p.services)
    widest = max((p.max_gap for p in instance.patients), default=0.0)
    scale = min(preferred, math.floor(MAX_DURATION_MIN / longest))
    if widest:
        scale = min(scale, math.floor(MAX_GAP_MIN / widest))
    return scale


def horizon_of(instance: Instance) -> float:
    """End of the planning horizon in time units: twice the latest soft start.

    The published best solutions end well inside it (their caregivers are back before 1.2
    times the latest ``l``), so it only stops the solver from drifting without bound.
    """
    return 2.0 * max(p.l for p in instance.patients)


def _location(x: float, y: float) -> Location:
    # Display only: travel comes from the given matrix.
    return Location(lat=50.0 + y * 1e-3, lon=-1.0 + x * 1e-3)


def visit_id(patient: str, service: str) -> str:
    """Id of the visit doing ``service`` for ``patient``."""
    return f"{patient}.{service}"


def weights(late_per_min: int = 1, worst_late_per_min: int = 1) -> ObjectiveWeights:
    """Solver weights: ``travel + lateness + largest lateness`` in minutes, nothing else.

    With the defaults this is ``SCALE * (D + T + T_max)``; ``worst_late_per_min=0`` leaves out
    the ``T_max`` term (the solver then minimises ``D + T``).
    """
    return ObjectiveWeights(
        unallocated=UNALLOCATED_COST,
        travel_per_min=1,
        late_per_min=late_per_min,
        worst_late_per_min=worst_late_per_min,
        paid_per_min=0,
        early_per_min=0,
        round_fixed=0,
        non_preferred_carer=0,
    )


def to_problem(
    instance: Instance,
    scale: int | None = None,
    late_per_min: int = 1,
    worst_late_per_min: int = 1,
) -> Problem:
    """The rounds problem of ``instance``, built through the public model.

    Parameters
    ----------
    instance
        The Mankowska instance.
    scale
        Minutes per instance time unit; :func:`scale_of` when omitted.
    late_per_min
        Solver cost of a minute of tardiness.
    worst_late_per_min
        Solver cost of a minute of the largest tardiness (``T_max``); 0 leaves it out.

    Returns
    -------
    Problem
        One client and one package per patient, one visit per service, one carer per caregiver
        starting and ending at the depot, the Euclidean matrix as a :class:`rounds.GivenMatrix`.
    """
    scale = scale_of(instance) if scale is None else scale

    def at(units: float) -> datetime:
        return ORIGIN + timedelta(minutes=round(units * scale))

    horizon = horizon_of(instance)
    longest = max(s.duration for p in instance.patients for s in p.services)
    shift_end = horizon + longest + float(instance.distances[0].max()) + 1.0
    depot = _location(*instance.depot)
    carers = tuple(
        Carer(
            id=cid,
            start_location=depot,
            shifts=(Shift(start=ORIGIN, end=at(shift_end)),),
            skills=tuple(sorted(abilities)),
            travel_mode=MODE,
        )
        for cid, abilities in instance.caregivers
    )
    clients = tuple(Client(id=p.id, location=_location(p.x, p.y)) for p in instance.patients)
    packages = []
    for p in instance.patients:
        visits = []
        for k, s in enumerate(p.services):
            gap: dict[str, Any] = {}
            if k == 1:
                lo, hi = (0.0, 0.0) if p.sync == "simultaneous" else (p.min_gap, p.max_gap)
                gap = {
                    "min_gap_from_previous_min": math.ceil(lo * scale - 1e-9),
                    "max_gap_from_previous_min": math.floor(hi * scale + 1e-9),
                }
                if p.sync == "sequential":
                    # Two people (Mankowska); simultaneous starts already rule out one carer.
                    gap["different_carer_from_previous"] = True
            visits.append(
                Visit(
                    id=visit_id(p.id, s.service),
                    earliest_start=at(p.e),
                    latest_start=at(max(horizon, p.l)),
                    preferred_end=at(p.l),
                    duration_min=round(s.duration * scale),
                    skills=(s.service,),
                    personal_care=False,
                    **gap,
                )
            )
        packages.append(Package(id=p.id, client_id=p.id, visits=tuple(visits)))
    # Places: every patient, then every carer (at the depot, matrix row 0).
    rows = [*range(1, len(instance.patients) + 1), *([0] * len(carers))]
    sub = instance.distances[np.ix_(rows, rows)]
    matrix = GivenMatrix(
        travel_mode=MODE,
        place_ids=(*(c.id for c in clients), *(c.id for c in carers)),
        durations_s=tuple(tuple(float(v) for v in row) for row in (sub * scale * 60).tolist()),
        distances_m=tuple(tuple(float(v) for v in row) for row in (sub * 1000).tolist()),
    )
    return Problem(
        name=f"{instance.name} (1 unit = {scale} min)",
        carers=carers,
        clients=clients,
        packages=tuple(packages),
        travel=TravelSettings(matrices=(matrix,)),
        weights=weights(late_per_min, worst_late_per_min),
    )


def plan_to_solution(plan: Plan, problem: Problem, scale: int) -> Solution:
    """The Mankowska solution of a rounds plan (start times back in instance units)."""
    routes: dict[str, list[Call]] = {c.id: [] for c in problem.carers}
    for rnd in plan.rounds:
        for stop in rnd.stops:
            visit = problem.visit_by_id[stop.visit_id]
            minutes = (stop.start - ORIGIN) / timedelta(minutes=1)
            routes[rnd.carer_id].append(Call(stop.client_id, visit.skills[0], minutes / scale))
    return Solution({c: tuple(calls) for c, calls in routes.items()})


def on_grid(instance: Instance, solution: Solution, scale: int) -> Solution | None:
    """``solution``'s routes rescheduled on rounds' whole-minute grid, or ``None`` if impossible.

    Each leg takes its travel time rounded to the second and then up to the minute, as in
    rounds; every call starts as early as the routes, the earliest starts and the
    simultaneous/precedence offsets allow (:func:`earliest_schedule`). It tells what the same
    assignment and order are worth when planned in whole minutes.
    """
    return earliest_schedule(instance, solution, scale)


def earliest_schedule(
    instance: Instance, solution: Solution, scale: int | None = None
) -> Solution | None:
    """``solution``'s routes with every call as early as allowed, or ``None`` if impossible.

    Every call starts as early as its route, its earliest start and the simultaneous /
    precedence offsets allow: the least fixpoint of the difference constraints, which
    minimises every start and so the tardiness, with the same distance. With ``scale``
    (minutes per unit), on rounds' whole-minute grid (each leg rounded to the second, then
    up to the minute; offsets narrowed to whole minutes); without, in the instance's own
    exact time, as the published solutions are.
    """
    node, patients = instance.node, instance.patient_by_id
    unit = 1 if scale is None else scale

    def leg(a: int, b: int) -> float:
        exact = float(instance.distances[a, b])
        if scale is None:
            return exact
        return math.ceil(round(exact * scale * 60) / 60 - 1e-9)

    def up(x: float) -> float:
        return x if scale is None else math.ceil(x * scale)

    def down(x: float) -> float:
        return x if scale is None else math.floor(x * scale)

    def whole(x: float) -> float:
        return x if scale is None else round(x * scale)

    start: dict[tuple[str, str], float] = {}
    edges: list[tuple[tuple[str, str], tuple[str, str], float]] = []  # t[v] >= t[u] + w
    for calls in solution.routes.values():
        prev: Call | None = None
        for c in calls:
            key = (c.patient, c.service)
            start[key] = max(up(patients[c.patient].e), leg(0, node[c.patient]))
            if prev is not None:
                dur = {s.service: s.duration for s in patients[prev.patient].services}
                travel = (
                    leg(node[prev.patient], node[c.patient]) if prev.patient != c.patient else 0
                )
                edges.append(((prev.patient, prev.service), key, whole(dur[prev.service]) + travel))
            prev = c
    for pat in instance.patients:
        if pat.sync is None:
            continue
        first, second = ((pat.id, s.service) for s in pat.services)
        lo, hi = (0.0, 0.0) if pat.sync == "simultaneous" else (pat.min_gap, pat.max_gap)
        edges += [(first, second, up(lo)), (second, first, -down(hi))]
    tolerance = 1e-9 if scale is None else 0.0
    for _ in range(len(start) + 1):
        changed = False
        for u, v, w in edges:
            if u in start and v in start and start[u] + w > start[v] + tolerance:
                start[v] = start[u] + w
                changed = True
        if not changed:
            return Solution(
                {
                    carer: tuple(
                        Call(c.patient, c.service, start[(c.patient, c.service)] / unit)
                        for c in calls
                    )
                    for carer, calls in solution.routes.items()
                }
            )
    return None  # a positive cycle: the offsets cannot all be met


def write_solution(solution: Solution, instance: Instance, path: Path) -> None:
    """Write ``solution`` in the format of ``solutions_json`` (see :func:`read_solution`)."""
    durations = {(p.id, s.service): s.duration for p in instance.patients for s in p.services}
    routes = []
    for carer, calls in solution.routes.items():
        route: dict[str, Any] = {"caregiver_id": carer}
        if calls:
            route["locations"] = [
                {
                    "arrival_time": round(c.start, 6),
                    "departure_time": round(c.start + durations[(c.patient, c.service)], 6),
                    "patient": c.patient,
                    "service": c.service,
                }
                for c in calls
            ]
        routes.append(route)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"routes": routes}, indent=1) + "\n", encoding="utf-8")


# -- running ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One instance solved by rounds, as written to the results CSV."""

    instance: str
    paper_id: str
    family: str
    patients: int
    caregivers: int
    scale_min_per_unit: int
    time_limit_s: float
    seed: int
    late_per_min: int
    worst_late_per_min: int
    feasible: bool
    unallocated: int
    check_violations: int
    eval_violations: int
    first_violation: str
    distance: float
    tardiness: float
    max_tardiness: float
    objective: float
    """The published objective of the plan's routes in exact time (see :func:`solve_instance`)."""
    grid_objective: float
    """The same with the plan's own whole-minute times."""
    best_objective: float
    gap_pct: float
    proven_optimal: bool
    optimum_matched: bool
    solver_status: str
    wall_s: float


def matched(ours: float, best: float) -> bool:
    """Whether ``ours`` equals or beats ``best`` (published values have one decimal)."""
    return ours <= best + 0.05


def solve_instance(
    instance: Instance,
    published: Published,
    time_limit_s: float,
    seed: int,
    late_per_min: int = 1,
    save: Path | None = None,
    worst_late_per_min: int = 1,
) -> Row:
    """Solve ``instance`` with :func:`rounds.solve`, check it both ways, and score it.

    rounds plans in whole minutes; the plan is scored as the published solutions are, in the
    instance's exact time: its routes with every call as early as allowed
    (:func:`earliest_schedule`; same routes and distance, never more tardiness). The plan's
    own minute-grid times are scored too (``grid_objective``), and stand when the exact
    schedule is not feasible (it always is when the grid one is). With ``save`` (a folder),
    the scored solution is written there in the published JSON format
    (:func:`write_solution`) as ``sol-<instance>-<seed>.json``.
    """
    started = time.perf_counter()
    scale = scale_of(instance)
    problem = to_problem(instance, scale, late_per_min, worst_late_per_min)
    plan = rounds.solve(problem, time_limit_s=time_limit_s, seed=seed)
    wall = time.perf_counter() - started
    violations = rounds.check(problem, plan)
    solution = plan_to_solution(plan, problem, scale)
    ev = on_the_grid = evaluate(instance, solution)
    exact = earliest_schedule(instance, solution)
    if exact is not None:
        ev_exact = evaluate(instance, exact)
        if ev_exact.feasible and ev_exact.objective <= ev.objective:
            solution, ev = exact, ev_exact
    if save is not None:
        write_solution(solution, instance, save / f"sol-{instance.name}-{seed}.json")
    problems = [v.message for v in violations] + list(ev.violations)
    feasible = not violations and ev.feasible and not plan.unallocated
    return Row(
        instance=instance.name,
        paper_id=published.paper_id,
        family=published.family,
        patients=len(instance.patients),
        caregivers=len(instance.caregivers),
        scale_min_per_unit=scale,
        time_limit_s=time_limit_s,
        seed=seed,
        late_per_min=late_per_min,
        worst_late_per_min=worst_late_per_min,
        feasible=feasible,
        unallocated=len(plan.unallocated),
        check_violations=len(violations),
        eval_violations=len(ev.violations),
        first_violation=problems[0] if problems else "",
        distance=round(ev.distance, 3),
        tardiness=round(ev.tardiness, 3),
        max_tardiness=round(ev.max_tardiness, 3),
        objective=round(ev.objective, 3),
        grid_objective=round(on_the_grid.objective, 3),
        best_objective=published.best_objective,
        gap_pct=round(
            100.0 * (ev.objective - published.best_objective) / published.best_objective, 2
        ),
        proven_optimal=published.proven_optimal,
        optimum_matched=published.proven_optimal
        and matched(ev.objective, published.best_objective),
        solver_status=plan.solver.status if plan.solver else "",
        wall_s=round(wall, 2),
    )


def selected(
    results: dict[str, Published], families: Iterable[str], only: Sequence[str] = ()
) -> list[Published]:
    """Published rows of the chosen families, or the paper ids / instance names in ``only``.

    ``only``, when given, names the instances whatever their family.
    """
    if only:
        rows = [r for r in results.values() if r.paper_id in only or r.instance in only]
    else:
        wanted = set(families)
        rows = [r for r in results.values() if r.family in wanted]
    order = {f: i for i, f in enumerate(FAMILY_SIZES)}
    return sorted(rows, key=lambda r: (order[r.family], int(r.paper_id[1:])))


def machine() -> str:
    """One line describing this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def best_on_grid(names: Iterable[str], data_dir: Path = DATA_DIR) -> dict[str, Evaluation]:
    """The published best solution of each instance, rescheduled on the minute grid, evaluated.

    Instances whose solution cannot be rescheduled (none of the 70) are left out.
    """
    sols = solution_paths(data_dir)
    out = {}
    for name in names:
        instance = read_instance(instance_path(name, data_dir))
        moved = on_grid(instance, read_solution(sols[name]), scale_of(instance))
        if moved is not None:
            out[name] = evaluate(instance, moved)
    return out


def cause(row: Row, grid: Evaluation | None) -> str:
    """Why ``row`` misses the best: ``""`` (it does not), ``"grid"``, ``"T_max"`` or ``"search"``.

    ``grid`` is the best published solution (Ceschia et al.'s, the one with a file) rescheduled
    on rounds' minute grid (:func:`on_grid`). ``"grid"``: ours is no worse than it, so the gap is
    the cost of planning in whole minutes. ``"T_max"`` (only for runs without the ``T_max``
    term, ``worst_late_per_min = 0``): rounds' own objective ``D + T`` is no worse than its, so
    the gap comes from the term the solver was not given. ``"search"``: the solver stopped at a
    worse value of its own objective than a solution it could represent.
    ``"best has no file"``: ours beats the file, but the best published value is another
    method's, whose solution is not available (B6, C9).
    """
    if not row.feasible:
        return "infeasible"
    if matched(row.objective, row.best_objective):
        return ""
    if grid is None:
        return "?"
    if row.objective <= grid.objective + 0.01:
        # No worse than the file; if the file is not the best, the best has no solution to grid.
        return "grid" if grid.objective <= row.best_objective + 0.3 else "best has no file"
    if not row.worst_late_per_min and (
        row.distance + row.tardiness <= grid.distance + grid.tardiness + 0.01
    ):
        return "T_max"
    return "search"


def by_family(rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """The rows of each family present, in paper order, then ``**all**`` when several are."""
    groups = [(f, [r for r in rows if r.family == f]) for f in FAMILY_SIZES]
    groups = [(f, mine) for f, mine in groups if mine]
    if len(groups) > 1:
        groups.append(("**all**", list(rows)))
    return groups


def summarise(rows: Sequence[Row], grid: dict[str, Evaluation] | None = None) -> str:
    """A markdown table per instance and a summary per family.

    With ``grid`` (from :func:`best_on_grid`) each instance also shows the best published
    solution on the minute grid (its objective and ``D + T``) and the :func:`cause` of any gap.
    """
    grid = grid or {}
    lines = [
        "| instance | id | feasible | ours | best | gap % | proven opt. | matched | D | T | "
        "T_max | D+T | best sol. on grid | its D+T | gap cause | wall s |",
        "|---|---|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        g = grid.get(r.instance)
        theirs = f"{g.objective:.2f} | {g.distance + g.tardiness:.1f}" if g else " | "
        lines.append(
            f"| {r.instance} | {r.paper_id} | {'yes' if r.feasible else 'NO'} | "
            f"{r.objective:.2f} | {r.best_objective:.2f} | {r.gap_pct:.2f} | "
            f"{'yes' if r.proven_optimal else ''} | "
            f"{('yes' if r.optimum_matched else 'no') if r.proven_optimal else ''} | "
            f"{r.distance:.1f} | {r.tardiness:.1f} | {r.max_tardiness:.1f} | "
            f"{r.distance + r.tardiness:.1f} | {theirs} | {cause(r, g)} | "
            f"{r.wall_s:.1f} |"
        )
    lines += [
        "",
        "| family | instances | feasible | mean gap % | max gap % | optima matched | "
        "gaps from T_max | from grid | from search |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for family, mine in by_family(rows):
        gaps = [r.gap_pct for r in mine if r.feasible]
        proven = [r for r in mine if r.proven_optimal]
        mean = f"{sum(gaps) / len(gaps):.2f}" if gaps else "-"
        top = f"{max(gaps):.2f}" if gaps else "-"
        opt = f"{sum(r.optimum_matched for r in proven)}/{len(proven)}" if proven else "-"
        causes = [cause(r, grid.get(r.instance)) for r in mine]
        lines.append(
            f"| {family} | {len(mine)} | {sum(r.feasible for r in mine)} | {mean} | {top} | "
            f"{opt} | {causes.count('T_max')} | {causes.count('grid')} | "
            f"{causes.count('search')} |"
        )
    return "\n".join(lines)


def over_seeds(rows: Sequence[Row]) -> str:
    """Per family, the spread over seeds: mean gap of every run, of each instance's best and worst.

    The search stops on wall-clock limits in two processes, so one seed does not give the same
    plan twice and single runs of large instances differ by several points; a change is judged
    on these means. A run counts only when feasible; ``feasible runs`` says how many did.
    """
    lines = [
        "| family | instances | runs | feasible runs | seeds | mean gap % (all runs) | "
        "mean of best % | mean of worst % | optima matched (best) |",
        "|---|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for family, mine in by_family(rows):
        by_instance: dict[str, list[Row]] = {}
        for r in mine:
            by_instance.setdefault(r.instance, []).append(r)
        feasible = [r for r in mine if r.feasible]
        gaps = {name: [r.gap_pct for r in runs if r.feasible] for name, runs in by_instance.items()}
        solved = [g for g in gaps.values() if g]
        proven = [runs for runs in by_instance.values() if runs[0].proven_optimal]

        def mean(values: Sequence[float]) -> str:
            return f"{sum(values) / len(values):.2f}" if values else "-"

        opt = (
            f"{sum(any(r.optimum_matched for r in runs) for runs in proven)}/{len(proven)}"
            if proven
            else "-"
        )
        lines.append(
            f"| {family} | {len(by_instance)} | {len(mine)} | {len(feasible)} | "
            f"{','.join(str(s) for s in sorted({r.seed for r in mine}))} | "
            f"{mean([r.gap_pct for r in feasible])} | {mean([min(g) for g in solved])} | "
            f"{mean([max(g) for g in solved])} | {opt} |"
        )
    return "\n".join(lines)


def compare(base: Sequence[Row], new: Sequence[Row]) -> str:
    """Per family, a change's runs against a control's, paired by instance and seed.

    Runs of one instance and seed in both ``base`` and ``new`` are paired (one control run
    per instance and seed: the last read counts); a pair counts when
    both plans are feasible (``infeasible`` counts the others). For each family: the pairs,
    both mean gaps, the mean difference (new - base; below 0 the change is better), its
    standard error (the spread of the paired differences over the square root of their
    number), and how many pairs the change won and lost. A difference within about two
    standard errors is noise: one seed does not give the same plan twice, and a control run
    on another machine or day can be a point away on a family (docs/benchmarks.md,
    twenty-fifth round), so the control is best run beside the change, on the same machine.
    """
    base_runs = {(r.instance, r.seed): r for r in base}
    pairs = [(base_runs[(r.instance, r.seed)], r) for r in new if (r.instance, r.seed) in base_runs]
    lines = [
        "| family | pairs | infeasible | base gap % | new gap % | new - base | std. error | "
        "won | lost | optima matched (base / new) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for family, rows in by_family([n for _, n in pairs]):
        ids = {id(r) for r in rows}
        mine = [(b, n) for b, n in pairs if id(n) in ids]
        both = [(b, n) for b, n in mine if b.feasible and n.feasible]
        diffs = [n.gap_pct - b.gap_pct for b, n in both]
        proven = [(b, n) for b, n in mine if b.proven_optimal]
        opt = (
            f"{sum(b.optimum_matched for b, _ in proven)}/{len(proven)} / "
            f"{sum(n.optimum_matched for _, n in proven)}/{len(proven)}"
            if proven
            else "-"
        )
        if diffs:
            mean_diff = sum(diffs) / len(diffs)
            spread = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.nan
            base_gap = sum(b.gap_pct for b, _ in both) / len(both)
            new_gap = sum(n.gap_pct for _, n in both) / len(both)
            figures = f"{base_gap:.2f} | {new_gap:.2f} | {mean_diff:+.2f} | {spread:.2f}"
        else:
            figures = "- | - | - | -"
        lines.append(
            f"| {family} | {len(both)} | {len(mine) - len(both)} | {figures} | "
            f"{sum(d < 0 for d in diffs)} | {sum(d > 0 for d in diffs)} | {opt} |"
        )
    return "\n".join(lines)


#: Published methods with a result per instance in ``results.csv``: (label, objective column,
#: seconds column). Each ran once per instance on its authors' machine, with its own time.
PUBLISHED_METHODS = (
    ("Mankowska et al. 2014 (AVNS)", "mankowska2014_best", "mankowska2014_time_s"),
    ("Lasfargeas et al. 2019", "lasfargeas2019_best", "lasfargeas2019_time_s"),
    ("Kummer et al. 2019", "kummer2019_best", "kummer2019_time_s"),
    ("Kummer et al. 2020 (BRKGA)", "kummer2020_brkga_best", "kummer2020_brkga_time_s"),
    ("Kummer et al. BRKGA-TL", "kummer_brkga_tl_best", "kummer_brkga_tl_time_s"),
    ("Kummer et al. BRKGA-MP-IPR, mean", "kummer_brkga_mp_ipr_mean", "kummer_brkga_mp_ipr_time_s"),
)


def peers(rows: Sequence[Row], data_dir: Path = DATA_DIR) -> str:
    """Per family, our mean gap beside each published method's (mean gap and mean seconds).

    The methods' gaps are to the same best published objective as ours; a method counts on a
    family only where it reports every instance of ``rows`` in it. Their times are their
    authors' machines', not this one's: a reference, not a side-by-side run.
    """
    with (data_dir / "results.csv").open(newline="", encoding="utf-8") as f:
        table = {row["instance"]: row for row in csv.DictReader(f)}
    families = [f for f in FAMILY_SIZES if any(r.family == f for r in rows)]
    lines = [
        "| method | " + " | ".join(families) + " |",
        "|---|" + "---:|" * len(families),
    ]
    ours = []
    for family in families:
        mine = [r for r in rows if r.family == family and r.feasible]
        gap = sum(r.gap_pct for r in mine) / len(mine) if mine else math.nan
        wall = sum(r.wall_s for r in mine) / len(mine) if mine else math.nan
        ours.append(f"{gap:.2f} % ({wall:.0f} s)")
    lines.append("| **rounds (this run)** | " + " | ".join(ours) + " |")
    for label, objective, seconds in PUBLISHED_METHODS:
        cells = []
        for family in families:
            wanted = [table.get(r.instance, {}) for r in rows if r.family == family]
            if not wanted or any(not row.get(objective) for row in wanted):
                cells.append("-")
                continue
            gaps = [
                100
                * (float(row[objective]) - float(row["best_objective"]))
                / float(row["best_objective"])
                for row in wanted
            ]
            times = [float(row[seconds]) for row in wanted if row.get(seconds)]
            when = f" ({sum(times) / len(times):.0f} s)" if times else ""
            cells.append(f"{sum(gaps) / len(gaps):.2f} %{when}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def read_rows(path: Path) -> list[Row]:
    """Rows of a results CSV written by ``solve``."""
    types = {f.name: f.type for f in dataclasses.fields(Row)}
    out = []
    with path.open(newline="", encoding="utf-8") as f:
        for raw in csv.DictReader(f):
            values: dict[str, Any] = {}
            for name, kind in types.items():
                # Older CSVs: lateness weighed 1, no T_max term, scored on the minute grid.
                default = {"late_per_min": "1", "worst_late_per_min": "0"}.get(name, "")
                if name == "grid_objective":
                    default = raw["objective"]
                text = raw.get(name, default)
                if kind in ("bool", bool):
                    values[name] = text == "True"
                elif kind in ("int", int):
                    values[name] = int(text)
                elif kind in ("float", float):
                    values[name] = float(text)
                else:
                    values[name] = text
            out.append(Row(**values))
    return out


@dataclass(frozen=True)
class Reproduction:
    """A published best solution re-evaluated, against ``results.csv``."""

    published: Published
    evaluation: Evaluation

    @property
    def diff_ceschia(self) -> float:
        """Our objective minus the recorded objective of this very solution (Ceschia et al.)."""
        return self.evaluation.objective - self.published.ceschia_objective

    @property
    def diff_best(self) -> float:
        """Our objective minus ``best_objective`` (the best over every published method)."""
        return self.evaluation.objective - self.published.best_objective

    @property
    def reproduced(self) -> bool:
        """Objective and its three parts within 0.01 of the recorded values of this solution."""
        ev, parts = self.evaluation, self.published.ceschia_parts
        ours = (ev.distance, ev.tardiness, ev.max_tardiness)
        return abs(self.diff_ceschia) <= 0.01 and all(
            abs(a - b) <= 0.01 for a, b in zip(ours, parts, strict=True)
        )

    @property
    def is_best(self) -> bool:
        """Whether this solution is the best published (to the 1-decimal rounding of others)."""
        return self.diff_best <= 0.05


def reproduce(data_dir: Path = DATA_DIR) -> list[Reproduction]:
    """Evaluate every published best solution of ``solutions_json``."""
    results = read_results(data_dir)
    sols = solution_paths(data_dir)
    return [
        Reproduction(
            pub, evaluate(read_instance(instance_path(name, data_dir)), read_solution(sols[name]))
        )
        for name, pub in results.items()
    ]


def _cmd_published(args: argparse.Namespace) -> int:
    found = reproduce(args.data)
    print(
        "| id | instance | evaluated | Ceschia (this solution) | diff | best published | diff | "
        "feasible |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in found:
        ev, pub = r.evaluation, r.published
        print(
            f"| {pub.paper_id} | {pub.instance} | {ev.objective:.3f} | {pub.ceschia_objective:.3f} "
            f"| {r.diff_ceschia:+.4f} | {pub.best_objective:.3f} | {r.diff_best:+.3f} | "
            f"{'yes' if ev.feasible else ev.violations[0]} |"
        )
    n = len(found)
    worst = max(abs(r.diff_ceschia) for r in found)
    not_best = [r for r in found if not r.is_best]
    print(
        f"\n{sum(r.reproduced for r in found)}/{n} reproduced (objective, D, T and T_max within "
        f"0.01 of results.csv ceschia2024_*; largest objective difference {worst:.4f}); "
        f"{sum(r.evaluation.feasible for r in found)}/{n} feasible; "
        f"{n - len(not_best)}/{n} equal best_objective to its 1-decimal rounding"
        + "".join(
            f"; {r.published.paper_id} best {r.published.best_objective} is "
            f"{r.published.best_source}'s (no solution file)"
            for r in not_best
        )
    )
    ok = all(r.reproduced and r.evaluation.feasible for r in found)
    return 0 if ok else 1


def _cmd_solve(args: argparse.Namespace) -> int:
    results = read_results(args.data)
    chosen = selected(results, args.families.split(","), args.only.split(",") if args.only else ())
    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
    out: Path = args.out or RESULTS / f"hhc_mankowska_{datetime.now(UTC):%Y-%m-%d}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"# {COMMAND} {shlex.join(sys.argv[1:])}\n# {machine()}; rounds {rounds.__version__}",
        flush=True,
    )
    rows: list[Row] = []
    names = list(Row.__dataclass_fields__)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        for pub in chosen:
            instance = read_instance(instance_path(pub.instance, args.data))
            for seed in seeds:
                row = solve_instance(
                    instance,
                    pub,
                    args.time_limit,
                    seed,
                    args.late_per_min,
                    args.save_solutions,
                    args.worst_late_per_min,
                )
                rows.append(row)
                writer.writerow({k: getattr(row, k) for k in names})
                f.flush()
                print(
                    f"{row.paper_id:>4} seed={seed} feasible={row.feasible} "
                    f"ours={row.objective:.2f} best={row.best_objective:.2f} "
                    f"gap={row.gap_pct:.2f}% wall={row.wall_s:.1f}s {row.first_violation}",
                    flush=True,
                )
    print(summarise(rows, best_on_grid([r.instance for r in rows], args.data)))
    if len(seeds) > 1:
        print("\n" + over_seeds(rows))
    print(f"wrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``published`` (check the evaluator), ``solve`` (run rounds), ``report``
    (tables of results CSVs) or ``compare`` (a change against a control)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hhc_mankowska")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the mankowska2014 folder")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("published", help="evaluate every published best solution")
    report = sub.add_parser("report", help="markdown tables of results CSVs")
    report.add_argument(
        "csv", type=Path, nargs="+", help="results CSVs (e.g. runs with other seeds), read as one"
    )
    report.add_argument(
        "--peers", action="store_true", help="also: published methods' mean gaps per family"
    )
    paired = sub.add_parser(
        "compare", help="a change's results CSVs against a control's, paired by instance and seed"
    )
    paired.add_argument("--base", type=Path, nargs="+", required=True, help="the control's CSVs")
    paired.add_argument("--new", type=Path, nargs="+", required=True, help="the change's CSVs")
    solve = sub.add_parser("solve", help="solve instances with rounds and score them")
    solve.add_argument("--families", default="A,B,C", help="comma-separated, e.g. A,B,C")
    solve.add_argument(
        "--only", default="", help="comma-separated paper ids, e.g. A1,B3 (instead of --families)"
    )
    solve.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument(
        "--seeds",
        default="",
        help="comma-separated seeds, e.g. 0,1,2: one run per instance and seed (instead of "
        "--seed); the report adds each family's mean, best and worst over the seeds",
    )
    solve.add_argument("--late-per-min", type=int, default=1, help="solver cost per late minute")
    solve.add_argument(
        "--worst-late-per-min",
        type=int,
        default=1,
        help="solver cost per minute of the largest lateness (1: D + T + T_max; 0: D + T)",
    )
    solve.add_argument("--out", type=Path, default=None, help="CSV to write")
    solve.add_argument(
        "--save-solutions", type=Path, default=None, help="folder for the solutions (JSON)"
    )
    args = parser.parse_args(argv)
    if args.command == "compare":  # the CSVs hold all it needs
        base = [row for path in args.base for row in read_rows(path)]
        new = [row for path in args.new for row in read_rows(path)]
        print(compare(base, new))
        return 0
    if not args.data.is_dir():
        print(f"error: {args.data} is absent (../shared/data is not available)", file=sys.stderr)
        return 2
    if args.command == "report":
        rows = [row for path in args.csv for row in read_rows(path)]
        print(summarise(rows, best_on_grid([r.instance for r in rows], args.data)))
        if len({r.seed for r in rows}) > 1:
            print("\n" + over_seeds(rows))
        if args.peers:
            print("\n" + peers(rows, args.data))
        return 0
    return _cmd_published(args) if args.command == "published" else _cmd_solve(args)


if __name__ == "__main__":
    raise SystemExit(main())
