"""Turn a VRPTW instance into a rounds :class:`~rounds.Problem`, and a plan back into routes.

Everything goes through rounds' public model: the depot is every carer's start and end point,
each customer is a client with a one-visit package, each vehicle is a carer with one shift and a
capacity, and travel comes as a :class:`~rounds.GivenMatrix` naming places by id.

One tenth of a Solomon unit is one minute (:data:`benchmarks.instances.SCALE`), so windows,
service times and the integer arc matrix are exact whole minutes; the matrix is given in
seconds (minutes x 60) so rounds' "round to the second, then up to the minute" is exact.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from benchmarks.instances import SCALE, Convention, Instance
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

ORIGIN = datetime(2025, 1, 6)
MODE = "drive"
#: Cost of one vehicle in the hierarchical convention, in tenths of distance: more than any
#: total distance of these sets (Homberger 200 totals stay below 10**5 tenths).
VEHICLE_COST = 10**6
#: Cost of leaving a customer out: more than a vehicle, so nothing is dropped to save one.
UNALLOCATED_COST = 10**8


def client_id(node: int) -> str:
    return f"n{node:04d}"


def node_of(client: str) -> int:
    return int(client.removeprefix("n"))


def carer_id(k: int) -> str:
    return f"v{k:03d}"


def _location(x: int, y: int) -> Location:
    # Only for display; travel comes from the given matrix.
    return Location(lat=50.0 + y * 1e-3, lon=-1.0 + x * 1e-3)


def _at(units: int) -> datetime:
    return ORIGIN + timedelta(minutes=units * SCALE)


def weights_for(convention: Convention) -> ObjectiveWeights:
    """Objective of each convention: travel only, or a vehicle cost first."""
    return ObjectiveWeights(
        unallocated=UNALLOCATED_COST,
        travel_per_min=1,
        paid_per_min=0,
        round_fixed=VEHICLE_COST if convention == "hierarchical" else 0,
    )


def to_problem(instance: Instance, convention: Convention) -> Problem:
    """The rounds problem of ``instance`` under ``convention``."""
    if any(s <= 0 for s in instance.service[1:]):
        raise ValueError(f"{instance.name}: rounds needs service times of at least a minute")
    depot = _location(*instance.xy[0])
    shift = Shift(start=_at(instance.ready[0]), end=_at(instance.due[0]))
    carers = tuple(
        Carer(
            id=carer_id(k),
            start_location=depot,
            shifts=(shift,),
            travel_mode=MODE,
            capacity=instance.capacity,
        )
        for k in range(instance.vehicles)
    )
    nodes = range(1, len(instance.xy))
    clients = tuple(Client(id=client_id(i), location=_location(*instance.xy[i])) for i in nodes)
    packages = tuple(
        Package(
            id=f"p{i:04d}",
            client_id=client_id(i),
            visits=(
                Visit(
                    id=f"visit{i:04d}",
                    earliest_start=_at(instance.ready[i]),
                    latest_start=_at(instance.due[i]),
                    duration_min=instance.service[i] * SCALE,
                    demand=instance.demand[i],
                ),
            ),
        )
        for i in nodes
    )
    # Place order: clients, then every carer at the depot (node 0).
    place_nodes = [*nodes, *([0] * instance.vehicles)]
    place_ids = (*(c.id for c in clients), *(c.id for c in carers))
    arcs = instance.arcs(convention)[[[i] for i in place_nodes], place_nodes]
    matrix = GivenMatrix(
        travel_mode=MODE,
        place_ids=place_ids,
        durations_s=tuple(tuple(float(60 * a) for a in row) for row in arcs.tolist()),
        distances_m=tuple(tuple(float(a) for a in row) for row in arcs.tolist()),
    )
    return Problem(
        name=f"{instance.name} ({convention})",
        carers=carers,
        clients=clients,
        packages=packages,
        travel=TravelSettings(matrices=(matrix,)),
        weights=weights_for(convention),
    )


def plan_routes(plan: Plan) -> list[list[int]]:
    """The customer nodes of each non-empty round of ``plan``, in order."""
    return [[node_of(s.client_id) for s in r.stops] for r in plan.rounds if r.stops]
