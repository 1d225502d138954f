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
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rounds.matrix import MatrixSource, TravelMatrices, build_matrices, carer_place_keys
from rounds.models import Carer, Problem, Shift
from rounds.plan import Kpis, Plan, Round, Stop, TakenBreak

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
    BREAK = "break"
    """A break is missing, outside its window, of the wrong length, or outside the round."""
    DECLINED_CARER = "declined_carer"
    """A carer visits a client who has declined them."""
    GAP = "gap"
    """A client's calls are out of order or closer or further apart than the care plan says."""
    SAME_CARER = "same_carer"
    """One carer does two calls that the care plan says need different carers."""
    IDLE_TOO_LONG = "idle_too_long"
    """A carer waits longer between visits than the working rules allow (a split shift)."""
    TRAVEL_LIMIT = "travel_limit"
    """A journey is longer, or a round travels more, than the carer's walking limits."""
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
    zone = _time_zone_mismatch(problem, plan)
    if zone is not None:
        return [zone]  # instants with and without a time zone cannot be compared
    if matrices is None:
        matrices = build_matrices(problem, source)
    found: list[Violation] = []
    found += _coverage(problem, plan)
    for rnd in plan.rounds:
        found += _round(problem, matrices, rnd)
    found += _carers_not_double_booked(problem, plan)
    found += _double_ups(problem, plan)
    found += _package_gaps(problem, plan)
    found += _working_time(problem, plan)
    found += _kpis(problem, plan)
    return found


def _time_zone_mismatch(problem: Problem, plan: Plan) -> Violation | None:
    problem_aware = {s.start.tzinfo is not None for c in problem.carers for s in c.shifts} | {
        v.earliest_start.tzinfo is not None for _, v in problem.visits()
    }
    plan_aware = {r.start.tzinfo is not None for r in plan.rounds} | {
        s.start.tzinfo is not None for r in plan.rounds for s in r.stops
    }
    if len(problem_aware | plan_aware) > 1:
        return Violation(
            code=ViolationCode.TIME_MISMATCH,
            message="the plan's times and the problem's differ in having a time zone; give "
            "both a time zone or neither",
        )
    return None


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
    paid = _paid_minutes(rnd)
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
    yield from _breaks(carer, shift, rnd)
    yield from _travel_limits(carer, rnd)

    mode = carer.travel_mode
    home, end_place = carer_place_keys(problem, carer.id)
    here, leave = home, rnd.start
    for stop in rnd.stops:
        yield from _stop(problem, matrices, carer, stop, here, leave, rnd.breaks)
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
        resting = sum((b.end - b.start for b in rnd.breaks if b.start >= leave), timedelta())
        if rnd.end < leave + back_min * _MINUTE + resting:
            yield Violation(
                code=ViolationCode.OVERLAP,
                message=f"carer {who!r} cannot be back by {_hm(rnd.end)}: the last visit ends "
                f"at {_hm(leave)} and the way back takes {back_min} min"
                + (f" plus {resting / _MINUTE:g} min of breaks" if resting else ""),
                carer_id=who,
            )


def _paid_minutes(rnd: Round) -> float:
    unpaid = sum(_minutes(b.start, b.end) for b in rnd.breaks if not b.paid)
    return _minutes(rnd.start, rnd.end) - unpaid


