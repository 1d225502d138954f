"""The PyVRP adapter: the only module of rounds that imports PyVRP.

OR-Tools' routing search keeps every rule rounds has (double-ups, gaps between visits,
breaks, weekly caps); PyVRP's iterated local search is much faster on the part of a problem
that is a plain vehicle routing problem with time windows. This module hands PyVRP that
part: it takes the same plain data as the OR-Tools adapter (:class:`RoutingInput`) and returns
plain routes (task indices per vehicle), which the OR-Tools adapter restores into its own
model, checks against every rule and prices with the full objective. Nothing else in rounds
sees a PyVRP object.

PyVRP solves a *restriction* of the problem, so every plan it returns is a plan of the full
problem (when OR-Tools accepts the routes):

* a task's window is its preferred window when it has one (no lateness, no earliness);
* a skill a carer lacks, or a leg longer than the carer's longest, is an arc so long that a
  route using it breaks its time windows, which PyVRP never returns as feasible;
* costs PyVRP cannot express (who knows which client, the soft cap on a shift's span) are
  left out; the OR-Tools adapter prices the routes with them and keeps the cheaper plan.

Problems with rules PyVRP cannot express at all (synchronised double-ups, gaps between a
client's visits, different carers, breaks, caps across shifts, a most idle time) are not
handed over: :func:`plain_routing` says so and returns ``None``.

When pairs of tasks (double-ups, gaps, different carers) are all that stands in the way
(:func:`pinnable`), PyVRP can still improve a plan the OR-Tools search has found: the
restriction *around* that plan (:func:`around`) pins each paired task at the minute it starts
in the plan, so every pair keeps its timing whatever routes PyVRP chooses, and lets no other
task start later (or earlier) than the plan has it start outside its preferred window. The plan
itself is a plan of the restriction, no task is later than in it, and PyVRP shortens the routes
starting from it (from a random plan, PyVRP's search may leave out a few pinned tasks the plan
does, each a half double-up the full model prices at its penalty).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from rounds import _pairs

if TYPE_CHECKING:
    from rounds._ortools import RoutingInput

__all__ = [
    "MAX_MATRIX_ENTRIES",
    "around",
    "expressible",
    "pinnable",
    "plain_routing",
    "preload",
]

#: Largest number of matrix entries (profiles x locations^2) handed to PyVRP; larger problems
#: would spend more time building matrices than the search gains.
MAX_MATRIX_ENTRIES = 20_000_000
_UNLIMITED = int(np.iinfo(np.int64).max)


_Profiles = tuple[list[int], list[tuple[int, frozenset[int], int]]]


def _profiles(data: RoutingInput) -> _Profiles:
    """Each vehicle's profile, and each profile's (mode, forbidden tasks, longest leg)."""
    allowed_by: dict[int, set[int]] = defaultdict(set)
    for t, task in enumerate(data.tasks):
        for v in task.allowed_vehicles:
            allowed_by[v].add(t)
    everyone = set(range(len(data.tasks)))
    keys: dict[tuple[int, frozenset[int], int], int] = {}
    profile_of: list[int] = []
    for v, spec in enumerate(data.vehicles):
        forbidden = frozenset(everyone - allowed_by[v])
        key = (spec.mode, forbidden, -1 if spec.max_leg is None else spec.max_leg)
        profile_of.append(keys.setdefault(key, len(keys)))
    return profile_of, list(keys)


def _plain_profiles(data: RoutingInput) -> _Profiles | None:
    """:func:`_profiles` of ``data`` when it is :func:`expressible`, else ``None``."""
    if data.synchronised or data.gaps or data.different_owners or data.groups:
        return None
    if data.max_idle is not None or any(v.breaks for v in data.vehicles):
        return None
    doable = [t for t in data.tasks if t.allowed_vehicles]
    if not doable or not data.vehicles:
        return None
    profiles = _profiles(data)
    places = {v.start_place for v in data.vehicles} | {v.end_place for v in data.vehicles}
    locations = len(data.tasks) + len(places)
    if len(profiles[1]) * locations * locations > MAX_MATRIX_ENTRIES:
        return None
    return profiles


def expressible(data: RoutingInput) -> bool:
    """Whether PyVRP can solve a restriction of ``data`` (see the module's docstring)."""
    return _plain_profiles(data) is not None


def _paired(data: RoutingInput) -> set[int]:
    """The tasks in a pair: double-ups, gaps and tasks that need different carers."""
    return {t for pair in _pairs.tied(data) for t in pair}


def _unpaired(data: RoutingInput) -> RoutingInput:
    return replace(data, synchronised=(), gaps=(), different_owners=())


def pinnable(data: RoutingInput) -> bool:
    """Whether ``data`` has pairs, and PyVRP can solve the restriction :func:`around` a plan."""
    return bool(_paired(data)) and expressible(_unpaired(data))


def around(data: RoutingInput, starts: Mapping[int, int], slack: int = 0) -> RoutingInput:
    """The restriction of ``data`` around a plan whose tasks start at ``starts`` (task: minute).

    Each paired task the plan does must start at its minute, or up to ``slack`` minutes
    later (with no slack its pair's timing is kept by any routes; with slack the full model
    starts the pair when its later carer can, and prices the wait); a paired task the plan
    leaves undone stays undone. Any other task the plan does outside its preferred window
    gets the window widened to its start, so no task is later or earlier than in the plan.
    The pairs themselves are dropped: the result is :func:`expressible` when ``data`` is
    :func:`pinnable`.
    """
    paired = _paired(data)
    tasks = []
    for t, task in enumerate(data.tasks):
        start = starts.get(t)
        if t in paired:
            if start is None:
                task = replace(task, allowed_vehicles=())
            else:
                latest = max(start, min(start + slack, task.latest))
                task = replace(
                    task, earliest=start, latest=latest, soft_earliest=None, soft_latest=None
                )
        elif start is not None:
            if task.soft_latest is not None and task.late_cost:
                task = replace(task, soft_latest=max(task.soft_latest, start))
            if task.soft_earliest is not None and task.early_cost:
                task = replace(task, soft_earliest=min(task.soft_earliest, start))
        tasks.append(task)
    return replace(_unpaired(data), tasks=tuple(tasks))


def _solution(
    problem: Any,
    initial: Sequence[Sequence[int]] | None,
    client_tasks: list[int],
    type_of: Mapping[int, int],
) -> Any:
    """``initial`` (each vehicle's tasks) as a PyVRP solution of ``problem``, or ``None``."""
    if initial is None:
        return None
    import pyvrp

    client_of = {t: c for c, t in enumerate(client_tasks)}
    if any(t not in client_of for tasks in initial for t in tasks):
        return None  # a task PyVRP may not do (undone in the restriction)
    if any(tasks and v not in type_of for v, tasks in enumerate(initial)):
        return None
    try:
        routes = [
            pyvrp.Route(problem, [client_of[t] for t in tasks], type_of[v])
            for v, tasks in enumerate(initial)
            if tasks
        ]
        return pyvrp.Solution(problem, routes)
    except (ValueError, RuntimeError):  # PyVRP refuses it (e.g. more routes than vehicles)
        return None


def preload() -> None:
    """Import PyVRP now, so that forked workers share the import instead of each paying it."""
    import pyvrp  # noqa: F401


def plain_routing(
    data: RoutingInput,
    time_limit_s: float,
    initial: Sequence[Sequence[int]] | None = None,
    seed: int | None = None,
    stop: Callable[[], bool] | None = None,
    patience: int | None = None,
) -> list[list[int]] | None:
    """Solve the restriction of ``data`` with PyVRP for ``time_limit_s`` seconds.

    With ``initial`` (each vehicle's tasks in order, a plan of the restriction such as the
    plan :func:`around` was built from), the search starts from it instead of a random
    plan, so it returns nothing worse; a task ``initial`` does that PyVRP may not do, or a
    route a vehicle's type cannot take, makes it start from a random plan as usual.
    ``seed`` replaces ``data.seed`` (searches side by side or one after another differ),
    and ``stop``, when it returns true, ends the search early (an interruption), as do
    ``patience`` iterations in a row without a better plan.

    Returns the task indices of each vehicle's route, in order (one list per vehicle, empty
    for unused vehicles), or ``None`` when the problem is not :func:`expressible` or PyVRP
    found no feasible plan.
    """
    plain = _plain_profiles(data)
    if plain is None:
        return None
    import pyvrp
    from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

    from rounds import _ortools

    n_tasks = len(data.tasks)
    depot_places = sorted(
        {v.start_place for v in data.vehicles} | {v.end_place for v in data.vehicles}
    )
    depot_of_place = {p: d for d, p in enumerate(depot_places)}
    # Locations: depots first (PyVRP's convention), then one location per task, so that two
    # tasks at one address can still differ in who may do them.
    place = np.array(depot_places + [t.place for t in data.tasks], dtype=np.int64)
    n_depots = len(depot_places)
    windows = [_pairs.preferred_window(t) for t in data.tasks]  # PyVRP's hard windows
    # Later than any window or shift closes: a route using such an arc breaks its windows.
    unreachable = 2 * _ortools._horizon(data) + 1

    profile_of, profiles = plain
    distances: list[Any] = []
    durations: list[Any] = []
    for mode, forbidden, max_leg in profiles:
        travel = np.asarray(data.travel_min[mode], dtype=np.int64)[np.ix_(place, place)]
        duration = travel.copy()
        if max_leg >= 0:
            duration[travel > max_leg] = unreachable
        if forbidden:
            duration[:, [n_depots + t for t in sorted(forbidden)]] = unreachable
        duration[:n_depots, :n_depots] = travel[:n_depots, :n_depots]  # unused vehicles
        np.fill_diagonal(duration, 0)
        distance = np.where(duration == unreachable, unreachable, travel)
        distances.append(distance)
        durations.append(duration)

    # Vehicles with identical specs and profile share one PyVRP vehicle type.
    types: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for v, spec in enumerate(data.vehicles):
        key = (
            profile_of[v],
            spec.start_place,
            spec.end_place,
            spec.earliest_start,
            spec.latest_end,
            spec.max_span,
            spec.fixed_cost,
            spec.travel_cost,
            spec.span_cost,
            spec.capacity,
            spec.max_travel,
        )
        types[key].append(v)
    with_demand = any(t.demand for t in data.tasks)
    total_demand = sum(t.demand for t in data.tasks)
    vehicle_types = []
    members: list[list[int]] = []
    type_of: dict[int, int] = {}
    for vs in types.values():
        type_of.update((v, len(members)) for v in vs)
        spec = data.vehicles[vs[0]]
        capacity = spec.capacity if spec.capacity is not None else total_demand
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(vs),
                capacity=[capacity] if with_demand else [],
                start_depot=depot_of_place[spec.start_place],
                end_depot=depot_of_place[spec.end_place],
                fixed_cost=spec.fixed_cost,
                tw_early=spec.earliest_start,
                tw_late=max(spec.earliest_start, spec.latest_end),
                unit_distance_cost=spec.travel_cost,
                unit_duration_cost=spec.span_cost,
                profile=profile_of[vs[0]],
                shift_duration=_UNLIMITED if spec.max_span is None else spec.max_span,
                max_distance=_UNLIMITED if spec.max_travel is None else spec.max_travel,
            )
        )
        members.append(vs)

    # PyVRP prices a minute of time warp at most ``max_penalty``: a prize above what a minute
    # of it can cost makes visiting late (infeasibly) pay, and no feasible plan is found once
    # some task cannot be fitted. Prizes are capped just above what serving any task can
    # cost (a detour there and back at the dearest rates), and a minute of time warp can
    # cost more than any prize.
    longest = max(int(np.max(np.where(d == unreachable, 0, d))) for d in durations)
    longest_service = max((t.service for t in data.tasks), default=0)
    serving = max(
        s.fixed_cost + s.travel_cost * 2 * longest + s.span_cost * (2 * longest + longest_service)
        for s in data.vehicles
    )
    prize_cap = 4 * serving + 1
    default_cap = pyvrp.PenaltyParams().max_penalty
    penalty = pyvrp.PenaltyParams(max_penalty=max(default_cap, 10.0 * prize_cap))
    client_tasks = [t for t in range(n_tasks) if data.tasks[t].allowed_vehicles]
    clients = []
    for t in client_tasks:
        task = data.tasks[t]
        early, late = windows[t]
        clients.append(
            pyvrp.Client(
                location=n_depots + t,
                delivery=[task.demand] if with_demand else [],
                service_duration=task.service,
                tw_early=early,
                tw_late=late,
                prize=min(task.penalty, prize_cap),
                required=False,
            )
        )
    problem = pyvrp.ProblemData(
        locations=[pyvrp.Location(0, 0) for _ in range(len(place))],
        clients=clients,
        depots=[pyvrp.Depot(location=d) for d in range(n_depots)],
        vehicle_types=vehicle_types,
        distance_matrices=distances,
        duration_matrices=durations,
    )
    criteria: list[Any] = [MaxRuntime(max(0.01, time_limit_s))]
    if patience is not None:
        criteria.append(NoImprovement(patience))
    if stop is not None:
        criteria.append(lambda _best_cost: stop())
    criterion: Any = criteria[0] if len(criteria) == 1 else MultipleCriteria(criteria)
    result = pyvrp.solve(
        problem,
        stop=criterion,
        seed=data.seed if seed is None else seed,
        collect_stats=False,
        params=pyvrp.SolveParams(penalty=penalty),
        initial_solution=_solution(problem, initial, client_tasks, type_of),
    )
    if not result.is_feasible():
        return None
    routes: list[list[int]] = [[] for _ in data.vehicles]
    unused = [list(vs) for vs in members]
    for route in result.best.routes():
        v = unused[route.vehicle_type()].pop(0)
        routes[v] = [client_tasks[a.idx] for a in route.schedule() if a.is_client()]
    return routes
