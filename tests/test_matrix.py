from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from rounds import GivenMatrix, HaversineSource, InputError, Location, Problem, TravelSettings
from rounds.matrix import ModeMatrix, build_matrices, haversine_m, places_of

from conftest import carer, loc, one_visit_packages, visit


def test_haversine_london_to_paris() -> None:
    london, paris = Location(lat=51.5074, lon=-0.1278), Location(lat=48.8566, lon=2.3522)
    assert haversine_m([london], [paris])[0, 0] == pytest.approx(343_550, rel=2e-3)


def test_fallback_is_crow_fly_times_circuity_at_mode_speed() -> None:
    source = HaversineSource(1.3, {"walk": 4.8, "cycle": 15, "drive": 25, "public_transport": 12})
    m = source.matrix([loc(0), loc(1000)], "walk")
    assert m.distances_m[0, 1] == pytest.approx(1300, rel=1e-3)
    assert m.durations_s[0, 1] == pytest.approx(1300 / (4.8 / 3.6), rel=1e-3)
    assert m.travel_min[0, 1] == 17  # 975 s rounds up to 17 whole minutes
    assert m.travel_min[0, 0] == 0


def test_travel_minutes_round_up_whole_seconds() -> None:
    seconds = np.array([[0.0, 60.4], [60.6, 0.0]])
    m = ModeMatrix(durations_s=seconds, distances_m=seconds)
    assert m.travel_min.tolist() == [[0, 1], [2, 0]]


def test_places_are_clients_then_carers_with_distinct_ends() -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V", (8, 0), (9, 0))})
    k1 = carer("K1", loc(0)).model_copy(update={"end_location": loc(50)})
    problem = Problem(carers=(k1, carer("K2", loc(0))), clients=cs, packages=ps)
    assert places_of(problem).keys == ("A", "K1", "K1@end", "K2")


def test_only_modes_in_use_are_built() -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V", (8, 0), (9, 0))})
    problem = Problem(carers=(carer("K1", loc(0), travel_mode="cycle"),), clients=cs, packages=ps)
    assert list(build_matrices(problem).by_mode) == ["cycle"]


def test_given_matrix_is_reordered_to_places() -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V", (8, 0), (9, 0))})
    given = GivenMatrix(
        travel_mode="walk",
        place_ids=("K1", "A"),
        durations_s=((0, 120), (180, 0)),
        distances_m=((0, 100), (150, 0)),
    )
    problem = Problem(
        carers=(carer("K1", loc(0)),),
        clients=cs,
        packages=ps,
        travel=TravelSettings(matrices=(given,)),
    )
    matrices = build_matrices(problem)
    assert matrices.leg("walk", "K1", "A") == (2, 100)
    assert matrices.leg("walk", "A", "K1") == (3, 150)


@pytest.mark.parametrize(
    ("durations", "message"),
    [
        (((0, 1), (1,)), "shape"),
        (((0, -1), (1, 0)), "not a finite value"),
    ],
)
def test_bad_given_matrices_are_named(
    durations: tuple[tuple[float, ...], ...], message: str
) -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V", (8, 0), (9, 0))})
    given = GivenMatrix(
        travel_mode="walk",
        place_ids=("K1", "A"),
        durations_s=durations,
        distances_m=((0, 1), (1, 0)),
    )
    with pytest.raises(ValidationError, match=rf"travel.matrices\[0\].durations_s.*{message}"):
        Problem(
            carers=(carer("K1", loc(0)),),
            clients=cs,
            packages=ps,
            travel=TravelSettings(matrices=(given,)),
        )


def test_given_matrix_missing_a_place() -> None:
    cs, ps = one_visit_packages({"A": loc(100)}, {"A": visit("V", (8, 0), (9, 0))})
    given = GivenMatrix(
        travel_mode="walk", place_ids=("A",), durations_s=((0,),), distances_m=((0,),)
    )
    with pytest.raises(ValidationError, match="missing 'K1'"):
        Problem(
            carers=(carer("K1", loc(0)),),
            clients=cs,
            packages=ps,
            travel=TravelSettings(matrices=(given,)),
        )


def test_mode_matrix_rejects_nan() -> None:
    with pytest.raises(InputError, match=r"durations_s\[0\]\[1\]"):
        ModeMatrix(durations_s=np.array([[0, np.nan], [1, 0]]), distances_m=np.zeros((2, 2)))
