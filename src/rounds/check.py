"""The independent plan checker.

:func:`check` takes a problem and a plan (made by :func:`rounds.solve`, by another tool or by
hand) and reports every rule the plan breaks. It shares no scheduling code with the solver: it
walks each round itself, recomputing every arrival from the previous departure and the travel
matrix, and recomputes every KPI from the stops. Only the input layer (the models and the
travel matrices) is common to both.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rounds.matrix import MatrixSource, TravelMatrices, build_matrices
from rounds.models import Carer, Problem
from rounds.plan import Kpis, Plan, Round, Stop

__all__ = ["Violation", "ViolationCode", "check"]

_MINUTE = timedelta(minutes=1)


class ViolationCode(StrEnum):
    """The kinds of rule a plan can break."""

    VISIT_MISSING = "visit_missing"
    """A visit of the problem is neither in a round nor unallocated."""
    VISIT_DUPLICATED = "visit_duplicated"
    """A visit appears more often than it needs carers, or both in a round and unallocated."""
    UNKNOWN_ID = "unknown_id"
    """The plan names a carer, shift, visit, package or client the problem does not have."""
    SKILL_MISSING = "skill_missing"
    """A carer lacks a skill the visit needs."""
    EARLY = "early"
    """A visit starts before its window opens."""
    LATE = "late"
    """A visit starts after its window closes."""
    SHIFT_OVERRUN = "shift_overrun"
    """A round starts before or ends after its shift."""
    WORKING_TIME_EXCEEDED = "working_time_exceeded"
    """A round has more paid minutes than the carer may work in one shift."""
    OVER_CAPACITY = "over_capacity"
    """A round's visits demand more than the carer's capacity."""
    OVERLAP = "overlap"
    """The carer cannot be there in time: a stop begins before the previous one ends plus
    travel, or two rounds of one carer overlap."""
    NOT_ON_NETWORK = "not_on_network"
    """A carer is routed to or from a place their travel mode's network could not place."""
    TIME_MISMATCH = "time_mismatch"
    """A stop's own times disagree: end is not start + duration, wait is not start - arrival,
    or arrival is not previous departure + travel."""
    TRAVEL_MISMATCH = "travel_mismatch"
    """Stated travel minutes, metres or mode differ from the travel matrix."""
    DOUBLE_UP = "double_up"
    """A double-up is half-staffed, staffed twice by one carer, or its carers start apart."""
    KPI_MISMATCH = "kpi_mismatch"
    """A KPI differs from the value recomputed from the stops."""


