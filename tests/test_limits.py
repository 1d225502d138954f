"""Determinism and limits: seeds, time limits, hopeless problems and interruption.

The search parameters belong to the solver; these tests pin what users are promised:

* the same problem and seed give the same plan (apart from the measured wall time);
* the time limit is honoured within 10 % (1 s and 3 s here; 10 s and 60 s are ``slow``);
* a problem where nothing is feasible comes back within its limit, every visit unallocated
  and explained;
* interrupting ``rounds solve`` (Ctrl-C) still returns the best plan found so far.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rounds import Client, Package, Plan, Problem, ReasonCode, check, solve
from rounds.io import load_plan, save_json
from rounds.solve import _reserve_s

from conftest import carer, loc, visit

SLACK = 1.10  # the promise: within 10 % of the limit


def medium_problem(n_clients: int = 30, n_carers: int = 5) -> Problem:
    """Clients on a 2 km grid with a morning and an afternoon call each; walkers in between."""
    clients = tuple(
        Client(id=f"C{i:02d}", location=loc(350 * (i % 6) - 900, 330 * (i // 6) - 800))
        for i in range(n_clients)
    )
    packages = tuple(
        Package(
            id=f"P{i:02d}",
            client_id=c.id,
            visits=(
                visit(f"{c.id}-AM", (7, 0 + (i % 4) * 15), (9, 30), 30 + 15 * (i % 3)),
                visit(f"{c.id}-PM", (12, 0), (15, 0), 30, skills=("meds",) if i % 5 == 0 else ()),
            ),
        )
        for i, c in enumerate(clients)
    )
    carers = tuple(
        carer(f"K{k}", loc(300 * k - 600, 100), (7, 16), skills=("meds",) if k % 2 else ())
        for k in range(n_carers)
    )
    return Problem(name="medium", carers=carers, clients=clients, packages=packages)


def hopeless_problem(n: int = 40) -> Problem:
    """Every window opens and closes before any shift starts."""
    clients = tuple(Client(id=f"C{i}", location=loc(100 * i)) for i in range(n))
    packages = tuple(
        Package(id=f"P{i}", client_id=c.id, visits=(visit(f"V{i}", (5, 0), (6, 0)),))
        for i, c in enumerate(clients)
    )
    carers = tuple(carer(f"K{k}", loc(0), (8, 16)) for k in range(4))
    return Problem(name="hopeless", carers=carers, clients=clients, packages=packages)


def without_wall_time(plan: Plan) -> Plan:
    assert plan.solver is not None
    return plan.model_copy(update={"solver": plan.solver.model_copy(update={"wall_time_s": 0.0})})


def timed_solve(problem: Problem, limit: float, seed: int = 0) -> tuple[Plan, float]:
    started = time.perf_counter()
    plan = solve(problem, time_limit_s=limit, seed=seed)
    return plan, time.perf_counter() - started


# -- determinism ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_same_problem_and_seed_give_the_same_small_plan(small_problem: Problem, seed: int) -> None:
    first = solve(small_problem, time_limit_s=0.5, seed=seed)
    again = solve(small_problem, time_limit_s=0.5, seed=seed)
    assert without_wall_time(first) == without_wall_time(again)
    assert first.model_dump_json(exclude={"solver"}) == again.model_dump_json(exclude={"solver"})


@pytest.mark.xfail(
    strict=False,
    reason="guided local search stops on wall-clock time, so on a problem where the search is "
    "still improving when time runs out, two runs with one seed can return different plans",
)
def test_same_problem_and_seed_give_the_same_medium_plan() -> None:
    problem = medium_problem()
    first = solve(problem, time_limit_s=1, seed=3)
    again = solve(problem, time_limit_s=1, seed=3)
    assert first.model_dump_json(exclude={"solver"}) == again.model_dump_json(exclude={"solver"})
    assert without_wall_time(first) == without_wall_time(again)


def test_the_seed_is_recorded_and_every_seed_gives_a_valid_plan(small_problem: Problem) -> None:
    for seed in (1, 2**31, 2**32 - 1):
        plan = solve(small_problem, time_limit_s=0.2, seed=seed)
        assert plan.solver is not None
        assert plan.solver.seed == seed
        assert check(small_problem, plan) == []


# -- time limits ------------------------------------------------------------------------------


def assert_time_limit_honoured(limit: float) -> None:
    problem = medium_problem()
    plan, elapsed = timed_solve(problem, limit)
    assert elapsed <= SLACK * limit, f"{elapsed:.3f} s for a {limit} s limit"
    assert plan.solver is not None
    assert plan.solver.time_limit_s == limit
    assert plan.solver.wall_time_s <= SLACK * limit
    assert check(problem, plan) == []
    assert plan.kpis.visits + plan.kpis.visits_unallocated == len(problem.visit_by_id)


@pytest.mark.parametrize("limit", [1.0, 3.0])
def test_time_limit_is_honoured_within_ten_percent(limit: float) -> None:
    assert_time_limit_honoured(limit)


@pytest.mark.slow
@pytest.mark.parametrize("limit", [10.0, 60.0])
def test_long_time_limit_is_honoured_within_ten_percent(limit: float) -> None:
    assert_time_limit_honoured(limit)


@pytest.mark.parametrize(
    ("limit", "kept"), [(0.05, 0.0025), (1.0, 0.05), (10.0, 0.35), (60.0, 0.85)]
)
def test_the_search_has_all_but_a_small_reserve_of_the_limit(limit: float, kept: float) -> None:
    # What follows the search (its overrun, the plan read back) needs well under a second.
    assert _reserve_s(limit) == pytest.approx(kept)
    assert _reserve_s(limit) <= 0.05 * limit


def test_a_tiny_time_limit_still_gives_a_complete_valid_plan() -> None:
    problem = medium_problem()
    plan, elapsed = timed_solve(problem, 0.05)
    assert elapsed < 1.0
    assert check(problem, plan) == []
    assert plan.kpis.visits + plan.kpis.visits_unallocated == len(problem.visit_by_id)


def test_half_a_second_places_every_visit_of_a_small_problem_every_time(
    small_problem: Problem,
) -> None:
    # Two walkers can do all eleven visits; the search must not leave any to a race between
    # its parallel starts (a share of a short limit is less than a forked process needs).
    for seed in range(4):
        plan, elapsed = timed_solve(small_problem, 0.5, seed=seed)
        assert plan.unallocated == (), f"seed {seed}: {[u.visit_id for u in plan.unallocated]}"
        assert check(small_problem, plan) == []
        assert elapsed <= SLACK * 0.5, f"seed {seed}: {elapsed:.3f} s for a 0.5 s limit"


# -- hopeless problems ------------------------------------------------------------------------


def test_nothing_feasible_returns_within_its_limit_with_every_visit_explained() -> None:
    problem = hopeless_problem()
    plan, elapsed = timed_solve(problem, 2.0)
    assert elapsed <= SLACK * 2.0
    assert plan.rounds == ()
    assert sorted(u.visit_id for u in plan.unallocated) == sorted(problem.visit_by_id)
    assert {u.reason for u in plan.unallocated} == {ReasonCode.OUTSIDE_SHIFTS}
    assert all("05:00–06:00" in u.message for u in plan.unallocated)
    assert check(problem, plan) == []


def test_nothing_feasible_returns_well_before_its_limit() -> None:
    _, elapsed = timed_solve(hopeless_problem(), 3.0)
    assert elapsed < 0.5 * 3.0


def test_no_carers_returns_at_once() -> None:
    problem = hopeless_problem().model_copy(update={"carers": ()})
    plan, elapsed = timed_solve(problem, 10.0)
    assert elapsed < 2.0
    assert {u.reason for u in plan.unallocated} == {ReasonCode.NO_CARERS}


# -- interruption -----------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupting_the_cli_writes_the_best_plan_so_far(tmp_path: Path) -> None:
    problem = medium_problem()
    source = save_json(problem, tmp_path / "problem.json")
    out = tmp_path / "plan.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rounds", "solve", str(source), "-o", str(out), "-t", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        time.sleep(4.0)  # imports, matrices and a first solution
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Traceback" not in stderr
    assert out.is_file()
    plan = load_plan(out)
    assert check(problem, plan) == []
    assert plan.kpis.visits + plan.kpis.visits_unallocated == len(problem.visit_by_id)
    assert json.loads(out.read_text())["solver"]["wall_time_s"] < 30
    assert "checker: 0 violation(s)" in stdout
