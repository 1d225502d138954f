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
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from rounds._ortools import (
    BreakSpec,
    GapSpec,
    GroupLimit,
    RoutingInput,
    RoutingResult,
    SyncSpec,
    TaskSpec,
    VehicleSpec,
    solve_routing,
)
from rounds.errors import InputError, SolverError
from rounds.kpis import minutes_between, plan_kpis, round_kpis
from rounds.matrix import MatrixSource, TravelMatrices, build_matrices, carer_place_keys
from rounds.models import Break, Carer, Problem, Shift
from rounds.plan import (
    Plan,
    ReasonCode,
    Round,
    SolveInfo,
    Stop,
    TakenBreak,
    UnallocatedVisit,
)
from rounds.reasons import explain

__all__ = ["Clock", "solve"]

MAX_TIME_LIMIT_S = 24 * 3600.0
#: Of a time limit, the search leaves this share plus :data:`RESERVE_S`, and at most
#: :data:`RESERVE_MOST_SHARE`, for what follows it: the search's own overrun (up to 0.3 s on
#: Homberger's 200 visits at 30 s) and reading the plan back with a reason for every
#: unallocated visit (0.04 s on Mankowska's 300 at 60 s).
RESERVE_SHARE = 0.01
RESERVE_S = 0.25
RESERVE_MOST_SHARE = 0.05


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

    @property
    def shift(self) -> Shift:
        return self.carer.shifts[self.shift_index]


@dataclass(frozen=True)
class _Task:
    visit_id: str
    client_id: str
    package_id: str


def _reserve_s(time_limit_s: float) -> float:
    """Seconds of ``time_limit_s`` that :func:`solve` keeps back from the search.

    0.85 s of 60, 0.35 s of 10 and 0.05 s of 1: see :data:`RESERVE_SHARE`.
    """
    return min(RESERVE_MOST_SHARE * time_limit_s, RESERVE_SHARE * time_limit_s + RESERVE_S)


def _check_arguments(time_limit_s: float, seed: int) -> None:
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int | float):
        raise InputError(f"time_limit_s: {time_limit_s!r} is not a number of seconds")
    if not (math.isfinite(time_limit_s) and 0 < time_limit_s <= MAX_TIME_LIMIT_S):
        raise InputError(f"time_limit_s: {time_limit_s!r} is not in (0, {MAX_TIME_LIMIT_S:g}]")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise InputError(f"seed: {seed!r} is not a whole number in [0, 2**32)")


def _unpaid_min(breaks: tuple[Break, ...]) -> int:
    return sum(b.duration_min for b in breaks if not b.paid)


def _groups(problem: Problem, vehicles: list[_Vehicle]) -> list[GroupLimit]:
    """Per-day and per-week caps across each carer's shifts."""
    groups: list[GroupLimit] = []
    by_carer: dict[str, list[int]] = defaultdict(list)
    for v, vehicle in enumerate(vehicles):
        by_carer[vehicle.carer.id].append(v)
    for carer in problem.carers:
        mine = by_carer[carer.id]
        dates = sorted({vehicles[v].shift.start.date() for v in mine})
        if carer.max_working_min_per_day is not None:
            for day in dates:
                same = tuple(v for v in mine if vehicles[v].shift.start.date() == day)
                unpaid = sum(_unpaid_min(vehicles[v].shift.breaks) for v in same)
                groups.append(
                    GroupLimit(same, max_total_span=carer.max_working_min_per_day + unpaid)
                )
        if carer.max_working_min_per_week is None and carer.max_working_days_per_week is None:
            continue
        for first in dates:
            week = tuple(v for v in mine if 0 <= (vehicles[v].shift.start.date() - first).days < 7)
            cap = carer.max_working_min_per_week
            unpaid = sum(_unpaid_min(vehicles[v].shift.breaks) for v in week)
            groups.append(
                GroupLimit(
                    week,
                    max_total_span=None if cap is None else cap + unpaid,
                    # Counting shifts, which is never fewer than dates worked: safe.
                    max_used=carer.max_working_days_per_week,
                )
            )
    return groups


