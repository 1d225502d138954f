from __future__ import annotations

import json
from pathlib import Path

import pytest

from rounds import InputError, Plan, Problem, check, solve
from rounds.io import (
    MAX_INPUT_BYTES,
    json_schema,
    load_plan,
    load_problem,
    parse_problem,
    save_json,
)


def test_problem_and_plan_round_trip_through_json(small_problem: Problem, tmp_path: Path) -> None:
    plan = solve(small_problem, time_limit_s=1)
    problem_back = load_problem(save_json(small_problem, tmp_path / "problem.json"))
    plan_back = load_plan(save_json(plan, tmp_path / "plan.json"))
    assert problem_back == small_problem
    assert plan_back == plan
    assert check(problem_back, plan_back) == []


def test_misspelt_key_names_the_field_and_key(small_problem: Problem) -> None:
    data = json.loads(small_problem.model_dump_json())
    data["carers"][1]["hourly_cst"] = 12
    with pytest.raises(InputError) as info:
        parse_problem(json.dumps(data))
    assert str(info.value) == "carers[1].hourly_cst: unknown key 'hourly_cst' (misspelt?)"


def test_wrong_type_names_field_and_value(small_problem: Problem) -> None:
    data = json.loads(small_problem.model_dump_json())
    data["packages"][0]["visits"][0]["duration_min"] = "half an hour"
    with pytest.raises(
        InputError, match=r"packages\[0\].visits\[0\].duration_min: .*'half an hour'"
    ):
        parse_problem(json.dumps(data))


def test_missing_key_is_named(small_problem: Problem) -> None:
    data = json.loads(small_problem.model_dump_json())
    del data["clients"][0]["location"]
    with pytest.raises(InputError, match=r"clients\[0\].location: required key is missing"):
        parse_problem(json.dumps(data))


def test_not_json_at_all() -> None:
    with pytest.raises(InputError, match="Invalid JSON"):
        parse_problem("{not json")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_problem(tmp_path / "nope.json")


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(MAX_INPUT_BYTES + 1)  # sparse: no real disk used
    with pytest.raises(InputError, match="over the 200 MiB limit"):
        load_problem(big)


def test_schemas_describe_the_models() -> None:
    problem_schema, plan_schema = json_schema("problem"), json_schema("plan")
    assert problem_schema["additionalProperties"] is False
    assert "duration_min" in problem_schema["$defs"]["Visit"]["properties"]
    assert problem_schema["$defs"]["Visit"]["properties"]["duration_min"]["description"]
    assert set(plan_schema["properties"]) >= {"rounds", "unallocated", "kpis"}
    assert Plan.model_json_schema(mode="serialization")["title"] == "Plan"
