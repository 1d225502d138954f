from __future__ import annotations

import time
from datetime import timedelta
from itertools import pairwise

import pytest

from rounds import (
    GivenMatrix,
    InputError,
    Problem,
    ReasonCode,
    TravelSettings,
    check,
    solve,
)

from conftest import at, carer, loc, one_visit_packages, visit


def test_tiny_problem_is_solved_to_its_known_best_order(line_problem: Problem) -> None:
    plan = solve(line_problem, time_limit_s=2)
    assert check(line_problem, plan) == []
    assert [r.carer_id for r in plan.rounds] == ["K1"]
    assert [s.visit_id for s in plan.rounds[0].stops] == ["V-A", "V-B", "V-C"]
    assert plan.unallocated == ()


def test_stop_times_follow_travel_and_windows(line_problem: Problem) -> None:
    plan = solve(line_problem, time_limit_s=1)
    rnd = plan.rounds[0]
    first, *_, last = rnd.stops
    assert first.start == at(8)  # the carer leaves home just in time for the window to open
    assert rnd.start == first.arrival - timedelta(minutes=first.travel_min)
    for before, after in pairwise(rnd.stops):
        assert after.arrival == before.end + timedelta(minutes=after.travel_min)
        assert after.start == after.arrival + timedelta(minutes=after.wait_min)
    assert rnd.end == last.end + timedelta(minutes=rnd.travel_to_end_min)
    assert rnd.kpis.paid_min == rnd.kpis.travel_min + rnd.kpis.wait_min + rnd.kpis.visit_min


def test_every_visit_appears_once(small_problem: Problem) -> None:
    plan = solve(small_problem, time_limit_s=2)
    seen = [s.visit_id for r in plan.rounds for s in r.stops] + [
        u.visit_id for u in plan.unallocated
    ]
    assert sorted(seen) == sorted(v.id for _, v in small_problem.visits())
    assert check(small_problem, plan) == []
    assert plan.kpis.visits == 11


def test_skill_nobody_has_is_unallocated_with_that_reason() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(200)}, {"A": visit("V-A", (9, 0), (10, 0), skills=("hoist",))}
    )
    with pytest.warns(UserWarning, match="no carer has 'hoist'"):
        problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert plan.rounds == ()
    (out,) = plan.unallocated
    assert out.reason == ReasonCode.SKILL_MISSING
    assert out.message == "no carer has skill 'hoist'"
    assert check(problem, plan) == []


def test_window_outside_every_shift_is_explained() -> None:
    cs, ps = one_visit_packages({"A": loc(200)}, {"A": visit("V-A", (7, 0), (7, 30))})
    problem = Problem(carers=(carer("K1", loc(0), (8, 16)),), clients=cs, packages=ps)
    (out,) = solve(problem, time_limit_s=1).unallocated
    assert out.reason == ReasonCode.OUTSIDE_SHIFTS
    assert "07:00–07:30" in out.message
    assert "outside every qualified carer's shift" in out.message


def test_client_too_far_to_reach_in_time_is_explained() -> None:
    # 6 km away on foot is over an hour: the 08:00 shift cannot reach an 08:00-08:30 window.
    cs, ps = one_visit_packages({"A": loc(6000)}, {"A": visit("V-A", (8, 0), (8, 30))})
    problem = Problem(carers=(carer("K1", loc(0), (8, 16)),), clients=cs, packages=ps)
    (out,) = solve(problem, time_limit_s=1).unallocated
    assert out.reason == ReasonCode.UNREACHABLE_IN_TIME
    assert "no qualified carer can reach this client" in out.message


def test_busy_carer_is_the_reason_of_last_resort() -> None:
    clients = {"A": loc(100), "B": loc(-100)}
    visits = {k: visit(f"V-{k}", (9, 0), (9, 0), 60) for k in clients}
    cs, ps = one_visit_packages(clients, visits)
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert plan.kpis.visits == 1
    (out,) = plan.unallocated
    assert out.reason == ReasonCode.CARERS_BUSY
    assert check(problem, plan) == []


def test_higher_priority_wins_when_not_everything_fits() -> None:
    clients = {"A": loc(100), "B": loc(-100)}
    visits = {
        "A": visit("V-A", (9, 0), (9, 0), 60),
        "B": visit("V-B", (9, 0), (9, 0), 60, priority=4),
    }
    cs, ps = one_visit_packages(clients, visits)
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert [s.visit_id for s in plan.rounds[0].stops] == ["V-B"]


def test_double_up_gets_two_carers_starting_together() -> None:
    clients = {"A": loc(300), "B": loc(-300)}
    visits = {
        "A": visit("V-A", (9, 0), (10, 0), 45, carers_required=2),
        "B": visit("V-B", (8, 0), (11, 0), 30),
    }
    cs, ps = one_visit_packages(clients, visits)
    problem = Problem(carers=(carer("K1", loc(0)), carer("K2", loc(600))), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=2)
    assert check(problem, plan) == []
    crew = [(r.carer_id, s) for r in plan.rounds for s in r.stops if s.visit_id == "V-A"]
    assert sorted(c for c, _ in crew) == ["K1", "K2"]
    assert crew[0][1].start == crew[1][1].start
    assert {s.partner_carer_id for _, s in crew} == {"K1", "K2"}


