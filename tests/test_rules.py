"""Home-care rules: each changes the plan, and the checker catches its violation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from rounds import (
    Carer,
    Client,
    ObjectiveWeights,
    Package,
    Plan,
    Problem,
    ReasonCode,
    RoundsWarning,
    Shift,
    ViolationCode,
    check,
    solve,
)
from rounds.models import Break, WorkingRules

from conftest import DAY, at, carer, edit_stop, loc, one_visit_packages, visit

MIN = timedelta(minutes=1)


def codes(problem: Problem, plan: Plan) -> set[ViolationCode]:
    return {v.code for v in check(problem, plan)}


def stop_of(plan: Plan, visit_id: str) -> Any:
    return next(s for r in plan.rounds for s in r.stops if s.visit_id == visit_id)


def carer_of(plan: Plan, visit_id: str) -> str:
    return next(r.carer_id for r in plan.rounds for s in r.stops if s.visit_id == visit_id)


# -- 1. double-ups ---------------------------------------------------------------------------


def test_double_up_lead_skill_puts_the_trained_carer_on_the_visit() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(300)},
        {"A": visit("V-A", (9, 0), (10, 0), 45, carers_required=2, lead_skills=("hoist",))},
    )
    carers = (carer("K1", loc(0)), carer("K2", loc(100)), carer("K3", loc(900), skills=("hoist",)))
    problem = Problem(carers=carers, clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    crew = sorted(r.carer_id for r in plan.rounds)
    assert "K3" in crew  # without the lead skill the two nearest (K1, K2) would go
    assert check(problem, plan) == []
    # Swap the hoist-trained carer for the untrained one: the checker objects.
    broken = plan.model_copy(
        update={
            "rounds": tuple(
                r.model_copy(update={"carer_id": "K1" if r.carer_id == "K3" else r.carer_id})
                for r in plan.rounds
            )
        }
    )
    assert any("lead skill" in v.message for v in check(problem, broken))


def test_double_up_tolerance() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(300)},
        {"A": visit("V-A", (9, 0), (10, 0), 30, carers_required=2, sync_tolerance_min=10)},
    )
    problem = Problem(carers=(carer("K1", loc(0)), carer("K2", loc(600))), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert check(problem, plan) == []
    s = stop_of(plan, "V-A")
    late = edit_stop(
        plan, "V-A", "K2", start=s.start + 15 * MIN, end=s.end + 15 * MIN, wait_min=s.wait_min + 15
    )
    found = [v for v in check(problem, late) if v.code == ViolationCode.DOUBLE_UP]
    assert any("more than 10 min apart" in v.message for v in found)


# -- 2. a client's day -----------------------------------------------------------------------


def test_calls_keep_their_minimum_gap() -> None:
    calls = (
        visit("MED-1", (8, 0), (9, 0), 15, personal_care=False),
        visit("MED-2", (9, 0), (14, 0), 15, personal_care=False, min_gap_from_previous_min=240),
    )
    problem = Problem(
        carers=(carer("K1", loc(0)),),
        clients=(Client(id="A", location=loc(200)),),
        packages=(Package(id="P", client_id="A", visits=calls),),
    )
    plan = solve(problem, time_limit_s=1)
    first, second = stop_of(plan, "MED-1"), stop_of(plan, "MED-2")
    assert second.start - first.start >= timedelta(minutes=240)
    assert check(problem, plan) == []
    early = second.start - 60 * MIN
    broken = edit_stop(plan, "MED-2", arrival=early, start=early, end=early + 15 * MIN, wait_min=0)
    assert ViolationCode.GAP in codes(problem, broken)


def test_calls_keep_their_maximum_gap_and_order() -> None:
    calls = (
        visit("LUNCH", (12, 0), (13, 30), 30),
        visit(
            "TEA",
            (13, 0),
            (19, 0),
            30,
            max_gap_from_previous_min=300,
            min_gap_from_previous_min=180,
        ),
    )
    problem = Problem(
        carers=(carer("K1", loc(0), (7, 22)),),
        clients=(Client(id="A", location=loc(200)),),
        packages=(Package(id="P", client_id="A", visits=calls),),
    )
    plan = solve(problem, time_limit_s=1)
    gap = stop_of(plan, "TEA").start - stop_of(plan, "LUNCH").start
    assert timedelta(hours=3) <= gap <= timedelta(hours=5)
    assert check(problem, plan) == []


def test_gap_that_cannot_be_met_is_explained() -> None:
    calls = (
        visit("MED-1", (8, 0), (8, 0), 15, personal_care=False),
        visit("MED-2", (9, 0), (10, 0), 15, personal_care=False, min_gap_from_previous_min=240),
    )
    problem = Problem(
        carers=(carer("K1", loc(0)),),
        clients=(Client(id="A", location=loc(200)),),
        packages=(Package(id="P", client_id="A", visits=calls),),
    )
    plan = solve(problem, time_limit_s=1)
    (out,) = plan.unallocated
    assert out.reason == ReasonCode.GAP_TO_PREVIOUS_CALL
    assert "at least 240 min after the previous call ('MED-1', at 08:00)" in out.message


# -- 3. soft windows -------------------------------------------------------------------------


def test_agreed_window_moves_the_visit_and_is_reported() -> None:
    v = visit("V-A", (8, 0), (11, 0), 30, preferred_start=at(9, 30), preferred_end=at(9, 45))
    cs, ps = one_visit_packages({"A": loc(200)}, {"A": v})
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert at(9, 30) <= stop_of(plan, "V-A").start <= at(9, 45)
    assert plan.kpis.punctuality == 1.0
    assert plan.kpis.lateness_min == 0
    # A plan that starts at 10:00 is legal (inside the hard window) but late, and says so.
    late = solve(
        problem.model_copy(update={"carers": (carer("K1", loc(0), (10, 15)),)}),
        time_limit_s=1,
    )
    assert stop_of(late, "V-A").start >= at(10, 0)
    assert late.kpis.lateness_min >= 15
    assert late.kpis.punctuality == 0.0
    assert (
        check(problem.model_copy(update={"carers": (carer("K1", loc(0), (10, 15)),)}), late) == []
    )


def test_worst_lateness_weight_spreads_lateness() -> None:
    """One carer, three clients next door, all due at once: someone is late.

    Minimising total lateness alone does B, C, A (A 75 min late); pricing the worst lateness
    too does B, A, C (A and C each 45 min late: 15 more in all, 30 less at worst).
    """
    due = {"A": (90, (9, 0)), "B": (45, (9, 0)), "C": (30, (10, 30))}
    visits = {
        k: visit(f"V-{k}", (9, 0), (12, 0), d, preferred_start=at(9, 0), preferred_end=at(*end))
        for k, (d, end) in due.items()
    }
    cs, ps = one_visit_packages({k: loc(0) for k in due}, visits)
    weights = ObjectiveWeights(late_per_min=1, early_per_min=0, travel_per_min=0, paid_per_min=0)
    problem = Problem(
        carers=(carer("K1", loc(0), (9, 13)),), clients=cs, packages=ps, weights=weights
    )
    total_only = solve(problem, time_limit_s=1)
    assert (total_only.kpis.lateness_min, total_only.kpis.max_lateness_min) == (75, 75)
    spread = problem.model_copy(
        update={"weights": weights.model_copy(update={"worst_late_per_min": 1})}
    )
    plan = solve(spread, time_limit_s=1)
    assert (plan.kpis.lateness_min, plan.kpis.max_lateness_min) == (90, 45)
    assert [s.visit_id for s in plan.rounds[0].stops] == ["V-B", "V-A", "V-C"]
    assert check(spread, plan) == []


# -- 4. continuity ---------------------------------------------------------------------------


def test_preferred_carer_is_chosen_over_a_nearer_one() -> None:
    cs, _ = one_visit_packages({"A": loc(200)}, {})
    package = Package(
        id="P", client_id="A", visits=(visit("V", (9, 0), (10, 0)),), preferred_carers=("FAR",)
    )
    problem = Problem(
        carers=(carer("NEAR", loc(0)), carer("FAR", loc(900))), clients=cs, packages=(package,)
    )
    plan = solve(problem, time_limit_s=1)
    assert carer_of(plan, "V") == "FAR"


def test_declined_carer_never_goes() -> None:
    cs, _ = one_visit_packages({"A": loc(200)}, {})
    package = Package(
        id="P", client_id="A", visits=(visit("V", (9, 0), (10, 0)),), declined_carers=("NEAR",)
    )
    problem = Problem(
        carers=(carer("NEAR", loc(0)), carer("FAR", loc(900))), clients=cs, packages=(package,)
    )
    plan = solve(problem, time_limit_s=1)
    assert carer_of(plan, "V") == "FAR"
    broken = plan.model_copy(
        update={"rounds": tuple(r.model_copy(update={"carer_id": "NEAR"}) for r in plan.rounds)}
    )
    assert ViolationCode.DECLINED_CARER in codes(problem, broken)


def week_problem(continuity: int) -> Problem:
    """One client, a call a day for five days. A different nearby carer works each day; one
    carer a little further away works every day."""
    days = [DAY + timedelta(days=d) for d in range(5)]

    def shift(day: datetime) -> Shift:
        return Shift(start=day.replace(hour=7), end=day.replace(hour=15))

    near = [
        Carer(id=f"N{d}", start_location=loc(100 + 10 * d), shifts=(shift(day),))
        for d, day in enumerate(days)
    ]
    steady = Carer(id="S", start_location=loc(-400), shifts=tuple(shift(day) for day in days))
    calls = tuple(
        visit(f"V{d}", (9, 0), (10, 0)).model_copy(
            update={"earliest_start": day.replace(hour=9), "latest_start": day.replace(hour=10)}
        )
        for d, day in enumerate(days)
    )
    return Problem(
        carers=(*near, steady),
        clients=(Client(id="A", location=loc(0)),),
        packages=(Package(id="P", client_id="A", visits=calls),),
        weights=ObjectiveWeights(continuity=continuity),
    )


def test_continuity_objective_gives_a_client_fewer_carers_over_a_week() -> None:
    without = solve(week_problem(0), time_limit_s=2)
    with_it = solve(week_problem(2000), time_limit_s=2)
    assert without.kpis.carers_per_client == 5  # nearest carer each day
    assert with_it.kpis.carers_per_client <= 2
    assert with_it.kpis.main_carers_share > without.kpis.main_carers_share
    assert check(week_problem(2000), with_it) == []


# -- 5. working rules ------------------------------------------------------------------------


def test_break_is_taken_in_its_window_and_unpaid() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(300), "B": loc(-300)},
        {"A": visit("V-A", (11, 30), (11, 45), 45), "B": visit("V-B", (12, 30), (13, 30), 30)},
    )
    lunch = Break(earliest_start=at(12), latest_start=at(13), duration_min=30)
    k = Carer(
        id="K1", start_location=loc(0), shifts=(Shift(start=at(8), end=at(16), breaks=(lunch,)),)
    )
    problem = Problem(carers=(k,), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    (rnd,) = plan.rounds
    (taken,) = rnd.breaks
    assert at(12) <= taken.start <= at(13)
    assert rnd.kpis.paid_min == (rnd.end - rnd.start) / MIN - 30
    assert check(problem, plan) == []
    moved = rnd.model_copy(
        update={"breaks": (taken.model_copy(update={"start": at(14), "end": at(14, 30)}),)}
    )
    broken = plan.model_copy(update={"rounds": (moved,)})
    assert ViolationCode.BREAK in codes(problem, broken)


def test_no_split_shifts_caps_idle_time() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(100), "B": loc(-100)},
        {"A": visit("V-A", (8, 0), (8, 0)), "B": visit("V-B", (12, 0), (12, 0))},
    )
    capped = Problem(
        carers=(carer("K1", loc(0)),), clients=cs, packages=ps, rules=WorkingRules(max_idle_min=60)
    )
    plan = solve(capped, time_limit_s=1)
    assert plan.kpis.visits == 1  # one working block: not both
    free = capped.model_copy(update={"rules": WorkingRules()})
    both = solve(free, time_limit_s=1)
    assert both.kpis.visits == 2
    assert ViolationCode.IDLE_TOO_LONG in codes(capped, both)


def test_days_off_and_weekly_minutes() -> None:
    days = [DAY + timedelta(days=d) for d in range(7)]
    shifts = tuple(Shift(start=d.replace(hour=8), end=d.replace(hour=12)) for d in days)
    calls = tuple(
        visit(f"V{i}", (9, 0), (10, 0)).model_copy(
            update={"earliest_start": d.replace(hour=9), "latest_start": d.replace(hour=10)}
        )
        for i, d in enumerate(days)
    )
    five_days = Carer(id="K1", start_location=loc(0), shifts=shifts, max_working_days_per_week=5)
    problem = Problem(
        carers=(five_days,),
        clients=(Client(id="A", location=loc(200)),),
        packages=(Package(id="P", client_id="A", visits=calls),),
    )
    plan = solve(problem, time_limit_s=2)
    assert plan.kpis.visits == 5
    assert check(problem, plan) == []
    every_day = problem.model_copy(
        update={"carers": (five_days.model_copy(update={"max_working_days_per_week": None}),)}
    )
    plan7 = solve(every_day, time_limit_s=2)
    assert plan7.kpis.visits == 7
    assert ViolationCode.WORKING_TIME_EXCEEDED in codes(problem, plan7)
    weekly = problem.model_copy(
        update={
            "carers": (
                five_days.model_copy(
                    update={"max_working_days_per_week": None, "max_working_min_per_week": 100}
                ),
            )
        }
    )
    assert solve(weekly, time_limit_s=2).kpis.paid_min <= 100


def test_guaranteed_minutes_shortfall_is_reported() -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V-A", (9, 0), (10, 0))})
    problem = Problem(carers=(carer("K1", loc(0), guaranteed_min=240),), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert plan.kpis.guaranteed_shortfall_min == 240 - plan.kpis.paid_min


# -- 6. Ethical Care Charter and fairness ----------------------------------------------------


def test_short_personal_care_visit_warns() -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V-A", (9, 0), (10, 0), 15)})
    with pytest.warns(RoundsWarning, match="shorter than the 30 min minimum for personal care"):
        Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)


def test_travel_is_paid() -> None:
    cs, ps = one_visit_packages({"A": loc(1000)}, {"A": visit("V-A", (9, 0), (10, 0))})
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    k = solve(problem, time_limit_s=1).kpis
    assert k.paid_min == k.visit_min + k.travel_min + k.wait_min
    assert k.travel_min > 0


def test_balance_spreads_work_across_carers() -> None:
    clients = {f"C{i}": loc(50 * i) for i in range(4)}
    visits = {c: visit(f"V-{c}", (8, 0), (14, 0), 60) for c in clients}
    cs, ps = one_visit_packages(clients, visits)
    carers = (carer("K1", loc(0)), carer("K2", loc(1500)))
    lopsided = solve(Problem(carers=carers, clients=cs, packages=ps), time_limit_s=1)
    balanced_problem = Problem(
        carers=carers, clients=cs, packages=ps, weights=ObjectiveWeights(balance=5)
    )
    balanced = solve(balanced_problem, time_limit_s=1)
    assert balanced.kpis.paid_min_spread < lopsided.kpis.paid_min_spread
    assert check(balanced_problem, balanced) == []


# -- 7. walking limits -----------------------------------------------------------------------


def test_longest_leg_keeps_walking_rounds_compact() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(300), "B": loc(2500)},
        {"A": visit("V-A", (9, 0), (12, 0)), "B": visit("V-B", (9, 0), (12, 0))},
    )
    free = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    limited = free.model_copy(update={"carers": (carer("K1", loc(0), max_leg_min=20),)})
    assert solve(free, time_limit_s=1).kpis.visits == 2
    plan = solve(limited, time_limit_s=1)
    assert [s.visit_id for r in plan.rounds for s in r.stops] == ["V-A"]
    assert ViolationCode.TRAVEL_LIMIT in codes(limited, solve(free, time_limit_s=1))


def test_total_travel_cap() -> None:
    clients = {"A": loc(600), "B": loc(-600)}
    cs, ps = one_visit_packages(clients, {k: visit(f"V-{k}", (9, 0), (12, 0)) for k in clients})
    limited = Problem(carers=(carer("K1", loc(0), max_travel_min=30),), clients=cs, packages=ps)
    plan = solve(limited, time_limit_s=1)
    assert plan.kpis.visits == 1
    assert plan.kpis.travel_min <= 30
    assert check(limited, plan) == []


def test_different_carer_from_previous_call() -> None:
    calls = (
        visit("S1", (9, 0), (9, 0), 30, personal_care=False),
        visit(
            "S2",
            (9, 30),
            (11, 0),
            30,
            personal_care=False,
            min_gap_from_previous_min=30,
            different_carer_from_previous=True,
        ),
    )
    problem = Problem(
        carers=(carer("NEAR", loc(0)), carer("FAR", loc(1500))),
        clients=(Client(id="A", location=loc(100)),),
        packages=(Package(id="P", client_id="A", visits=calls),),
    )
    plan = solve(problem, time_limit_s=1)
    assert carer_of(plan, "S1") != carer_of(plan, "S2")
    assert check(problem, plan) == []
    same = problem.model_copy(
        update={
            "packages": (
                Package(
                    id="P",
                    client_id="A",
                    visits=(
                        calls[0],
                        calls[1].model_copy(update={"different_carer_from_previous": False}),
                    ),
                ),
            )
        }
    )
    together = solve(same, time_limit_s=1)
    assert carer_of(together, "S1") == carer_of(together, "S2") == "NEAR"
    assert ViolationCode.SAME_CARER in codes(problem, together)