def _breaks(carer: Carer, shift: Shift, rnd: Round) -> Iterator[Violation]:
    who = carer.id
    if len(rnd.breaks) != len(shift.breaks):
        yield Violation(
            code=ViolationCode.BREAK,
            message=f"carer {who!r} takes {len(rnd.breaks)} break(s) in this round; the shift "
            f"has {len(shift.breaks)}",
            carer_id=who,
        )
        return
    rules = sorted(shift.breaks, key=lambda b: b.earliest_start)
    taken = sorted(rnd.breaks, key=lambda b: b.start)
    for rule, pause in zip(rules, taken, strict=True):
        if not rule.earliest_start <= pause.start <= rule.latest_start:
            yield Violation(
                code=ViolationCode.BREAK,
                message=f"carer {who!r}: break at {_hm(pause.start)} is outside its window "
                f"{_hm(rule.earliest_start)}–{_hm(rule.latest_start)}",
                carer_id=who,
            )
        if pause.end - pause.start != rule.duration_min * _MINUTE or pause.paid != rule.paid:
            yield Violation(
                code=ViolationCode.BREAK,
                message=f"carer {who!r}: break at {_hm(pause.start)} lasts "
                f"{_minutes(pause.start, pause.end):g} min (paid={pause.paid}); the shift says "
                f"{rule.duration_min} min (paid={rule.paid})",
                carer_id=who,
            )
        if pause.start < rnd.start or pause.end > rnd.end:
            yield Violation(
                code=ViolationCode.BREAK,
                message=f"carer {who!r}: break at {_hm(pause.start)} is outside the round "
                f"{_hm(rnd.start)}–{_hm(rnd.end)}",
                carer_id=who,
            )
    for a, b in itertools.pairwise(taken):
        if b.start < a.end:
            yield Violation(
                code=ViolationCode.OVERLAP,
                message=f"carer {who!r}: breaks at {_hm(a.start)} and {_hm(b.start)} overlap",
                carer_id=who,
            )
    for pause in taken:
        for stop in rnd.stops:
            if pause.start < stop.end and stop.start < pause.end:
                yield Violation(
                    code=ViolationCode.OVERLAP,
                    message=f"carer {who!r}: break at {_hm(pause.start)} overlaps visit "
                    f"{stop.visit_id!r} ({_hm(stop.start)}–{_hm(stop.end)})",
                    carer_id=who,
                    visit_id=stop.visit_id,
                )


def _travel_limits(carer: Carer, rnd: Round) -> Iterator[Violation]:
    who = carer.id
    legs = [s.travel_min for s in rnd.stops] + ([rnd.travel_to_end_min] if rnd.stops else [])
    if carer.max_leg_min is not None and legs and max(legs) > carer.max_leg_min:
        yield Violation(
            code=ViolationCode.TRAVEL_LIMIT,
            message=f"carer {who!r} has a {max(legs)} min journey; their longest allowed is "
            f"{carer.max_leg_min} min",
            carer_id=who,
        )
    if carer.max_travel_min is not None and sum(legs) > carer.max_travel_min:
        yield Violation(
            code=ViolationCode.TRAVEL_LIMIT,
            message=f"carer {who!r} travels {sum(legs)} min in this round; their limit is "
            f"{carer.max_travel_min} min",
            carer_id=who,
        )


