"""Moving a pair of visits as one: candidates from plain data, priced exactly by OR-Tools."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np

from rounds import _ortools, _pairs
from rounds._ortools import GapSpec, RoutingInput, SyncSpec, TaskSpec, VehicleSpec

# Places: 0 the office, 1 a client who needs two carers at once, 2 and 3 two other clients.
TRAVEL = np.array(
    [
        [0, 10, 30, 30],
        [10, 0, 25, 25],
        [30, 25, 0, 40],
        [30, 25, 40, 0],
    ],
    dtype=np.int64,
)


def double_up_input(**changes: Any) -> RoutingInput:
    """Two carers 8:00-18:00; a double-up at 9:00 (late after 9:20, 10 a minute), two visits."""
    both = (0, 1)
    pair = TaskSpec(1, 30, 540, 900, both, 100_000, soft_latest=560, late_cost=10)
    tasks = [
        pair,
        pair,
        TaskSpec(2, 60, 540, 900, both, 100_000),
        TaskSpec(3, 60, 540, 900, both, 100_000),
    ]
    vehicles = [VehicleSpec(0, 0, 0, 480, 1080) for _ in range(2)]
    data = RoutingInput([TRAVEL], vehicles, tasks, synchronised=[SyncSpec(0, 1)])
    return dataclasses.replace(data, **changes)


# Each carer does another visit first: the double-up starts at 10:25, 65 minutes late.
LATE_PLAN = [[(2, 540), (0, 625)], [(3, 540), (1, 625)]]


def test_pairs_in_two_routes_are_double_ups_and_gaps_one_carer_cannot_do_alone() -> None:
    data = double_up_input(
        gaps=[
            GapSpec(2, 3, min_gap=0, max_gap=10),  # the second starts before the first ends
            GapSpec(0, 2, min_gap=120),  # one carer may do both: not a pair to move as one
            GapSpec(1, 3, min_gap=120),
        ],
        different_owners=[(1, 3)],  # ... unless they need different carers
    )
    found = {(p.first, p.second, p.min_lag, p.max_lag) for p in _pairs.pairs_of(data)}
    assert found == {(0, 1, 0, 0), (2, 3, 0, 10), (1, 3, 120, None)}


def test_a_late_double_up_moves_to_the_front_of_both_rounds() -> None:
    data = double_up_input()
    (pair,) = _pairs.pairs_of(data)
    assert _pairs.lateness(data, pair, {0: 625, 1: 625}) == 2 * 65 * 10
    candidates = _pairs.relocations(data, LATE_PLAN, pair)
    assert candidates
    assert sorted(candidates[0]) == [[0, 2], [1, 3]]


def test_a_pair_already_where_it_belongs_is_not_moved() -> None:
    data = double_up_input()
    (pair,) = _pairs.pairs_of(data)
    on_time = [[(0, 540), (2, 595)], [(1, 540), (3, 595)]]
    assert _pairs.relocations(data, on_time, pair) == []


def test_other_places_for_a_pair_are_proposed_when_asked_whatever_they_cost() -> None:
    # A re-pin move takes a pair elsewhere though it costs more as the routes stand.
    data = double_up_input()
    (pair,) = _pairs.pairs_of(data)
    on_time = [[(0, 540), (2, 595)], [(1, 540), (3, 595)]]
    moves = _pairs.Moves(data, on_time)
    assert moves.relocations(pair) == []
    elsewhere = moves.relocations(pair, limit=3, improving=False)
    assert elsewhere
    assert [[0, 2], [1, 3]] not in [sorted(plan) for plan in elsewhere]  # not where it is
    for plan in elsewhere:
        assert sorted(t for route in plan for t in route) == [0, 1, 2, 3]
        assert not any({0, 1} <= set(route) for route in plan)  # two carers still


def test_the_moves_of_one_plan_match_the_moves_priced_one_at_a_time() -> None:
    data = double_up_input(gaps=[GapSpec(2, 3, min_gap=0, max_gap=60)])
    moves = _pairs.Moves(data, LATE_PLAN)
    for pair in _pairs.pairs_of(data):
        assert moves.relocations(pair) == _pairs.relocations(data, LATE_PLAN, pair)
    half = [[(2, 540)], [(1, 625)]]
    assert _pairs.Moves(data, half).insertions(3) == _pairs.insertions(data, half, 3)


def test_a_move_that_breaks_a_window_is_not_proposed() -> None:
    # Task 2 must start by 9:10: putting the pair before it would push it past its window.
    data = double_up_input()
    tasks = list(data.tasks)
    tasks[2] = dataclasses.replace(tasks[2], latest=550)
    tasks[3] = dataclasses.replace(tasks[3], latest=550)
    data = dataclasses.replace(data, tasks=tasks)
    (pair,) = _pairs.pairs_of(data)
    assert _pairs.relocations(data, LATE_PLAN, pair) == []


def test_a_kick_takes_out_the_nearest_tasks_and_every_task_tied_to_them() -> None:
    data = double_up_input(gaps=[GapSpec(2, 3, min_gap=0)])
    routes = [[2, 0], [3, 1]]
    # Task 2 alone is nearest itself, but its gap ties task 3 to it.
    assert _pairs.ruin(data, routes, seed=2, size=1) == [[0], [1]]
    # From the double-up's place: both halves of it, nothing else.
    assert _pairs.ruin(data, routes, seed=0, size=1) == [[2], [3]]
    assert _pairs.ruin(data, routes, seed=0, size=2) == [[2], [3]]
    # Three nearest: the double-up and task 2 (25 minutes away), and task 3 tied to 2.
    assert _pairs.ruin(data, routes, seed=0, size=3) == [[], []]
    # Undone tasks are not counted among the nearest.
    assert _pairs.ruin(data, [[2], [3]], seed=0, size=1) == [[], []]


def test_a_neighbourhood_is_nearest_first_ties_by_task_then_as_given() -> None:
    # From place 2: itself (0), the double-up's place (25, tasks 0 and 1), place 3 (40).
    data = double_up_input()
    assert _pairs.nearest_first(data, 2, [3, 1, 0, 2], lambda t: t) == [2, 0, 1, 3]
    # Pairs ordered by where their first task is; two pairs on one task keep their order.
    pairs = [("b", 3), ("a", 0), ("c", 0)]
    assert _pairs.nearest_first(data, 3, pairs, lambda p: p[1]) == [("b", 3), ("a", 0), ("c", 0)]
    assert _pairs.nearest_first(data, 0, pairs, lambda p: p[1]) == [("a", 0), ("c", 0), ("b", 3)]


def test_drawn_minutes_keep_the_pair_in_its_windows_and_its_lag() -> None:
    # A re-pin kick draws new minutes for pairs: a double-up starts together within its
    # preferred window (9:00-9:20), a gap keeps its lag, and the draws spread.
    data = double_up_input()
    (double_up,) = _pairs.pairs_of(data)
    gap = _pairs.Pair(2, 3, min_lag=30, max_lag=90, different_vehicles=True)
    draws = [_pairs.drawn_starts(data, double_up, random.Random(s)) for s in range(50)]
    assert all(d is not None and d[0] == d[1] and 540 <= d[0] <= 560 for d in draws)
    assert len(set(draws)) > 5
    for s in range(50):
        found = _pairs.drawn_starts(data, gap, random.Random(s))
        assert found is not None
        first, second = found
        assert 30 <= second - first <= 90
        assert 540 <= first <= 900
        assert second <= 900


def test_no_minutes_are_drawn_when_the_windows_cannot_hold_the_lag() -> None:
    data = double_up_input()  # both windows close at 15:00
    gap = _pairs.Pair(2, 3, min_lag=400, max_lag=None, different_vehicles=True)
    assert all(_pairs.drawn_starts(data, gap, random.Random(s)) is None for s in range(20))


def test_moving_pairs_makes_the_plan_cheaper_and_keeps_the_pair_together() -> None:
    data = double_up_input()
    model = _ortools._build(data)
    late = _ortools._restore_tasks(model, [[t for t, _ in route] for route in LATE_PLAN])
    assert late is not None
    moved = _ortools._move_pairs(model, data, late, deadline=float("inf"))
    assert moved.ObjectiveValue() < late.ObjectiveValue()
    starts = {t: s for route in _ortools._timed_routes(model, moved) for t, s in route}
    assert starts[0] == starts[1] == 540
    assert sorted(_ortools._task_routes(model, moved)) == [[0, 2], [1, 3]]


def test_a_gap_between_two_carers_visits_moves_with_its_gap_kept() -> None:
    # The second visit must start 60 to 90 minutes after the first, by another carer.
    data = double_up_input(synchronised=[])
    tasks = list(data.tasks)
    tasks[1] = dataclasses.replace(tasks[1], soft_latest=620)
    vehicles = [dataclasses.replace(v, owner=k) for k, v in enumerate(data.vehicles)]
    data = dataclasses.replace(
        data,
        tasks=tasks,
        vehicles=vehicles,
        gaps=[GapSpec(0, 1, min_gap=60, max_gap=90)],
        different_owners=[(0, 1)],
    )
    (pair,) = _pairs.pairs_of(data)
    assert (pair.min_lag, pair.max_lag) == (60, 90)
    model = _ortools._build(data)
    late = _ortools._restore_tasks(model, [[2, 0], [3, 1]])
    assert late is not None
    moved = _ortools._move_pairs(model, data, late, deadline=float("inf"))
    assert moved.ObjectiveValue() < late.ObjectiveValue()
    starts = {t: s for route in _ortools._timed_routes(model, moved) for t, s in route}
    assert starts[0] <= 560  # on time
    assert 60 <= starts[1] - starts[0] <= 90
    routes = _ortools._task_routes(model, moved)
    assert not any({0, 1} <= set(route) for route in routes)


def test_an_undone_double_up_is_put_in_both_rounds_at_once() -> None:
    # Local search moves one task at a time, and half a double-up earns nothing.
    data = double_up_input()
    (pair,) = _pairs.pairs_of(data)
    plan = [[(2, 540)], [(3, 540)]]
    candidates = _pairs.relocations(data, plan, pair)
    assert candidates
    assert sorted(candidates[0]) == [[0, 2], [1, 3]]
    half = [[(2, 540), (0, 625)], [(3, 540)]]
    assert _pairs.relocations(data, half, pair)
    model = _ortools._build(data)
    undone = _ortools._restore_tasks(model, [[2], [3]])
    assert undone is not None
    done = _ortools._move_pairs(model, data, undone, deadline=float("inf"))
    assert done.ObjectiveValue() < undone.ObjectiveValue()
    starts = {t: s for route in _ortools._timed_routes(model, done) for t, s in route}
    assert starts[0] == starts[1] == 540


def test_an_undone_visit_that_delays_a_double_up_is_put_in_with_the_pair_moved() -> None:
    # Visit 2 (carer 0 only) must start by 8:40, before the 9:00 double-up: putting it in
    # delays the double-up, so its partner in carer 1's round must start later too.
    data = double_up_input()
    tasks = list(data.tasks)
    tasks[2] = dataclasses.replace(tasks[2], earliest=480, latest=520, allowed_vehicles=(0,))
    data = dataclasses.replace(data, tasks=tasks)
    plan = [[(0, 540)], [(1, 540), (3, 595)]]
    candidates = _pairs.insertions(data, plan, 2)
    assert candidates
    assert candidates[0] == [[2, 0], [1, 3]]
    assert _pairs.insertions(data, [[(2, 510), (0, 595)], [(1, 595)]], 2) == []  # done
    model = _ortools._build(data)
    undone = _ortools._restore_tasks(model, [[0], [1, 3]])
    assert undone is not None
    done = _ortools._move_pairs(model, data, undone, deadline=float("inf"))
    assert done.ObjectiveValue() < undone.ObjectiveValue()
    timed = _ortools._timed_routes(model, done)
    starts = {t: s for route in timed for t, s in route}
    assert set(starts) == {0, 1, 2, 3}
    assert starts[0] == starts[1] >= starts[2] + 60 + 25
    assert [t for t, _ in timed[0]][:2] == [2, 0]


def test_no_position_is_proposed_that_pushes_a_visit_past_its_window() -> None:
    data = double_up_input()
    tasks = list(data.tasks)
    tasks[0] = dataclasses.replace(tasks[0], latest=540)  # the double-up cannot move
    tasks[1] = dataclasses.replace(tasks[1], latest=540)
    tasks[2] = dataclasses.replace(tasks[2], earliest=480, latest=520, allowed_vehicles=(0,))
    data = dataclasses.replace(data, tasks=tasks)
    assert _pairs.insertions(data, [[(0, 540)], [(1, 540), (3, 595)]], 2) == []


def test_no_position_is_proposed_when_leaving_the_visit_out_is_cheaper() -> None:
    data = double_up_input()
    tasks = list(data.tasks)
    tasks[2] = dataclasses.replace(
        tasks[2], earliest=480, latest=520, allowed_vehicles=(0,), penalty=100
    )
    data = dataclasses.replace(data, tasks=tasks)
    # Putting visit 2 in makes the double-up 35 minutes late: 700 in lateness alone.
    assert _pairs.insertions(data, [[(0, 540)], [(1, 540), (3, 595)]], 2) == []
