"""The OR-Tools adapter: the only module of rounds that imports OR-Tools.

It takes plain data (:class:`RoutingInput`: integer minutes, place indices, task and vehicle
specs) and returns plain data (:class:`RoutingResult`: the ordered tasks of each vehicle with
their start minutes). Nothing else in rounds sees an OR-Tools object, and every conversion
between OR-Tools' two index spaces (routing index vs node index) happens here.

Model, in OR-Tools' canonical build order: index manager (one node per task, one start and one
end node per vehicle) -> routing model -> transit matrices per travel mode (travel plus the
service time of the origin) -> arc costs per vehicle -> a "time" dimension with slack (waiting)
and time windows -> allowed vehicles (skills) -> disjunctions (optional tasks with a penalty)
-> synchronised pairs (double-ups) -> search parameters with a time limit -> solve.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from rounds import _pairs, _pyvrp  # plain data only; PyVRP itself is imported when first used

#: Progress of the search (starts, phases, rounds and what each found) at DEBUG level.
_log = logging.getLogger(__name__)

__all__ = [
    "BreakSpec",
    "GapSpec",
    "GroupLimit",
    "RoutingInput",
    "RoutingResult",
    "SyncSpec",
    "TaskSpec",
    "VehicleSpec",
    "solve_routing",
]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class VehicleSpec:
    """One vehicle: a carer's shift. Times are minutes from the problem's origin."""

    start_place: int
    end_place: int
    mode: int
    """Index into :attr:`RoutingInput.travel_min`."""
    earliest_start: int
    latest_end: int
    max_span: int | None = None
    fixed_cost: int = 0
    travel_cost: int = 1
    """Objective cost per travel minute."""
    span_cost: int = 0
    """Objective cost per minute between leaving the start and reaching the end."""
    capacity: int | None = None
    """Most total demand of the vehicle's tasks; no limit when ``None``."""
    max_leg: int | None = None
    """Longest single travel leg, minutes."""
    max_travel: int | None = None
    """Most travel minutes in the route."""
    breaks: tuple[BreakSpec, ...] = ()
    """Breaks to take between tasks when the vehicle is used."""
    soft_max_span: int | None = None
    """Span above which each extra minute costs quadratically (workload balance)."""
    soft_max_span_cost: int = 0
    owner: int = -1
    """Who works this vehicle (a carer's index), for tasks that need different people."""


@dataclass(frozen=True)
class BreakSpec:
    """A break: it starts within ``[earliest, latest]`` and lasts ``duration`` minutes."""

    earliest: int
    latest: int
    duration: int


@dataclass(frozen=True)
class SyncSpec:
    """Two tasks done together by two different vehicles, at most ``tolerance`` minutes apart.

    Both are done or neither is.
    """

    first: int
    second: int
    tolerance: int = 0


@dataclass(frozen=True)
class GapSpec:
    """When both tasks are done: ``min_gap <= start(after) - start(before) <= max_gap``."""

    before: int
    after: int
    min_gap: int
    max_gap: int | None = None


@dataclass(frozen=True)
class GroupLimit:
    """A cap across several vehicles (one carer's shifts on a day or in a week)."""

    vehicles: tuple[int, ...]
    max_total_span: int | None = None
    """Most span (minutes) summed over the vehicles, plus any unpaid break minutes."""
    max_used: int | None = None
    """Most of the vehicles that may be used."""


@dataclass(frozen=True)
class TaskSpec:
    """One carer's part in one visit."""

    place: int
    service: int
    earliest: int
    latest: int
    allowed_vehicles: tuple[int, ...]
    """Vehicles that may do the task; an empty tuple means none can."""
    penalty: int
    """Objective cost of leaving the task undone."""
    demand: int = 0
    soft_earliest: int | None = None
    """Start of the preferred window: each minute earlier costs ``early_cost``."""
    soft_latest: int | None = None
    """End of the preferred window: each minute later costs ``late_cost``."""
    early_cost: int = 0
    late_cost: int = 0


@dataclass(frozen=True)
class RoutingInput:
    """Everything the routing engine needs, as plain data."""

    travel_min: Sequence[IntArray]
    """Per travel mode, a place x place matrix of whole travel minutes."""
    vehicles: Sequence[VehicleSpec]
    tasks: Sequence[TaskSpec]
    synchronised: Sequence[SyncSpec] = ()
    gaps: Sequence[GapSpec] = ()
    different_owners: Sequence[tuple[int, int]] = ()
    """Pairs of tasks that must go to vehicles of different owners when both are done."""
    groups: Sequence[GroupLimit] = ()
    assignment_cost: IntArray | None = None
    """Optional tasks x vehicles matrix: extra cost when a vehicle does a task."""
    max_idle: int | None = None
    """Most minutes of waiting after a task before the next one (breaks excluded)."""
    worst_late_cost: int = 0
    """Objective cost per minute of the largest lateness past any task's ``soft_latest``."""
    time_limit_s: float = 10.0
    seed: int = 0


@dataclass(frozen=True)
class RoutingResult:
    """The engine's answer: per vehicle, its tasks in order with their start minute."""

    routes: tuple[tuple[tuple[int, int], ...], ...]
    vehicle_start: tuple[int, ...]
    """Minute each vehicle leaves its start (meaningful for vehicles with tasks)."""
    vehicle_end: tuple[int, ...]
    status: str
    objective: int | None
    break_starts: tuple[tuple[int, ...], ...] = ()
    """Per vehicle, the start minute of each of its breaks (in BreakSpec order)."""


_STATUS = {
    value: name.removeprefix("ROUTING_").lower()
    for name, value in routing_enums_pb2.RoutingSearchStatus.Value.items()
}


def _horizon(data: RoutingInput) -> int:
    ends = [v.latest_end for v in data.vehicles] + [t.latest + t.service for t in data.tasks]
    return max([1, *ends]) + 1


#: First-solution strategy of each parallel start: the first is the default; each further start
#: (one per spare core) tries another, and the cheapest solution wins. The default inserts each
#: task where the whole objective (lateness, preferred carers, pair lags) rises least, not
#: just the travel: on problems with soft windows and pairs of visits an insertion priced on
#: travel alone leaves a plan local search takes most of its time to repair (docs/hhc.md).
_START_STRATEGIES = ("LOCAL_CHEAPEST_COST_INSERTION", "SAVINGS")


