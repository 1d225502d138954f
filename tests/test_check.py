"""The checker: a valid plan passes, and each kind of broken plan is caught with its cause."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rounds import Plan, Problem, ReasonCode, UnallocatedVisit, ViolationCode, check, solve
from rounds.plan import Round

from conftest import carer, edit_stop, loc, one_visit_packages, visit

MIN = timedelta(minutes=1)


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Plan]:
    clients = {"A": loc(300), "B": loc(-300), "C": loc(0, 400)}
    visits = {
        "A": visit("V-A", (9, 0), (10, 0), 45, carers_required=2),
        "B": visit("V-B", (8, 0), (11, 0), 30, skills=("medication",)),
        "C": visit("V-C", (8, 0), (12, 0), 30),
    }
    cs, ps = one_visit_packages(clients, visits)
    problem = Problem(
        carers=(
            carer("K1", loc(0), skills=("medication",), max_working_min=400, hourly_cost=13),
            carer("K2", loc(600), hourly_cost=12.5),
        ),
        clients=cs,
        packages=ps,
    )
    plan = solve(problem, time_limit_s=1)
    assert plan.kpis.visits == 4
    assert plan.kpis.visits_unallocated == 0
    return problem, plan


def edit_round(plan: Plan, carer_id: str, /, **changes: Any) -> Plan:
    rounds = tuple(
        r.model_copy(update=changes) if r.carer_id == carer_id else r for r in plan.rounds
    )
    return plan.model_copy(update={"rounds": rounds})


def round_of(plan: Plan, visit_id: str) -> Round:
    return next(r for r in plan.rounds if any(s.visit_id == visit_id for s in r.stops))


def codes(problem: Problem, plan: Plan) -> set[ViolationCode]:
    return {v.code for v in check(problem, plan)}


def test_the_solved_plan_is_valid(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    assert check(problem, plan) == []


def test_missing_visit(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    r = round_of(plan, "V-C")
    stops = tuple(s for s in r.stops if s.visit_id != "V-C")
    broken = edit_round(plan, r.carer_id, stops=stops)
    found = check(problem, broken)
    assert ViolationCode.VISIT_MISSING in {v.code for v in found}
    assert any(v.visit_id == "V-C" for v in found)


def test_duplicated_visit(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    extra = UnallocatedVisit(
        visit_id="V-C", package_id="P-C", client_id="C", reason=ReasonCode.CARERS_BUSY, message="x"
    )
    broken = plan.model_copy(update={"unallocated": (extra,)})
    assert ViolationCode.VISIT_DUPLICATED in codes(problem, broken)


def test_unknown_carer(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    broken = edit_round(plan, "K2", carer_id="K9")
    found = check(problem, broken)
    assert any(v.code == ViolationCode.UNKNOWN_ID and "K9" in v.message for v in found)


def test_unknown_visit(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    broken = edit_stop(plan, "V-C", visit_id="V-ZZ")
    assert {ViolationCode.UNKNOWN_ID, ViolationCode.VISIT_MISSING} <= codes(problem, broken)


def test_skill_missing(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    r = round_of(plan, "V-B")  # K1 is the only carer with 'medication'
    broken = edit_round(plan, r.carer_id, carer_id="K2")
    found = [v for v in check(problem, broken) if v.code == ViolationCode.SKILL_MISSING]
    assert found
    assert "lacks skill(s) 'medication'" in found[0].message


def test_late_visit(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    latest = problem.visit_by_id["V-C"].latest_start
    r = round_of(plan, "V-C")
    broken = edit_stop(
        plan, "V-C", arrival=latest + MIN, start=latest + MIN, end=latest + 31 * MIN, wait_min=0
    )
    found = [v for v in check(problem, broken) if v.code == ViolationCode.LATE]
    assert found
    assert found[0].visit_id == "V-C"
    assert found[0].carer_id == r.carer_id
    assert "1 min after its window closes" in found[0].message


def test_early_visit(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    opens = problem.visit_by_id["V-B"].earliest_start
    broken = edit_stop(
        plan, "V-B", arrival=opens - 60 * MIN, start=opens - 60 * MIN, end=opens - 30 * MIN
    )
    assert ViolationCode.EARLY in codes(problem, broken)


def test_shift_overrun(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    shift_end = problem.carer_by_id["K2"].shifts[0].end
    broken = edit_round(plan, "K2", end=shift_end + 5 * MIN)
    found = codes(problem, broken)
    assert ViolationCode.SHIFT_OVERRUN in found
    assert ViolationCode.KPI_MISMATCH in found  # paid minutes no longer add up either


def test_working_time_exceeded(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    r = round_of(plan, "V-B")
    shift = problem.carer_by_id[r.carer_id].shifts[0]
    broken = edit_round(plan, r.carer_id, start=shift.start, end=shift.end)
    assert ViolationCode.WORKING_TIME_EXCEEDED in codes(problem, broken)


def test_overlapping_stops(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    r = next(x for x in plan.rounds if len(x.stops) >= 2)
    first, second = r.stops[0], r.stops[1]
    # Pretend the second visit starts while the first is still going on.
    moved = second.model_copy(
        update={
            "arrival": first.end - 10 * MIN,
            "start": first.end - 10 * MIN,
            "end": first.end - 10 * MIN + (second.end - second.start),
            "wait_min": 0,
        }
    )
    broken = edit_round(plan, r.carer_id, stops=(first, moved, *r.stops[2:]))
    assert ViolationCode.OVERLAP in codes(problem, broken)


def test_shortened_visit(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    stop = next(s for s in round_of(plan, "V-C").stops if s.visit_id == "V-C")
    broken = edit_stop(plan, "V-C", end=stop.end - 10 * MIN)
    found = [v for v in check(problem, broken) if v.code == ViolationCode.TIME_MISMATCH]
    assert any("lasts 20 min in the plan but 30 min" in v.message for v in found)


def test_travel_mismatch(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    stop = next(s for s in round_of(plan, "V-C").stops if s.visit_id == "V-C")
    broken = edit_stop(plan, "V-C", travel_m=stop.travel_m + 250)
    assert ViolationCode.TRAVEL_MISMATCH in codes(problem, broken)


def test_unsynchronised_double_up(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    stop = next(s for s in round_of(plan, "V-A").stops if s.visit_id == "V-A")
    later = {k: getattr(stop, k) + 5 * MIN for k in ("start", "end")}
    broken = edit_stop(plan, "V-A", "K2", **later, wait_min=stop.wait_min + 5)
    found = [v for v in check(problem, broken) if v.code == ViolationCode.DOUBLE_UP]
    assert any("start at different times" in v.message for v in found)


def test_half_staffed_double_up(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    r = next(x for x in plan.rounds if x.carer_id == "K2")
    broken = edit_round(plan, "K2", stops=tuple(s for s in r.stops if s.visit_id != "V-A"))
    assert ViolationCode.DOUBLE_UP in codes(problem, broken)


def test_kpi_mismatch(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    broken = plan.model_copy(
        update={"kpis": plan.kpis.model_copy(update={"travel_min": plan.kpis.travel_min + 1})}
    )
    found = check(problem, broken)
    assert [v.code for v in found] == [ViolationCode.KPI_MISMATCH]
    assert "travel_min" in found[0].message


def test_over_capacity(solved: tuple[Problem, Plan]) -> None:
    problem, plan = solved
    heavy = problem.model_copy(
        update={
            "carers": tuple(c.model_copy(update={"capacity": 0}) for c in problem.carers),
            "packages": tuple(
                p.model_copy(
                    update={"visits": tuple(v.model_copy(update={"demand": 1}) for v in p.visits)}
                )
                for p in problem.packages
            ),
        }
    )
    assert ViolationCode.OVER_CAPACITY in codes(heavy, plan)
