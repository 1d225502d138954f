from __future__ import annotations

import json
from datetime import UTC

import pytest
from pydantic import ValidationError

from rounds import Carer, Location, Problem, RoundsWarning, Shift, Visit

from conftest import at, carer, loc, one_visit_packages, visit


def minimal() -> dict[str, object]:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V-A", (8, 0), (9, 0))})
    problem = Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)
    return json.loads(problem.model_dump_json())  # type: ignore[no-any-return]


def test_misspelt_key_is_named() -> None:
    data = minimal()
    data["packages"][0]["visits"][0]["duraton_min"] = 30  # type: ignore[index]
    with pytest.raises(ValidationError) as info:
        Problem.model_validate(data)
    assert "duraton_min" in str(info.value)
    assert "Extra inputs are not permitted" in str(info.value)


def test_every_cross_object_problem_is_reported_at_once() -> None:
    data = minimal()
    package = data["packages"][0]  # type: ignore[index]
    package["client_id"] = "NOBODY"
    package["visits"][0]["latest_start"] = "2025-03-10T07:00:00"
    data["carers"].append(data["carers"][0])  # type: ignore[attr-defined,index]
    with pytest.raises(ValidationError) as info:
        Problem.model_validate(data)
    text = str(info.value)
    assert "3 problem(s)" in text
    assert "packages[0].client_id: 'NOBODY' is not a client id" in text
    assert "packages[0].visits[0].latest_start: 2025-03-10T07:00:00 is before" in text
    assert "carers: id 'K1' is used 2 times" in text


def test_shift_that_ends_before_it_starts() -> None:
    with pytest.raises(ValidationError, match=r"carers\[0\].shifts\[0\].end"):
        Problem(
            carers=(Carer(id="K", start_location=loc(0), shifts=(Shift(start=at(9), end=at(8)),)),)
        )


def test_overlapping_shifts_of_one_carer() -> None:
    shifts = (Shift(start=at(7), end=at(12)), Shift(start=at(11), end=at(15)))
    with pytest.raises(ValidationError, match="overlaps"):
        Problem(carers=(Carer(id="K", start_location=loc(0), shifts=shifts),))


def test_mixed_time_zones_are_refused() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(100)},
        {
            "A": Visit(
                id="V",
                earliest_start=at(8).replace(tzinfo=UTC),
                latest_start=at(9).replace(tzinfo=UTC),
                duration_min=30,
            )
        },
    )
    with pytest.raises(ValidationError, match="time zone"):
        Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)


def test_carer_and_client_ids_must_differ() -> None:
    cs, ps = one_visit_packages({"K1": loc(100)}, {"K1": visit("V", (8, 0), (9, 0))})
    with pytest.raises(ValidationError, match="is also a client id"):
        Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, 181), (float("nan"), 0), (0, float("inf"))])
def test_bad_coordinates(lat: float, lon: float) -> None:
    with pytest.raises(ValidationError):
        Location(lat=lat, lon=lon)


@pytest.mark.parametrize("duration", [0, -5, 24 * 60 + 1])
def test_bad_durations(duration: int) -> None:
    with pytest.raises(ValidationError, match="duration_min"):
        visit("V", (8, 0), (9, 0), duration)


def test_skills_are_sorted_and_unique() -> None:
    assert carer("K", loc(0), skills=("hoist", "medication", "hoist")).skills == (
        "hoist",
        "medication",
    )


def test_skill_nobody_has_is_a_warning_not_an_error() -> None:
    cs, ps = one_visit_packages(
        {"A": loc(100)}, {"A": visit("V", (8, 0), (9, 0), skills=("hoist",))}
    )
    with pytest.warns(
        RoundsWarning, match=r"packages\[0\].visits\[0\].skills: no carer has 'hoist'"
    ):
        Problem(carers=(carer("K1", loc(0)),), clients=cs, packages=ps)


def test_inputs_are_frozen() -> None:
    k = carer("K", loc(0))
    with pytest.raises(ValidationError):
        k.travel_mode = "drive"  # type: ignore[misc]


def test_lookups(small_problem: Problem) -> None:
    assert small_problem.package_by_visit_id["C1-PM"].client_id == "C1"
    assert [c.id for c in small_problem.qualified_carers(small_problem.visit_by_id["C1-PM"])] == [
        "K1"
    ]