def test_double_up_with_one_qualified_carer_is_not_half_done() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(300)}, {"A": visit("V-A", (9, 0), (10, 0), 45, carers_required=2)}
    )
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert plan.rounds == ()
    assert plan.unallocated[0].reason == ReasonCode.NOT_ENOUGH_CARERS


def test_each_travel_mode_uses_its_own_matrix() -> None:
    # Two places 3 km apart: the driver is there in minutes, the walker takes ~50 min.
    cs, ps = one_visit_packages({"A": loc(3000)}, {"A": visit("V-A", (7, 10), (7, 20))})
    walker = carer("W", loc(0), (7, 12))
    driver = carer("D", loc(0), (7, 12), travel_mode="drive")
    plan = solve(Problem(carers=(walker, driver), clients=cs, packages=ps), time_limit_s=1)
    assert [r.carer_id for r in plan.rounds] == ["D"]
    assert plan.rounds[0].travel_mode == "drive"


def test_a_given_matrix_replaces_crow_fly_travel() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(100), "B": loc(200)},
        {"A": visit("V-A", (8, 0), (12, 0)), "B": visit("V-B", (8, 0), (12, 0))},
    )
    # Crow-fly says A is nearer home; the council's matrix says B is, and home->A is long
    # (one way: A->home is shorter), so B then A is the one best order.
    ids = ("A", "B", "K1")
    seconds = ((0, 60, 1200), (60, 0, 600), (3000, 600, 0))
    metres = ((0, 80, 1600), (80, 0, 700), (4000, 700, 0))
    travel = TravelSettings(
        matrices=(
            GivenMatrix(travel_mode="walk", place_ids=ids, durations_s=seconds, distances_m=metres),
        )
    )
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps, travel=travel)
    plan = solve(problem, time_limit_s=1)
    stops = plan.rounds[0].stops
    assert [s.visit_id for s in stops] == ["V-B", "V-A"]
    assert [s.travel_min for s in stops] == [10, 1]
    assert plan.rounds[0].travel_to_end_min == 20
    assert "given matrix" in (plan.solver.travel_source if plan.solver else "")
    assert check(problem, plan) == []


def test_time_limit_is_honoured(small_problem: Problem) -> None:
    started = time.perf_counter()
    plan = solve(small_problem, time_limit_s=2)
    assert time.perf_counter() - started <= 2.5
    assert plan.solver is not None
    assert plan.solver.time_limit_s == 2


def test_no_carers_means_everything_unallocated_with_reason() -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V-A", (8, 0), (9, 0))})
    with pytest.warns(UserWarning, match="no carers"):
        problem = Problem(clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert [u.reason for u in plan.unallocated] == [ReasonCode.NO_CARERS]


@pytest.mark.parametrize(("limit", "seed"), [(0, 0), (-1, 0), (float("nan"), 0), (1, -3)])
def test_bad_solve_arguments_are_named(small_problem: Problem, limit: float, seed: int) -> None:
    with pytest.raises(InputError, match=r"time_limit_s|seed"):
        solve(small_problem, time_limit_s=limit, seed=seed)


def test_seed_gives_a_valid_plan_too(small_problem: Problem) -> None:
    plan = solve(small_problem, time_limit_s=1, seed=42)
    assert plan.solver is not None
    assert plan.solver.seed == 42
    assert check(small_problem, plan) == []


def test_capacity_limits_the_demand_of_a_round() -> None:
    clients = {"A": loc(100), "B": loc(200), "C": loc(300)}
    visits = {k: visit(f"V-{k}", (8, 0), (12, 0), 30, demand=4) for k in clients}
    cs, ps = one_visit_packages(clients, visits)
    small = carer("K1", loc(0), capacity=8)
    problem = Problem(carers=(small,), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert plan.kpis.visits == 2
    assert check(problem, plan) == []
    too_big = carer("K1", loc(0), capacity=3)
    problem = Problem(carers=(too_big,), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1)
    assert {u.reason for u in plan.unallocated} == {ReasonCode.OVER_CAPACITY}


def test_unplaced_address_is_unallocated_with_that_reason() -> None:
    import numpy as np

    from rounds.matrix import HaversineSource, ModeMatrix

    class DropsA:
        """A source that cannot place the first client (as a network source might)."""

        name = "test network"

        def matrix(self, locations, mode):  # type: ignore[no-untyped-def]
            m = HaversineSource(1.3, {"walk": 4.8}).matrix(locations, mode)
            return ModeMatrix(
                m.durations_s,
                m.distances_m,
                unplaced=frozenset({0}),
                snap_m=np.zeros(len(locations)),
            )

    clients = {"A": loc(100), "B": loc(200)}
    cs, ps = one_visit_packages(clients, {k: visit(f"V-{k}", (8, 0), (12, 0)) for k in clients})
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    plan = solve(problem, time_limit_s=1, source=DropsA())
    assert [s.visit_id for r in plan.rounds for s in r.stops] == ["V-B"]
    (out,) = plan.unallocated
    assert out.reason == ReasonCode.NOT_ON_NETWORK
    assert "could not be placed on the street network" in out.message
    assert check(problem, plan, source=DropsA()) == []