class Violation(BaseModel):
    """One broken rule, with its cause in a sentence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: ViolationCode
    message: str
    carer_id: str | None = None
    visit_id: str | None = None

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def _hm(t: datetime) -> str:
    return t.strftime("%H:%M") if t.second == 0 else t.strftime("%H:%M:%S")


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a) / _MINUTE


def check(
    problem: Problem,
    plan: Plan,
    *,
    matrices: TravelMatrices | None = None,
    source: MatrixSource | None = None,
) -> list[Violation]:
    """List every rule ``plan`` breaks for ``problem``.

    Parameters
    ----------
    problem
        The problem the plan claims to solve.
    plan
        The plan to check.
    matrices
        The travel matrices the plan was made with; built from ``problem`` (with ``source``,
        default crow-fly) when omitted.
    source
        Where to get travel times when ``matrices`` is omitted.

    Returns
    -------
    list of Violation
        Empty when the plan is valid.
    """
    if matrices is None:
        matrices = build_matrices(problem, source)
    found: list[Violation] = []
    found += _coverage(problem, plan)
    for rnd in plan.rounds:
        found += _round(problem, matrices, rnd)
    found += _carers_not_double_booked(problem, plan)
    found += _double_ups(problem, plan)
    found += _kpis(problem, plan)
    return found


def _coverage(problem: Problem, plan: Plan) -> Iterator[Violation]:
    in_rounds = Counter(s.visit_id for r in plan.rounds for s in r.stops)
    unallocated = Counter(u.visit_id for u in plan.unallocated)
    for visit_id in sorted((set(in_rounds) | set(unallocated)) - set(problem.visit_by_id)):
        yield Violation(
            code=ViolationCode.UNKNOWN_ID,
            message=f"visit {visit_id!r} is in the plan but not in the problem",
            visit_id=visit_id,
        )
    for _, visit in problem.visits():
        n_stops, n_out = in_rounds[visit.id], unallocated[visit.id]
        need = visit.carers_required
        if n_stops == 0 and n_out == 0:
            yield Violation(
                code=ViolationCode.VISIT_MISSING,
                message=f"visit {visit.id!r} is neither in a round nor unallocated",
                visit_id=visit.id,
            )
        elif n_out > 1 or (n_out and n_stops) or n_stops > need:
            yield Violation(
                code=ViolationCode.VISIT_DUPLICATED,
                message=f"visit {visit.id!r} appears in {n_stops} round stop(s) and "
                f"{n_out} time(s) as unallocated; it needs {need} carer(s)",
                visit_id=visit.id,
            )
        elif 0 < n_stops < need:
            yield Violation(
                code=ViolationCode.DOUBLE_UP,
                message=f"visit {visit.id!r} needs {need} carers but has {n_stops}",
                visit_id=visit.id,
            )
    for item in plan.unallocated:
        package = problem.package_by_visit_id.get(item.visit_id)
        if package and (item.package_id, item.client_id) != (package.id, package.client_id):
            yield Violation(
                code=ViolationCode.UNKNOWN_ID,
                message=f"unallocated visit {item.visit_id!r} names package "
                f"{item.package_id!r} / client {item.client_id!r}, but it belongs to "
                f"{package.id!r} / {package.client_id!r}",
                visit_id=item.visit_id,
            )


def _round(problem: Problem, matrices: TravelMatrices, rnd: Round) -> Iterator[Violation]:
    carer = problem.carer_by_id.get(rnd.carer_id)
    who = rnd.carer_id
    if carer is None:
        yield Violation(
            code=ViolationCode.UNKNOWN_ID,
            message=f"round of carer {who!r}: no such carer in the problem",
            carer_id=who,
        )
        return
    if rnd.shift_index >= len(carer.shifts):
        yield Violation(
            code=ViolationCode.UNKNOWN_ID,
            message=f"round of carer {who!r} uses shift {rnd.shift_index}, but the carer has "
            f"{len(carer.shifts)} shift(s)",
            carer_id=who,
        )
        return
    if rnd.travel_mode != carer.travel_mode:
        yield Violation(
            code=ViolationCode.TRAVEL_MISMATCH,
            message=f"round of carer {who!r} says {rnd.travel_mode}, but the carer travels by "
            f"{carer.travel_mode}",
            carer_id=who,
        )
    shift = carer.shifts[rnd.shift_index]
    if rnd.start < shift.start:
        yield Violation(
            code=ViolationCode.SHIFT_OVERRUN,
            message=f"carer {who!r} leaves at {_hm(rnd.start)}, before their shift starts at "
            f"{_hm(shift.start)}",
            carer_id=who,
        )
    if rnd.end > shift.end:
        yield Violation(
            code=ViolationCode.SHIFT_OVERRUN,
            message=f"carer {who!r} gets back at {_hm(rnd.end)}, after their shift ends at "
            f"{_hm(shift.end)}",
            carer_id=who,
        )
    paid = _minutes(rnd.start, rnd.end)
    if carer.max_working_min is not None and paid > carer.max_working_min:
        yield Violation(
            code=ViolationCode.WORKING_TIME_EXCEEDED,
            message=f"carer {who!r} is paid {paid:g} min in this round, more than their "
            f"{carer.max_working_min} min limit",
            carer_id=who,
        )

    load = sum(
        problem.visit_by_id[s.visit_id].demand
        for s in rnd.stops
        if s.visit_id in problem.visit_by_id
    )
    if carer.capacity is not None and load > carer.capacity:
        yield Violation(
            code=ViolationCode.OVER_CAPACITY,
            message=f"carer {who!r}: the round's visits demand {load}, more than the capacity "
            f"of {carer.capacity}",
            carer_id=who,
        )

    mode = carer.travel_mode
    home = carer.id
    end_place = carer.id if carer.end == carer.start_location else f"{carer.id}@end"
    here, leave = home, rnd.start
    for stop in rnd.stops:
        yield from _stop(problem, matrices, carer, stop, here, leave)
        if stop.client_id in matrices.places.index:
            here = stop.client_id
        leave = stop.end
    if rnd.stops and mode in matrices.by_mode:
        back_min, back_m = matrices.leg(mode, here, end_place)
        if (rnd.travel_to_end_min, rnd.travel_to_end_m) != (back_min, back_m):
            yield Violation(
                code=ViolationCode.TRAVEL_MISMATCH,
                message=f"carer {who!r}: last leg is stated as {rnd.travel_to_end_min} min / "
                f"{rnd.travel_to_end_m} m, the matrix says {back_min} min / {back_m} m",
                carer_id=who,
            )
        if rnd.end < leave + back_min * _MINUTE:
            yield Violation(
                code=ViolationCode.OVERLAP,
                message=f"carer {who!r} cannot be back by {_hm(rnd.end)}: the last visit ends "
                f"at {_hm(leave)} and the way back takes {back_min} min",
                carer_id=who,
            )


def _stop(
    problem: Problem,
    matrices: TravelMatrices,
    carer: Carer,
    stop: Stop,
    here: str,
    leave: datetime,
) -> Iterator[Violation]:
    who, vid = carer.id, stop.visit_id
    visit = problem.visit_by_id.get(vid)
    if visit is None:
        return  # reported by the coverage check
    package = problem.package_by_visit_id[vid]
    if (stop.package_id, stop.client_id) != (package.id, package.client_id):
        yield Violation(
            code=ViolationCode.UNKNOWN_ID,
            message=f"stop for visit {vid!r} names package {stop.package_id!r} / client "
            f"{stop.client_id!r}, but the visit belongs to {package.id!r} / "
            f"{package.client_id!r}",
            carer_id=who,
            visit_id=vid,
        )
    missing = sorted(set(visit.skills) - set(carer.skills))
    if missing:
        yield Violation(
            code=ViolationCode.SKILL_MISSING,
            message=f"carer {who!r} lacks skill(s) {', '.join(map(repr, missing))} needed by "
            f"visit {vid!r}",
            carer_id=who,
            visit_id=vid,
        )
    if stop.start < visit.earliest_start:
        yield Violation(
            code=ViolationCode.EARLY,
            message=f"visit {vid!r} starts at {_hm(stop.start)}, before its window opens at "
            f"{_hm(visit.earliest_start)}",
            carer_id=who,
            visit_id=vid,
        )
    if stop.start > visit.latest_start:
        late = _minutes(visit.latest_start, stop.start)
        yield Violation(
            code=ViolationCode.LATE,
            message=f"visit {vid!r} starts at {_hm(stop.start)}, {late:g} min after its window "
            f"closes at {_hm(visit.latest_start)}",
            carer_id=who,
            visit_id=vid,
        )
    if stop.end - stop.start != visit.duration_min * _MINUTE:
        yield Violation(
            code=ViolationCode.TIME_MISMATCH,
            message=f"visit {vid!r} lasts {_minutes(stop.start, stop.end):g} min in the plan but "
            f"{visit.duration_min} min in the care plan",
            carer_id=who,
            visit_id=vid,
        )
    if stop.start < stop.arrival or stop.wait_min != _minutes(stop.arrival, stop.start):
        yield Violation(
            code=ViolationCode.TIME_MISMATCH,
            message=f"visit {vid!r}: arrival {_hm(stop.arrival)}, start {_hm(stop.start)} and "
            f"wait {stop.wait_min} min do not agree",
            carer_id=who,
            visit_id=vid,
        )
    client = package.client_id
    if carer.travel_mode not in matrices.by_mode or client not in matrices.places.index:
        return
    if not matrices.is_placed(carer.travel_mode, client):
        yield Violation(
            code=ViolationCode.NOT_ON_NETWORK,
            message=f"visit {vid!r}: the client's address is not on the {carer.travel_mode} "
            "network, so no travel time to it is known",
            carer_id=who,
            visit_id=vid,
        )
    travel_min, travel_m = matrices.leg(carer.travel_mode, here, client)
    if (stop.travel_min, stop.travel_m) != (travel_min, travel_m):
        yield Violation(
            code=ViolationCode.TRAVEL_MISMATCH,
            message=f"visit {vid!r}: travel from the previous place is stated as "
            f"{stop.travel_min} min / {stop.travel_m} m, the matrix says {travel_min} min / "
            f"{travel_m} m",
            carer_id=who,
            visit_id=vid,
        )
    earliest_arrival = leave + travel_min * _MINUTE
    if stop.arrival < earliest_arrival:
        yield Violation(
            code=ViolationCode.OVERLAP,
            message=f"carer {who!r} cannot reach visit {vid!r} by {_hm(stop.arrival)}: they "
            f"leave the previous place at {_hm(leave)} and the way takes {travel_min} min",
            carer_id=who,
            visit_id=vid,
        )
    elif stop.arrival > earliest_arrival:
        yield Violation(
            code=ViolationCode.TIME_MISMATCH,
            message=f"visit {vid!r}: arrival {_hm(stop.arrival)} is not departure "
            f"{_hm(leave)} + {travel_min} min travel",
            carer_id=who,
            visit_id=vid,
        )


def _carers_not_double_booked(problem: Problem, plan: Plan) -> Iterator[Violation]:
    by_carer: dict[str, list[Round]] = defaultdict(list)
    for rnd in plan.rounds:
        by_carer[rnd.carer_id].append(rnd)
    for carer_id, rounds in by_carer.items():
        shifts = Counter(r.shift_index for r in rounds)
        for index, n in shifts.items():
            if n > 1:
                yield Violation(
                    code=ViolationCode.OVERLAP,
                    message=f"carer {carer_id!r} has {n} rounds in shift {index}",
                    carer_id=carer_id,
                )
        ordered = sorted(rounds, key=lambda r: r.start)
        for a, b in itertools.pairwise(ordered):
            if b.start < a.end:
                yield Violation(
                    code=ViolationCode.OVERLAP,
                    message=f"carer {carer_id!r} has rounds that overlap: {_hm(a.start)}–"
                    f"{_hm(a.end)} and {_hm(b.start)}–{_hm(b.end)}",
                    carer_id=carer_id,
                )


def _double_ups(problem: Problem, plan: Plan) -> Iterator[Violation]:
    staffed: dict[str, list[tuple[str, datetime, str | None]]] = defaultdict(list)
    for rnd in plan.rounds:
        for stop in rnd.stops:
            staffed[stop.visit_id].append((rnd.carer_id, stop.start, stop.partner_carer_id))
    for visit_id, crew in staffed.items():
        visit = problem.visit_by_id.get(visit_id)
        if visit is None or visit.carers_required == 1:
            if any(partner is not None for _, _, partner in crew):
                yield Violation(
                    code=ViolationCode.DOUBLE_UP,
                    message=f"visit {visit_id!r} needs one carer but names a partner",
                    visit_id=visit_id,
                )
            continue
        carers = [c for c, _, _ in crew]
        if len(set(carers)) < len(carers):
            yield Violation(
                code=ViolationCode.DOUBLE_UP,
                message=f"double-up {visit_id!r} is staffed twice by the same carer {carers[0]!r}",
                visit_id=visit_id,
            )
        starts = sorted({s for _, s, _ in crew})
        if len(starts) > 1:
            yield Violation(
                code=ViolationCode.DOUBLE_UP,
                message=f"double-up {visit_id!r}: its carers start at different times "
                f"({', '.join(_hm(s) for s in starts)})",
                visit_id=visit_id,
            )
        if len(crew) == 2:
            (c1, _, p1), (c2, _, p2) = crew
            if (p1, p2) != (c2, c1):
                yield Violation(
                    code=ViolationCode.DOUBLE_UP,
                    message=f"double-up {visit_id!r}: carers {c1!r} and {c2!r} do not name each "
                    "other as partners",
                    visit_id=visit_id,
                )


def _recomputed(problem: Problem, rnd: Round) -> dict[str, float]:
    carer = problem.carer_by_id[rnd.carer_id]
    travel = sum(s.travel_min for s in rnd.stops) + (rnd.travel_to_end_min if rnd.stops else 0)
    metres = sum(s.travel_m for s in rnd.stops) + (rnd.travel_to_end_m if rnd.stops else 0)
    paid = _minutes(rnd.start, rnd.end)
    late = 0.0
    for s in rnd.stops:
        visit = problem.visit_by_id.get(s.visit_id)
        if visit is not None:
            late += max(0.0, _minutes(visit.latest_start, s.start))
    return {
        "visits": len(rnd.stops),
        "visit_min": sum(_minutes(s.start, s.end) for s in rnd.stops),
        "travel_min": travel,
        "travel_m": metres,
        "wait_min": sum(_minutes(s.arrival, s.start) for s in rnd.stops),
        "paid_min": paid,
        "travel_share": travel / paid if paid > 0 else 0.0,
        "lateness_min": late,
        "cost": paid / 60 * carer.hourly_cost,
    }


_TOLERANCE = {"travel_share": 1e-3, "cost": 0.011}


def _compare(where: str, stated: Kpis, expected: dict[str, float]) -> Iterator[Violation]:
    for name, value in expected.items():
        got = float(getattr(stated, name))
        if abs(got - value) > _TOLERANCE.get(name, 1e-9):
            yield Violation(
                code=ViolationCode.KPI_MISMATCH,
                message=f"{where}: KPI {name} is {got:g}, recomputed {value:g}",
            )


def _kpis(problem: Problem, plan: Plan) -> Iterator[Violation]:
    totals: dict[str, float] = defaultdict(float)
    for rnd in plan.rounds:
        if rnd.carer_id not in problem.carer_by_id:
            continue
        expected = _recomputed(problem, rnd)
        yield from _compare(f"round of carer {rnd.carer_id!r}", rnd.kpis, expected)
        for name, value in expected.items():
            totals[name] += value
    paid, travel = totals["paid_min"], totals["travel_min"]
    plan_expected = {k: float(totals[k]) for k in Kpis.model_fields}
    plan_expected["travel_share"] = travel / paid if paid > 0 else 0.0
    yield from _compare("plan", plan.kpis, plan_expected)
    counts = {
        "visits_unallocated": len(plan.unallocated),
        "rounds": len(plan.rounds),
        "carers": len({r.carer_id for r in plan.rounds}),
    }
    for name, value in counts.items():
        if getattr(plan.kpis, name) != value:
            yield Violation(
                code=ViolationCode.KPI_MISMATCH,
                message=f"plan: KPI {name} is {getattr(plan.kpis, name)}, recomputed {value}",
            )
