"""Mankowska home-health-care benchmark: reader, evaluator and conversion to rounds.

The hand-made instance below needs no data. Tests that read ``../shared/data`` skip with a
message when it is absent; the full-set ones are marked slow.
"""

from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(REPO))

from benchmarks.hhc_mankowska import (  # noqa: E402
    DATA_DIR,
    Call,
    Instance,
    Patient,
    Published,
    Row,
    Service,
    Solution,
    best_on_grid,
    compare,
    earliest_schedule,
    evaluate,
    instance_path,
    main,
    on_grid,
    over_seeds,
    peers,
    plan_to_solution,
    read_instance,
    read_json,
    read_results,
    read_solution,
    read_txt,
    reproduce,
    scale_of,
    selected,
    solution_paths,
    solve_instance,
    to_problem,
    write_solution,
)

import rounds  # noqa: E402

needs_data = pytest.mark.skipif(
    not DATA_DIR.is_dir(), reason=f"{DATA_DIR} is absent (../shared/data is not available here)"
)
A1 = "InstanzCPLEX_HCSRP_10_1"


def tiny() -> Instance:
    """Depot at (0, 0); p1 at (3, 4), p2 (both at once) at (6, 8), p3 (s1 then s2) at (6, 0)."""
    xy = [(0.0, 0.0), (3.0, 4.0), (6.0, 8.0), (6.0, 0.0)]
    d = np.array([[np.hypot(a[0] - b[0], a[1] - b[1]) for b in xy] for a in xy])
    patients = (
        Patient("p1", 3, 4, 0, 10, (Service("s1", 2),)),
        Patient("p2", 6, 8, 20, 30, (Service("s1", 3), Service("s2", 3)), "simultaneous"),
        Patient("p3", 6, 0, 0, 100, (Service("s1", 1), Service("s2", 1)), "sequential", 2, 5),
    )
    return Instance(
        "tiny",
        (0.0, 0.0),
        patients,
        (("c1", frozenset({"s1"})), ("c2", frozenset({"s1", "s2"}))),
        d,
    )


def tiny_solution() -> Solution:
    # c1: depot -> p1 (5, start 5, end 7) -> p2 (5, start 20, end 23) -> p3 (8, start 31) -> depot 6
    # c2: depot -> p2 (10, start 20, end 23) -> p3 (8, start 33) -> depot 6
    return Solution(
        {
            "c1": (Call("p1", "s1", 5), Call("p2", "s1", 20), Call("p3", "s1", 31)),
            "c2": (Call("p2", "s2", 20), Call("p3", "s2", 33)),
        }
    )


def test_evaluator_scores_a_hand_checked_solution() -> None:
    ev = evaluate(tiny(), tiny_solution())
    assert ev.violations == ()
    assert ev.distance == pytest.approx((5 + 5 + 8 + 6) + (10 + 8 + 6))
    assert (ev.tardiness, ev.max_tardiness) == (0.0, 0.0)
    assert ev.objective == pytest.approx(48 / 3)


def test_a_written_solution_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "sol-tiny-0.json"
    write_solution(tiny_solution(), tiny(), path)
    assert read_solution(path) == tiny_solution()


def test_evaluator_counts_tardiness_per_service_start() -> None:
    late = Solution(
        {
            "c1": (Call("p1", "s1", 12), Call("p2", "s1", 31), Call("p3", "s1", 42)),
            "c2": (Call("p2", "s2", 31), Call("p3", "s2", 44)),
        }
    )
    ev = evaluate(tiny(), late)
    assert ev.violations == ()
    assert (ev.tardiness, ev.max_tardiness) == (2 + 1 + 1, 2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"c1": (Call("p1", "s1", 4),)}, "before 5.000"),  # travel from the depot takes 5
        ({"c2": (Call("p2", "s2", 21), Call("p3", "s2", 33))}, "simultaneous"),
        ({"c2": (Call("p2", "s2", 20), Call("p3", "s2", 37))}, "outside [2, 5]"),
        ({"c2": (Call("p2", "s2", 20),)}, "p3/s2 is done 0 times"),
        ({"c1": (Call("p1", "s1", 5), Call("p2", "s2", 20))}, "not qualified"),
        ({"c3": ()}, "unknown caregiver"),
    ],
)
def test_evaluator_catches_broken_rules(change: dict[str, tuple[Call, ...]], message: str) -> None:
    routes = dict(tiny_solution().routes) | change
    ev = evaluate(tiny(), Solution(routes))
    assert any(message in v for v in ev.violations), ev.violations


