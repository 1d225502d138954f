"""Small hand-checkable problems shared by the tests."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from rounds import Carer, Client, Location, Package, Plan, Problem, Round, Shift, Visit

# Hypothesis profiles: the default run stays fast; HYPOTHESIS_PROFILE=stress (``nox -s stress``)
# runs every property test with at least 10,000 examples.
settings.register_profile(
    "stress",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DAY = datetime(2025, 3, 10)
LAT0, LON0 = 51.54, -0.19
M_PER_DEG_LAT = 111_195.0


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def loc(east_m: float, north_m: float = 0.0) -> Location:
    """A location ``east_m`` / ``north_m`` metres from a fixed point in Kilburn."""
    return Location(
        lat=LAT0 + north_m / M_PER_DEG_LAT,
        lon=LON0 + east_m / (M_PER_DEG_LAT * math.cos(math.radians(LAT0))),
    )


def visit(
    vid: str, start: tuple[int, int], end: tuple[int, int], duration: int = 30, **kw: object
) -> Visit:
    return Visit(
        id=vid, earliest_start=at(*start), latest_start=at(*end), duration_min=duration, **kw
    )


def carer(cid: str, where: Location, shift: tuple[int, int] = (7, 15), **kw: object) -> Carer:
    return Carer(
        id=cid,
        start_location=where,
        shifts=(Shift(start=at(shift[0]), end=at(shift[1])),),
        **kw,
    )


def one_visit_packages(
    clients: dict[str, Location], visits: dict[str, Visit]
) -> tuple[tuple[Client, ...], tuple[Package, ...]]:
    """Clients and one package per client, each with the given visit (keyed by client id)."""
    cs = tuple(Client(id=k, location=v) for k, v in clients.items())
    ps = tuple(Package(id=f"P-{k}", client_id=k, visits=(v,)) for k, v in visits.items())
    return cs, ps


@pytest.fixture
def line_problem() -> Problem:
    """A walker goes from home (0 m) to an office 2 km east; three clients lie between.

    Clients zig-zag 150 m north and south of the line at 500, 1000 and 1500 m, so the only
    shortest round is A (500 m) -> B (1000 m) -> C (1500 m).
    """
    clients = {"A": loc(500, 150), "B": loc(1000, -150), "C": loc(1500, 150)}
    visits = {k: visit(f"V-{k}", (8, 0), (12, 0)) for k in ("C", "A", "B")}
    cs, ps = one_visit_packages(clients, visits)
    walker = Carer(
        id="K1",
        start_location=loc(0),
        end_location=loc(2000),
        shifts=(Shift(start=at(7), end=at(15)),),
        hourly_cost=12.6,
    )
    return Problem(name="line", carers=(walker,), clients=cs, packages=ps)


@pytest.fixture
def small_problem() -> Problem:
    """Two walkers, six clients within 600 m, eleven visits over a day, no tricks."""
    return make_small_problem()


def make_small_problem() -> Problem:
    """The ``small_problem`` fixture as a plain function (for module-scoped fixtures)."""
    spots = {f"C{i}": loc(100 * i, 60 * ((-1) ** i) * i) for i in range(1, 7)}
    clients = tuple(Client(id=k, location=v) for k, v in spots.items())
    packages = []
    for i, cid in enumerate(spots, start=1):
        calls = [visit(f"{cid}-AM", (7, 30), (9, 30), 45 if i % 2 else 30)]
        if i <= 5:
            calls.append(
                visit(f"{cid}-PM", (12, 0), (13, 30), 30, skills=("medication",) if i == 1 else ())
            )
        packages.append(Package(id=f"P-{cid}", client_id=cid, visits=tuple(calls)))
    carers = (
        carer("K1", loc(0), (7, 15), skills=("medication",), hourly_cost=13.0, max_working_min=480),
        carer("K2", loc(300, 300), (7, 15), hourly_cost=12.6),
    )
    return Problem(name="small", carers=carers, clients=clients, packages=tuple(packages))


def all_visit_ids(problem: Problem) -> Iterator[str]:
    for _, v in problem.visits():
        yield v.id


def edit_stop(plan: Plan, visit_id: str, carer_id: str | None = None, /, **changes: Any) -> Plan:
    """A copy of ``plan`` with the stops of ``visit_id`` (of one carer, if given) changed."""

    def fix(r: Round) -> Round:
        if carer_id is not None and r.carer_id != carer_id:
            return r
        stops = tuple(
            s.model_copy(update=changes) if s.visit_id == visit_id else s for s in r.stops
        )
        return r.model_copy(update={"stops": stops})

    return plan.model_copy(update={"rounds": tuple(fix(r) for r in plan.rounds)})
