"""Continuity over a week: the demo borough's packages for seven days, solved with and
without the continuity objective, reporting how many distinct carers each client sees.

Run from the repository root::

    flock /tmp/rounds-bench.lock python benchmarks/continuity_week.py --time-limit 60

The week is made from the bundled demo day (``data/demo/problem.json``): every package's calls
repeat on each of seven days, and every carer works their shift on each day but may work at
most five days in seven (two days off). Nothing here is tuned to the demo: any problem file
with one day of calls can be given with ``--problem``.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

from rounds import Problem, check, solve
from rounds.io import demo_problem_path, load_problem


def week_of(day: Problem, days: int = 7, days_worked: int = 5) -> Problem:
    """Repeat ``day``'s calls and shifts on ``days`` consecutive days."""

    def shifted(delta: timedelta) -> dict[str, object]:
        return {"days": delta}

    packages = []
    for package in day.packages:
        calls = []
        for d in range(days):
            delta = timedelta(days=d)
            for v in package.visits:
                calls.append(
                    v.model_copy(
                        update={
                            "id": f"{v.id}-d{d + 1}",
                            "earliest_start": v.earliest_start + delta,
                            "latest_start": v.latest_start + delta,
                            "preferred_start": None
                            if v.preferred_start is None
                            else v.preferred_start + delta,
                            "preferred_end": None
                            if v.preferred_end is None
                            else v.preferred_end + delta,
                        }
                    )
                )
        packages.append(package.model_copy(update={"visits": tuple(calls)}))
    carers = []
    for carer in day.carers:
        shifts = tuple(
            s.model_copy(
                update={
                    "start": s.start + timedelta(days=d),
                    "end": s.end + timedelta(days=d),
                    "breaks": tuple(
                        b.model_copy(
                            update={
                                "earliest_start": b.earliest_start + timedelta(days=d),
                                "latest_start": b.latest_start + timedelta(days=d),
                            }
                        )
                        for b in s.breaks
                    ),
                }
            )
            for d in range(days)
            for s in carer.shifts
        )
        carers.append(
            carer.model_copy(update={"shifts": shifts, "max_working_days_per_week": days_worked})
        )
    # Revalidate the whole week through the public model.
    data = day.model_dump(mode="json")
    data["name"] = f"{day.name} — a week"
    data["packages"] = [p.model_dump(mode="json") for p in packages]
    data["carers"] = [c.model_dump(mode="json") for c in carers]
    return Problem.model_validate(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", type=Path, default=None, help="a one-day problem JSON")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weight", type=int, default=2000, help="continuity weight")
    args = parser.parse_args()
    day = load_problem(args.problem or demo_problem_path())
    week = week_of(day)
    print(
        f"{week.name}: {sum(len(p.visits) for p in week.packages)} visits, "
        f"{sum(len(c.shifts) for c in week.carers)} shifts"
    )
    print(
        "| continuity weight | visits allocated | carers per client | main two carers' share "
        "| travel min | paid min | checker | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for weight in (0, args.weight):
        problem = week.model_copy(
            update={"weights": week.weights.model_copy(update={"continuity": weight})}
        )
        started = time.perf_counter()
        plan = solve(problem, time_limit_s=args.time_limit, seed=args.seed)
        wall = time.perf_counter() - started
        k = plan.kpis
        print(
            f"| {weight} | {k.visits} of {k.visits + k.visits_unallocated} "
            f"| {k.carers_per_client:.2f} | {k.main_carers_share:.0%} | {k.travel_min} "
            f"| {k.paid_min} | {len(check(problem, plan))} violations | {wall:.1f} |"
        )


if __name__ == "__main__":
    main()
