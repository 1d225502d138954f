"""The two routing engines: PyVRP's plain routes, and OR-Tools restoring and pricing them."""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import random
import time
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rounds import _ortools, _pairs, _pyvrp
from rounds._ortools import (
    BreakSpec,
    GapSpec,
    RoutingInput,
    SyncSpec,
    TaskSpec,
    VehicleSpec,
)

PENALTY = 100_000


def grid_input(
    n_tasks: int = 30,
    n_vehicles: int = 4,
    seed: int = 1,
    **changes: Any,
) -> RoutingInput:
    """Tasks scattered on a 20-minute square, vehicles from one office, 9:00-17:00 in minutes."""
    rng = np.random.default_rng(seed)
    xy = np.vstack([[10, 10], rng.integers(0, 21, size=(n_tasks, 2))])
    travel = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2).astype(np.int64)
    tasks = []
    for t in range(n_tasks):
        earliest = int(rng.integers(540, 900))
        tasks.append(
            TaskSpec(
                place=t + 1,
                service=int(rng.integers(10, 31)),
                earliest=earliest,
                latest=earliest + 120,
                allowed_vehicles=tuple(range(n_vehicles)),
                penalty=PENALTY,
            )
        )
    vehicles = [
        VehicleSpec(start_place=0, end_place=0, mode=0, earliest_start=540, latest_end=1020)
        for _ in range(n_vehicles)
    ]
    data = RoutingInput(travel_min=[travel], vehicles=vehicles, tasks=tasks, time_limit_s=1.0)
    return dataclasses.replace(data, **changes)


def simulate(data: RoutingInput, v: int, route: list[int]) -> list[int]:
    """Start minutes of ``route`` on vehicle ``v``, waiting when early (no lateness)."""
    spec = data.vehicles[v]
    travel = np.asarray(data.travel_min[spec.mode])
    now, here, starts = spec.earliest_start, spec.start_place, []
    for t in route:
        task = data.tasks[t]
        now = max(now + int(travel[here, task.place]), task.earliest)
        starts.append(now)
        now, here = now + task.service, task.place
    assert now + int(travel[here, spec.end_place]) <= spec.latest_end
    return starts


def test_a_restore_after_a_search_that_ran_out_of_time_still_works() -> None:
    # OR-Tools' search limit stays crossed after a search that used all its time, and
    # ReadAssignmentFromRoutes then fails on every route; _restore must not.
    data = grid_input(n_tasks=40, time_limit_s=0.5)
    model = _ortools._build(data)
    params = _ortools._search_parameters(0.5)
    searched = model.routing.SolveWithParameters(params)
    assert searched is not None
    routes = _ortools._routes_of(model.routing, searched)
    restored = _ortools._restore(model.routing, routes)
    assert restored is not None
    assert restored.ObjectiveValue() == searched.ObjectiveValue()


def test_pyvrp_is_only_handed_problems_whose_rules_it_can_keep() -> None:
    plain = grid_input()
    assert _pyvrp.expressible(plain)
    kept_by_ortools_only: dict[str, Any] = {
        "synchronised": [SyncSpec(0, 1)],
        "gaps": [GapSpec(0, 1, min_gap=60)],
        "different_owners": [(0, 1)],
        "max_idle": 30,
    }
    for field, value in kept_by_ortools_only.items():
        assert not _pyvrp.expressible(grid_input(**{field: value})), field
        assert _pyvrp.plain_routing(grid_input(**{field: value}), 0.1) is None
    with_break = [
        VehicleSpec(0, 0, 0, 540, 1020, breaks=(BreakSpec(720, 780, 30),)) for _ in range(4)
    ]
    assert not _pyvrp.expressible(grid_input(vehicles=with_break))


def test_pyvrp_routes_do_every_task_within_its_window_and_the_full_model_accepts_them() -> None:
    data = grid_input()
    routes = _pyvrp.plain_routing(data, 1.0)
    assert routes is not None
    assert len(routes) == len(data.vehicles)
    done = sorted(t for r in routes for t in r)
    assert done == list(range(len(data.tasks)))
    for v, route in enumerate(routes):
        for t, start in zip(route, simulate(data, v, route), strict=True):
            assert data.tasks[t].earliest <= start <= data.tasks[t].latest
    model = _ortools._build(data)
    assert _ortools._restore_tasks(model, routes) is not None