def _search_parameters(time_limit_s: float) -> Any:
    """Search strategy: the first start's insertion, then guided local search until the limit."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, _START_STRATEGIES[0]
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    return params


def _copy_of(params: Any, time_limit_s: float | None = None) -> Any:
    """A copy of search parameters ``params``, with a new time limit if given."""
    copy = pywrapcp.DefaultRoutingSearchParameters()
    copy.CopyFrom(params)
    if time_limit_s is not None:
        copy.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    return copy


def _add_arc_costs(
    data: RoutingInput,
    routing: Any,
    node_travel: list[IntArray],
    task_of_node: list[int],
    n_nodes: int,
) -> None:
    """Arc costs: travel minutes x the vehicle's cost, plus the cost of its destination task.

    The second part carries vehicle-dependent task costs, e.g. a carer the client does not know.
    """
    extra = np.zeros((len(data.vehicles), n_nodes), dtype=np.int64)
    if data.assignment_cost is not None:
        cost = np.asarray(data.assignment_cost, dtype=np.int64)
        extra[:, : len(task_of_node)] = cost[task_of_node, :].T
    registered: dict[tuple[int, int, bytes], int] = {}
    for v, spec in enumerate(data.vehicles):
        key = (spec.mode, spec.travel_cost, extra[v].tobytes())
        if key not in registered:
            matrix = node_travel[spec.mode] * spec.travel_cost + extra[v][None, :]
            registered[key] = routing.RegisterTransitMatrix(matrix.tolist())
        routing.SetArcCostEvaluatorOfVehicle(registered[key], v)
        if spec.fixed_cost:
            routing.SetFixedCostOfVehicle(spec.fixed_cost, v)


def _add_time(
    data: RoutingInput,
    routing: Any,
    manager: Any,
    node_travel: list[IntArray],
    service: IntArray,
) -> Any:
    """The "time" dimension: transit = service at the origin + travel; slack = waiting."""
    transit_ids = [
        routing.RegisterTransitMatrix((t + service[:, None]).tolist()) for t in node_travel
    ]
    horizon = _horizon(data)
    routing.AddDimensionWithVehicleTransits(
        [transit_ids[spec.mode] for spec in data.vehicles], horizon, horizon, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    for v, spec in enumerate(data.vehicles):
        lo, hi = spec.earliest_start, max(spec.earliest_start, spec.latest_end)
        time_dim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        time_dim.CumulVar(routing.End(v)).SetRange(lo, hi)
        if spec.max_span is not None:
            time_dim.SetSpanUpperBoundForVehicle(spec.max_span, v)
        if spec.span_cost:
            time_dim.SetSpanCostCoefficientForVehicle(spec.span_cost, v)
        if spec.soft_max_span is not None and spec.soft_max_span_cost:
            time_dim.SetQuadraticCostSoftSpanUpperBoundForVehicle(
                pywrapcp.BoundCost(spec.soft_max_span, spec.soft_max_span_cost), v
            )
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    return time_dim


def _add_travel_limits(
    data: RoutingInput,
    routing: Any,
    node_travel: list[IntArray],
    starts: list[int],
    ends: list[int],
) -> None:
    """A "travel" dimension (travel minutes only) for longest-leg and total-travel caps."""
    if all(v.max_leg is None and v.max_travel is None for v in data.vehicles):
        return
    horizon = _horizon(data)
    forbidden = horizon + 1  # more than any vehicle's capacity: the arc cannot be used
    registered: dict[tuple[int, int | None], int] = {}
    evaluators = []
    for spec in data.vehicles:
        key = (spec.mode, spec.max_leg)
        if key not in registered:
            matrix = node_travel[spec.mode].copy()
            if spec.max_leg is not None:
                too_long = matrix > spec.max_leg
                # Going straight from a start to an end (an unused vehicle) is never forbidden.
                too_long[np.ix_(starts, ends)] = False
                matrix[too_long] = forbidden
            registered[key] = routing.RegisterTransitMatrix(matrix.tolist())
        evaluators.append(registered[key])
    capacities = [horizon if v.max_travel is None else v.max_travel for v in data.vehicles]
    routing.AddDimensionWithVehicleTransitAndCapacity(evaluators, 0, capacities, True, "travel")


def _add_load(data: RoutingInput, routing: Any, task_of_node: list[int], n_nodes: int) -> None:
    """A "load" dimension when tasks have demand (capacitated routing)."""
    if not any(t.demand for t in data.tasks):
        return
    demand = np.zeros(n_nodes, dtype=np.int64)
    for n, t in enumerate(task_of_node):
        demand[n] = data.tasks[t].demand
    unlimited = int(demand.sum())
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitVector(demand.tolist()),
        0,
        [unlimited if v.capacity is None else v.capacity for v in data.vehicles],
        True,
        "load",
    )


def _add_breaks(
    data: RoutingInput, routing: Any, manager: Any, time_dim: Any, service: IntArray
) -> list[list[Any]]:
    """Break intervals per vehicle, inside the route when the vehicle is used."""
    solver = routing.solver()
    if not any(v.breaks for v in data.vehicles):
        return [[] for _ in data.vehicles]
    visit_transits = [
        int(service[manager.IndexToNode(i)]) if not routing.IsEnd(i) else 0
        for i in range(routing.Size())
    ]
    big = 2 * _horizon(data)
    out: list[list[Any]] = []
    for v, spec in enumerate(data.vehicles):
        intervals = [
            solver.FixedDurationIntervalVar(b.earliest, b.latest, b.duration, False, f"b{v}.{k}")
            for k, b in enumerate(spec.breaks)
        ]
        if intervals:
            time_dim.SetBreakIntervalsOfVehicle(intervals, v, visit_transits)
            idle = 1 - routing.ActiveVehicleVar(v)
            for interval in intervals:
                solver.Add(interval.StartExpr() + big * idle >= time_dim.CumulVar(routing.Start(v)))
                solver.Add(interval.EndExpr() <= time_dim.CumulVar(routing.End(v)) + big * idle)
                routing.AddIntervalToAssignment(interval)
        out.append(intervals)
    return out


def _late_tasks(data: RoutingInput) -> list[tuple[int, int]]:
    """``(task, soft_latest)`` of every task that can start after its preferred window."""
    return [
        (t, task.soft_latest)
        for t, task in enumerate(data.tasks)
        if task.soft_latest is not None and task.soft_latest < task.latest
    ]


def _add_worst_lateness(
    data: RoutingInput, routing: Any, manager: Any, time_dim: Any, node_of_task: dict[int, int]
) -> None:
    """The largest lateness of any task, priced by a "worst_late" dimension's global span.

    The dimension has no transits and starts at 0, so its cumul never decreases along a
    route; each task's cumul is at least that task's lateness, hence each route's end cumul is
    at least the route's largest lateness, and the global span (largest end) is the plan's.
    """
    late_tasks = _late_tasks(data)
    if not data.worst_late_cost or not late_tasks:
        return
    horizon = _horizon(data)
    zero = routing.RegisterUnaryTransitVector([0] * manager.GetNumberOfNodes())
    routing.AddDimension(zero, horizon, horizon, True, "worst_late")
    worst = routing.GetDimensionOrDie("worst_late")
    solver = routing.solver()
    for t, soft_latest in late_tasks:
        index = manager.NodeToIndex(node_of_task[t])
        solver.Add(worst.CumulVar(index) >= time_dim.CumulVar(index) - soft_latest)
        routing.AddVariableMinimizedByFinalizer(worst.CumulVar(index))
    for v in range(routing.vehicles()):
        routing.AddVariableMinimizedByFinalizer(worst.CumulVar(routing.End(v)))
    worst.SetGlobalSpanCostCoefficient(data.worst_late_cost)


def _add_lag(time_dim: Any, a: int, b: int, min_lag: int, max_lag: int | None) -> None:
    """When both routing indices are done: ``min_lag <= start(b) - start(a) <= max_lag``.

    As node precedences of the time dimension, not as plain CP constraints: local search
    then prices a move with the lags kept (its cumul filter schedules every route together,
    so delaying one visit of a pair delays its partner in the other route), instead of
    proposing moves that only the CP propagation after the filters finds infeasible.
    A precedence binds only when both nodes are performed.
    """
    time_dim.AddNodePrecedence(a, b, min_lag)
    if max_lag is not None:
        time_dim.AddNodePrecedence(b, a, -max_lag)


@dataclass(frozen=True)
class _Model:
    """A built OR-Tools routing model and what reading a solution back needs."""

    manager: Any
    routing: Any
    time_dim: Any
    break_vars: list[list[Any]]
    task_of_node: list[int]
    stop: _FirstPlanAfter
    with_worst_lateness: bool


#: With pairs PyVRP can pin (:func:`rounds._pyvrp.pinnable`), the share of a phase's time the
#: parallel starts search before the rounds of :func:`_improve`.
STARTS_SHARE = 0.5


#: With other starts beside, the share of the time limit after which the starts stop even
#: without a plan of their own, and the plan of another start stands in.
STARTS_GIVE_UP_SHARE = 0.6


#: Share of the time limit searched without the terms local search cannot price (the largest
#: lateness), before the full model continues from the best solution found.
FIRST_PHASE_SHARE = 0.6


def _build(data: RoutingInput, with_worst_lateness: bool = True) -> _Model:
    """The routing model of ``data``; node layout and indices depend on ``data`` only."""
    # Node layout: a seeded permutation of the tasks first, then a start and an end node per
    # vehicle. The permutation is the seed's effect: OR-Tools' heuristics break ties by order.
    n_tasks, n_vehicles = len(data.tasks), len(data.vehicles)
    order = np.random.default_rng(data.seed).permutation(n_tasks) if data.seed else None
    task_of_node = order.tolist() if order is not None else list(range(n_tasks))
    node_of_task = {t: n for n, t in enumerate(task_of_node)}
    n_nodes = n_tasks + 2 * n_vehicles
    starts = [n_tasks + 2 * v for v in range(n_vehicles)]
    ends = [n_tasks + 2 * v + 1 for v in range(n_vehicles)]
    place = np.empty(n_nodes, dtype=np.int64)
    service = np.zeros(n_nodes, dtype=np.int64)
    for n, t in enumerate(task_of_node):
        place[n] = data.tasks[t].place
        service[n] = data.tasks[t].service
    for v, spec in enumerate(data.vehicles):
        place[starts[v]] = spec.start_place
        place[ends[v]] = spec.end_place

    manager = pywrapcp.RoutingIndexManager(n_nodes, n_vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    node_travel = [np.asarray(m)[np.ix_(place, place)] for m in data.travel_min]
    _add_arc_costs(data, routing, node_travel, task_of_node, n_nodes)
    time_dim = _add_time(data, routing, manager, node_travel, service)
    _add_travel_limits(data, routing, node_travel, starts, ends)
    _add_load(data, routing, task_of_node, n_nodes)
    break_vars = _add_breaks(data, routing, manager, time_dim, service)

    all_vehicles = set(range(n_vehicles))
    paired = {t for sync in data.synchronised for t in (sync.first, sync.second)}
    for t, task in enumerate(data.tasks):
        index = manager.NodeToIndex(node_of_task[t])
        cumul = time_dim.CumulVar(index)
        cumul.SetRange(task.earliest, max(task.earliest, task.latest))
        if task.soft_latest is not None and task.late_cost and task.soft_latest < task.latest:
            time_dim.SetCumulVarSoftUpperBound(index, task.soft_latest, task.late_cost)
        if (
            task.soft_earliest is not None
            and task.early_cost
            and task.soft_earliest > task.earliest
        ):
            time_dim.SetCumulVarSoftLowerBound(index, task.soft_earliest, task.early_cost)
        if data.max_idle is not None:
            longest_breaks = max(
                (sum(b.duration for b in v.breaks) for v in data.vehicles), default=0
            )
            time_dim.SlackVar(index).SetMax(data.max_idle + longest_breaks)
        allowed = set(task.allowed_vehicles) & all_vehicles
        if allowed != all_vehicles:
            # -1 stays allowed: an optional task may be left undone.
            routing.VehicleVar(index).SetValues([-1, *sorted(allowed)])
        if t not in paired:
            routing.AddDisjunction([index], task.penalty)
        routing.AddVariableMinimizedByFinalizer(cumul)

    def index_of(task: int) -> int:
        return int(manager.NodeToIndex(node_of_task[task]))

    for sync in data.synchronised:
        # A double-up. "Both or neither" is NOT a hard constraint: OR-Tools' insertion
        # heuristics and local search move one node at a time, and a hard equality of the two
        # nodes' activity stops them from ever inserting a pair. Instead the pair shares one
        # disjunction whose penalty is paid once unless both are done, so half a pair gains
        # nothing; the timing and different-carer rules bind whenever both are done, and
        # the caller drops any half pair left at the end.
        ia, ib = index_of(sync.first), index_of(sync.second)
        _add_lag(time_dim, ia, ib, -sync.tolerance, sync.tolerance)
        # -1 (undone) is the one vehicle value the two may share.
        solver.Add(solver.AllDifferentExcept([routing.VehicleVar(ia), routing.VehicleVar(ib)], -1))
        penalty = data.tasks[sync.first].penalty + data.tasks[sync.second].penalty
        routing.AddDisjunction([ia, ib], penalty, 2, routing.PENALIZE_ONCE)

    for gap in data.gaps:
        _add_lag(time_dim, index_of(gap.before), index_of(gap.after), gap.min_gap, gap.max_gap)

    if data.different_owners:
        owners = [-1] + [v.owner for v in data.vehicles]  # index 0: undone (vehicle -1)
        for a, b in data.different_owners:
            oa, ob = (
                solver.Element(owners, (routing.VehicleVar(index_of(t)) + 1).Var()) for t in (a, b)
            )
            solver.Add(solver.AllDifferentExcept([oa.Var(), ob.Var()], -1))

    for group in data.groups:
        if group.max_total_span is not None:
            spans = [
                time_dim.CumulVar(routing.End(v)) - time_dim.CumulVar(routing.Start(v))
                for v in group.vehicles
            ]
            solver.Add(solver.Sum(spans) <= group.max_total_span)
        if group.max_used is not None:
            used = [routing.ActiveVehicleVar(v) for v in group.vehicles]
            solver.Add(solver.Sum(used) <= group.max_used)

    if with_worst_lateness:
        _add_worst_lateness(data, routing, manager, time_dim, node_of_task)
    # Closed here, with the parameters every search uses, so routes can be restored into the
    # model before any search (RoutesToAssignment needs a closed model).
    routing.CloseModelWithParameters(_search_parameters(data.time_limit_s))
    stop = _FirstPlanAfter(routing)
    return _Model(manager, routing, time_dim, break_vars, task_of_node, stop, with_worst_lateness)


def _search(
    model: _Model,
    data: RoutingInput,
    deadline: float,
    start: Any = None,
    stop_after: float | None = None,
    pinned: bool = False,
    give_up: float | None = None,
) -> Any:
    """Search ``model`` until ``deadline`` (a ``perf_counter`` time), from ``start`` if given.

    Without a start, the starts of :func:`_multi_start` search side by side; from a start,
    :func:`_improve` searches on (in rounds with PyVRP when ``pinned``).

    With ``stop_after`` (an earlier time), the search stops at its first plan found after
    that time instead: a phase's share of the time ends the phase once it has a plan, and
    never before (a large problem's first insertion may outlast the share). With
    ``give_up`` as well, and other starts beside, the starts stop at ``give_up`` even without
    a plan of their own: whichever start has one stands in (the first insertion of a large
    problem grows with the cube of its size, and a plan that comes after the time limit is
    no plan). Returns ``(model, solution or None, interrupted)``: the model may be a new one
    (:func:`_renewed`), and the solution is of the model returned.
    """
    end = deadline
    if start is None and give_up is not None and _workers() > 1:
        end = min(deadline, give_up)
    params = _search_parameters(max(0.05, end - time.perf_counter()))
    searched = model
    model.stop.when = stop_after
    try:
        with _StopOnInterrupt(model.routing) as interrupt:
            if start is not None:
                solution = _improve(model, data, start, deadline, interrupt, pinned)
            else:
                model, solution = _multi_start(
                    model, data, params, stop_after or deadline, interrupt
                )
    finally:
        searched.stop.when = None
    if solution is None and not interrupt.requested:
        # Every task is optional, so "no route at all" is always feasible: start from it.
        model, _ = _renewed(model, data, None)
        remaining = max(0.05, deadline - time.perf_counter())
        params.time_limit.FromMilliseconds(int(remaining * 1000))
        empty = _restore(model.routing, [[] for _ in data.vehicles])
        if empty is not None:
            solution = model.routing.SolveFromAssignmentWithParameters(empty, params)
    return model, solution, interrupt.requested


def _cost(solution: Any) -> int | None:
    """The objective value of ``solution``, or ``None`` for no solution (for the log)."""
    return None if solution is None else int(solution.ObjectiveValue())


def _renewed(model: _Model, data: RoutingInput, solution: Any) -> tuple[_Model, Any]:
    """``model`` and ``solution``, or a new model and the plan restored in it if ``model`` is spent.

    A search stopped at its first plan after a time (:class:`_FirstPlanAfter`) leaves the
    model failing every later search; the model is rebuilt (cheap next to a search) and the
    plan restored into it.
    """
    if not model.stop.fired:
        return model, solution
    routes = None if solution is None else _task_routes(model, solution)
    model = _build(data, with_worst_lateness=model.with_worst_lateness)
    if routes is None:
        return model, None
    return model, _restore_tasks(model, routes)


def solve_routing(data: RoutingInput) -> RoutingResult:
    """Build the OR-Tools model for ``data``, solve it within its time limit, read it back.

    With a cost on the largest lateness, whose constraint local-search filters cannot see, the
    search runs in two phases: :data:`FIRST_PHASE_SHARE` of the time on the model without that
    term (fast, exactly priced moves), then the full model continues from the best solution.
    """
    started = time.perf_counter()
    deadline = started + data.time_limit_s
    empty_routes: tuple[tuple[tuple[int, int], ...], ...] = tuple(() for _ in data.vehicles)
    if not data.vehicles or not any(t.allowed_vehicles for t in data.tasks):
        idle = tuple(v.earliest_start for v in data.vehicles)
        return RoutingResult(empty_routes, idle, idle, "optimal", 0)

    # The largest-lateness term is priced by a CP constraint local-search filters cannot see.
    two_phases = bool(data.worst_late_cost) and bool(_late_tasks(data))
    model = _build(data, with_worst_lateness=not two_phases)
    now = time.perf_counter()
    phase_end = now + FIRST_PHASE_SHARE * (deadline - now) if two_phases else deadline
    # With pairs PyVRP can pin, the parallel starts end early: rounds of PyVRP beside local
    # search (_improve) use the rest of the time better.
    pinned = _workers() > 1 and _pyvrp.pinnable(data)
    starts_end = None
    if pinned:
        starts_end = now + STARTS_SHARE * (phase_end - now)
    elif two_phases:
        starts_end = phase_end
    # The starts end at their first plan after ``starts_end``, never before: a large
    # problem's first insertion may outlast the share; at the end of the phase, the plan of
    # another start stands in (pairs it left undone are put in by _improve's pair moves).
    give_up = now + STARTS_GIVE_UP_SHARE * (deadline - now)
    model, solution, interrupted = _search(
        model, data, deadline, stop_after=starts_end, give_up=give_up
    )
    _log.debug("%.1f s: starts' best plan costs %s", time.perf_counter() - started, _cost(solution))
    if solution is not None and not interrupted and time.perf_counter() < phase_end - 0.05:
        model, solution, interrupted = _search(model, data, phase_end, solution, pinned=pinned)
        _log.debug("%.1f s: first phase ends at %s", time.perf_counter() - started, _cost(solution))
    if two_phases and solution is not None and not interrupted:
        full = _build(data, with_worst_lateness=True)
        start = _restore_tasks(full, _task_routes(model, solution))
        if start is not None:
            _log.debug("second phase: the full model prices the plan at %s", _cost(start))
            full, better, interrupted = _search(full, data, deadline, start, pinned=pinned)
            if better is not None:  # else keep the first phase's plan
                model, solution = full, better
            _log.debug(
                "%.1f s: second phase ends at %s", time.perf_counter() - started, _cost(solution)
            )
    routing, time_dim = model.routing, model.time_dim
    status = _STATUS.get(routing.status(), str(routing.status()))
    if interrupted:
        status = "interrupted"
    if solution is None:
        departures = tuple(v.earliest_start for v in data.vehicles)
        return RoutingResult(empty_routes, departures, departures, status, None)

    def cumul(index: int) -> int:
        return int(solution.Value(time_dim.CumulVar(index)))

    vehicles = range(len(data.vehicles))
    return RoutingResult(
        tuple(_timed_routes(model, solution)),
        tuple(cumul(routing.Start(v)) for v in vehicles),
        tuple(cumul(routing.End(v)) for v in vehicles),
        status,
        int(solution.ObjectiveValue()),
        tuple(tuple(solution.StartValue(b) for b in vb) for vb in model.break_vars),
    )


# -- interruption ---------------------------------------------------------------------------------


class _StopOnInterrupt:
    """While searching, Ctrl-C (SIGINT) stops the search and keeps the best solution so far.

    The signal only sets a flag; OR-Tools calls back into Python at every new solution, and
    the callback cancels the search there. Outside the main thread nothing is installed.
    """

    def __init__(self, routing: Any) -> None:
        self.routing = routing
        self.requested = False
        self._previous: Any = None
        routing.AddAtSolutionCallback(self._at_solution)

    def _at_solution(self) -> None:
        if self.requested:
            self.routing.CancelSearch()

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.requested = True

    def __enter__(self) -> _StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class _FirstPlanAfter:
    """Stops any search of ``routing`` at the first plan it finds after :attr:`when`, if set.

    It stops the search by cancelling it, and OR-Tools then fails every later search of
    the model (restores included): once :attr:`fired`, the model is spent, and the search
    goes on in a new one (:func:`_renewed`).
    """

    def __init__(self, routing: Any) -> None:
        self.routing = routing
        self.when: float | None = None
        self.fired = False
        routing.AddAtSolutionCallback(self._at_solution)

    def _at_solution(self) -> None:
        if self.when is not None and time.perf_counter() >= self.when:
            self.fired = True
            self.routing.CancelSearch()


@contextlib.contextmanager
def _stop_lifted(model: _Model) -> Iterator[None]:
    """Within the block, ``model``'s searches do not stop at their first plan after a time."""
    when, model.stop.when = model.stop.when, None
    try:
        yield
    finally:
        model.stop.when = when


# -- search: parameters and multi-start -----------------------------------------------------------

#: Environment variable capping parallel starts (``1`` turns multi-start off).
WORKERS_ENV = "ROUNDS_SEARCH_WORKERS"


def _workers() -> int:
    """Parallel starts: one per core, at most one per strategy, capped by ``WORKERS_ENV``."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = len(_START_STRATEGIES)
    cap = os.environ.get(WORKERS_ENV, "")
    if cap.strip().isdigit():
        wanted = min(wanted, max(1, int(cap)))
    return max(1, min(wanted, os.cpu_count() or 1))


def _routes_of(routing: Any, solution: Any) -> list[list[int]]:
    """The routing indices each vehicle visits, in order (starts and ends left out)."""
    routes = []
    for v in range(routing.vehicles()):
        index, route = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            route.append(index)
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return routes


def _task_routes(model: _Model, solution: Any) -> list[list[int]]:
    """The tasks each vehicle does in ``solution``, in order."""
    return [
        [model.task_of_node[model.manager.IndexToNode(i)] for i in route]
        for route in _routes_of(model.routing, solution)
    ]


def _timed_routes(model: _Model, solution: Any) -> list[tuple[tuple[int, int], ...]]:
    """Each vehicle's ``(task, start minute)`` in ``solution``, in order."""
    manager, time_dim = model.manager, model.time_dim
    return [
        tuple(
            (model.task_of_node[manager.IndexToNode(i)], solution.Value(time_dim.CumulVar(i)))
            for i in route
        )
        for route in _routes_of(model.routing, solution)
    ]


#: What a parallel start sends back: its own cost of the plan if it knows it (an OR-Tools
#: start on the same model), and each vehicle's tasks in order.
_Found = tuple[int | None, list[list[int]]]


def _other_start(model: _Model, params: Any, conn: Any) -> None:
    """Child process: solve with ``params``; send back a :data:`_Found` or ``None``."""
    try:
        solution = model.routing.SolveWithParameters(params)
        found: _Found | None = None
        if solution is not None:
            found = (solution.ObjectiveValue(), _task_routes(model, solution))
        conn.send(found)
    finally:
        conn.close()


def _plain_start(data: RoutingInput, time_limit_s: float, conn: Any) -> None:
    """Child process: PyVRP on the plain part of ``data``; send back a :data:`_Found` or ``None``.

    The cost is left unknown: only the full model can price the routes.
    """
    try:
        try:
            routes = _pyvrp.plain_routing(data, time_limit_s)
        except (Exception, KeyboardInterrupt):  # a failed or stopped extra start sends nothing
            routes = None  # the OR-Tools start's plan stands; tests cover the adapter itself
        found: _Found | None = None if routes is None else (None, routes)
        conn.send(found)
    finally:
        conn.close()


def _pyvrp_round(
    model: _Model,
    data: RoutingInput,
    restricted: RoutingInput,
    plan: list[list[int]],
    moves_from: float,
    end: float,
    seed: int,
    stop: Any = None,
    patience: int | None = None,
) -> Any:
    """A round of PyVRP around a plan, then the pair moves; the plan found, or ``None``.

    PyVRP searches ``restricted`` (:func:`rounds._pyvrp.around` the plan) from ``plan`` with
    ``seed`` until ``moves_from``; its routes are restored on ``model`` and the pairs moved as
    one (:func:`_move_pairs`) until ``end``. ``stop`` (a callable, or ``None``) returning
    true ends PyVRP's search early and skips the moves; PyVRP also stops after
    ``patience`` iterations in a row without a better plan. Returns the plan (an assignment of
    ``model``), or ``None`` when PyVRP found nothing the model accepts.
    """
    limit = max(0.05, moves_from - time.perf_counter())
    routes = _pyvrp.plain_routing(restricted, limit, plan, seed=seed, stop=stop, patience=patience)
    model.stop.when = None
    start = None if routes is None else _restore_tasks(model, routes)
    if start is None:
        return None
    if stop is None or not stop():
        start = _move_pairs(model, data, start, end, seed)
    return start


def _pinned_round(
    model: _Model,
    data: RoutingInput,
    restricted: RoutingInput,
    plan: list[list[int]],
    moves_from: float,
    end: float,
    seed: int,
    conn: Any,
) -> None:
    """Child process: :func:`_pyvrp_round` on this forked copy of ``model``; send its result.

    Sends the plan's cost on ``model`` and its routes (a :data:`_Found`), or ``None`` when
    PyVRP found nothing the model accepts or the round failed (:func:`_send_plan`).
    """
    _send_plan(
        model, lambda: _pyvrp_round(model, data, restricted, plan, moves_from, end, seed), conn
    )


def _send_plan(model: _Model, make: Callable[[], Any], conn: Any) -> None:
    """Child process: send the plan ``make()`` returns (an assignment of ``model``, or ``None``).

    Sends its cost on ``model`` and its routes (a :data:`_Found`), or ``None`` when there is
    no plan or making it failed or was stopped; the caller's own plan then stands.
    """
    try:
        found: _Found | None = None
        try:
            plan = make()
            if plan is not None:
                found = (plan.ObjectiveValue(), _task_routes(model, plan))
        except (Exception, KeyboardInterrupt):  # a failed or stopped start sends nothing
            found = None  # the plan here stands; tests cover the parts
        conn.send(found)
    finally:
        conn.close()


#: Minutes after its pinned minute a paired task may start in PyVRP's restrictions
#: (:func:`rounds._pyvrp.around`).
PAIR_SLACK_MIN = 0

#: Share of its phase the pinned start (:func:`_pinned_plan`) gives PyVRP for a first plan,
#: and then the pair moves that complete it; guided local search takes the rest.
PINNED_START_SHARE = 0.25


def _pinned_plan(
    model: _Model,
    data: RoutingInput,
    params: Any,
    phase_end: float,
    search: bool = True,
    seed: int | None = None,
) -> Any:
    """A first plan by PyVRP with every pair pinned on time, completed, then local search.

    The restriction :func:`rounds._pyvrp.around` the minutes of
    :func:`rounds._pairs.earliest_starts` (every double-up and gap on time, the rest routed
    by PyVRP within preferred windows, tasks that do not fit left out) is solved for
    :data:`PINNED_START_SHARE` of the time to ``phase_end``. Its routes are restored into the
    full model, the pairs it left out are put in by :func:`_move_pairs` (for as long
    again at most), and with ``search`` guided local search goes on from there with
    ``params``; without, the completed plan is returned. ``seed`` replaces PyVRP's
    (``data.seed``). When PyVRP finds no plan, ``params``' first-solution strategy builds
    one. The first plan takes seconds where cost insertion grows with the cube of the
    problem's size.
    """
    started = time.perf_counter()
    end = started + params.time_limit.ToMilliseconds() / 1000
    share = PINNED_START_SHARE * max(0.0, phase_end - started)
    try:
        restricted = _pyvrp.around(data, _pairs.earliest_starts(data), PAIR_SLACK_MIN)
        routes = _pyvrp.plain_routing(restricted, max(0.05, share), seed=seed)
    except Exception:  # a failed first plan: the strategy builds one (tests cover the adapter)
        routes = None
    start = None
    if routes is not None:
        start = _restore_tasks(model, _pairs.separate_owners(data, routes))
    if start is None:
        return model.routing.SolveWithParameters(params)
    with _stop_lifted(model):  # not a phase's end: the pairs are not in
        pyvrp_seed = data.seed if seed is None else seed
        start = _move_pairs(model, data, start, time.perf_counter() + share, pyvrp_seed)
    return _search_on(model, start, params, end) if search else start


def _search_on(model: _Model, start: Any, params: Any, end: float) -> Any:
    """Guided local search (``params``) from ``start`` until ``end``; the cheaper plan."""
    params.time_limit.FromMilliseconds(int(max(0.05, end - time.perf_counter()) * 1000))
    solution = model.routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None or solution.ObjectiveValue() > start.ObjectiveValue():
        return start
    return solution


def _restore(routing: Any, routes: list[list[int]]) -> Any:
    """The assignment doing each vehicle's routing indices in order, or ``None`` if infeasible.

    Not ``ReadAssignmentFromRoutes``: after a search that ended on its time limit, that limit
    stays crossed and every later restore on the model fails. A search from the routes with a
    fresh limit, stopped at its first solution (the routes, completed), does not.
    """
    assignment = routing.solver().Assignment()
    if not routing.RoutesToAssignment(routes, True, True, assignment):
        return None
    params = _search_parameters(RESTORE_LIMIT_S)
    params.solution_limit = 1
    return routing.SolveFromAssignmentWithParameters(assignment, params)


#: Time limit of :func:`_restore` (completing given routes is propagation, not search).
RESTORE_LIMIT_S = 5.0


def _restore_tasks(model: _Model, task_routes: list[list[int]]) -> Any:
    """The assignment of ``model`` doing each vehicle's tasks in order, or ``None``."""
    node_of_task = {t: n for n, t in enumerate(model.task_of_node)}
    routes = [[model.manager.NodeToIndex(node_of_task[t]) for t in r] for r in task_routes]
    return _restore(model.routing, routes)


#: With a PyVRP start, the share of the time limit the starts search side by side; the rest
#: is guided local search from the best of them, on the full model.
PARALLEL_SHARE = 0.9


def _fork(target: Any, *args: Any) -> tuple[Any, Any]:
    """Start ``target(*args, conn)`` in a forked copy of this process; return it and its pipe."""
    import warnings

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork in a threaded process
        child = context.Process(target=target, args=(*args, send), daemon=True)
        child.start()
    send.close()
    return child, receive


def _collect(child: Any, receive: Any, wait_s: float) -> _Found | None:
    """What a forked start sent within ``wait_s`` seconds, if anything; the child is ended."""
    found = None
    if receive.poll(wait_s):
        try:
            found = receive.recv()
        except EOFError:
            found = None
    else:
        _log.debug("a forked search sent nothing within %.1f s", wait_s)
    child.join(timeout=1.0)
    if child.is_alive():
        _kill(child)
    return found


def _kill(child: Any) -> None:
    """End a forked start now and reap it (not left a zombie)."""
    child.kill()
    child.join(timeout=1.0)


def _cheaper(model: _Model, solution: Any, found: _Found | None) -> Any:
    """``solution``, or the plan another start found when it costs less on ``model``."""
    if found is None:
        return solution
    cost, task_routes = found
    best = None if solution is None else solution.ObjectiveValue()
    if cost is not None and best is not None and cost >= best:
        return solution  # priced on this very model already: no need to restore it
    restored = _restore_tasks(model, task_routes)
    if restored is not None and (best is None or restored.ObjectiveValue() < best):
        return restored
    return solution


def _interrupt_children(children: list[tuple[Any, Any]]) -> None:
    """Pass a Ctrl-C on to the forked starts still searching."""
    for child, _ in children:
        if child.pid is not None and child.is_alive():
            os.kill(child.pid, signal.SIGINT)  # they stop at their next solution, too


def _multi_start(
    model: _Model,
    data: RoutingInput,
    params: Any,
    deadline: float,
    interrupt: _StopOnInterrupt | None = None,
) -> tuple[_Model, Any]:
    """Solve with ``params`` here and, on spare cores, from other starts; keep the best.

    The model is built once: each further start is a forked copy of this process that searches
    within the same time limit (``params``; ``deadline`` is where a two-phase search wants
    this phase to end) and sends back its routes, which are restored here and kept when they
    cost less. When PyVRP can solve a restriction of the problem
    (:func:`rounds._pyvrp.expressible`), the first spare core runs PyVRP instead of another
    OR-Tools start, for :data:`PARALLEL_SHARE` of the time; the rest of the time continues
    from the best plan on the full model, so every rule and cost still applies.

    When pairs are all that keeps PyVRP out (:func:`rounds._pyvrp.pinnable`), this process
    makes PyVRP's plan with the pairs pinned on time, completed by the pair moves
    (:func:`_pinned_plan`, a plan within seconds), and the spare core runs cost insertion,
    or, when that has no plan within a small share of the time, makes another pinned plan
    with another PyVRP seed (:func:`_pinned_starts`); the caller's rounds (:func:`_improve`)
    go on from the best. (Cost insertion grows with the cube of the problem's size and does
    not finish on a few hundred visits; where it finishes at once, local search from it is
    exact.)

    Returns the model (a new one when the search stopped at its first plan after
    ``deadline`` spent it, :func:`_renewed`) and the best assignment of it, or ``None`` when
    no start found one.
    """
    routing = model.routing
    n = _workers()
    limit_s = max(0.05, deadline - time.perf_counter())
    plain = _pyvrp.expressible(data)
    pinned_here = not plain and _pyvrp.pinnable(data)
    if plain or pinned_here:
        _pyvrp.preload()
    if pinned_here:
        return _pinned_starts(model, data, params, deadline, n, interrupt)
    if n == 1:
        return _renewed(model, data, routing.SolveWithParameters(params))
    if plain:
        limit_s *= PARALLEL_SHARE
        params.time_limit.FromMilliseconds(int(limit_s * 1000))
    hard_end = time.perf_counter() + params.time_limit.ToMilliseconds() / 1000
    children = []
    for k, strategy in enumerate(_START_STRATEGIES[1:n]):
        if plain and k == 0:
            children.append(_fork(_plain_start, data, limit_s))
        else:
            other = _copy_of(params)
            other.first_solution_strategy = getattr(
                routing_enums_pb2.FirstSolutionStrategy, strategy
            )
            children.append(_fork(_other_start, model, other))
    solution = routing.SolveWithParameters(params)
    stopping = interrupt is not None and interrupt.requested
    if stopping:
        _interrupt_children(children)
    model, solution = _renewed(model, data, solution)
    for child, receive in children:
        # Each start stops by the same hard limit (or at its first plan after ``deadline``).
        wait = 2.0 if stopping else max(1.0, hard_end - time.perf_counter() + 1.0)
        solution = _cheaper(model, solution, _collect(child, receive, wait))
    remaining = deadline - time.perf_counter()
    if plain and solution is not None and not stopping and remaining > 0.05:
        params.time_limit.FromMilliseconds(int(remaining * 1000))
        polished = model.routing.SolveFromAssignmentWithParameters(solution, params)
        if polished is not None and polished.ObjectiveValue() <= solution.ObjectiveValue():
            solution = polished
    return model, solution


def _pinned_starts(
    model: _Model,
    data: RoutingInput,
    params: Any,
    deadline: float,
    n: int,
    interrupt: _StopOnInterrupt | None = None,
) -> tuple[_Model, Any]:
    """:func:`_pinned_plan` here and, with ``n`` > 1, another start on a spare core; the best.

    The spare core runs :func:`_insertion_or_pinned`: cost insertion (``params``' strategy)
    when it has its first plan within :data:`INSERTION_SHARE` of the time to ``deadline``,
    and :data:`INSERTION_MIN_S` at least (a few dozen visits: it is exact where PyVRP's plan
    is pinned), and guided local search from it until ``deadline`` while guided local search
    goes on here from the pinned plan;
    otherwise (it grows with the cube of the problem's size, and a late first plan leaves
    local search too little time) another pinned plan with another PyVRP seed, while guided
    local search goes on here until that one is due. The cheaper plan is returned, and the
    caller's rounds (:func:`_improve`) go on from it. A Ctrl-C here (``interrupt``) is passed
    on to the spare core, and its plan is not waited for beyond a moment.
    """
    if n == 1:
        return _renewed(model, data, _pinned_plan(model, data, params, deadline))
    first = multiprocessing.get_context("fork").Event()
    started = time.perf_counter()
    left = max(0.0, deadline - started)
    give_up_at = started + min(left, max(INSERTION_SHARE * left, INSERTION_MIN_S))
    child, receive = _fork(
        _insertion_or_pinned, model, data, params, deadline, give_up_at, data.seed + 1, first
    )
    solution = _pinned_plan(model, data, params, deadline, search=False)
    took = time.perf_counter() - started
    # Decided by now unless the pinned plan came first: a moment more for a late insertion.
    raced = first.wait(timeout=max(0.0, give_up_at - time.perf_counter()) + 0.5)
    if raced:
        collect_by = deadline
    else:
        # The other pinned plan, begun at ``give_up_at``, takes about as long as this one.
        collect_by = max(
            give_up_at + 2 * PINNED_START_SHARE * max(0.0, deadline - give_up_at),
            give_up_at + took,
        )
    _log.debug(
        "pinned plan: %s; beside it, %s",
        _cost(solution),
        "cost insertion" if raced else "a pinned plan with another seed",
    )
    if solution is not None and not model.stop.fired:
        solution = _search_on(model, solution, params, collect_by)
    stopping = interrupt is not None and interrupt.requested
    if stopping:
        _interrupt_children([(child, receive)])
    # A moment more for the other plan's overheads (its fork, restore and send).
    wait = 2.0 if stopping else max(1.0, collect_by - time.perf_counter() + max(1.0, took / 4))
    found = _collect(child, receive, wait)
    _log.debug("starts: %s here, %s beside", _cost(solution), None if found is None else found[0])
    model, solution = _renewed(model, data, solution)
    with _stop_lifted(model):  # a restore, not the phase's search
        return model, _cheaper(model, solution, found)


#: Share of the starts' time within which cost insertion beside the pinned plan must have
#: its first plan (:func:`_insertion_or_pinned`); later, another pinned plan is made instead.
#: At least :data:`INSERTION_MIN_S` seconds (within the starts' time): on a small problem
#: the insertion takes milliseconds, and a share of a short time limit is less than the
#: time a forked process takes to start, so the race would be decided by the machine's load.
INSERTION_SHARE = 0.05
INSERTION_MIN_S = 0.25


def _insertion_or_pinned(
    model: _Model,
    data: RoutingInput,
    params: Any,
    deadline: float,
    give_up_at: float,
    seed: int,
    first: Any,
    conn: Any,
) -> None:
    """Child process: cost insertion then local search, or a pinned plan; send a :data:`_Found`.

    Cost insertion (``params``' strategy) with a time limit of ``give_up_at``: when it has
    its plan before then, the event ``first`` is set and guided local search goes on from it
    until ``deadline``; otherwise :func:`_pinned_plan` (no search) with PyVRP's ``seed``
    stands in. Sends ``None`` when no plan was made or the start failed (:func:`_send_plan`).
    """

    def make() -> Any:
        insertion = _copy_of(params, max(0.001, give_up_at - time.perf_counter()))
        insertion.solution_limit = 1  # the insertion's plan, before any local search
        inserted = None
        if time.perf_counter() < give_up_at:
            inserted = model.routing.SolveWithParameters(insertion)
        if inserted is None or time.perf_counter() >= give_up_at:
            # Stopped by its limit, the insertion returns the plan with nothing done.
            return _pinned_plan(model, data, params, deadline, search=False, seed=seed)
        first.set()
        return _search_on(model, inserted, params, deadline)

    _send_plan(model, make, conn)


def _starts(model: _Model, solution: Any) -> dict[int, int]:
    """The start minute of each task ``solution`` does."""
    return {t: start for route in _timed_routes(model, solution) for t, start in route}


#: Rounds of :func:`_improve` with PyVRP beside: each lasts this share of the time left, and
#: at least :data:`PINNED_ROUND_MIN_S` seconds. Short: on the restriction around a plan
#: (pairs pinned) PyVRP has its best within about a second even on 400 visits, and what moves
#: the pins is the pair moves and local search of the next round.
PINNED_ROUND_SHARE = 1 / 8
PINNED_ROUND_MIN_S = 2.0
#: Rounds of :func:`_improve` without PyVRP (pair moves, then guided local search, which a
#: round restarts): this share of the time left, and at least :data:`MOVES_ROUND_MIN_S`.
MOVES_ROUND_SHARE = 1 / 3
MOVES_ROUND_MIN_S = 5.0


def _improve(
    model: _Model,
    data: RoutingInput,
    solution: Any,
    deadline: float,
    interrupt: _StopOnInterrupt,
    pinned: bool,
) -> Any:
    """Search on from ``solution`` until ``deadline``; return the best plan found.

    Guided local search on ``model``. When the problem has pairs of tasks in two routes
    (:func:`rounds._pairs.pairs_of`) or ``pinned`` (a spare core is free and pairs of tasks are
    all that keeps PyVRP out, :func:`rounds._pyvrp.pinnable`), the time goes in rounds. Here
    each round moves pairs as one (:func:`_move_pairs`, the compound move local search lacks),
    then guided local search goes on. When ``pinned``, the spare core meanwhile runs
    :func:`_pinned_round` from the same plan: PyVRP searches the restriction around it (pairs
    pinned at their minutes, :func:`rounds._pyvrp.around`), starting from the plan, and the
    pairs of its plan are moved as one in turn; and in every other round this core runs the
    same round with another seed instead of local search (:func:`_pyvrp_round`). Each round's
    PyVRP searches have seeds of their own. The next round starts from the cheapest plan.
    Local search and the pair moves move the pairs, and keep the costs PyVRP does not see
    (the largest lateness, preferences); PyVRP, much faster on plain routing, shortens the
    routes between them. When ``pinned`` and a round gains nothing (:data:`KICK_AFTER_ROUNDS`),
    with :data:`REPIN_MOVES` this core's next round tries re-pin moves of the best plan
    (:class:`_Repins`: a pair put elsewhere and PyVRP routing the rest around it, the first
    that gains kept) and, if that gains nothing too, the round after goes on from the best
    plan kicked, an iterated local search: the phase's first, third... kick re-pins a
    neighbourhood of pairs at drawn minutes (:func:`_repin_kicked`, with
    :data:`REPIN_KICKS`), the others take a neighbourhood of tasks out (:func:`_kicked`).
    A re-pin round and a kick come in turn (a kick in every such round once every re-pin
    move of the plan has been tried, or without them); the best plan seen is kept apart
    and returned. In a phase's last rounds (fewer than :data:`KICK_LEAST_ROUNDS` shortest
    rounds left, too few for a kick to pay), a round that gains nothing is followed by a
    small kick of the best plan (:data:`LATE_KICK_TASKS` tasks out) the next round repairs.
    """
    routing = model.routing
    if pinned:
        _pyvrp.preload()
    moves_pairs = bool(_pairs.pairs_of(data))
    in_rounds = pinned or moves_pairs
    share, least = (
        (PINNED_ROUND_SHARE, PINNED_ROUND_MIN_S)
        if pinned
        else (MOVES_ROUND_SHARE, MOVES_ROUND_MIN_S)
    )
    round_no = 0
    # Each phase kicks other neighbourhoods: the seed and the plan it starts from.
    best, stalled = solution, 0
    rng = random.Random(f"{data.seed}:{solution.ObjectiveValue()}")
    repins: _Repins | None = None
    repinned = False  # the last round tried re-pin moves: this one kicks
    kicks = 0
    while not interrupt.requested:
        remaining = deadline - time.perf_counter()
        if remaining < 0.05:
            break
        repin = False
        if pinned and stalled >= KICK_AFTER_ROUNDS:
            kicked = None
            if remaining >= KICK_LEAST_ROUNDS * least:
                if REPIN_MOVES and (repins is None or repins.plan is not best):
                    repins = _Repins(model, data, best, rng)
                repin = repins is not None and not repins.exhausted() and not repinned
                if not repin:
                    kicks += 1
                    if REPIN_KICKS and kicks % 2 == 1:
                        kicked = _repin_kicked(model, data, best, rng, least)
                    else:
                        kicked = _kicked(model, data, best, rng)
            elif remaining >= least:
                # Too little time to recover from a kick: a small one the next round repairs.
                kicked = _kicked(model, data, best, rng, LATE_KICK_TASKS)
            if kicked is not None:
                solution, stalled = kicked, 0
            remaining = deadline - time.perf_counter()
        start_cost = solution.ObjectiveValue()
        length = remaining
        if in_rounds and remaining >= 2 * least:
            length = max(least, share * remaining)
        now = time.perf_counter()
        round_end = now + length
        moves_s = PAIR_MOVES_SHARE * length if moves_pairs else 0.0
        moves_end = now + moves_s
        pyvrp_end = round_end - moves_s  # with no pairs to move, PyVRP has the round
        seed = data.seed + 2 * round_no  # and seed + 1 here: each search a seed of its own
        pyvrp_here = pinned and round_no % 2 == 1
        round_no += 1
        children = []
        if pinned:
            restricted = _pyvrp.around(data, _starts(model, solution), PAIR_SLACK_MIN)
            plan = _task_routes(model, solution)
            children.append(
                _fork(_pinned_round, model, data, restricted, plan, pyvrp_end, round_end, seed)
            )
        if repin and repins is not None:
            moved = repins.search(round_end, seed + 1)
            if moved is not None and moved.ObjectiveValue() < solution.ObjectiveValue():
                solution = moved
        elif pyvrp_here:
            try:
                moved = _pyvrp_round(
                    model,
                    data,
                    restricted,
                    plan,
                    pyvrp_end,
                    round_end,
                    seed + 1,
                    stop=lambda: interrupt.requested,
                )
            except Exception:  # a failed round: the plan stands (tests cover the parts)
                moved = None
            if moved is not None and moved.ObjectiveValue() < solution.ObjectiveValue():
                solution = moved
        else:
            if moves_pairs:
                solution = _move_pairs(model, data, solution, moves_end, seed + 1)
            left = max(0.05, round_end - time.perf_counter())
            params = _search_parameters(left)
            searched = routing.SolveFromAssignmentWithParameters(solution, params)
            if searched is not None and searched.ObjectiveValue() <= solution.ObjectiveValue():
                solution = searched
        if interrupt.requested:
            _interrupt_children(children)
        here, beside = _cost(solution), []
        for child, receive in children:
            wait = 2.0 if interrupt.requested else max(1.0, round_end - time.perf_counter() + 1.0)
            found = _collect(child, receive, wait)
            beside.append(None if found is None else found[0])
            solution = _cheaper(model, solution, found)
        _log.debug(
            "round %d (%.1f s, %s here): %s here, %s beside",
            round_no,
            length,
            "re-pins" if repin else "PyVRP" if pyvrp_here else "local search",
            here,
            beside,
        )
        stalled = 0 if solution.ObjectiveValue() < start_cost else stalled + 1
        repinned = repin
        if solution.ObjectiveValue() < best.ObjectiveValue():
            best = solution
        if not in_rounds:
            break
    return best


#: Whether rounds that gain nothing alternate re-pin moves (:class:`_Repins`) with kicks
#: (they reach B4's proven optimum; docs/benchmarks.md, eighteenth and nineteenth rounds).
REPIN_MOVES = True
#: Places a re-pin move tries for each pair (:class:`_Repins`), the best estimates first.
REPIN_CHOICES = 3
#: Most of the time left in a round one re-pin move's PyVRP search (and then its pair
#: moves) may take, and the iterations in a row without a better plan that end PyVRP's
#: search (it settles in milliseconds on small problems).
REPIN_SHARE = 0.5
REPIN_PATIENCE = 200


class _Repins:
    """Re-pin moves of one plan: a pair put elsewhere, and PyVRP routes the rest around it.

    The pair moves (:func:`_move_pairs`) keep a pair's new place only when it is cheaper
    with every other route as it is, and PyVRP keeps every pair where it is pinned. A plan
    can then be one change of a pair's minutes away from a cheaper plan whose other routes
    are all reordered around the new minutes (a double-up half an hour later, three rounds
    reordered: docs/benchmarks.md, eighteenth round). A re-pin move takes a pair to one of
    its :data:`REPIN_CHOICES` best other places whatever that costs
    (:meth:`rounds._pairs.Moves.relocations`), lets PyVRP search the restriction around
    the new pins and the pair moves complete it (:func:`_pyvrp_round`), and local search
    descends from there (a descent, which settles within the move). The moves of a plan
    are tried in a random order of the pairs, the first that makes the plan cheaper is
    kept; :func:`_improve` tries them in the rounds that gain nothing, a round of them and
    then a kick in turn, the sweep of the same best plan going on where it stopped (a
    sweep of a large plan's moves can outlast the run: kicks only once every move was
    tried left D1 24 % above the best known).
    """

    def __init__(self, model: _Model, data: RoutingInput, plan: Any, rng: random.Random) -> None:
        self.model = model
        self.data = data
        self.plan = plan
        self._moves = _pairs.Moves(data, _timed_routes(model, plan))
        pairs = _pairs.pairs_of(data)
        self._pairs = rng.sample(pairs, len(pairs))
        self._queue: list[list[list[int]]] = []

    def exhausted(self) -> bool:
        """Whether every re-pin move of the plan has been tried."""
        return not self._queue and not self._pairs

    def _next(self) -> list[list[int]] | None:
        while not self._queue and self._pairs:
            pair = self._pairs.pop()
            self._queue = self._moves.relocations(pair, limit=REPIN_CHOICES, improving=False)
        return self._queue.pop(0) if self._queue else None

    def search(self, end: float, seed: int) -> Any:
        """Try the moves left until one makes the plan cheaper or ``end``; that plan or ``None``."""
        model, data, cost = self.model, self.data, self.plan.ObjectiveValue()
        while time.perf_counter() < end:
            routes = self._next()
            if routes is None:
                return None
            start = _restore_tasks(model, routes)
            if start is None:
                continue
            restricted = _pyvrp.around(data, _starts(model, start), PAIR_SLACK_MIN)
            now = time.perf_counter()
            moves_from = now + REPIN_SHARE * max(0.0, end - now)
            moves_end = moves_from + REPIN_SHARE * max(0.0, end - moves_from)
            try:
                moved = _pyvrp_round(
                    model,
                    data,
                    restricted,
                    _task_routes(model, start),
                    moves_from,
                    moves_end,
                    seed,
                    patience=REPIN_PATIENCE,
                )
            except Exception:  # a failed move: the plan stands (tests cover the parts)
                moved = None
            if moved is not None and time.perf_counter() < end:
                descent = _search_parameters(max(0.05, end - time.perf_counter()))
                descent.local_search_metaheuristic = (
                    routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
                )
                moved = _search_on(model, moved, descent, end)
            if moved is not None and moved.ObjectiveValue() < cost:
                _log.debug("re-pin: %s -> %s", cost, moved.ObjectiveValue())
                return moved
        return None


#: Rounds of :func:`_improve` in a row that gain nothing before the best plan is kicked
#: (:func:`_kicked`), when at least :data:`KICK_LEAST_ROUNDS` shortest rounds are left: one
#: (two in the fourteenth round; docs/benchmarks.md, fifteenth round).
KICK_AFTER_ROUNDS = 1
KICK_LEAST_ROUNDS = 3
#: Share of the tasks a kick takes out (at least :data:`KICK_LEAST_TASKS`), with the
#: tasks tied to them.
KICK_SHARE = 0.1
KICK_LEAST_TASKS = 4
#: Tasks a kick takes out in a phase's last rounds (fewer than :data:`KICK_LEAST_ROUNDS`
#: shortest rounds left), with the tasks tied to them: small enough for one round to repair.
LATE_KICK_TASKS = KICK_LEAST_TASKS


def _kicked(
    model: _Model, data: RoutingInput, best: Any, rng: random.Random, size: int | None = None
) -> Any:
    """``best`` with a neighbourhood of tasks taken out (:func:`rounds._pairs.ruin`), or ``None``.

    Rounds where neither PyVRP nor the pair moves nor local search gain anything leave a
    plan whose pairs are pinned where the search cannot move them; taking out the tasks
    nearest a random task, pairs whole, lets the next rounds put them back around new
    minutes (PyVRP routes the rest around the pairs left, the pair moves put the pairs in).
    The rounds go on from the kicked plan; :func:`_improve` keeps the best plan apart.
    ``size`` tasks are taken out (with the tasks tied to them); by default
    :data:`KICK_SHARE` of those done, at least :data:`KICK_LEAST_TASKS`.
    """
    routes = _task_routes(model, best)
    done = [t for route in routes for t in route]
    if not done:
        return None
    if size is None:
        size = max(KICK_LEAST_TASKS, round(KICK_SHARE * len(done)))
    seed = rng.choice(done)
    kicked = _restore_tasks(model, _pairs.ruin(data, routes, seed, size))
    _log.debug("kick around task %d: %s -> %s", seed, best.ObjectiveValue(), _cost(kicked))
    return kicked


#: Whether every other kick of a phase of :func:`_improve` (the first, the third...)
#: re-pins a neighbourhood of pairs at drawn minutes (:func:`_repin_kicked`) instead of
#: taking tasks out (:func:`_kicked`).
REPIN_KICKS = True
#: Share of the plan's pairs a re-pin kick draws new minutes for (at least
#: :data:`REPIN_KICK_LEAST_PAIRS`): those nearest a random pair.
REPIN_KICK_SHARE = 0.2
REPIN_KICK_LEAST_PAIRS = 2


def _repin_kicked(
    model: _Model, data: RoutingInput, best: Any, rng: random.Random, seconds: float
) -> Any:
    """``best`` with a neighbourhood of pairs re-pinned at drawn minutes, or ``None``.

    The best plan found can differ from ``best`` in the minutes of many pairs at once, where
    no move of one pair (:class:`_Repins`, :func:`_move_pairs`) gains anything alone. The
    pairs nearest a random pair (by travel minutes from its first task) get minutes drawn
    within their windows (:func:`rounds._pairs.drawn_starts`); PyVRP routes the plan
    around the new pins for about half of ``seconds`` (with a seed drawn from ``rng``, one
    no round's search has), starting from ``best`` less those pairs, and the pair moves
    put in what it left out (:func:`_pyvrp_round`). The rounds go on from the kicked plan,
    which may cost more; :func:`_improve` keeps the best plan apart.
    """
    starts = _starts(model, best)
    pairs = [p for p in _pairs.pairs_of(data) if p.first in starts and p.second in starts]
    if not pairs:
        return None
    origin = rng.choice(pairs).first
    size = max(REPIN_KICK_LEAST_PAIRS, round(REPIN_KICK_SHARE * len(pairs)))
    near = _pairs.nearest_first(data, origin, pairs, lambda p: p.first)
    pins, moved = dict(starts), []
    for pair in near[:size]:
        minutes = _pairs.drawn_starts(data, pair, rng)
        if minutes is not None:
            pins[pair.first], pins[pair.second] = minutes
            moved += [pair.first, pair.second]
    if not moved:
        return None
    restricted = _pyvrp.around(data, pins, PAIR_SLACK_MIN)
    plan = _pairs.without(data, _task_routes(model, best), moved)
    now = time.perf_counter()
    try:
        kicked = _pyvrp_round(
            model,
            data,
            restricted,
            plan,
            now + REPIN_SHARE * seconds,
            now + seconds,
            rng.randrange(2**31),
            patience=REPIN_PATIENCE,
        )
    except Exception:  # a failed kick: no kick (tests cover the parts)
        kicked = None
    _log.debug(
        "re-pin kick of %d pairs: %s -> %s", len(moved) // 2, best.ObjectiveValue(), _cost(kicked)
    )
    return kicked


#: Candidates of each pair :func:`_move_pairs` prices exactly (the best estimates).
PAIR_CANDIDATES = 3
#: Most of a round of :func:`_improve` the pair moves may take.
PAIR_MOVES_SHARE = 0.25


def _move_pairs(
    model: _Model, data: RoutingInput, solution: Any, deadline: float, seed: int = 0
) -> Any:
    """Move pairs of tasks as one (:mod:`rounds._pairs`) while a move makes the plan cheaper.

    In passes over every pair: first the pairs the plan leaves undone (or half done), which
    local search cannot put in one task at a time, then the latest first (as late as the pass
    began), pairs equally late in an order drawn from ``seed`` and the plan's cost (a round
    that ends before the pass does leaves other pairs for the next); each candidate is
    restored and priced on ``model``, and the first that costs less than the plan is kept.
    Each pass begins with the undone tasks in no pair (:func:`rounds._pairs.insertions`): a
    position that delays a pair's task is one local search cannot take (the partner must
    move too), and a first plan with pairs pinned may leave such a task out. Stops at
    ``deadline`` or after a pass in which no move helps. Returns the best plan.
    """
    pairs = _pairs.pairs_of(data)
    if not pairs:
        return solution
    in_pairs = {t for p in pairs for t in (p.first, p.second)}
    cost = solution.ObjectiveValue()
    draw = random.Random(f"{seed}:{cost}")
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        moves = _pairs.Moves(data, _timed_routes(model, solution))
        for task in range(len(data.tasks)):
            if task in moves.starts or task in in_pairs or time.perf_counter() >= deadline:
                continue
            for routes in moves.insertions(task, limit=PAIR_CANDIDATES):
                moved = _restore_tasks(model, routes)
                if moved is not None and moved.ObjectiveValue() < cost:
                    solution, cost, improved = moved, moved.ObjectiveValue(), True
                    moves = _pairs.Moves(data, _timed_routes(model, solution))
                    break
        starts = moves.starts
        urgency = {
            p: (
                p.first in starts and p.second in starts,
                -_pairs.lateness(data, p, starts),
                draw.random(),
            )
            for p in pairs
        }
        for pair in sorted(pairs, key=urgency.__getitem__):
            if time.perf_counter() >= deadline:
                break
            for routes in moves.relocations(pair, limit=PAIR_CANDIDATES):
                moved = _restore_tasks(model, routes)
                if moved is not None and moved.ObjectiveValue() < cost:
                    solution, cost, improved = moved, moved.ObjectiveValue(), True
                    moves = _pairs.Moves(data, _timed_routes(model, solution))
                    break
    return solution