def test_evaluator_wants_two_caregivers_for_a_double_service() -> None:
    inst = tiny()
    both = dataclasses.replace(inst, caregivers=(("c1", frozenset({"s1", "s2"})),))
    one = Solution({"c1": (Call("p3", "s1", 6), Call("p3", "s2", 8), Call("p1", "s1", 14))})
    assert any("same caregiver" in v for v in evaluate(both, one).violations)


def test_conversion_goes_through_the_public_model() -> None:
    inst = tiny()
    problem = to_problem(inst, scale=10)
    assert [c.id for c in problem.carers] == ["c1", "c2"]
    p2 = next(p for p in problem.packages if p.id == "p2")
    first, second = p2.visits
    assert (first.skills, second.skills) == (("s1",), ("s2",))
    assert (second.min_gap_from_previous_min, second.max_gap_from_previous_min) == (0, 0)
    p3 = next(p for p in problem.packages if p.id == "p3")
    assert (p3.visits[1].min_gap_from_previous_min, p3.visits[1].max_gap_from_previous_min) == (
        20,
        50,
    )
    assert first.duration_min == 30
    assert (first.agreed_end - first.earliest_start).total_seconds() == 10 * 10 * 60
    matrix = problem.travel.matrices[0]
    row = matrix.place_ids.index("c1")
    assert matrix.durations_s[row][matrix.place_ids.index("p2")] == pytest.approx(10 * 10 * 60)


def test_on_grid_keeps_a_solution_with_whole_minute_legs() -> None:
    moved = on_grid(tiny(), tiny_solution(), scale=10)
    assert moved is not None
    assert moved == tiny_solution()  # integer distances: every leg is whole minutes already


def test_on_grid_starts_every_call_as_early_as_allowed() -> None:
    slack = Solution(
        {
            "c1": (Call("p1", "s1", 9), Call("p2", "s1", 25), Call("p3", "s1", 50)),
            "c2": (Call("p2", "s2", 25), Call("p3", "s2", 53)),
        }
    )
    assert on_grid(tiny(), slack, scale=10) == tiny_solution()


def test_on_grid_reports_offsets_it_cannot_meet() -> None:
    inst = tiny()
    # p3's s2 must start 2 to 5 after s1, but c2 reaches p3 only at 31 and s1 is at 12 at best.
    early = dataclasses.replace(inst, distances=inst.distances.copy())
    early.distances[0, 3] = early.distances[3, 0] = 1.0
    first = Solution(
        {
            "c1": (Call("p3", "s1", 1), Call("p1", "s1", 5), Call("p2", "s1", 20)),
            "c2": (Call("p2", "s2", 20), Call("p3", "s2", 31)),
        }
    )
    assert on_grid(early, first, scale=10) is None


def off_grid() -> Instance:
    """:func:`tiny` with every distance 1.3 % longer (no leg is whole minutes) and p1 due at 5."""
    inst = tiny()
    patients = (dataclasses.replace(inst.patients[0], l=5), *inst.patients[1:])
    return dataclasses.replace(inst, distances=inst.distances * 1.013, patients=patients)


def test_the_exact_schedule_starts_calls_no_later_than_the_minute_grid() -> None:
    inst = off_grid()
    grid = on_grid(inst, tiny_solution(), scale=10)
    exact = earliest_schedule(inst, tiny_solution())
    assert grid is not None
    assert exact is not None
    assert exact.routes["c1"][0].start == pytest.approx(5 * 1.013)  # depot to p1, no wait
    assert grid.routes["c1"][0].start == pytest.approx(5.1)  # 50.65 min, up to 51 min
    on_minutes, in_exact_time = evaluate(inst, grid), evaluate(inst, exact)
    assert in_exact_time.violations == ()
    assert in_exact_time.distance == pytest.approx(on_minutes.distance)
    assert in_exact_time.tardiness == pytest.approx(5 * 1.013 - 5)
    assert on_minutes.tardiness == pytest.approx(0.1)


def test_a_plan_is_scored_in_exact_time_and_on_its_minute_grid() -> None:
    inst = off_grid()
    row = solve_instance(inst, Published("tiny", "A1", 16.0, False), 1.0, 0)
    assert row.feasible
    assert row.objective < row.grid_objective  # p1's lateness: 0.065 exact, 0.1 on the grid
    assert row.gap_pct == pytest.approx(100 * (row.objective - 16.0) / 16.0, abs=0.01)


