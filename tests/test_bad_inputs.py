"""Bad inputs: one small file per failure class in ``tests/data/bad``.

Each file goes through the Python API (:func:`rounds.io.load_problem`, then
:func:`rounds.solve` when it loads) and through the command line. An *error* file gives one
readable :class:`~rounds.errors.InputError` naming the field and the value, and ``rounds solve``
exits 2 without a traceback. A *warning* file is legal but suspicious: it loads with a
:class:`~rounds.errors.RoundsWarning` and the CLI prints ``warning: ...``. An *unallocated* file
is legal but hopeless: every visit comes back unallocated with a reason.

The table below is the reference for ``docs/reliability.md``.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from typer.testing import CliRunner, Result

from rounds import InputError, ReasonCode, RoundsWarning, check, solve
from rounds.cli import app
from rounds.io import MAX_INPUT_BYTES, load_plan, load_problem, parse_problem
from rounds.plan import Kpis

BAD = Path(__file__).parent / "data" / "bad"
SRC = Path(__file__).parents[1] / "src" / "rounds"
runner = CliRunner()

Kind = Literal["error", "warning", "unallocated"]


@dataclass(frozen=True)
class Case:
    """What a bad file must produce: its kind and substrings of the message."""

    kind: Kind
    expect: tuple[str, ...]
    problems: int = 1
    """Number of problems reported (lines of the error message, header excepted)."""
    reason: ReasonCode | None = None
    """For *unallocated* files: the reason every visit gets."""


def error(*expect: str, problems: int = 1) -> Case:
    return Case("error", expect, problems)


def warning(*expect: str) -> Case:
    return Case("warning", expect)


def unallocated(reason: ReasonCode, *expect: str) -> Case:
    return Case("unallocated", expect, reason=reason)


V0 = "packages[0].visits[0]"
M0 = "travel.matrices[0]"

CASES: dict[str, Case] = {
    # -- not a problem document at all
    "invalid_json": error("input: Invalid JSON", "line 1 column 13"),
    "empty_file": error("input: Invalid JSON: EOF"),
    "not_an_object": error("input: Input should be an object", "[1, 2, 3]"),
    "null_document": error("input: Input should be an object", "None"),
    "not_utf8": error("input: Invalid JSON", "line 1 column 1"),
    "deeply_nested_json": error("input: Invalid JSON: recursion limit exceeded"),
    # -- keys
    "misspelt_key": error(
        f"{V0}.duraton_min: unknown key 'duraton_min' (misspelt?)",
        f"{V0}.duration_min: required key is missing",
        problems=2,
    ),
    "missing_key": error("clients[0].location: required key is missing"),
    # -- numbers
    "zero_duration": error(f"{V0}.duration_min", "greater than or equal to 1", "(got 0)"),
    "negative_duration": error(f"{V0}.duration_min", "(got -30)"),
    "fractional_duration": error(f"{V0}.duration_min", "fractional part", "(got 30.5)"),
    "string_for_number": error(f"{V0}.duration_min", "valid integer", "(got 'thirty')"),
    "null_for_number": error(f"{V0}.duration_min", "valid integer", "(got None)"),
    "gigantic_number": error("carers[0].max_working_min", "less than or equal to", "(got 1000"),
    "number_overflows_float": error("clients[0].location.lat", "finite number", "(got inf)"),
    "nan_coordinate": error("clients[0].location.lat", "finite number", "(got nan)"),
    "infinite_coordinate": error("clients[0].location.lon", "finite number", "(got -inf)"),
    "latitude_out_of_range": error("clients[0].location.lat", "(got 95.0)"),
    "longitude_out_of_range": error("clients[0].location.lon", "(got -200.0)"),
    "carers_required_3": error(f"{V0}.carers_required", "1 or 2", "(got 3)"),
    "priority_0": error(f"{V0}.priority", "(got 0)"),
    "negative_hourly_cost": error("carers[0].hourly_cost", "(got -12.5)"),
    "circuity_below_one": error("travel.circuity_factor", "(got 0.5)"),
    "speed_out_of_range": error("travel.speeds_kmh['walk']: 0.0 is not a speed"),
    # -- words and names
    "unknown_travel_mode": error("carers[0].travel_mode", "'walk'", "(got 'bus')"),
    "unknown_speed_mode": error("travel.speeds_kmh key 'bus'", "(got 'bus')"),
    "blank_id": error(f"{V0}.id", "at least 1 character", "(got '   ')"),
    "empty_visits_list": error("packages[0].visits", "at least 1 item", "(got [])"),
    "no_shifts": error("carers[0].shifts", "at least 1 item", "(got [])"),
    # -- instants
    "wrong_date_format": error(f"{V0}.earliest_start", "valid datetime", "'10/03/2025 08:00'"),
    "mixed_time_zones": error(
        f"{V0}.earliest_start: 2025-03-10T08:00:00 has no time zone",
        "carers[0].shifts[0].start (2025-03-10T07:00:00+00:00) has one",
    ),
    "window_ends_before_start": error(
        f"{V0}.latest_start: 2025-03-10T07:30:00 is before earliest_start 2025-03-10T08:00:00"
    ),
    "shift_ends_before_start": error(
        "carers[0].shifts[0].end: 2025-03-10T06:00:00 is not after start"
    ),
    "overlapping_shifts": error(
        "carers[0].shifts[1].start: 2025-03-10T14:00:00 overlaps", "ending 2025-03-10T15:00:00"
    ),
    # -- ids across objects
    "unknown_client_id": error("packages[0].client_id: 'NOBODY' is not a client id"),
    "duplicate_visit_id": error("packages[*].visits: id 'V1' is used 2 times"),
    "duplicate_carer_id": error("carers: id 'K1' is used 2 times"),
    "duplicate_client_id": error("clients: id 'A' is used 2 times"),
    "carer_id_equals_client_id": error("carers[0].id: 'A' is also a client id"),
    "end_point_name_clash": error("carers[0].end_location", "'K1@end'", "also a client or carer"),
    # -- travel matrices supplied by another system
    "matrix_wrong_shape": error(f"{M0}.durations_s: shape 2x3 does not match 2 place_ids"),
    "matrix_negative": error(f"{M0}.distances_m[0][1]: -400.0 is not a finite value"),
    "matrix_nan": error(f"{M0}.durations_s[1][0]", "finite number", "(got nan)"),
    "matrix_gigantic": error(f"{M0}.durations_s[0][1]: 1e+300 is not a finite value in [0,"),
    "matrix_missing_place": error(f"{M0}.place_ids: missing 'K1'"),
    "matrix_duplicate_mode": error("travel.matrices[1].travel_mode: 'walk' has more than one"),
    # -- legal but suspicious: a warning
    "empty_problem": warning("packages: the problem has no packages"),
    "no_carers": warning("carers: the problem has no carers"),
    "skill_nobody_has": warning(f"{V0}.skills: no carer has 'hoist'"),
    # -- legal but hopeless: every visit unallocated, with the reason
    "every_visit_infeasible": unallocated(
        ReasonCode.OUTSIDE_SHIFTS, "is outside every qualified carer's shift"
    ),
    "shift_shorter_than_any_visit": unallocated(
        ReasonCode.OUTSIDE_SHIFTS, "08:00–09:00 (30 min) is outside every qualified carer's shift"
    ),
    "unreachable_location": unallocated(
        ReasonCode.UNREACHABLE_IN_TIME, "no qualified carer can reach this client"
    ),
}

FILES = sorted(p.stem for p in BAD.glob("*.json"))

#: Known defects, reported to the lead: (file, test) -> reason. Strict, so a fix is noticed.
KNOWN: dict[tuple[str, str], str] = {}


def names(kind: str, test: str, *, negate: bool = False) -> list[object]:
    """File names of one kind (or of every other kind), with known defects marked xfail."""
    return [
        pytest.param(
            n,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[n, test])]
            if (n, test) in KNOWN
            else [],
        )
        for n, c in CASES.items()
        if (c.kind == kind) != negate
    ]


def problem_lines(message: str) -> list[str]:
    """The problems listed in an error message, without the 'N problem(s)' header."""
    lines = message.splitlines()
    if lines and re.fullmatch(r"\d+ problem\(s\) in the input:", lines[0]):
        lines = [line.removeprefix("- ") for line in lines[1:]]
    return lines


def test_the_corpus_and_the_table_agree() -> None:
    assert sorted(CASES) == FILES
    assert len({c for c, case in CASES.items() if case.kind == "error"}) >= 25


def test_every_file_is_small() -> None:
    assert all((BAD / f"{name}.json").stat().st_size < 8_000 for name in FILES)


# -- through the Python API -------------------------------------------------------------------


@pytest.mark.parametrize("name", names("error", "api"))
def test_error_file_gives_one_readable_error(name: str) -> None:
    case = CASES[name]
    with pytest.raises(InputError) as info:
        load_problem(BAD / f"{name}.json")
    message = str(info.value)
    for part in case.expect:
        assert part in message
    lines = problem_lines(message)
    assert len(lines) == case.problems, message
    for line in lines:
        assert "Traceback" not in line
        assert "errors.pydantic.dev" not in line
        assert "Value error," not in line
        assert len(line) < 300
    # The same text parsed from memory gives the same message.
    with pytest.raises(InputError) as again:
        parse_problem((BAD / f"{name}.json").read_bytes())
    assert str(again.value) == message


@pytest.mark.parametrize("name", names("warning", "api"))
def test_warning_file_loads_with_one_warning_and_solves(name: str) -> None:
    case = CASES[name]
    with pytest.warns(RoundsWarning) as caught:
        problem = load_problem(BAD / f"{name}.json")
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    for part in case.expect:
        assert part in messages[0]
    plan = solve(problem, time_limit_s=0.2)
    assert check(problem, plan) == []
    assert plan.kpis.visits + plan.kpis.visits_unallocated == len(problem.visit_by_id)


@pytest.mark.parametrize("name", names("unallocated", "api"))
def test_hopeless_file_comes_back_all_unallocated_and_explained(name: str) -> None:
    case = CASES[name]
    problem = load_problem(BAD / f"{name}.json")
    plan = solve(problem, time_limit_s=0.2)
    assert plan.rounds == ()
    assert sorted(u.visit_id for u in plan.unallocated) == sorted(problem.visit_by_id)
    assert {u.reason for u in plan.unallocated} == {case.reason}
    for part in case.expect:
        assert any(part in u.message for u in plan.unallocated)
    assert check(problem, plan) == []


# -- through the command line -----------------------------------------------------------------


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def cli_solve(name: str, tmp_path: Path) -> Result:
    return runner.invoke(
        app, ["solve", str(BAD / f"{name}.json"), "-o", str(tmp_path / "plan.json"), "-t", "0.2"]
    )


@pytest.mark.parametrize("name", names("error", "cli"))
def test_cli_error_exits_2_with_the_message(name: str, tmp_path: Path) -> None:
    result = cli_solve(name, tmp_path)
    no_traceback(result)
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    for part in CASES[name].expect:
        assert part in result.output
    assert not (tmp_path / "plan.json").exists()


@pytest.mark.parametrize("name", names("error", "cli", negate=True))
def test_cli_legal_file_writes_a_plan_and_says_why(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    result = cli_solve(name, tmp_path)
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "checker: 0 violation(s)" in result.output
    for part in case.expect:
        assert part in result.output
    if case.kind == "warning":
        assert "warning: " in result.output
    assert (tmp_path / "plan.json").is_file()


@pytest.mark.parametrize("name", ["invalid_json", "deeply_nested_json", "gigantic_number"])
def test_cli_in_a_real_process_prints_no_traceback(name: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rounds", "solve", str(BAD / f"{name}.json"), "-o", "p.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "p.json").exists()


def test_cli_check_with_a_bad_problem_exits_2(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    result = runner.invoke(app, ["check", str(BAD / "duplicate_visit_id.json"), str(plan)])
    no_traceback(result)
    assert result.exit_code == 2
    assert "packages[*].visits: id 'V1' is used 2 times" in result.output


def test_cli_check_with_a_problem_given_as_the_plan_names_the_keys(tmp_path: Path) -> None:
    problem = BAD / "skill_nobody_has.json"
    result = runner.invoke(app, ["check", str(problem), str(problem)])
    no_traceback(result)
    assert result.exit_code == 2
    assert "rounds: required key is missing" in result.output
    assert "carers: unknown key 'carers' (misspelt?)" in result.output


# -- limits and safety ------------------------------------------------------------------------


def test_cli_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(MAX_INPUT_BYTES + 1)  # sparse: no real disk used
    result = runner.invoke(app, ["solve", str(big), "-o", str(tmp_path / "plan.json")])
    no_traceback(result)
    assert result.exit_code == 2
    assert f"is {(MAX_INPUT_BYTES + 1) / 2**20:.0f} MiB, over the 200 MiB limit" in result.output
    assert not (tmp_path / "plan.json").exists()


def test_cli_refuses_an_oversized_plan_too(tmp_path: Path) -> None:
    big = tmp_path / "plan.json"
    with big.open("wb") as f:
        f.truncate(MAX_INPUT_BYTES + 1)
    result = runner.invoke(app, ["check", str(BAD / "skill_nobody_has.json"), str(big)])
    no_traceback(result)
    assert result.exit_code == 2
    assert "plan file" in result.output
    assert "over the 200 MiB limit" in result.output


def test_cli_output_into_a_missing_folder_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["solve", str(BAD / "skill_nobody_has.json"), "-o", str(tmp_path / "no" / "p.json")],
    )
    no_traceback(result)
    assert result.exit_code == 2
    assert "No such file or directory" in result.output


DANGEROUS_CALLS = {"eval", "exec", "compile", "__import__"}
DANGEROUS_MODULES = {"pickle", "_pickle", "dill", "marshal", "shelve", "joblib", "yaml"}


def dangerous_uses(source: str) -> list[str]:
    """Imports of unpickling modules and calls of eval/exec/compile in ``source``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots = {(node.module or "").split(".")[0]}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            roots = {name} & DANGEROUS_CALLS
        else:
            continue
        found += [
            f"line {node.lineno}: {r}"
            for r in sorted(roots & (DANGEROUS_MODULES | DANGEROUS_CALLS))
        ]
    return found