def _fits(
    spec: VehicleSpec,
    travel_of: list[npt.NDArray[np.int64]],
    place: int,
    earliest: int,
    latest: int,
    duration: int,
) -> bool:
    """Whether a shift could reach a visit in its window and get back in time, on its own."""
    travel = travel_of[spec.mode]
    start = max(earliest, spec.earliest_start + int(travel[spec.start_place, place]))
    back = int(travel[place, spec.end_place])
    return start <= latest and start + duration + back <= spec.latest_end


def _routing_input(
    problem: Problem,
    matrices: TravelMatrices,
    clock: Clock,
    time_limit_s: float,
    seed: int,
    main_carers: dict[str, set[str]] | None = None,
) -> tuple[RoutingInput, list[_Vehicle], list[_Task]]:
    modes = list(matrices.by_mode)
    places = matrices.places.index
    weights = problem.weights

    vehicles: list[_Vehicle] = []
    vehicles_of: dict[str, list[int]] = defaultdict(list)
    for carer in problem.carers:
        for si in range(len(carer.shifts)):
            vehicles_of[carer.id].append(len(vehicles))
            vehicles.append(_Vehicle(carer, si))

    care_min = sum(v.duration_min * v.carers_required for _, v in problem.visits())
    fair_share = math.ceil(care_min / len(vehicles)) if vehicles else 0
    carer_index = {c.id: i for i, c in enumerate(problem.carers)}
    vehicle_specs: list[VehicleSpec] = []
    for vehicle in vehicles:
        carer, shift = vehicle.carer, vehicle.shift
        start_key, end_key = carer_place_keys(problem, carer.id)
        unpaid = _unpaid_min(shift.breaks)
        vehicle_specs.append(
            VehicleSpec(
                start_place=places[start_key],
                end_place=places[end_key],
                mode=modes.index(carer.travel_mode),
                earliest_start=clock.minutes(shift.start, up=True),
                latest_end=clock.minutes(shift.end, up=False),
                max_span=None if carer.max_working_min is None else carer.max_working_min + unpaid,
                fixed_cost=weights.round_fixed,
                travel_cost=weights.travel_per_min,
                span_cost=weights.paid_per_min,
                capacity=carer.capacity,
                max_leg=carer.max_leg_min,
                max_travel=carer.max_travel_min,
                breaks=tuple(
                    BreakSpec(
                        earliest=clock.minutes(b.earliest_start, up=True),
                        latest=clock.minutes(b.latest_start, up=False),
                        duration=b.duration_min,
                    )
                    for b in shift.breaks
                ),
                soft_max_span=fair_share + unpaid if weights.balance else None,
                soft_max_span_cost=weights.balance,
                owner=carer_index[carer.id],
            )
        )

    travel_of = [matrices.by_mode[m].travel_min for m in modes]

    def placed(carer: Carer, *keys: str) -> bool:
        return all(matrices.is_placed(carer.travel_mode, k) for k in keys)

    tasks: list[_Task] = []
    task_specs: list[TaskSpec] = []
    synchronised: list[SyncSpec] = []
    gaps: list[GapSpec] = []
    different: list[tuple[int, int]] = []
    extra_cost: list[list[int]] = []
    for package in problem.packages:
        previous_task: int | None = None
        previous_duration = 0
        for visit in package.visits:
            qualified = [
                c
                for c in problem.qualified_carers(visit)
                if placed(c, package.client_id, *carer_place_keys(problem, c.id))
            ]
            lead = set(visit.lead_skills)
            earliest = clock.minutes(visit.earliest_start, up=True)
            latest = clock.minutes(visit.latest_start, up=False)
            if earliest > latest:  # the window holds no whole minute
                qualified = []
            place = places[package.client_id]
            fitting = {
                v
                for c in qualified
                for v in vehicles_of[c.id]
                if _fits(vehicle_specs[v], travel_of, place, earliest, latest, visit.duration_min)
            }
            allowed_all = tuple(v for c in qualified for v in vehicles_of[c.id] if v in fitting)
            allowed_lead = tuple(
                v
                for c in qualified
                if lead <= set(c.skills)
                for v in vehicles_of[c.id]
                if v in fitting
            )
            costs = [0] * len(vehicles)
            for v, vehicle in enumerate(vehicles):
                cid = vehicle.carer.id
                if package.preferred_carers and cid not in package.preferred_carers:
                    costs[v] += weights.non_preferred_carer
                if main_carers is not None and cid not in main_carers.get(package.client_id, ()):
                    costs[v] += weights.continuity
            first = len(tasks)
            for k in range(visit.carers_required):
                tasks.append(_Task(visit.id, package.client_id, package.id))
                extra_cost.append(costs)
                task_specs.append(
                    TaskSpec(
                        place=places[package.client_id],
                        service=visit.duration_min,
                        earliest=earliest,
                        latest=max(earliest, latest),
                        allowed_vehicles=allowed_lead if k == 0 and lead else allowed_all,
                        penalty=weights.unallocated * visit.priority,
                        demand=visit.demand,
                        soft_earliest=clock.minutes(visit.agreed_start, up=True),
                        soft_latest=clock.minutes(visit.agreed_end, up=False),
                        early_cost=weights.early_per_min,
                        late_cost=weights.late_per_min,
                    )
                )
            if visit.carers_required == 2:
                synchronised.append(SyncSpec(first, first + 1, visit.sync_tolerance_min))
            if previous_task is not None:
                lo = visit.min_gap_from_previous_min
                if lo is None and package.ordered:
                    lo = previous_duration
                hi = visit.max_gap_from_previous_min
                if lo is not None or hi is not None:
                    gaps.append(GapSpec(previous_task, first, lo or 0, hi))
                if visit.different_carer_from_previous:
                    different.append((previous_task, first))
            previous_task, previous_duration = first, visit.duration_min

    cost_matrix = np.array(extra_cost, dtype=np.int64).reshape(len(tasks), len(vehicles))
    data = RoutingInput(
        travel_min=[matrices.by_mode[m].travel_min for m in modes],
        vehicles=vehicle_specs,
        tasks=task_specs,
        synchronised=synchronised,
        gaps=gaps,
        different_owners=different,
        groups=_groups(problem, vehicles),
        assignment_cost=cost_matrix if cost_matrix.any() else None,
        max_idle=problem.rules.max_idle_min,
        worst_late_cost=weights.worst_late_per_min,
        time_limit_s=time_limit_s,
        seed=seed,
    )
    return data, vehicles, tasks