def test_scale_respects_rounds_limits() -> None:
    inst = tiny()
    assert scale_of(inst) == 100
    long = dataclasses.replace(
        inst, patients=(dataclasses.replace(inst.patients[0], services=(Service("s1", 19),)),)
    )
    assert scale_of(long) == 75  # 19 units x 75 min = 1425 min <= 24 h


def test_tiny_instance_solves_optimally_through_rounds() -> None:
    # With c2 doing only s2, every s1 is c1's and the hand-checked solution is the only one.
    inst = dataclasses.replace(
        tiny(), caregivers=(("c1", frozenset({"s1"})), ("c2", frozenset({"s2"})))
    )
    problem = to_problem(inst, scale=10)
    plan = rounds.solve(problem, time_limit_s=1, seed=0)
    assert plan.unallocated == ()
    assert rounds.check(problem, plan) == []
    ev = evaluate(inst, plan_to_solution(plan, problem, 10))
    assert ev.violations == ()
    assert ev.objective == pytest.approx(48 / 3, abs=0.01)


def test_a_double_service_in_sequence_goes_to_two_carers() -> None:
    # c2, qualified for both services of p3, would save 4 units doing both one after the other.
    inst = tiny()
    problem = to_problem(inst, scale=10)
    assert next(p for p in problem.packages if p.id == "p3").visits[1].different_carer_from_previous
    plan = rounds.solve(problem, time_limit_s=1, seed=0)
    assert rounds.check(problem, plan) == []
    assert evaluate(inst, plan_to_solution(plan, problem, 10)).violations == ()


# -- with the published data --------------------------------------------------------------------


@needs_data
def test_json_and_text_readers_agree_on_a1() -> None:
    a = read_json(instance_path(A1))
    b = read_txt(DATA_DIR / "instances_txt" / f"{A1}.txt.gz")
    assert a.patients == b.patients
    assert a.caregivers == b.caregivers
    np.testing.assert_allclose(a.distances, b.distances, atol=6e-4)


@needs_data
@pytest.mark.parametrize("name", [A1, "InstanzCPLEX_HCSRP_25_3", "InstanzCPLEX_HCSRP_50_2"])
def test_published_solutions_are_reproduced(name: str) -> None:
    published = read_results()[name]
    ev = evaluate(read_instance(instance_path(name)), read_solution(solution_paths()[name]))
    assert ev.violations == ()
    assert ev.objective == pytest.approx(published.ceschia_objective, abs=0.01)
    assert ev.objective == pytest.approx(published.best_objective, abs=0.05)


@needs_data
@pytest.mark.parametrize("name", [A1, "InstanzCPLEX_HCSRP_25_3", "InstanzCPLEX_HCSRP_50_2"])
def test_published_solutions_keep_their_objective_when_scheduled_as_early_as_allowed(
    name: str,
) -> None:
    inst = read_instance(instance_path(name))
    exact = earliest_schedule(inst, read_solution(solution_paths()[name]))
    assert exact is not None
    ev = evaluate(inst, exact)
    assert ev.violations == ()
    assert ev.objective <= read_results()[name].ceschia_objective + 1e-3


@needs_data
def test_a1_solves_feasibly_through_rounds() -> None:
    inst = read_instance(instance_path(A1))
    scale = scale_of(inst)
    problem = to_problem(inst, scale)
    plan = rounds.solve(problem, time_limit_s=3, seed=0)
    assert plan.unallocated == ()
    assert rounds.check(problem, plan) == []
    ev = evaluate(inst, plan_to_solution(plan, problem, scale))
    assert ev.violations == ()
    assert ev.objective < 1.1 * read_results()[A1].best_objective


#: rounds' solution of B6 (60 s, seed 0, 2026-11-25): below the best published 447.8.
B6_ROUNDS = {
    "c1": [
        ("p5", "s2", 7.626667),
        ("p16", "s1", 40.24),
        ("p25", "s2", 80.506667),
        ("p22", "s1", 128.0),
        ("p2", "s1", 184.12),
        ("p3", "s3", 245.32),
        ("p4", "s1", 277.666667),
        ("p13", "s1", 306.866667),
        ("p23", "s3", 352.8),
        ("p15", "s2", 384.96),
        ("p24", "s3", 429.266667),
        ("p12", "s3", 456.813333),
        ("p1", "s2", 514.24),
    ],
    "c2": [],
    "c3": [("p22", "s5", 129.0), ("p25", "s4", 174.48), ("p6", "s6", 208.48), ("p10", "s6", 401.0)],
    "c4": [
        ("p7", "s6", 137.0),
        ("p18", "s4", 181.08),
        ("p20", "s5", 220.08),
        ("p19", "s4", 271.0),
        ("p17", "s6", 320.466667),
        ("p21", "s6", 361.493333),
        ("p23", "s4", 396.306667),
        ("p24", "s6", 450.266667),
        ("p14", "s4", 528.76),
    ],
    "c5": [
        ("p11", "s5", 87.866667),
        ("p8", "s5", 150.88),
        ("p18", "s5", 181.08),
        ("p20", "s6", 220.08),
        ("p19", "s6", 271.0),
        ("p9", "s5", 310.0),
        ("p21", "s5", 361.493333),
    ],
}


