"""An independent VRPTW feasibility checker and cost function.

It shares nothing with the solvers: it recomputes every distance from the coordinates itself
(``math.isqrt`` for DIMACS' truncated tenths, ``math.hypot`` in double precision for the
hierarchical convention) and replays each route from the depot: every customer served exactly
once, load within capacity, service starting inside each window (waiting allowed), back at the
depot by its due date, no more routes than vehicles.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.instances import Convention, Instance

TOLERANCE = 1e-6
"""Slack for double-precision time comparisons (hierarchical convention only)."""


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking one solution."""

    feasible: bool
    cost: float
    """Total distance in Solomon units (DIMACS: exact to 0.1; hierarchical: rounded to 2 dp)."""
    vehicles: int
    errors: tuple[str, ...] = field(default=())


def check_routes(
    instance: Instance, convention: Convention, routes: Sequence[Sequence[int]]
) -> Verdict:
    """Check ``routes`` (customer node numbers, depot omitted) against ``instance``."""
    routes = [list(r) for r in routes if len(r)]
    errors: list[str] = []
    n = instance.n_customers
    seen = Counter(c for r in routes for c in r)
    bad = sorted(c for c in seen if not 1 <= c <= n)
    if bad:
        errors.append(f"unknown customers {bad[:5]}")
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing:
        errors.append(f"{len(missing)} customer(s) not served, e.g. {missing[:5]}")
    twice = sorted(c for c, k in seen.items() if k > 1)
    if twice:
        errors.append(f"customer(s) served more than once: {twice[:5]}")
    if len(routes) > instance.vehicles:
        errors.append(f"{len(routes)} routes but only {instance.vehicles} vehicles")
    if bad:
        return Verdict(False, math.inf, len(routes), tuple(errors))

    # DIMACS: exact integer arithmetic in tenths; hierarchical: double precision.
    exact = convention == "dimacs"
    unit = 10 if exact else 1
    tol = 0.0 if exact else TOLERANCE

    def arc(i: int, j: int) -> float:
        (xi, yi), (xj, yj) = instance.xy[i], instance.xy[j]
        if exact:
            return math.isqrt(100 * ((xi - xj) ** 2 + (yi - yj) ** 2))
        return math.hypot(xi - xj, yi - yj)

    total: float = 0
    for k, route in enumerate(routes):
        load = sum(instance.demand[c] for c in route)
        if load > instance.capacity:
            errors.append(f"route {k}: load {load} > capacity {instance.capacity}")
        t: float = instance.ready[0] * unit
        prev = 0
        for c in [*route, 0]:
            d = arc(prev, c)
            total += d
            arrive = t + d
            if c == 0:
                if arrive > instance.due[0] * unit + tol:
                    errors.append(
                        f"route {k}: back at the depot at {arrive / unit:g} > {instance.due[0]}"
                    )
                break
            start = max(arrive, instance.ready[c] * unit)
            if start > instance.due[c] * unit + tol:
                errors.append(
                    f"route {k}: customer {c} starts at {start / unit:g} > due {instance.due[c]}"
                )
            t = start + instance.service[c] * unit
            prev = c
    cost = total / 10 if exact else round(total, 2)
    return Verdict(not errors, cost, len(routes), tuple(errors))
