"""``rounds.solve``: problem in, plan out.

The pipeline: :class:`~rounds.models.Problem` -> travel matrices (:mod:`rounds.matrix`) ->
plain routing data -> the OR-Tools adapter (:mod:`rounds._ortools`) -> rounds with times ->
reasons for what is left (:mod:`rounds.reasons`) -> KPIs (:mod:`rounds.kpis`) ->
:class:`~rounds.plan.Plan`.

Internally time is whole minutes from an *origin*: midnight before the problem's earliest
instant. Window openings and shift starts round up to the minute, window closings and shift
ends round down, so a plan in whole minutes never breaks a window given in seconds.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from rounds._ortools import RoutingInput, RoutingResult, TaskSpec, VehicleSpec, solve_routing
from rounds.errors import InputError, SolverError
from rounds.kpis import plan_kpis, round_kpis
from rounds.matrix import MatrixSource, TravelMatrices, build_matrices, carer_place_keys
from rounds.models import Carer, Problem
from rounds.plan import Plan, Round, SolveInfo, Stop, UnallocatedVisit
from rounds.reasons import explain

__all__ = ["Clock", "solve"]

MAX_TIME_LIMIT_S = 24 * 3600.0


@dataclass(frozen=True)
class Clock:
    """Converts between instants and whole minutes from an origin."""

    origin: datetime

    @classmethod
    def of(cls, problem: Problem) -> Clock:
        """Midnight before the earliest instant of ``problem`` (keeping its time zone)."""
        instants = [s.start for c in problem.carers for s in c.shifts]
        instants += [v.earliest_start for _, v in problem.visits()]
        if not instants:
            return cls(datetime(2000, 1, 1))
        first = min(instants)
        return cls(first.replace(hour=0, minute=0, second=0, microsecond=0))

    def minutes(self, instant: datetime, *, up: bool) -> int:
        """Minutes from the origin to ``instant``, rounded up or down to a whole minute."""
        exact = (instant - self.origin) / timedelta(minutes=1)
        return math.ceil(exact - 1e-9) if up else math.floor(exact + 1e-9)

    def instant(self, minutes: int) -> datetime:
        """The instant ``minutes`` after the origin."""
        return self.origin + timedelta(minutes=minutes)


@dataclass(frozen=True)
class _Vehicle:
    carer: Carer
    shift_index: int


@dataclass(frozen=True)
class _Task:
    visit_id: str
    client_id: str
    package_id: str


def _check_arguments(time_limit_s: float, seed: int) -> None:
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int | float):
        raise InputError(f"time_limit_s: {time_limit_s!r} is not a number of seconds")
    if not (math.isfinite(time_limit_s) and 0 < time_limit_s <= MAX_TIME_LIMIT_S):
        raise InputError(f"time_limit_s: {time_limit_s!r} is not in (0, {MAX_TIME_LIMIT_S:g}]")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise InputError(f"seed: {seed!r} is not a whole number in [0, 2**32)")


def _routing_input(
    problem: Problem, matrices: TravelMatrices, clock: Clock, time_limit_s: float, seed: int
) -> tuple[RoutingInput, list[_Vehicle], list[_Task]]:
    modes = list(matrices.by_mode)
    places = matrices.places.index
    weights = problem.weights

    vehicles: list[_Vehicle] = []
    vehicle_specs: list[VehicleSpec] = []
    vehicles_of: dict[str, list[int]] = defaultdict(list)
    for carer in problem.carers:
        start_key, end_key = carer_place_keys(problem, carer.id)
        for si, shift in enumerate(carer.shifts):
            vehicles_of[carer.id].append(len(vehicles))
            vehicles.append(_Vehicle(carer, si))
            vehicle_specs.append(
                VehicleSpec(
                    start_place=places[start_key],
                    end_place=places[end_key],
                    mode=modes.index(carer.travel_mode),
                    earliest_start=clock.minutes(shift.start, up=True),
                    latest_end=clock.minutes(shift.end, up=False),
                    max_span=carer.max_working_min,
                    fixed_cost=weights.round_fixed,
                    travel_cost=weights.travel_per_min,
                    span_cost=weights.paid_per_min,
                    capacity=carer.capacity,
                )
            )

    tasks: list[_Task] = []
    task_specs: list[TaskSpec] = []
    synchronised: list[tuple[int, int]] = []

    def placed(carer: Carer, *keys: str) -> bool:
        return all(matrices.is_placed(carer.travel_mode, k) for k in keys)

    for package, visit in problem.visits():
        allowed = tuple(
            v
            for c in problem.qualified_carers(visit)
            if placed(c, package.client_id, *carer_place_keys(problem, c.id))
            for v in vehicles_of[c.id]
        )
        first = len(tasks)
        for _ in range(visit.carers_required):
            tasks.append(_Task(visit.id, package.client_id, package.id))
            task_specs.append(
                TaskSpec(
                    place=places[package.client_id],
                    service=visit.duration_min,
                    earliest=clock.minutes(visit.earliest_start, up=True),
                    latest=clock.minutes(visit.latest_start, up=False),
                    allowed_vehicles=allowed,
                    penalty=weights.unallocated * visit.priority,
                    demand=visit.demand,
                )
            )
        if visit.carers_required == 2:
            synchronised.append((first, first + 1))

    data = RoutingInput(
        travel_min=[matrices.by_mode[m].travel_min for m in modes],
        vehicles=vehicle_specs,
        tasks=task_specs,
        synchronised=synchronised,
        time_limit_s=time_limit_s,
        seed=seed,
    )
    return data, vehicles, tasks


def _rounds(
    problem: Problem,
    matrices: TravelMatrices,
    clock: Clock,
    result: RoutingResult,
    vehicles: list[_Vehicle],
    tasks: list[_Task],
) -> list[Round]:
    carers_at: dict[str, list[str]] = defaultdict(list)
    for v, route in enumerate(result.routes):
        for t, _ in route:
            carers_at[tasks[t].visit_id].append(vehicles[v].carer.id)
    for visit_id, carers in carers_at.items():
        if len(carers) != problem.visit_by_id[visit_id].carers_required:
            raise SolverError(f"visit {visit_id!r} came back with {len(carers)} carer(s)")

    latest = {v.id: v.latest_start for _, v in problem.visits()}
    rounds: list[Round] = []
    for v, route in enumerate(result.routes):
        if not route:
            continue
        carer, mode = vehicles[v].carer, vehicles[v].carer.travel_mode
        start_key, end_key = carer_place_keys(problem, carer.id)
        stops: list[Stop] = []
        here, free = start_key, None
        for t, start_min in route:
            task = tasks[t]
            travel_min, travel_m = matrices.leg(mode, here, task.client_id)
            start = clock.instant(start_min)
            # Leave home just in time for the first visit; afterwards leave when a visit ends.
            arrival = start if free is None else free + timedelta(minutes=travel_min)
            visit = problem.visit_by_id[task.visit_id]
            partner = [c for c in carers_at[task.visit_id] if c != carer.id]
            stops.append(
                Stop(
                    visit_id=task.visit_id,
                    package_id=task.package_id,
                    client_id=task.client_id,
                    arrival=arrival,
                    start=start,
                    end=start + timedelta(minutes=visit.duration_min),
                    travel_min=travel_min,
                    travel_m=travel_m,
                    wait_min=round((start - arrival) / timedelta(minutes=1)),
                    partner_carer_id=partner[0] if partner else None,
                )
            )
            here, free = task.client_id, stops[-1].end
        back_min, back_m = matrices.leg(mode, here, end_key)
        depart = stops[0].arrival - timedelta(minutes=stops[0].travel_min)
        finish = stops[-1].end + timedelta(minutes=back_min)
        rounds.append(
            Round(
                carer_id=carer.id,
                shift_index=vehicles[v].shift_index,
                travel_mode=mode,
                start=depart,
                end=finish,
                stops=tuple(stops),
                travel_to_end_min=back_min,
                travel_to_end_m=back_m,
                kpis=round_kpis(
                    start=depart,
                    end=finish,
                    stops=stops,
                    travel_to_end_min=back_min,
                    travel_to_end_m=back_m,
                    hourly_cost=carer.hourly_cost,
                    latest_start=latest,
                ),
            )
        )
    return rounds


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    matrices: TravelMatrices | None = None,
    source: MatrixSource | None = None,
) -> Plan:
    """Plan rounds for ``problem``.

    Every visit of the problem comes back exactly once: as a stop of one round (twice, in two
    rounds, for a double-up) or as an unallocated visit with a reason.

    Parameters
    ----------
    problem
        The validated problem.
    time_limit_s
        Wall-clock budget in seconds for the whole call; the search stops in time to honour it.
    seed
        Random seed; the same problem, seed and time limit give the same kind of search.
    matrices
        Precomputed travel matrices for ``problem``; computed with ``source`` when omitted.
    source
        Where to get travel times (default: the crow-fly fallback). Ignored with ``matrices``.

    Returns
    -------
    Plan
        Rounds, unallocated visits with reasons, KPIs and solver information.
    """
    started = time.perf_counter()
    _check_arguments(time_limit_s, seed)
    if matrices is None:
        matrices = build_matrices(problem, source)
    clock = Clock.of(problem)
    budget = time_limit_s - (time.perf_counter() - started) - 0.05 * time_limit_s
    data, vehicles, tasks = _routing_input(problem, matrices, clock, max(0.05, budget), seed)
    result = solve_routing(data)
    rounds = _rounds(problem, matrices, clock, result, vehicles, tasks)

    done = {s.visit_id for r in rounds for s in r.stops}
    unallocated = []
    for package, visit in problem.visits():
        if visit.id not in done:
            reason, message = explain(problem, matrices, visit.id)
            unallocated.append(
                UnallocatedVisit(
                    visit_id=visit.id,
                    package_id=package.id,
                    client_id=package.client_id,
                    reason=reason,
                    message=message,
                )
            )
    return Plan(
        problem_name=problem.name,
        rounds=tuple(rounds),
        unallocated=tuple(unallocated),
        kpis=plan_kpis(rounds, len(unallocated)),
        solver=SolveInfo(
            status=result.status,
            objective=result.objective,
            wall_time_s=round(time.perf_counter() - started, 3),
            time_limit_s=time_limit_s,
            seed=seed,
            travel_source=matrices.source,
        ),
    )