def _stop(
    problem: Problem,
    matrices: TravelMatrices,
    carer: Carer,
    stop: Stop,
    here: str,
    leave: datetime,
    breaks: tuple[TakenBreak, ...],
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
    if who in package.declined_carers:
        yield Violation(
            code=ViolationCode.DECLINED_CARER,
            message=f"carer {who!r} is sent to visit {vid!r}, but client "
            f"{package.client_id!r} has declined them",
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
    at_door = [b for b in breaks if stop.arrival <= b.start < stop.start]
    resting = sum((b.end - b.start for b in at_door), timedelta())
    if stop.start < stop.arrival + resting or stop.wait_min != _minutes(
        stop.arrival + resting, stop.start
    ):
        yield Violation(
            code=ViolationCode.TIME_MISMATCH,
            message=f"visit {vid!r}: arrival {_hm(stop.arrival)}, start {_hm(stop.start)}, "
            f"wait {stop.wait_min} min and {resting / _MINUTE:g} min of breaks "
            "at the door do not agree",
            carer_id=who,
            visit_id=vid,
        )
    idle = problem.rules.max_idle_min
    if idle is not None and stop.wait_min > idle:
        yield Violation(
            code=ViolationCode.IDLE_TOO_LONG,
            message=f"carer {who!r} waits {stop.wait_min} min before visit {vid!r}; rounds "
            f"allow at most {idle} min idle (no split shifts)",
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
    # The carer leaves, travels, and is delayed by any break begun before they arrive.
    earliest_arrival = leave + travel_min * _MINUTE
    for b in sorted(breaks, key=lambda b: b.start):
        if leave <= b.start < earliest_arrival and b.start < stop.start:
            earliest_arrival += b.end - b.start
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


def _package_gaps(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Calls of a package in order, with the gaps the care plan sets (start to start)."""
    starts: dict[str, datetime] = {}
    crew: dict[str, set[str]] = defaultdict(set)
    for rnd in plan.rounds:
        for stop in rnd.stops:
            starts.setdefault(stop.visit_id, stop.start)
            crew[stop.visit_id].add(rnd.carer_id)
    for package in problem.packages:
        for before, after in itertools.pairwise(package.visits):
            shared = crew[before.id] & crew[after.id]
            if after.different_carer_from_previous and shared:
                yield Violation(
                    code=ViolationCode.SAME_CARER,
                    message=f"carer {sorted(shared)[0]!r} does both {before.id!r} and "
                    f"{after.id!r}; the care plan needs different carers",
                    carer_id=sorted(shared)[0],
                    visit_id=after.id,
                )
            if before.id not in starts or after.id not in starts:
                continue
            lo = after.min_gap_from_previous_min
            if lo is None and package.ordered:
                lo = before.duration_min
            hi = after.max_gap_from_previous_min
            gap = _minutes(starts[before.id], starts[after.id])
            if (lo is not None and gap < lo) or (hi is not None and gap > hi):
                limits = f"{lo if lo is not None else 0}–{hi if hi is not None else '∞'}"
                yield Violation(
                    code=ViolationCode.GAP,
                    message=f"visit {after.id!r} starts {gap:g} min after {before.id!r}; the "
                    f"care plan needs {limits} min",
                    visit_id=after.id,
                )


def _working_time(problem: Problem, plan: Plan) -> Iterator[Violation]:
    """Per-day, per-week and days-per-week limits across each carer's rounds."""
    by_carer: dict[str, list[Round]] = defaultdict(list)
    for rnd in plan.rounds:
        if rnd.carer_id in problem.carer_by_id:
            by_carer[rnd.carer_id].append(rnd)
    for carer_id, rounds in by_carer.items():
        carer = problem.carer_by_id[carer_id]
        daily: dict[date, float] = defaultdict(float)
        for rnd in rounds:
            if rnd.shift_index < len(carer.shifts):
                daily[carer.shifts[rnd.shift_index].start.date()] += _paid_minutes(rnd)
        cap = carer.max_working_min_per_day
        for day, paid in sorted(daily.items()):
            if cap is not None and paid > cap:
                yield Violation(
                    code=ViolationCode.WORKING_TIME_EXCEEDED,
                    message=f"carer {carer_id!r} is paid {paid:g} min on {day}, more than "
                    f"their {cap} min a day",
                    carer_id=carer_id,
                )
        for first in sorted(daily):
            week = [d for d in daily if 0 <= (d - first).days < 7]
            paid = sum(daily[d] for d in week)
            if carer.max_working_min_per_week is not None and paid > carer.max_working_min_per_week:
                yield Violation(
                    code=ViolationCode.WORKING_TIME_EXCEEDED,
                    message=f"carer {carer_id!r} is paid {paid:g} min in the 7 days from {first}, "
                    f"more than their {carer.max_working_min_per_week} min a week",
                    carer_id=carer_id,
                )
            days = carer.max_working_days_per_week
            if days is not None and len(week) > days:
                yield Violation(
                    code=ViolationCode.WORKING_TIME_EXCEEDED,
                    message=f"carer {carer_id!r} works {len(week)} days in the 7 days from "
                    f"{first}; at most {days} are allowed",
                    carer_id=carer_id,
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
        if _minutes(starts[0], starts[-1]) > visit.sync_tolerance_min:
            yield Violation(
                code=ViolationCode.DOUBLE_UP,
                message=f"double-up {visit_id!r}: its carers start at different times "
                f"({', '.join(_hm(s) for s in starts)}), more than "
                f"{visit.sync_tolerance_min} min apart",
                visit_id=visit_id,
            )
        lead = set(visit.lead_skills)
        if lead and not any(
            lead <= set(problem.carer_by_id[c].skills) for c in carers if c in problem.carer_by_id
        ):
            yield Violation(
                code=ViolationCode.DOUBLE_UP,
                message=f"double-up {visit_id!r}: neither carer has the lead skill(s) "
                f"{', '.join(map(repr, sorted(lead)))}",
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
    paid = _paid_minutes(rnd)
    late = on_time = worst = 0.0
    for s in rnd.stops:
        visit = problem.visit_by_id.get(s.visit_id)
        if visit is not None:
            lateness = max(0.0, _minutes(visit.agreed_end, s.start))
            late += lateness
            worst = max(worst, lateness)
            on_time += visit.agreed_start <= s.start <= visit.agreed_end
    return {
        "visits": len(rnd.stops),
        "visit_min": sum(_minutes(s.start, s.end) for s in rnd.stops),
        "travel_min": travel,
        "travel_m": metres,
        "wait_min": sum(s.wait_min for s in rnd.stops),
        "break_min": sum(_minutes(b.start, b.end) for b in rnd.breaks),
        "paid_min": paid,
        "travel_share": travel / paid if paid > 0 else 0.0,
        "lateness_min": late,
        "on_time": on_time,
        "max_lateness_min": worst,
        "cost": paid / 60 * carer.hourly_cost,
    }


_TOLERANCE = {
    "travel_share": 1e-3,
    "cost": 0.011,
    "punctuality": 1e-3,
    "carers_per_client": 1e-3,
    "main_carers_share": 1e-3,
}


def _compare(
    where: str, stated: Kpis, expected: dict[str, float], rounded_terms: int = 1
) -> Iterator[Violation]:
    """Compare KPIs; ``rounded_terms`` is how many pence-rounded costs the stated one sums."""
    for name, value in expected.items():
        got = float(getattr(stated, name))
        tolerance = _TOLERANCE.get(name, 1e-9)
        if name == "cost":
            tolerance = 0.006 * rounded_terms + 0.005
        if abs(got - value) > tolerance:
            yield Violation(
                code=ViolationCode.KPI_MISMATCH,
                message=f"{where}: KPI {name} is {got:g}, recomputed {value:g}",
            )


def _plan_only(problem: Problem, plan: Plan, totals: dict[str, float]) -> dict[str, float]:
    seen_by: dict[str, Counter[str]] = defaultdict(Counter)
    paid_by: dict[str, float] = defaultdict(float)
    for rnd in plan.rounds:
        paid_by[rnd.carer_id] += _paid_minutes(rnd)
        for stop in rnd.stops:
            seen_by[stop.client_id][rnd.carer_id] += 1
    visits = totals["visits"]
    everyone = [paid_by.get(c.id, 0.0) for c in problem.carers]
    main = sum(sum(n for _, n in c.most_common(2)) for c in seen_by.values())
    return {
        "visits_unallocated": len(plan.unallocated),
        "rounds": len(plan.rounds),
        "carers": len(paid_by),
        "punctuality": totals["on_time"] / visits if visits else 1.0,
        "carers_per_client": (
            sum(len(c) for c in seen_by.values()) / len(seen_by) if seen_by else 0.0
        ),
        "main_carers_share": main / visits if visits else 1.0,
        "paid_min_spread": max(everyone) - min(everyone) if everyone else 0.0,
        "guaranteed_shortfall_min": sum(
            max(0.0, c.guaranteed_min - paid_by.get(c.id, 0.0))
            for c in problem.carers
            if c.guaranteed_min is not None
        ),
    }


def _kpis(problem: Problem, plan: Plan) -> Iterator[Violation]:
    totals: dict[str, float] = defaultdict(float)
    for rnd in plan.rounds:
        if rnd.carer_id not in problem.carer_by_id:
            continue
        expected = _recomputed(problem, rnd)
        yield from _compare(f"round of carer {rnd.carer_id!r}", rnd.kpis, expected)
        for name, value in expected.items():
            if name == "max_lateness_min":
                totals[name] = max(totals[name], value)
            else:
                totals[name] += value
    paid, travel = totals["paid_min"], totals["travel_min"]
    plan_expected = {k: float(totals[k]) for k in Kpis.model_fields}
    plan_expected["travel_share"] = travel / paid if paid > 0 else 0.0
    plan_expected |= _plan_only(problem, plan, totals)
    yield from _compare("plan", plan.kpis, plan_expected, rounded_terms=len(plan.rounds) + 1)