@needs_data
def test_rounds_b6_solution_beats_the_best_published() -> None:
    name = "InstanzCPLEX_HCSRP_25_6"
    solution = Solution({k: tuple(Call(*c) for c in v) for k, v in B6_ROUNDS.items()})
    ev = evaluate(read_instance(instance_path(name)), solution, tol=1e-5)
    assert ev.violations == ()
    assert ev.objective == pytest.approx(445.581, abs=1e-3)
    assert ev.objective < read_results()[name].best_objective - 2


@needs_data
@pytest.mark.slow
def test_every_published_best_solution_is_reproduced() -> None:
    found = reproduce()
    assert len(found) == 70
    assert [r.published.paper_id for r in found if not r.reproduced] == []
    assert [r.published.paper_id for r in found if not r.evaluation.feasible] == []
    # Two bests come from methods without a solution file (Lasfargeas on B6, Kummer on C9).
    assert sorted(r.published.paper_id for r in found if not r.is_best) == ["B6", "C9"]


@needs_data
@pytest.mark.slow
def test_every_published_best_solution_survives_the_minute_grid() -> None:
    results = read_results()
    grid = best_on_grid(results)
    assert len(grid) == 70
    for name, ev in grid.items():
        assert ev.violations == ()
        assert ev.objective == pytest.approx(results[name].ceschia_objective, abs=0.3)


@needs_data
@pytest.mark.slow
def test_json_and_text_readers_agree_everywhere() -> None:
    for path in sorted((DATA_DIR / "instances_json").glob("*.json.gz")):
        a = read_json(path)
        b = read_txt(DATA_DIR / "instances_txt" / path.name.replace(".json", ".txt"))
        assert (a.patients, a.caregivers, a.depot) == (b.patients, b.caregivers, b.depot)
        np.testing.assert_allclose(a.distances, b.distances, atol=6e-4)


def test_peers_sets_our_mean_gap_beside_each_published_methods(tmp_path: Path) -> None:
    columns = "instance,best_objective,kummer2020_brkga_best,kummer2020_brkga_time_s"
    (tmp_path / "results.csv").write_text(
        f"{columns}\nI1,100,110,30\nI2,200,200,50\nI3,300,,\n", encoding="utf-8"
    )

    def row(instance: str, family: str, gap: float) -> Row:
        values: dict[str, Any] = dict.fromkeys((f.name for f in dataclasses.fields(Row)), 0)
        values.update(instance=instance, paper_id=family + "1", family=family, feasible=True)
        return Row(**{**values, "gap_pct": gap, "wall_s": 57.0})

    table = peers([row("I1", "A", 2.0), row("I2", "A", 4.0), row("I3", "B", 1.0)], tmp_path)
    lines = table.splitlines()
    assert lines[0] == "| method | A | B |"
    assert lines[2] == "| **rounds (this run)** | 3.00 % (57 s) | 1.00 % (57 s) |"
    brkga = next(line for line in lines if line.startswith("| Kummer et al. 2020 (BRKGA)"))
    # A: (10 % + 0 %) / 2 in 40 s on average; B: no result for I3, so no figure.
    assert brkga == "| Kummer et al. 2020 (BRKGA) | 5.00 % (40 s) | - |"


def test_only_names_instances_whatever_their_family() -> None:
    results = {
        name: Published(name, paper_id, 1.0, False)
        for name, paper_id in (("I1", "A1"), ("I2", "B2"), ("I3", "D1"), ("I4", "D2"))
    }
    assert [r.paper_id for r in selected(results, ["A", "B"])] == ["A1", "B2"]
    # --only is not filtered by the default families (A, B, C).
    chosen = selected(results, ["A", "B", "C"], ["D2", "I2"])
    assert [r.paper_id for r in chosen] == ["B2", "D2"]


