"""Key performance indicators of rounds and plans.

The same names appear at round and plan level (:class:`rounds.plan.Kpis`); every plan figure is
the sum of the round figures, except ``travel_share`` which is the ratio of the sums. Plans add
figures only a whole plan has: punctuality, continuity and workload balance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from rounds.models import Problem
from rounds.plan import Kpis, PlanKpis, Round, Stop, TakenBreak

__all__ = ["minutes_between", "plan_kpis", "round_kpis"]


def minutes_between(a: datetime, b: datetime) -> int:
    """Whole minutes from ``a`` to ``b`` (rounded to the nearest minute)."""
    return round((b - a) / timedelta(minutes=1))


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole > 0 else 0.0


def round_kpis(
    problem: Problem,
    *,
    carer_id: str,
    start: datetime,
    end: datetime,
    stops: Sequence[Stop],
    breaks: Sequence[TakenBreak],
    travel_to_end_min: int,
    travel_to_end_m: int,
) -> Kpis:
    """KPIs of one round from its stops, breaks and last leg."""
    unpaid = sum(minutes_between(b.start, b.end) for b in breaks if not b.paid)
    paid = minutes_between(start, end) - unpaid
    travel = sum(s.travel_min for s in stops) + (travel_to_end_min if stops else 0)
    late = on_time = worst = 0
    for s in stops:
        visit = problem.visit_by_id[s.visit_id]
        lateness = max(0, minutes_between(visit.agreed_end, s.start))
        late += lateness
        worst = max(worst, lateness)
        on_time += visit.agreed_start <= s.start <= visit.agreed_end
    return Kpis(
        visits=len(stops),
        visit_min=sum(minutes_between(s.start, s.end) for s in stops),
        travel_min=travel,
        travel_m=sum(s.travel_m for s in stops) + (travel_to_end_m if stops else 0),
        wait_min=sum(s.wait_min for s in stops),
        break_min=sum(minutes_between(b.start, b.end) for b in breaks),
        paid_min=paid,
        travel_share=_share(travel, paid),
        lateness_min=late,
        on_time=on_time,
        max_lateness_min=worst,
        cost=round(paid / 60 * problem.carer_by_id[carer_id].hourly_cost, 2),
    )


def plan_kpis(problem: Problem, rounds: Sequence[Round], visits_unallocated: int) -> PlanKpis:
    """Plan KPIs: round KPIs summed, plus punctuality, continuity and balance."""
    k = [r.kpis for r in rounds]
    travel, paid = sum(x.travel_min for x in k), sum(x.paid_min for x in k)
    visits, on_time = sum(x.visits for x in k), sum(x.on_time for x in k)

    seen_by: dict[str, Counter[str]] = defaultdict(Counter)
    paid_by: Counter[str] = Counter()
    for r in rounds:
        paid_by[r.carer_id] += r.kpis.paid_min
        for s in r.stops:
            seen_by[s.client_id][r.carer_id] += 1
    main = sum(sum(n for _, n in c.most_common(2)) for c in seen_by.values())
    spread = [paid_by[c.id] for c in problem.carers]
    shortfall = sum(
        max(0, c.guaranteed_min - paid_by[c.id])
        for c in problem.carers
        if c.guaranteed_min is not None
    )
    return PlanKpis(
        visits=visits,
        visit_min=sum(x.visit_min for x in k),
        travel_min=travel,
        travel_m=sum(x.travel_m for x in k),
        wait_min=sum(x.wait_min for x in k),
        break_min=sum(x.break_min for x in k),
        paid_min=paid,
        travel_share=_share(travel, paid),
        lateness_min=sum(x.lateness_min for x in k),
        on_time=on_time,
        max_lateness_min=max((x.max_lateness_min for x in k), default=0),
        cost=round(sum(x.cost for x in k), 2),
        visits_unallocated=visits_unallocated,
        rounds=len(rounds),
        carers=len(paid_by),
        punctuality=_share(on_time, visits) if visits else 1.0,
        carers_per_client=round(sum(len(c) for c in seen_by.values()) / len(seen_by), 4)
        if seen_by
        else 0.0,
        main_carers_share=_share(main, visits) if visits else 1.0,
        paid_min_spread=max(spread) - min(spread) if spread else 0,
        guaranteed_shortfall_min=shortfall,
    )