def test_pyvrp_keeps_skills_and_longest_legs() -> None:
    base = grid_input(n_tasks=24)
    # Tasks 0-7 need vehicle 0 (a skill only its carer has); vehicle 3 walks, 6 minutes a leg.
    tasks = [
        t if k >= 8 else TaskSpec(**{**t.__dict__, "allowed_vehicles": (0,)})
        for k, t in enumerate(base.tasks)
    ]
    walker = VehicleSpec(0, 0, 0, 540, 1020, max_leg=6)
    data = grid_input(n_tasks=24, tasks=tasks, vehicles=[*base.vehicles[:3], walker])
    routes = _pyvrp.plain_routing(data, 1.0)
    assert routes is not None
    for v, route in enumerate(routes):
        if v != 0:
            assert not set(route) & set(range(8))
    travel = np.asarray(data.travel_min[0])
    places = [0, *(data.tasks[t].place for t in routes[3]), 0]
    assert all(travel[a, b] <= 6 for a, b in itertools.pairwise(places))
    assert _ortools._restore_tasks(_ortools._build(data), routes) is not None


def test_pyvrp_meets_preferred_windows_it_is_given() -> None:
    base = grid_input(n_tasks=12)
    tasks = [
        TaskSpec(
            **{
                **t.__dict__,
                "latest": t.earliest + 240,
                "soft_latest": t.earliest + 30,
                "late_cost": 10,
            }
        )
        for t in base.tasks
    ]
    data = grid_input(n_tasks=12, tasks=tasks)
    routes = _pyvrp.plain_routing(data, 1.0)
    assert routes is not None
    for v, route in enumerate(routes):
        for t, start in zip(route, simulate(data, v, route), strict=True):
            soft_latest = data.tasks[t].soft_latest
            assert soft_latest is not None
            assert start <= soft_latest


@pytest.mark.parametrize("workers", ["1", "2"])
def test_solve_routing_does_every_task_of_a_plain_problem(
    workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_ortools.WORKERS_ENV, workers)
    data = grid_input(time_limit_s=2.0)
    result = _ortools.solve_routing(data)
    assert sorted(t for r in result.routes for t, _ in r) == list(range(len(data.tasks)))
    for v, route in enumerate(result.routes):
        tasks = [t for t, _ in route]
        simulate(data, v, tasks)


def _starts(result: _ortools.RoutingResult) -> dict[int, tuple[int, int]]:
    """Task -> (vehicle, start minute) of every task done."""
    return {t: (v, start) for v, route in enumerate(result.routes) for t, start in route}


def _tasks_done(model: _ortools._Model, plan: Any) -> list[int]:
    """Every task ``plan`` (an assignment of ``model``) does, sorted."""
    return sorted(t for route in _ortools._task_routes(model, plan) for t in route)


def paired_input(n_tasks: int = 12, **changes: Any) -> RoutingInput:
    """:func:`grid_input` with wide windows, two gaps and two double-ups among tasks 0-7."""
    base = grid_input(n_tasks=n_tasks, time_limit_s=1.0)
    wide = [dataclasses.replace(t, earliest=540, latest=960) for t in base.tasks]
    data = dataclasses.replace(
        base,
        tasks=wide,
        gaps=[GapSpec(0, 1, min_gap=120, max_gap=150), GapSpec(2, 3, min_gap=30)],
        synchronised=[SyncSpec(4, 5), SyncSpec(6, 7, tolerance=5)],
    )
    return dataclasses.replace(data, **changes)


# With two workers and pairs PyVRP can pin, the search goes on in rounds with PyVRP beside.
@pytest.mark.parametrize("workers", ["1", "2"])
def test_gaps_and_double_ups_bind_whenever_both_tasks_are_done(
    workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_ortools.WORKERS_ENV, workers)
    data = paired_input()
    done = _starts(_ortools.solve_routing(data))
    assert set(done) == set(range(12))
    assert 120 <= done[1][1] - done[0][1] <= 150
    assert done[3][1] - done[2][1] >= 30
    assert done[4][1] == done[5][1]
    assert done[4][0] != done[5][0]
    assert abs(done[6][1] - done[7][1]) <= 5
    assert done[6][0] != done[7][0]


def test_a_gap_that_cannot_hold_leaves_one_task_undone_not_the_plan_infeasible() -> None:
    # Task 1 must start 120 minutes after task 0, but its window closes 30 minutes after
    # task 0's: both cannot be done. The gap binds only when both are, so one is done.
    base = grid_input(n_tasks=4, time_limit_s=1.0)
    tasks = list(base.tasks)
    tasks[0] = dataclasses.replace(tasks[0], earliest=540, latest=560, penalty=2 * PENALTY)
    tasks[1] = dataclasses.replace(tasks[1], earliest=560, latest=590)
    data = dataclasses.replace(base, tasks=tasks, gaps=[GapSpec(0, 1, min_gap=120)])
    result = _ortools.solve_routing(data)
    done = _starts(result)
    assert result.objective is not None
    assert 0 in done
    assert 1 not in done
    assert {2, 3} <= set(done)


