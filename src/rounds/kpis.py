"""Key performance indicators of rounds and plans.

The same names appear at round and plan level (:class:`rounds.plan.Kpis`); every plan figure is
the sum of the round figures, except ``travel_share`` which is the ratio of the sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from rounds.plan import Kpis, PlanKpis, Round, Stop

__all__ = ["minutes_between", "plan_kpis", "round_kpis"]


def minutes_between(a: datetime, b: datetime) -> int:
    """Whole minutes from ``a`` to ``b`` (rounded to the nearest minute)."""
    return round((b - a) / timedelta(minutes=1))


def _share(travel_min: int, paid_min: int) -> float:
    return round(travel_min / paid_min, 4) if paid_min > 0 else 0.0


def round_kpis(
    *,
    start: datetime,
    end: datetime,
    stops: Sequence[Stop],
    travel_to_end_min: int,
    travel_to_end_m: int,
    hourly_cost: float,
    latest_start: Mapping[str, datetime],
) -> Kpis:
    """KPIs of one round from its stops and the last leg.

    Parameters
    ----------
    start, end
        When the carer leaves the start point and reaches the end point.
    stops
        The round's stops, in order.
    travel_to_end_min, travel_to_end_m
        The last leg, from the final visit to the end point.
    hourly_cost
        The carer's cost per paid hour.
    latest_start
        Latest agreed start of each visit, keyed by visit id, for lateness.
    """
    paid = minutes_between(start, end)
    travel = sum(s.travel_min for s in stops) + (travel_to_end_min if stops else 0)
    late = sum(max(0, minutes_between(latest_start[s.visit_id], s.start)) for s in stops)
    return Kpis(
        visits=len(stops),
        visit_min=sum(minutes_between(s.start, s.end) for s in stops),
        travel_min=travel,
        travel_m=sum(s.travel_m for s in stops) + (travel_to_end_m if stops else 0),
        wait_min=sum(s.wait_min for s in stops),
        paid_min=paid,
        travel_share=_share(travel, paid),
        lateness_min=late,
        cost=round(paid / 60 * hourly_cost, 2),
    )


def plan_kpis(rounds: Sequence[Round], visits_unallocated: int) -> PlanKpis:
    """Plan KPIs: round KPIs summed, plus the plan-only counts."""
    k = [r.kpis for r in rounds]
    travel, paid = sum(x.travel_min for x in k), sum(x.paid_min for x in k)
    return PlanKpis(
        visits=sum(x.visits for x in k),
        visit_min=sum(x.visit_min for x in k),
        travel_min=travel,
        travel_m=sum(x.travel_m for x in k),
        wait_min=sum(x.wait_min for x in k),
        paid_min=paid,
        travel_share=_share(travel, paid),
        lateness_min=sum(x.lateness_min for x in k),
        cost=round(sum(x.cost for x in k), 2),
        visits_unallocated=visits_unallocated,
        rounds=len(rounds),
        carers=len({r.carer_id for r in rounds}),
    )