def test_no_pickle_or_eval_anywhere_in_the_library() -> None:
    offenders = {
        p.name: dangerous_uses(p.read_text(encoding="utf-8")) for p in sorted(SRC.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    text = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    assert re.search(r"\bpickle\b|(?<![.\w])(eval|exec)\(", text) is None


def test_the_scan_finds_what_it_looks_for() -> None:
    sample = "import pickle\nfrom yaml import load\nx = eval('1')\nbuiltins.exec('y=1')\n"
    assert len(dangerous_uses(sample)) == 4


def test_the_cli_never_derives_an_output_path_from_input_content() -> None:
    """Every path the CLI writes comes from an option with a fixed default, never from JSON."""
    source = (SRC / "cli.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    writes = [
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and ast.unparse(n.func).endswith(("save_json", "write_text"))
    ]
    assert writes  # the CLI does write files
    for call in writes:
        assert re.search(r"\b(output|out)\b", call), call


def test_json_output_has_no_nan_and_round_trips(tmp_path: Path) -> None:
    problem = load_problem(BAD / "unreachable_location.json")
    plan = solve(problem, time_limit_s=0.2)
    text = plan.model_dump_json()
    assert "NaN" not in text
    assert "Infinity" not in text
    assert json.loads(text)["kpis"]["visits_unallocated"] == 1


# -- time zones: a plan and a problem that differ in having one --------------------------------


def aware_plan_for_a_naive_problem(tmp_path: Path) -> tuple[Path, Path]:
    naive = BAD / "shift_shorter_than_any_visit.json"
    aware_text = naive.read_text().replace(':00"', ':00+00:00"')
    aware = tmp_path / "aware.json"
    aware.write_text(aware_text)
    plan = solve(load_problem(aware), time_limit_s=0.1)
    rounds_ = [r.model_dump(mode="json") for r in plan.rounds]
    # Give the plan one round so the checker has instants to compare.
    problem = load_problem(aware)
    carer = problem.carers[0]
    shift = carer.shifts[0]
    rounds_.append(
        {
            "carer_id": carer.id,
            "shift_index": 0,
            "travel_mode": carer.travel_mode,
            "start": shift.start.isoformat(),
            "end": shift.start.isoformat(),
            "stops": [],
            "travel_to_end_min": 0,
            "travel_to_end_m": 0,
            "kpis": plan.kpis.model_dump(mode="json", include=set(Kpis.model_fields)),
        }
    )
    data = plan.model_dump(mode="json")
    data["rounds"] = rounds_
    out = tmp_path / "plan.json"
    out.write_text(json.dumps(data))
    return naive, out


def test_check_of_a_plan_in_another_time_zone_kind_reports_it(tmp_path: Path) -> None:
    naive, plan_path = aware_plan_for_a_naive_problem(tmp_path)
    problem = load_problem(naive)
    violations = check(problem, load_plan(plan_path))
    assert violations


def test_cli_check_of_a_plan_in_another_time_zone_kind_is_readable(tmp_path: Path) -> None:
    naive, plan_path = aware_plan_for_a_naive_problem(tmp_path)
    result = runner.invoke(app, ["check", str(naive), str(plan_path)])
    no_traceback(result)
    assert result.exit_code in (1, 2)
    assert "time zone" in result.output
