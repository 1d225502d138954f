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

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

__all__ = ["RoutingInput", "RoutingResult", "TaskSpec", "VehicleSpec", "solve_routing"]

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


@dataclass(frozen=True)
class RoutingInput:
    """Everything the routing engine needs, as plain data."""

    travel_min: Sequence[IntArray]
    """Per travel mode, a place x place matrix of whole travel minutes."""
    vehicles: Sequence[VehicleSpec]
    tasks: Sequence[TaskSpec]
    synchronised: Sequence[tuple[int, int]] = ()
    """Pairs of task indices that are done together: same start, different vehicles, both
    or neither."""
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


_STATUS = {
    value: name.removeprefix("ROUTING_").lower()
    for name, value in routing_enums_pb2.RoutingSearchStatus.Value.items()
}


def _horizon(data: RoutingInput) -> int:
    ends = [v.latest_end for v in data.vehicles] + [t.latest + t.service for t in data.tasks]
    return max([1, *ends]) + 1


def _search_parameters(time_limit_s: float) -> Any:
    """Search strategy: cheapest insertion, then guided local search until the time limit."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    return params


def solve_routing(data: RoutingInput) -> RoutingResult:
    """Build the OR-Tools model for ``data``, solve it within its time limit, read it back."""
    started = time.perf_counter()
    n_tasks, n_vehicles = len(data.tasks), len(data.vehicles)
    empty_routes: tuple[tuple[tuple[int, int], ...], ...] = tuple(() for _ in data.vehicles)
    if n_vehicles == 0 or n_tasks == 0:
        idle = tuple(v.earliest_start for v in data.vehicles)
        return RoutingResult(empty_routes, idle, idle, "optimal", 0)

    # Node layout: a seeded permutation of the tasks first, then a start and an end node per
    # vehicle. The permutation is the seed's effect: OR-Tools' heuristics break ties by order.
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

    # Transit and cost matrices, registered once per travel mode (and cost class).
    node_travel = [np.asarray(m)[np.ix_(place, place)] for m in data.travel_min]
    transit_ids = [
        routing.RegisterTransitMatrix((t + service[:, None]).tolist()) for t in node_travel
    ]
    cost_ids: dict[tuple[int, int], int] = {}
    for v, spec in enumerate(data.vehicles):
        key = (spec.mode, spec.travel_cost)
        if key not in cost_ids:
            cost_ids[key] = routing.RegisterTransitMatrix(
                (node_travel[spec.mode] * spec.travel_cost).tolist()
            )
        routing.SetArcCostEvaluatorOfVehicle(cost_ids[key], v)
        if spec.fixed_cost:
            routing.SetFixedCostOfVehicle(spec.fixed_cost, v)

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
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))

    if any(t.demand for t in data.tasks):
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

    all_vehicles = set(range(n_vehicles))
    for t, task in enumerate(data.tasks):
        index = manager.NodeToIndex(node_of_task[t])
        time_dim.CumulVar(index).SetRange(task.earliest, max(task.earliest, task.latest))
        allowed = set(task.allowed_vehicles) & all_vehicles
        if allowed != all_vehicles:
            # -1 stays allowed: an optional task may be left undone.
            routing.VehicleVar(index).SetValues([-1, *sorted(allowed)])
        routing.AddDisjunction([index], task.penalty)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(index))

    for a, b in data.synchronised:
        ia, ib = manager.NodeToIndex(node_of_task[a]), manager.NodeToIndex(node_of_task[b])
        solver.Add(routing.ActiveVar(ia) == routing.ActiveVar(ib))
        solver.Add(time_dim.CumulVar(ia) == time_dim.CumulVar(ib))
        # Different vehicles when active (ordered to break symmetry); both -1 when inactive.
        solver.Add(routing.VehicleVar(ia) < routing.VehicleVar(ib) + 1 - routing.ActiveVar(ia))

    remaining = max(0.05, data.time_limit_s - (time.perf_counter() - started))
    params = _search_parameters(remaining)

    solution = routing.SolveWithParameters(params)
    if solution is None:
        # Every task is optional, so "no route at all" is always feasible: start from it.
        remaining = max(0.05, data.time_limit_s - (time.perf_counter() - started))
        params.time_limit.FromMilliseconds(int(remaining * 1000))
        empty = routing.ReadAssignmentFromRoutes([[] for _ in range(n_vehicles)], True)
        if empty is not None:
            solution = routing.SolveFromAssignmentWithParameters(empty, params)
    status = _STATUS.get(routing.status(), str(routing.status()))
    if solution is None:
        departures = tuple(v.earliest_start for v in data.vehicles)
        return RoutingResult(empty_routes, departures, departures, status, None)

    routes: list[tuple[tuple[int, int], ...]] = []
    vehicle_start: list[int] = []
    vehicle_end: list[int] = []
    for v in range(n_vehicles):
        index = routing.Start(v)
        vehicle_start.append(solution.Value(time_dim.CumulVar(index)))
        stops: list[tuple[int, int]] = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            task = task_of_node[manager.IndexToNode(index)]
            stops.append((task, solution.Value(time_dim.CumulVar(index))))
            index = solution.Value(routing.NextVar(index))
        vehicle_end.append(solution.Value(time_dim.CumulVar(index)))
        routes.append(tuple(stops))
    return RoutingResult(
        tuple(routes),
        tuple(vehicle_start),
        tuple(vehicle_end),
        status,
        int(solution.ObjectiveValue()),
    )
