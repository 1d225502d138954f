"""The VRPTW benchmark's readers, conversion and independent verifier, on tiny inputs."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.convert import plan_routes, to_problem  # noqa: E402
from benchmarks.instances import DATA_DIR, Instance, family_of, load_bks  # noqa: E402
from benchmarks.run import gap_pct, summary_markdown  # noqa: E402
from benchmarks.verify import check_routes  # noqa: E402

import rounds  # noqa: E402


def tiny() -> Instance:
    """Depot at the origin; customers 1 (3, 4) and 2 (6, 8) on a line; a 3-4-5 triangle."""
    return Instance(
        name="R901",
        xy=((0, 0), (3, 4), (6, 8), (0, 1)),
        demand=(0, 5, 5, 5),
        ready=(0, 0, 10, 0),
        due=(100, 12, 60, 90),
        service=(0, 3, 3, 3),
        vehicles=2,
        capacity=10,
    )


def test_dimacs_arcs_are_truncated_tenths_and_hierarchical_rounded_up() -> None:
    inst = Instance(
        name="C901",
        xy=((0, 0), (1, 1), (3, 4)),
        demand=(0, 1, 1),
        ready=(0, 0, 0),
        due=(9, 9, 9),
        service=(0, 1, 1),
        vehicles=1,
        capacity=5,
    )
    # sqrt(2) = 1.414..., 5 exactly, sqrt(13) = 3.605...
    assert inst.arcs("dimacs")[0].tolist() == [0, 14, 50]
    assert inst.arcs("dimacs")[1, 2] == 36
    assert inst.arcs("hierarchical")[0].tolist() == [0, 15, 50]
    assert inst.arcs("hierarchical")[1, 2] == 37


@pytest.mark.parametrize(
    ("name", "family"), [("C101", "C1"), ("rc2_2_4", "RC2"), ("R211", "R2"), ("r1_2_10", "R1")]
)
def test_family_of(name: str, family: str) -> None:
    assert family_of(name) == family


def test_verifier_accepts_a_feasible_solution_and_prices_it() -> None:
    verdict = check_routes(tiny(), "dimacs", [[3, 1], [2]])
    # 0->3 1, 3->1 sqrt(18)=4.2, 1->0 5; 0->2 10, 2->0 10.
    assert verdict.errors == ()
    assert verdict.feasible
    assert verdict.cost == pytest.approx(1 + 4.2 + 5 + 10 + 10)
    assert verdict.vehicles == 2
    exact = check_routes(tiny(), "hierarchical", [[3, 1], [2]])
    assert exact.cost == round(1 + math.sqrt(18) + 5 + 20, 2)


@pytest.mark.parametrize(
    ("routes", "error"),
    [
        ([[1, 2, 3]], "load 15 > capacity 10"),
        ([[1], [3]], "1 customer(s) not served"),
        ([[1, 2], [2, 3]], "more than once"),
        ([[1], [2], [3]], "3 routes but only 2 vehicles"),
        ([[2, 1], [3]], "customer 1 starts at"),
        ([[1, 7], [2, 3]], "unknown customers [7]"),
    ],
)
def test_verifier_names_each_broken_rule(routes: list[list[int]], error: str) -> None:
    verdict = check_routes(tiny(), "dimacs", routes)
    assert not verdict.feasible
    assert any(error in e for e in verdict.errors), verdict.errors


def test_verifier_checks_the_return_to_the_depot() -> None:
    inst = tiny()
    late = Instance(**{**inst.__dict__, "due": (20, 50, 60, 90)})
    verdict = check_routes(late, "dimacs", [[3, 1], [2]])
    assert any("back at the depot" in e for e in verdict.errors)


def test_problem_is_exact_in_minutes_and_solved_plan_verifies() -> None:
    inst = tiny()
    problem = to_problem(inst, "dimacs")
    assert len(problem.carers) == 2
    assert {c.capacity for c in problem.carers} == {10}
    visit = problem.visit_by_id["visit0002"]
    assert (visit.latest_start - visit.earliest_start).total_seconds() == 500 * 60
    assert visit.duration_min == 30
    assert problem.weights.round_fixed == 0
    assert to_problem(inst, "hierarchical").weights.round_fixed > 0

    plan = rounds.solve(problem, time_limit_s=1, seed=0)
    assert rounds.check(problem, plan) == []
    assert plan.unallocated == ()
    verdict = check_routes(inst, "dimacs", plan_routes(plan))
    assert verdict.feasible, verdict.errors
    # The plan's travel minutes are the verifier's distance in tenths.
    assert plan.kpis.travel_min == round(verdict.cost * 10)


def test_summary_markdown_has_family_and_instance_rows() -> None:
    from benchmarks.run import Row

    row = Row("solomon", "dimacs", "R901", "R9", "rounds", 1.0, 0, True, 30.2, 2, 30.0, 2,
              round(gap_pct(30.2, 30.0), 3), 1.0, "")  # fmt: skip
    text = summary_markdown([row], ["rounds"], "### header")
    assert "| **all** | 1 | 0.67 | 2.0 | 1.0 | 1/1 |" in text
    assert "| R901 | 30.00 (2) | 30.20 (2) +0.67 1.0 |" in text


@pytest.mark.slow
@pytest.mark.parametrize("set_name", ["solomon", "homberger200"])
def test_every_instance_reads_and_bks_verifies_its_vehicle_count(set_name: str) -> None:
    if not (DATA_DIR / set_name).is_dir():
        pytest.skip(f"benchmark data not found in {DATA_DIR} (set ROUNDS_BENCH_DATA)")
    pytest.importorskip("vrplib", reason="install the 'bench' dependency group to read instances")
    from benchmarks.instances import instance_paths, read_instance

    paths = instance_paths(set_name)
    assert len(paths) == {"solomon": 56, "homberger200": 60}[set_name]
    for convention in ("dimacs", "hierarchical"):
        bks = load_bks(set_name, convention)
        for path in paths:
            inst = read_instance(path)
            assert inst.name.upper() in bks
            assert inst.n_customers == {"solomon": 100, "homberger200": 200}[set_name]
            assert bks[inst.name.upper()].vehicles <= inst.vehicles