def test_over_seeds_reports_mean_best_and_worst_per_family() -> None:
    def row(instance: str, seed: int, gap: float, feasible: bool = True) -> Row:
        values: dict[str, Any] = dict.fromkeys((f.name for f in dataclasses.fields(Row)), 0)
        values.update(instance=instance, paper_id="D1", family="D", seed=seed)
        proven = instance == "I1"
        return Row(
            **{
                **values,
                "feasible": feasible,
                "gap_pct": gap,
                "proven_optimal": proven,
                "optimum_matched": proven and gap <= 0.0,
            }
        )

    rows = [
        row("I1", 0, 4.0),
        row("I1", 1, 0.0),
        row("I2", 0, 10.0),
        row("I2", 1, 6.0),
        row("I3", 0, 50.0, feasible=False),
        row("I3", 1, 2.0),
    ]
    lines = over_seeds(rows).splitlines()
    # Feasible runs: 4, 0, 10, 6, 2 (mean 4.4); best per instance 0, 6, 2; worst 4, 10, 2.
    # I1's optimum is matched by seed 1.
    assert lines[2] == "| D | 3 | 6 | 5 | 0,1 | 4.40 | 2.67 | 5.33 | 1/1 |"


def _row(instance: str, family: str, seed: int, gap: float, **kw: Any) -> Row:
    values: dict[str, Any] = dict.fromkeys((f.name for f in dataclasses.fields(Row)), 0)
    values.update(instance=instance, paper_id=instance, family=family, seed=seed)
    values.update(feasible=True, gap_pct=gap, proven_optimal=False, optimum_matched=False)
    values.update(kw)
    return Row(**values)


def test_compare_pairs_runs_by_instance_and_seed_per_family(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        _row("D1", "D", 0, 2.0),
        _row("D1", "D", 1, 4.0),
        _row("D2", "D", 0, 1.0, proven_optimal=True, optimum_matched=False),
        _row("E1", "E", 0, 3.0),
        _row("E2", "E", 0, 5.0),
        _row("E3", "E", 0, 1.0),  # no run of the change: not paired
    ]
    new = [
        _row("D1", "D", 0, 1.0),  # -1
        _row("D1", "D", 1, 1.0),  # -3
        _row("D2", "D", 0, 0.0, proven_optimal=True, optimum_matched=True),  # -1
        _row("E1", "E", 0, 4.0),  # +1
        _row("E2", "E", 0, 9.0, feasible=False),  # infeasible: counted apart
        _row("E9", "E", 0, 0.0),  # no control run: not paired
    ]
    lines = compare(base, new).splitlines()
    # D: differences -1, -3, -1: mean -5/3, sample sd sqrt(4/3), std. error sqrt(4/9) = 0.67.
    assert lines[2] == "| D | 3 | 0 | 2.33 | 0.67 | -1.67 | 0.67 | 3 | 0 | 0/1 / 1/1 |"
    assert lines[3] == "| E | 1 | 1 | 3.00 | 4.00 | +1.00 | nan | 0 | 1 | - |"
    # All: -1, -3, -1, +1: mean -1.
    assert lines[4].startswith("| **all** | 4 | 1 | 2.50 | 1.50 | -1.00 | 0.82 | 3 | 1 |")
    # The command line reads CSVs, and needs no instance data.
    names = [f.name for f in dataclasses.fields(Row)]
    for name, rows in (("base", base), ("new", new)):
        with (tmp_path / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=names)
            writer.writeheader()
            writer.writerows(dataclasses.asdict(r) for r in rows)
    argv = ["--data", str(tmp_path / "absent"), "compare"]
    argv += ["--base", str(tmp_path / "base.csv"), "--new", str(tmp_path / "new.csv")]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines() == lines


@needs_data
def test_report_reads_several_csvs_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A run with another seed, in a CSV of its own: one report over both, with the seeds table.
    names = [f.name for f in dataclasses.fields(Row)]
    for seed in (0, 1):
        values: dict[str, Any] = dict.fromkeys(names, 0)
        values.update(instance=A1, paper_id="A1", family="A", seed=seed, feasible=True)
        values.update(objective=218.2, grid_objective=218.2, best_objective=218.2)
        with (tmp_path / f"seed{seed}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=names)
            writer.writeheader()
            writer.writerow(values)
    assert main(["report", str(tmp_path / "seed0.csv"), str(tmp_path / "seed1.csv")]) == 0
    out = capsys.readouterr().out
    assert "| A | 1 | 2 |" in out  # one instance, two runs, in the table over seeds