def test_pyvrp_can_pin_pairs_only_when_pairs_are_all_that_keeps_it_out() -> None:
    assert _pyvrp.pinnable(paired_input())
    assert not _pyvrp.pinnable(grid_input())  # nothing to pin: plain PyVRP applies
    with_break = [
        dataclasses.replace(v, breaks=(BreakSpec(700, 760, 30),)) for v in grid_input().vehicles
    ]
    assert not _pyvrp.pinnable(paired_input(vehicles=with_break))


def test_the_restriction_around_a_plan_pins_its_pairs_and_late_tasks_get_no_later() -> None:
    data = paired_input()
    tasks = list(data.tasks)
    tasks[8] = dataclasses.replace(tasks[8], soft_latest=600, late_cost=1)
    tasks[9] = dataclasses.replace(tasks[9], soft_earliest=700, early_cost=1)
    data = dataclasses.replace(data, tasks=tasks)
    # A plan doing 0-3 and 8-11, leaving both double-ups undone; 8 late, 9 early.
    starts = {0: 560, 1: 690, 2: 600, 3: 700, 8: 640, 9: 650, 10: 800, 11: 820}
    restricted = _pyvrp.around(data, starts)
    assert _pyvrp.expressible(restricted)
    assert restricted.gaps == ()
    assert restricted.synchronised == ()
    assert restricted.different_owners == ()
    for t in (0, 1, 2, 3):
        assert (restricted.tasks[t].earliest, restricted.tasks[t].latest) == (starts[t],) * 2
    for t in (4, 5, 6, 7):
        assert restricted.tasks[t].allowed_vehicles == ()
    assert restricted.tasks[8].soft_latest == 640
    assert restricted.tasks[9].soft_earliest == 650
    assert restricted.tasks[10] == data.tasks[10]


def test_pyvrp_routes_around_a_plan_keep_its_pairs_for_the_full_model() -> None:
    data = paired_input(n_tasks=20)
    plan = _starts(_ortools.solve_routing(data))
    routes = _pyvrp.plain_routing(_pyvrp.around(data, {t: s for t, (_, s) in plan.items()}), 1.0)
    assert routes is not None
    assert sorted(t for r in routes for t in r) == sorted(plan)
    assert _ortools._restore_tasks(_ortools._build(data), routes) is not None


def test_pyvrp_started_from_the_plan_it_routes_around_returns_nothing_worse() -> None:
    # From a random start, PyVRP used to leave out a few pinned tasks the plan does (on 300
    # visits, every round): each dropped half of a double-up cost its penalty, and no round's
    # plan was ever kept. Started from the plan, it cannot end worse than the plan.
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    routes = _ortools._task_routes(model, solution)
    restricted = _pyvrp.around(data, _ortools._starts(model, solution))
    improved = _pyvrp.plain_routing(restricted, 0.01, routes)
    assert improved is not None
    assert sorted(t for r in improved for t in r) == sorted(t for r in routes for t in r)
    restored = _ortools._restore_tasks(model, improved)
    assert restored is not None
    assert restored.ObjectiveValue() <= solution.ObjectiveValue()


def test_a_plan_pyvrp_cannot_start_from_is_ignored_not_an_error() -> None:
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    starts = _ortools._starts(model, solution)
    undoable = data.synchronised[0].first
    del starts[undoable]  # a paired task the plan leaves undone stays undone
    restricted = _pyvrp.around(data, starts)
    too_many = [[t] for r in _ortools._task_routes(model, solution) for t in r]
    for initial in ([[undoable]] + [[]] * 3, too_many):
        assert _pyvrp.plain_routing(restricted, 0.1, initial) is not None


def test_a_plan_from_another_start_is_kept_only_when_it_costs_less() -> None:
    data = paired_input()
    model = _ortools._build(data)
    good = _ortools._restore_tasks(model, _ortools._task_routes(model, _solved(model)))
    assert good is not None
    good_cost = good.ObjectiveValue()
    # The same plan with a task left undone: its penalty outweighs the travel it saves.
    worse_routes = [[t for t in r if t != 11] for r in _ortools._task_routes(model, good)]
    worse = _ortools._restore_tasks(model, worse_routes)
    assert worse is not None
    assert worse.ObjectiveValue() > good_cost
    kept = _ortools._cheaper(model, worse, (None, _ortools._task_routes(model, good)))
    assert kept.ObjectiveValue() == good_cost
    kept = _ortools._cheaper(model, good, (None, worse_routes))
    assert kept.ObjectiveValue() == good_cost
    assert _ortools._cheaper(model, good, None) is good