def _taken_breaks(vehicle: _Vehicle, starts: tuple[int, ...], clock: Clock) -> list[TakenBreak]:
    taken = [
        TakenBreak(
            start=clock.instant(m),
            end=clock.instant(m) + timedelta(minutes=b.duration_min),
            paid=b.paid,
        )
        for b, m in zip(vehicle.shift.breaks, starts, strict=True)
    ]
    return sorted(taken, key=lambda b: b.start)


def _arrival(
    leave: datetime, travel_min: int, breaks: list[TakenBreak], until: datetime
) -> datetime:
    """Arrival after leaving at ``leave``: travel, lengthened by breaks begun on the way.

    A break that starts before the carer would arrive (right after the previous visit, or on
    the way) delays arrival by its length; a later one is taken at the next door.
    """
    arrival = leave + timedelta(minutes=travel_min)
    for b in breaks:
        if leave <= b.start < until and b.start < arrival:
            arrival += b.end - b.start
    return arrival


def _unreachable_after_repair(
    problem: Problem,
    matrices: TravelMatrices,
    result: RoutingResult,
    vehicles: list[_Vehicle],
    tasks: list[_Task],
) -> set[str]:
    """Visits whose stop breaks a leg, travel or timing rule once neighbours were left out."""
    bad: set[str] = set()
    for v, route in enumerate(result.routes):
        carer = vehicles[v].carer
        starts = result.break_starts[v] if result.break_starts else ()
        pauses = [
            (m, b.duration_min) for m, b in zip(starts, vehicles[v].shift.breaks, strict=True)
        ]
        here, free, travelled = carer_place_keys(problem, carer.id)[0], None, 0
        for t, start in route:
            task = tasks[t]
            leg, _ = matrices.leg(carer.travel_mode, here, task.client_id)
            travelled += leg
            late = False
            if free is not None:
                resting = sum(d for m, d in pauses if free <= m < start)
                late = free + leg + resting > start
            too_far = carer.max_leg_min is not None and leg > carer.max_leg_min
            too_much = carer.max_travel_min is not None and travelled > carer.max_travel_min
            if late or too_far or too_much:
                bad.add(task.visit_id)
                break  # re-check this route once the stop is gone
            here = task.client_id
            free = start + problem.visit_by_id[task.visit_id].duration_min
    return bad


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
    half_done = {
        visit_id
        for visit_id, carers in carers_at.items()
        if len(carers) < problem.visit_by_id[visit_id].carers_required
    }
    if any(len(c) > problem.visit_by_id[v].carers_required for v, c in carers_at.items()):
        raise SolverError("a visit came back with more carers than it needs")
    dropped = set(half_done)  # never half a double-up: such a visit is left out whole
    while dropped:
        result = replace(
            result,
            routes=tuple(
                tuple((t, m) for t, m in route if tasks[t].visit_id not in dropped)
                for route in result.routes
            ),
        )
        # Leaving a stop out changes the legs around it; with a matrix that is not a metric
        # (a detour shorter than the direct way) a later stop may no longer be reachable.
        dropped = _unreachable_after_repair(problem, matrices, result, vehicles, tasks)
        staffed = Counter(tasks[t].visit_id for route in result.routes for t, _ in route)
        dropped |= {
            visit_id
            for visit_id, n in staffed.items()
            if visit_id in dropped or n < problem.visit_by_id[visit_id].carers_required
        }

    rounds: list[Round] = []
    for v, route in enumerate(result.routes):
        if not route:
            continue
        vehicle = vehicles[v]
        carer, mode = vehicle.carer, vehicle.carer.travel_mode
        start_key, end_key = carer_place_keys(problem, carer.id)
        breaks = (
            _taken_breaks(vehicle, result.break_starts[v], clock) if result.break_starts else []
        )
        first_start = clock.instant(route[0][1])
        first_travel, _ = matrices.leg(mode, start_key, tasks[route[0][0]].client_id)
        if any(b.start < first_start for b in breaks):
            depart = clock.instant(result.vehicle_start[v])
        else:  # leave home just in time for the first visit
            depart = first_start - timedelta(minutes=first_travel)
        stops: list[Stop] = []
        here, leave = start_key, depart
        for t, start_min in route:
            task = tasks[t]
            travel_min, travel_m = matrices.leg(mode, here, task.client_id)
            start = clock.instant(start_min)
            arrival = _arrival(leave, travel_min, breaks, start)
            at_door = sum(
                (b.end - b.start for b in breaks if arrival <= b.start < start), timedelta()
            )
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
                    wait_min=minutes_between(arrival + at_door, start),
                    partner_carer_id=partner[0] if partner else None,
                )
            )
            here, leave = task.client_id, stops[-1].end
        back_min, back_m = matrices.leg(mode, here, end_key)
        after = [b for b in breaks if b.start >= leave]
        finish = max(
            [
                leave
                + timedelta(minutes=back_min)
                + sum((b.end - b.start for b in after), timedelta())
            ]
            + [b.end for b in after]
        )
        rounds.append(
            Round(
                carer_id=carer.id,
                shift_index=vehicle.shift_index,
                travel_mode=mode,
                start=depart,
                end=finish,
                stops=tuple(stops),
                breaks=tuple(breaks),
                travel_to_end_min=back_min,
                travel_to_end_m=back_m,
                kpis=round_kpis(
                    problem,
                    carer_id=carer.id,
                    start=depart,
                    end=finish,
                    stops=stops,
                    breaks=breaks,
                    travel_to_end_min=back_min,
                    travel_to_end_m=back_m,
                ),
            )
        )
    return rounds


