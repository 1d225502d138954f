"""The solvers compared, each behind one function: instance in, routes out.

* ``rounds`` — the real pipeline: :func:`benchmarks.convert.to_problem`, :func:`rounds.solve`,
  and :func:`rounds.check` on the plan (its violations make the run infeasible).
* ``pyvrp`` — PyVRP's hybrid genetic search (single-threaded), on the same integer matrix.
* ``vroom`` — VROOM via pyvroom (exploration level 5, both cores), on the same matrix.
* ``ortools`` — the floor: OR-Tools' VRPTW tutorial set-up (Python callbacks, PATH_CHEAPEST_ARC,
  guided local search), on the same matrix.

Every solver gets the same integer data (:meth:`Instance.arcs`, tenths) and the same wall-clock
limit, and every answer is checked by :mod:`benchmarks.verify`, not by the solver.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from benchmarks.convert import VEHICLE_COST, plan_routes, to_problem
from benchmarks.instances import SCALE, Convention, Instance

SOLVERS = ("rounds", "pyvrp", "vroom", "ortools")


@dataclass(frozen=True)
class Run:
    """What a solver returned: routes of customer nodes, and the wall time of the call."""

    routes: list[list[int]]
    wall_s: float
    errors: tuple[str, ...] = field(default=())
    """Problems the solver's own checks found (rounds.check), beyond the VRPTW verifier's."""


def _scaled(instance: Instance) -> tuple[list[int], list[int], list[int]]:
    return (
        [r * SCALE for r in instance.ready],
        [d * SCALE for d in instance.due],
        [s * SCALE for s in instance.service],
    )


def run_rounds(instance: Instance, convention: Convention, time_limit_s: float, seed: int) -> Run:
    import rounds

    started = time.perf_counter()
    problem = to_problem(instance, convention)
    plan = rounds.solve(
        problem, time_limit_s=max(0.1, time_limit_s - (time.perf_counter() - started)), seed=seed
    )
    wall = time.perf_counter() - started
    violations = rounds.check(problem, plan)
    errors = tuple(f"rounds.check: {v}" for v in violations[:5])
    if plan.unallocated:
        errors += (f"{len(plan.unallocated)} visit(s) unallocated",)
    return Run(plan_routes(plan), wall, errors)


def run_pyvrp(instance: Instance, convention: Convention, time_limit_s: float, seed: int) -> Run:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    started = time.perf_counter()
    ready, due, service = _scaled(instance)
    arcs = instance.arcs(convention)
    model = pyvrp.Model()
    locations = [model.add_location(x=x, y=y) for x, y in instance.xy]
    model.add_depot(locations[0], tw_early=ready[0], tw_late=due[0])
    model.add_vehicle_type(
        num_available=instance.vehicles,
        capacity=instance.capacity,
        tw_early=ready[0],
        tw_late=due[0],
        fixed_cost=VEHICLE_COST if convention == "hierarchical" else 0,
    )
    for i in range(1, len(instance.xy)):
        model.add_client(
            locations[i],
            delivery=instance.demand[i],
            service_duration=service[i],
            tw_early=ready[i],
            tw_late=due[i],
        )
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            model.add_edge(a, b, distance=int(arcs[i, j]), duration=int(arcs[i, j]))
    remaining = max(0.1, time_limit_s - (time.perf_counter() - started))
    result = model.solve(stop=MaxRuntime(remaining), seed=seed, display=False)
    wall = time.perf_counter() - started
    # Activity indices count clients from 0; clients were added in node order 1..n.
    routes = [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in result.best.routes()]
    errors = () if result.is_feasible() else ("PyVRP reports its best solution infeasible",)
    return Run(routes, wall, errors)


def run_vroom(instance: Instance, convention: Convention, time_limit_s: float, seed: int) -> Run:
    import vroom

    del seed  # VROOM is deterministic
    started = time.perf_counter()
    ready, due, service = _scaled(instance)
    problem = vroom.Input()
    problem.set_durations_matrix("car", instance.arcs(convention).tolist())
    depot_window = vroom.TimeWindow(ready[0], due[0])
    for k in range(instance.vehicles):
        costs = vroom.VehicleCosts(fixed=VEHICLE_COST if convention == "hierarchical" else 0)
        problem.add_vehicle(
            vroom.Vehicle(
                k,
                start=0,
                end=0,
                capacity=[instance.capacity],
                time_window=depot_window,
                costs=costs,
            )
        )
    for i in range(1, len(instance.xy)):
        problem.add_job(
            vroom.Job(
                i,
                location=i,
                default_service=service[i],
                delivery=[instance.demand[i]],
                time_windows=[vroom.TimeWindow(ready[i], due[i])],
            )
        )
    remaining = max(0.1, time_limit_s - (time.perf_counter() - started))
    solution = problem.solve(
        exploration_level=5, nb_threads=2, timeout=timedelta(seconds=remaining)
    )
    wall = time.perf_counter() - started
    steps = solution.routes
    jobs = steps[steps["type"] == "job"]
    routes = [[int(x) for x in group["id"]] for _, group in jobs.groupby("vehicle_id", sort=True)]
    return Run(routes, wall)


def run_ortools(instance: Instance, convention: Convention, time_limit_s: float, seed: int) -> Run:
    """OR-Tools as its VRPTW tutorial sets it up: the floor any OR-Tools user gets."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del seed  # the tutorial set-up has no seed
    started = time.perf_counter()
    ready, due, service = _scaled(instance)
    arcs = instance.arcs(convention).tolist()
    n = len(instance.xy)
    manager = pywrapcp.RoutingIndexManager(n, instance.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def distance(i: int, j: int) -> int:
        return int(arcs[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def travel_time(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(arcs[a][b] + service[a])

    def demand(i: int) -> int:
        return int(instance.demand[manager.IndexToNode(i)])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(distance))
    if convention == "hierarchical":
        routing.SetFixedCostOfAllVehicles(VEHICLE_COST)
    routing.AddDimension(
        routing.RegisterTransitCallback(travel_time), due[0], due[0], False, "Time"
    )
    time_dim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(ready[node], due[node])
    for v in range(instance.vehicles):
        time_dim.CumulVar(routing.Start(v)).SetRange(ready[0], due[0])
        time_dim.CumulVar(routing.End(v)).SetRange(ready[0], due[0])
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(demand),
        0,
        [instance.capacity] * instance.vehicles,
        True,
        "Capacity",
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.1, time_limit_s - (time.perf_counter() - started))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    solution = routing.SolveWithParameters(params)
    wall = time.perf_counter() - started
    if solution is None:
        return Run([], wall, ("OR-Tools found no solution",))
    routes = []
    for v in range(instance.vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return Run(routes, wall)


RUNNERS: dict[str, Callable[[Instance, Convention, float, int], Run]] = {
    "rounds": run_rounds,
    "pyvrp": run_pyvrp,
    "vroom": run_vroom,
    "ortools": run_ortools,
}