def _round_found(data: RoutingInput, model: _ortools._Model, solution: Any) -> Any:
    """What :func:`_ortools._pinned_round` sends for a short round from ``solution``."""
    restricted = _pyvrp.around(data, _ortools._starts(model, solution))
    plan = _ortools._task_routes(model, solution)
    receive, send = multiprocessing.Pipe(duplex=False)
    now = time.perf_counter()
    _ortools._pinned_round(model, data, restricted, plan, now + 0.3, now + 0.6, 0, send)
    return receive.recv()


def test_a_round_of_pyvrp_then_pair_moves_sends_a_plan_priced_on_the_model() -> None:
    # The spare core's round: PyVRP around the plan, then the pairs moved as one there; the
    # cost it sends is the model's, so the caller need not restore a plan that is no cheaper.
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    found = _round_found(data, model, solution)
    assert found is not None
    cost, routes = found
    done = {t for r in _ortools._task_routes(model, solution) for t in r}
    assert done <= {t for r in routes for t in r}
    restored = _ortools._restore_tasks(model, routes)
    assert restored is not None
    assert restored.ObjectiveValue() == cost <= solution.ObjectiveValue()


def test_a_failed_round_sends_nothing_and_the_plan_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("PyVRP failed")

    monkeypatch.setattr(_pyvrp, "plain_routing", fails)
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    assert _round_found(data, model, solution) is None
    kept = _ortools._cheaper(model, solution, None)
    assert kept is solution


