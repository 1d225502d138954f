from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rounds import Problem
from rounds.cli import app
from rounds.io import demo_problem_path, load_plan, save_json

runner = CliRunner()


@pytest.fixture
def problem_file(small_problem: Problem, tmp_path: Path) -> Path:
    return save_json(small_problem, tmp_path / "problem.json")


def test_solve_then_check(problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["solve", str(problem_file), "-o", str(out), "-t", "1"])
    assert result.exit_code == 0, result.output
    assert "visits allocated   11 of 11" in result.output
    assert load_plan(out).kpis.visits == 11
    checked = runner.invoke(app, ["check", str(problem_file), str(out)])
    assert checked.exit_code == 0
    assert "0 violation(s)" in checked.output


def test_verbose_solve_logs_the_search_progress(
    problem_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan.json"
    logger = logging.getLogger("rounds")
    handlers, level = list(logger.handlers), logger.level
    try:
        result = runner.invoke(app, ["solve", str(problem_file), "-o", str(out), "-t", "1", "-v"])
    finally:
        logger.handlers, logger.level = handlers, level
    assert result.exit_code == 0, result.output
    assert "rounds._ortools: " in capfd.readouterr().err + result.output


def test_check_exits_1_on_a_broken_plan(problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    runner.invoke(app, ["solve", str(problem_file), "-o", str(out), "-t", "1"])
    data = json.loads(out.read_text())
    data["kpis"]["travel_min"] += 7
    out.write_text(json.dumps(data))
    result = runner.invoke(app, ["check", str(problem_file), str(out)])
    assert result.exit_code == 1
    assert "[kpi_mismatch] plan: KPI travel_min" in result.output


def test_misspelt_key_fails_cleanly_naming_the_key(problem_file: Path, tmp_path: Path) -> None:
    data = json.loads(problem_file.read_text())
    data["packages"][2]["visits"][0]["duraton_min"] = data["packages"][2]["visits"][0].pop(
        "duration_min"
    )
    problem_file.write_text(json.dumps(data))
    result = runner.invoke(app, ["solve", str(problem_file), "-o", str(tmp_path / "p.json")])
    assert result.exit_code == 2
    assert "packages[2].visits[0].duraton_min: unknown key 'duraton_min'" in result.output
    assert "packages[2].visits[0].duration_min: required key is missing" in result.output
    assert "Traceback" not in result.output


def test_missing_problem_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tmp_path / "x.json"), "-o", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_schema_is_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "plan"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "Plan"
    runner.invoke(app, ["schema", "problem", "-o", str(tmp_path / "s.json")])
    assert json.loads((tmp_path / "s.json").read_text())["title"] == "Problem"


def test_demo_allocates_everything_with_no_violations(tmp_path: Path) -> None:
    out = tmp_path / "demo-plan.json"
    result = runner.invoke(app, ["demo", "-o", str(out), "-t", "10"])
    assert result.exit_code == 0, result.output
    assert "checker: 0 violation(s)" in result.output
    plan = load_plan(out)
    problem = Problem.model_validate_json(demo_problem_path().read_text())
    allocated = {s.visit_id for r in plan.rounds for s in r.stops}
    unallocated = {u.visit_id for u in plan.unallocated}
    assert allocated | unallocated == set(problem.visit_by_id)
    assert not allocated & unallocated
    assert len(unallocated) <= 0.03 * len(problem.visit_by_id)
    assert "visits allocated" in result.output