def _main_carers(problem: Problem, first_pass: list[Round]) -> dict[str, set[str]]:
    """Each client's two main carers: who did their visits in a first pass, and who could.

    A carer scores two points per visit of the client they did in the first pass and one per
    visit of the client they are qualified and on shift for, so a carer who works every day
    the client needs care wins over one who happened to be nearest on a single day.
    """
    did: dict[str, Counter[str]] = defaultdict(Counter)
    for r in first_pass:
        for s in r.stops:
            did[s.client_id][r.carer_id] += 1
    score: dict[str, Counter[str]] = defaultdict(Counter)
    for package, visit in problem.visits():
        for c in problem.qualified_carers(visit):
            if any(
                sh.start <= visit.latest_start and visit.earliest_start < sh.end for sh in c.shifts
            ):
                score[package.client_id][c.id] += 1
    for client, counts in did.items():
        for carer_id, n in counts.items():
            score[client][carer_id] += 2 * n
    return {
        client: {c for c, _ in sorted(n.items(), key=lambda kv: (-kv[1], kv[0]))[:2]}
        for client, n in score.items()
    }


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

    Notes
    -----
    With ``problem.weights.continuity`` above 0 the time is split over two passes: the second
    pass costs visits done by anyone but each client's two main carers of the first.

    The search uses every core it is allowed (``ROUNDS_SEARCH_WORKERS`` caps it): OR-Tools
    searches the full model on one, and a second start runs on another. When the problem has
    no double-ups, gaps, breaks or caps across shifts, that second start is PyVRP on a
    restriction of the problem; its routes are checked and priced on the full model and only
    kept when cheaper, so every rule holds whichever engine found them.
    """
    started = time.perf_counter()
    _check_arguments(time_limit_s, seed)
    if matrices is None:
        matrices = build_matrices(problem, source)
    clock = Clock.of(problem)

    search_s = time_limit_s - _reserve_s(time_limit_s)

    def budget(share: float) -> float:
        left = search_s - (time.perf_counter() - started)
        return max(0.05, left * share)

    main_carers: dict[str, set[str]] | None = None
    if problem.weights.continuity:
        data, vehicles, tasks = _routing_input(problem, matrices, clock, budget(0.5), seed)
        first = _rounds(problem, matrices, clock, solve_routing(data), vehicles, tasks)
        main_carers = _main_carers(problem, first)
    data, vehicles, tasks = _routing_input(problem, matrices, clock, budget(1.0), seed, main_carers)
    result = solve_routing(data)
    if result.status == "invalid":
        raise SolverError("OR-Tools rejected the routing model or its search parameters")
    rounds = _rounds(problem, matrices, clock, result, vehicles, tasks)

    starts = {s.visit_id: s.start for r in rounds for s in r.stops}
    unallocated = []
    for package, visit in problem.visits():
        if visit.id not in starts:
            reason, message = explain(problem, matrices, visit.id, starts)
            if reason == ReasonCode.CARERS_BUSY and result.objective is None:
                reason = ReasonCode.SEARCH_TIMED_OUT
                message = (
                    f"the search found no plan at all within {time_limit_s:g} s; qualified "
                    "carers exist, so try a longer time limit or split the problem"
                )
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
        kpis=plan_kpis(problem, rounds, len(unallocated)),
        solver=SolveInfo(
            status=result.status,
            objective=result.objective,
            wall_time_s=round(time.perf_counter() - started, 3),
            time_limit_s=time_limit_s,
            seed=seed,
            travel_source=matrices.source,
        ),
    )