def test_with_no_pairs_to_move_pyvrp_has_the_whole_round(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tasks that only need different carers keep PyVRP to the restriction but are no pairs the
    # pair moves handle: the spare core's round is PyVRP's alone, as long as this core's.
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")
    data = grid_input(n_tasks=12, different_owners=[(0, 1), (2, 3)])
    assert _pyvrp.pinnable(data)
    assert not _pairs.pairs_of(data)
    ends: list[tuple[float, float]] = []
    real_fork = _ortools._fork

    def fork(target: Any, *args: Any) -> Any:
        assert target is _ortools._pinned_round
        ends.append((args[4], args[5]))  # PyVRP's end, the round's end
        return real_fork(target, *args)

    monkeypatch.setattr(_ortools, "_fork", fork)
    model = _ortools._build(data)
    solution = _solved(model)
    with _ortools._StopOnInterrupt(model.routing) as interrupt:
        _ortools._improve(model, data, solution, time.perf_counter() + 1.0, interrupt, True)
    assert ends
    assert all(pyvrp_end == end for pyvrp_end, end in ends)


def test_rounds_alternate_here_and_every_search_has_a_seed_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The spare core runs PyVRP's round in every round; this core in every other round, the
    # rest guided local search. No two PyVRP searches share a seed.
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")
    monkeypatch.setattr(_ortools, "PINNED_ROUND_MIN_S", 0.3)
    data = dataclasses.replace(paired_input(n_tasks=20), seed=7)
    forked: list[int] = []
    here: list[int] = []
    real_fork, real_round = _ortools._fork, _ortools._pyvrp_round

    def fork(target: Any, *args: Any) -> Any:
        forked.append(args[6])
        return real_fork(target, *args)

    def pyvrp_round(*args: Any, **kwargs: Any) -> Any:
        here.append(args[6])
        return real_round(*args, **kwargs)

    monkeypatch.setattr(_ortools, "_fork", fork)
    monkeypatch.setattr(_ortools, "_pyvrp_round", pyvrp_round)
    monkeypatch.setattr(_ortools._Repins, "exhausted", lambda self: True)  # no re-pin rounds
    monkeypatch.setattr(_ortools, "REPIN_KICKS", False)  # no PyVRP search in a kick
    model = _ortools._build(data)
    solution = _solved(model)
    with _ortools._StopOnInterrupt(model.routing) as interrupt:
        best = _ortools._improve(model, data, solution, time.perf_counter() + 1.5, interrupt, True)
    assert len(forked) >= 3
    assert forked == [7 + 2 * r for r in range(len(forked))]
    assert here == [7 + 2 * r + 1 for r in range(1, len(forked), 2)]
    assert best.ObjectiveValue() <= solution.ObjectiveValue()
    assert _ortools._restore_tasks(model, _ortools._task_routes(model, best)) is not None


def test_rounds_that_gain_nothing_kick_the_best_plan_and_return_the_best_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A small problem soon stops gaining: the best plan is kicked (a neighbourhood of tasks
    # taken out, pairs whole), the rounds go on from there, and what comes back is the best
    # plan seen, every task in it, never a kicked one.
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")
    monkeypatch.setattr(_ortools, "PINNED_ROUND_MIN_S", 0.2)
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    kicked: list[tuple[int, int]] = []
    real_kicked = _ortools._kicked

    def kick(model: Any, data: Any, best: Any, rng: Any, size: int | None = None) -> Any:
        plan = real_kicked(model, data, best, rng, size)
        kicked.append((best.ObjectiveValue(), plan.ObjectiveValue()))
        return plan

    monkeypatch.setattr(_ortools, "_kicked", kick)
    monkeypatch.setattr(_ortools, "REPIN_KICKS", False)  # every kick takes tasks out
    monkeypatch.setattr(_ortools._Repins, "exhausted", lambda self: True)  # kick at once
    with _ortools._StopOnInterrupt(model.routing) as interrupt:
        best = _ortools._improve(model, data, solution, time.perf_counter() + 3.0, interrupt, True)
    assert kicked
    assert all(after > before for before, after in kicked)  # tasks were taken out
    assert best.ObjectiveValue() <= min(before for before, _ in kicked)
    assert best.ObjectiveValue() <= solution.ObjectiveValue()
    assert _tasks_done(model, best) == _tasks_done(model, solution)


def test_a_phases_last_rounds_kick_small_when_a_kick_has_no_time_to_pay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With fewer than KICK_LEAST_ROUNDS shortest rounds left, a round that gains nothing is
    # followed by a small kick (LATE_KICK_TASKS tasks out) the next round can repair, never a
    # full one; what comes back is the best plan seen, every task in it.
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")
    monkeypatch.setattr(_ortools, "PINNED_ROUND_MIN_S", 0.2)
    monkeypatch.setattr(_ortools, "KICK_LEAST_ROUNDS", 1000)  # never time for a full kick
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    sizes: list[int | None] = []
    real_kicked = _ortools._kicked

    def kick(model: Any, data: Any, best: Any, rng: Any, size: int | None = None) -> Any:
        sizes.append(size)
        return real_kicked(model, data, best, rng, size)

    def no_repin_kick(*args: Any) -> Any:
        raise AssertionError("no re-pin kick without time for it")

    monkeypatch.setattr(_ortools, "_kicked", kick)
    monkeypatch.setattr(_ortools, "_repin_kicked", no_repin_kick)
    with _ortools._StopOnInterrupt(model.routing) as interrupt:
        best = _ortools._improve(model, data, solution, time.perf_counter() + 3.0, interrupt, True)
    assert sizes
    assert all(size == _ortools.LATE_KICK_TASKS for size in sizes)
    assert best.ObjectiveValue() <= solution.ObjectiveValue()
    assert _tasks_done(model, best) == _tasks_done(model, solution)


def _re_pin_and_kick_events(
    monkeypatch: pytest.MonkeyPatch, search: Callable[..., Any]
) -> tuple[list[str], Any, Any, Any]:
    """Improve a paired plan for 4 s with re-pin moves on, ``search`` in place of
    ``_Repins.search``: the re-pin rounds and kicks in order, the model, the start, the best."""
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")
    monkeypatch.setattr(_ortools, "PINNED_ROUND_MIN_S", 0.2)
    monkeypatch.setattr(_ortools, "REPIN_MOVES", True)
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    events: list[str] = []
    real_kicked, real_repin_kicked = _ortools._kicked, _ortools._repin_kicked

    def logged_search(self: Any, end: float, seed: int) -> Any:
        events.append("re-pin")
        return search(self, end, seed)

    def kick(model: Any, data: Any, best: Any, rng: Any, size: int | None = None) -> Any:
        events.append("kick" if size is None else "late kick")  # a phase's last rounds
        return real_kicked(model, data, best, rng, size)

    def repin_kick(*args: Any) -> Any:
        events.append("kick")
        return real_repin_kicked(*args)

    monkeypatch.setattr(_ortools._Repins, "search", logged_search)
    monkeypatch.setattr(_ortools, "_kicked", kick)
    monkeypatch.setattr(_ortools, "_repin_kicked", repin_kick)
    with _ortools._StopOnInterrupt(model.routing) as interrupt:
        best = _ortools._improve(model, data, solution, time.perf_counter() + 4.0, interrupt, True)
    return events, model, solution, best


def test_rounds_that_gain_nothing_try_the_re_pin_moves_of_the_best_plan_before_a_kick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A round that gains nothing tries re-pin moves of the best plan (a pair elsewhere,
    # PyVRP routing the rest around it) before any kick, and what comes back is the best
    # plan seen, every task in it.
    events, model, solution, best = _re_pin_and_kick_events(monkeypatch, _ortools._Repins.search)
    assert events
    assert events[0] == "re-pin"
    assert best.ObjectiveValue() <= solution.ObjectiveValue()
    assert _tasks_done(model, best) == _tasks_done(model, solution)


def test_re_pin_rounds_alternate_with_kicks_while_the_sweep_lasts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A large plan's sweep of re-pin moves can outlast the run. Here no re-pin move ever
    # gains and the sweep never ends (``search`` gives nothing and tries nothing): the kicks
    # still come, each one the round after a re-pin round.
    def search(self: Any, end: float, seed: int) -> Any:
        time.sleep(max(0.0, min(0.05, end - time.perf_counter())))
        return None

    events, model, solution, best = _re_pin_and_kick_events(monkeypatch, search)
    assert events[0] == "re-pin"
    assert "kick" in events
    assert all(events[i - 1] == "re-pin" for i, e in enumerate(events) if e == "kick")
    assert _tasks_done(model, best) == _tasks_done(model, solution)


def test_kicks_alternate_re_pinning_pairs_with_taking_tasks_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first kick re-pins a neighbourhood of pairs at drawn minutes, the next takes tasks
    # out, and so on; the best plan seen comes back with every task in it.
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")
    monkeypatch.setattr(_ortools, "PINNED_ROUND_MIN_S", 0.2)
    monkeypatch.setattr(_ortools._Repins, "exhausted", lambda self: True)  # kick at once
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    kinds: list[str] = []
    real_kicked, real_repin_kicked = _ortools._kicked, _ortools._repin_kicked

    def kick(*args: Any) -> Any:
        kinds.append("out")
        return real_kicked(*args)

    def repin_kick(*args: Any) -> Any:
        kinds.append("re-pin")
        return real_repin_kicked(*args)

    monkeypatch.setattr(_ortools, "_kicked", kick)
    monkeypatch.setattr(_ortools, "_repin_kicked", repin_kick)
    with _ortools._StopOnInterrupt(model.routing) as interrupt:
        best = _ortools._improve(model, data, solution, time.perf_counter() + 3.0, interrupt, True)
    assert len(kinds) >= 2
    assert kinds == ["re-pin", "out"] * (len(kinds) // 2) + ["re-pin"] * (len(kinds) % 2)
    assert best.ObjectiveValue() <= solution.ObjectiveValue()
    assert _tasks_done(model, best) == _tasks_done(model, solution)


def test_a_re_pin_kick_moves_pairs_to_drawn_minutes_and_keeps_every_task() -> None:
    # Four pairs in two routes: a re-pin kick of two of them (at least two, those nearest a
    # random pair) gives a plan with every task, the gaps and double-ups kept, and some
    # pair at other minutes than before.
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    before = _ortools._starts(model, solution)
    moved = False
    for s in range(3):
        kicked = _ortools._repin_kicked(model, data, solution, random.Random(s), 1.0)
        assert kicked is not None
        assert _tasks_done(model, kicked) == _tasks_done(model, solution)
        after = _ortools._starts(model, kicked)
        assert 120 <= after[1] - after[0] <= 150
        assert after[3] - after[2] >= 30
        assert after[4] == after[5]
        assert abs(after[6] - after[7]) <= 5
        moved = moved or any(after[t] != before[t] for t in range(8))
    assert moved


def test_a_re_pin_move_gives_a_cheaper_plan_with_every_task_or_nothing() -> None:
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    repins = _ortools._Repins(model, data, solution, random.Random(0))
    assert not repins.exhausted()  # four pairs in two routes: there are places to try
    tried = 0
    while not repins.exhausted() and tried < 50:
        moved = repins.search(time.perf_counter() + 0.3, seed=tried)
        tried += 1
        if moved is None:
            continue
        assert moved.ObjectiveValue() < solution.ObjectiveValue()
        assert _tasks_done(model, moved) == _tasks_done(model, solution)
    assert repins.exhausted()


def test_pyvrp_stops_after_its_patience_runs_out() -> None:
    data = grid_input(n_tasks=12)
    started = time.perf_counter()
    routes = _pyvrp.plain_routing(data, 30.0, seed=3, patience=50)
    assert time.perf_counter() - started < 10  # not the 30 s it was given
    assert routes is not None
    assert sorted(t for r in routes for t in r) == list(range(12))


def test_a_round_here_stops_when_told_and_keeps_a_plan_no_worse() -> None:
    # Ctrl-C during this core's PyVRP round: PyVRP stops at once and the pair moves are
    # skipped; the plan it returns is the plan it started from or better.
    data = paired_input(n_tasks=20)
    model = _ortools._build(data)
    solution = _solved(model)
    restricted = _pyvrp.around(data, _ortools._starts(model, solution))
    plan = _ortools._task_routes(model, solution)
    started = time.perf_counter()
    moved = _ortools._pyvrp_round(
        model, data, restricted, plan, started + 30, started + 40, 0, stop=lambda: True
    )
    assert time.perf_counter() - started < 10  # not the 30 s PyVRP was given
    assert moved is not None
    assert moved.ObjectiveValue() <= solution.ObjectiveValue()


def test_pyvrp_stops_when_told() -> None:
    data = grid_input(n_tasks=12)
    started = time.perf_counter()
    routes = _pyvrp.plain_routing(data, 30.0, seed=3, stop=lambda: True)
    assert time.perf_counter() - started < 10
    assert routes is None or sorted(t for r in routes for t in r) == list(range(12))


def _solved(model: _ortools._Model) -> Any:
    solution = model.routing.SolveWithParameters(_ortools._search_parameters(0.5))
    assert solution is not None
    return solution


def test_earliest_starts_pin_every_pair_on_time_with_its_lag() -> None:
    data = paired_input(different_owners=[(8, 9)])
    starts = _pairs.earliest_starts(data)
    assert set(starts) == set(range(10))
    travel = data.travel_min[0]

    def first_arrival(t: int) -> int:
        # The window opens at 9:00, when the carers leave the office.
        return 540 + int(travel[0, data.tasks[t].place])

    assert starts[0] == first_arrival(0)
    assert starts[1] == starts[0] + 120  # the gap's least lag
    assert starts[3] == max(first_arrival(3), starts[2] + 30)
    assert starts[4] == starts[5] == max(first_arrival(4), first_arrival(5))
    assert starts[8] == first_arrival(8)  # different carers only: when it can be reached


def test_a_task_pyvrp_cannot_fit_is_left_out_not_the_plan_lost() -> None:
    # Two tasks pinned at one minute far apart: one vehicle cannot do both. Prizes as large as
    # the penalty used to make visiting late pay, and PyVRP then returned no feasible plan.
    data = grid_input(n_tasks=2, n_vehicles=1)
    tasks = [dataclasses.replace(t, earliest=600, latest=600, penalty=10**9) for t in data.tasks]
    data = dataclasses.replace(data, tasks=tasks)
    routes = _pyvrp.plain_routing(data, 0.5)
    assert routes is not None
    assert len(routes[0]) == 1


def test_one_carers_vehicles_lose_the_second_of_a_pair_that_needs_two_carers() -> None:
    data = paired_input(different_owners=[(8, 9), (10, 11)])
    vehicles = [dataclasses.replace(v, owner=k // 2) for k, v in enumerate(data.vehicles)]
    data = dataclasses.replace(data, vehicles=vehicles)
    # Vehicles 0 and 1 are one carer's, 2 and 3 another's.
    routes = [[8], [9, 10], [11], []]
    assert _pairs.separate_owners(data, routes) == [[8], [10], [11], []]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_pinned_start_gives_a_plan_doing_every_pair(
    workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_ortools.WORKERS_ENV, workers)
    data = paired_input()
    model = _ortools._build(data)
    params = _ortools._search_parameters(1.0)
    solution = _ortools._pinned_plan(model, data, params, time.perf_counter() + 1.0)
    assert solution is not None
    done = {t: s for route in _ortools._timed_routes(model, solution) for t, s in route}
    assert set(done) == set(range(12))
    assert 120 <= done[1] - done[0] <= 150
    assert done[4] == done[5]
    assert abs(done[6] - done[7]) <= 5


def _done_by_multi_start(data: _ortools.RoutingInput) -> set[int]:
    """The tasks of the plan :func:`_ortools._multi_start` returns within a second."""
    model = _ortools._build(data)
    params = _ortools._search_parameters(1.0)
    model, solution = _ortools._multi_start(model, data, params, time.perf_counter() + 1.0)
    assert solution is not None
    return {t for route in _ortools._timed_routes(model, solution) for t, _ in route}


def _recording_forks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Record each ``(target, last argument)`` :func:`_ortools._fork` is called with."""
    forked: list[tuple[Any, Any]] = []
    real_fork = _ortools._fork

    def fork(target: Any, *args: Any) -> Any:
        forked.append((target, args[-1]))
        return real_fork(target, *args)

    monkeypatch.setattr(_ortools, "_fork", fork)
    return forked


def test_beside_the_pinned_plan_the_spare_core_races_an_insertion_or_a_pinned_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")
    data = dataclasses.replace(paired_input(), seed=5)
    forked = _recording_forks(monkeypatch)
    assert _done_by_multi_start(data) == set(range(12))
    assert [target for target, _ in forked] == [_ortools._insertion_or_pinned]


def _sent_by_insertion_or_pinned(give_up_s: float) -> tuple[bool, Any]:
    """Run :func:`_ortools._insertion_or_pinned` here; whether it raced, and the plan sent."""
    data = paired_input()
    model = _ortools._build(data)
    params = _ortools._search_parameters(1.0)
    first = multiprocessing.Event()
    receive, send = multiprocessing.Pipe(duplex=False)
    now = time.perf_counter()
    _ortools._insertion_or_pinned(model, data, params, now + 1.0, now + give_up_s, 6, first, send)
    found = receive.recv()
    assert found is not None
    cost, routes = found
    assert sorted(t for r in routes for t in r) == list(range(12))
    restored = _ortools._restore_tasks(model, routes)
    assert restored is not None
    assert restored.ObjectiveValue() == cost
    return first.is_set(), found


def test_an_insertion_with_its_plan_in_time_searches_on_beside_the_pinned_plan() -> None:
    # A dozen visits: the cost insertion has its plan at once.
    raced, _ = _sent_by_insertion_or_pinned(give_up_s=0.5)
    assert raced


def test_an_insertion_with_no_plan_in_time_gives_way_to_another_pinned_plan() -> None:
    # An insertion still building when its share of the time is over (as on a few hundred
    # visits) is dropped: a pinned plan with another PyVRP seed is sent, complete.
    raced, _ = _sent_by_insertion_or_pinned(give_up_s=0.0)
    assert not raced


def test_a_ctrl_c_beside_the_pinned_plan_is_not_kept_waiting_for_the_spare_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The insertion beside would search on for half a minute; after a Ctrl-C here its plan
    # is waited for a moment only, and the pinned plan comes back.
    data = paired_input()
    model = _ortools._build(data)
    monkeypatch.setattr(_ortools, "_search_on", lambda model, start, params, end: start)
    interrupt: Any = types.SimpleNamespace(requested=True)
    began = time.perf_counter()
    params = _ortools._search_parameters(30.0)
    model, solution = _ortools._pinned_starts(model, data, params, began + 30.0, 2, interrupt)
    assert time.perf_counter() - began < 15
    assert solution is not None
    done = {t for route in _ortools._timed_routes(model, solution) for t, _ in route}
    assert done == set(range(12))


def test_a_failed_pinned_plan_beside_a_start_still_gives_a_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PyVRP failing: the pinned start builds its plan by insertion, the start beside races on.
    monkeypatch.setenv(_ortools.WORKERS_ENV, "2")

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("PyVRP failed")

    monkeypatch.setattr(_pyvrp, "plain_routing", fails)
    assert _done_by_multi_start(paired_input()) == set(range(12))


def test_a_search_stopped_at_its_first_plan_after_a_time_goes_on_in_a_new_model() -> None:
    # OR-Tools fails every search of a model after one was cancelled, restores included: the
    # plans of the other starts and every later round were being lost.
    data = paired_input()
    model = _ortools._build(data)
    plan = _ortools._restore_tasks(model, _ortools._task_routes(model, _solved(model)))
    assert plan is not None
    model.stop.when = time.perf_counter() - 1.0
    stopped = model.routing.SolveFromAssignmentWithParameters(
        plan, _ortools._search_parameters(0.5)
    )
    assert stopped is not None
    assert model.stop.fired
    routes = _ortools._task_routes(model, stopped)
    renewed, restored = _ortools._renewed(model, data, stopped)
    assert renewed is not model
    assert restored is not None
    assert _ortools._task_routes(renewed, restored) == routes
    assert _ortools._restore_tasks(renewed, routes) is not None
    # A model no search has stopped that way is kept as it is.
    assert _ortools._renewed(renewed, data, restored) == (renewed, restored)
