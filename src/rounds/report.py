"""Plain-text summaries of plans, for terminals and notebooks."""

from __future__ import annotations

from collections import Counter

from rounds.plan import Plan

__all__ = ["summary"]


def _hm(minutes: int) -> str:
    return f"{minutes // 60}h{minutes % 60:02d}"


def summary(plan: Plan) -> str:
    """A readable summary: headline KPIs, one line per round, and the unallocated visits."""
    k = plan.kpis
    done = len({s.visit_id for r in plan.rounds for s in r.stops})
    doubles = k.visits - done  # a double-up is one visit but two carer-visits
    lines = [
        f"{plan.problem_name or 'Plan'}",
        f"  visits allocated   {done} of {done + k.visits_unallocated}"
        + (f" ({k.visits_unallocated} unallocated)" if k.visits_unallocated else "")
        + (f"; {doubles} double-ups" if doubles else ""),
        f"  punctuality        {k.punctuality:.0%} start in the agreed window"
        + (f", {k.lateness_min} min late in all" if k.lateness_min else ""),
        f"  rounds             {k.rounds} (by {k.carers} carers)",
        f"  care delivered     {_hm(k.visit_min)}",
        f"  travel             {_hm(k.travel_min)}, {k.travel_m / 1000:.1f} km "
        f"({k.travel_share:.0%} of paid time)",
        f"  waiting            {_hm(k.wait_min)}",
        f"  paid time          {_hm(k.paid_min)}, cost £{k.cost:,.2f}",
        "",
        f"  {'carer':<10}{'mode':<8}{'from':>6}{'to':>7}{'visits':>8}{'travel':>8}"
        f"{'km':>6}{'paid':>7}{'travel %':>10}",
    ]
    for r in sorted(plan.rounds, key=lambda r: (r.start, r.carer_id)):
        rk = r.kpis
        lines.append(
            f"  {r.carer_id:<10}{r.travel_mode:<8}{r.start:%H:%M}".ljust(26)
            + f"{r.end:%H:%M}".rjust(7)
            + f"{rk.visits:>8}{_hm(rk.travel_min):>8}{rk.travel_m / 1000:>6.1f}"
            + f"{_hm(rk.paid_min):>7}{rk.travel_share:>10.0%}"
        )
    if plan.unallocated:
        reasons = Counter(u.reason for u in plan.unallocated)
        lines += ["", "  unallocated: " + ", ".join(f"{n} {r}" for r, n in reasons.items())]
        lines += [f"    {u.visit_id}: {u.message}" for u in plan.unallocated]
    if plan.solver is not None:
        s = plan.solver
        lines += [
            "",
            f"  solved in {s.wall_time_s:.1f} s (limit {s.time_limit_s:g} s, seed {s.seed}); "
            f"status {s.status}; travel from {s.travel_source}",
        ]
    return "\n".join(lines)
