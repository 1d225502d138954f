"""Run the VRPTW benchmark: every solver on the same instances, limit and machine.

Usage (from the repository root; wrap timed runs in the shared lock so only one runs)::

    flock /tmp/rounds-bench.lock .venv/bin/python -m benchmarks.run --quick
    flock /tmp/rounds-bench.lock .venv/bin/python -m benchmarks.run \\
        --set solomon --convention dimacs --time-limit 10

Each run writes a CSV (one row per instance and solver) and a markdown summary beside it
(``benchmarks/results/`` by default), and prints the summary.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import math
import os
import platform
import shlex
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.instances import (
    CONVENTIONS,
    DATA_DIR,
    SETS,
    Bks,
    Convention,
    Instance,
    family_of,
    instance_paths,
    load_bks,
    read_instance,
)
from benchmarks.solvers import RUNNERS, SOLVERS, Run
from benchmarks.verify import check_routes

RESULTS = Path(__file__).parent / "results"
FAMILIES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
#: --quick: two instances per family, short limit.
QUICK = {
    "solomon": ("C101", "C205", "R101", "R107", "R202", "R210", "RC103", "RC107", "RC201",
                "RC206", "C108", "R112"),
    "homberger200": ("c1_2_1", "c1_2_6", "c2_2_2", "c2_2_7", "r1_2_1", "r1_2_6", "r2_2_3",
                     "r2_2_8", "rc1_2_2", "rc1_2_7", "rc2_2_4", "rc2_2_9"),
}  # fmt: skip
QUICK_LIMIT_S = 3.0


@dataclass(frozen=True)
class Row:
    """One solver on one instance."""

    set: str
    convention: str
    instance: str
    family: str
    solver: str
    time_limit_s: float
    seed: int
    feasible: bool
    cost: float
    vehicles: int
    bks: float
    bks_vehicles: int
    gap_pct: float
    wall_s: float
    errors: str


def gap_pct(cost: float, bks: float) -> float:
    """Gap of ``cost`` to ``bks`` in per cent."""
    return 100.0 * (cost - bks) / bks


def evaluate(
    instance: Instance,
    convention: Convention,
    bks: Bks,
    solver: str,
    run: Run,
    *,
    set_name: str,
    time_limit_s: float,
    seed: int,
) -> Row:
    """Verify ``run`` independently and make its CSV row."""
    verdict = check_routes(instance, convention, run.routes)
    errors = (*verdict.errors, *run.errors)
    feasible = verdict.feasible and not run.errors
    return Row(
        set=set_name,
        convention=convention,
        instance=instance.name,
        family=instance.family,
        solver=solver,
        time_limit_s=time_limit_s,
        seed=seed,
        feasible=feasible,
        cost=verdict.cost,
        vehicles=verdict.vehicles,
        bks=bks.distance,
        bks_vehicles=bks.vehicles,
        gap_pct=round(gap_pct(verdict.cost, bks.distance), 3) if feasible else math.nan,
        wall_s=round(run.wall_s, 2),
        errors="; ".join(errors),
    )


def machine() -> str:
    """One line describing the machine and the solver versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with Path("/proc/cpuinfo").open() as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    versions = []
    for package in ("ortools", "pyvrp", "pyvroom", "vrplib"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return (
        f"{cpu}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
        + ", ".join(versions)
    )


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else math.nan


def _fmt(x: float, spec: str = ".2f") -> str:
    return "–" if math.isnan(x) else format(x, spec)


def summary_markdown(rows: Sequence[Row], solvers: Sequence[str], header: str) -> str:
    """Markdown tables: per family (and overall), then per instance."""
    by: dict[tuple[str, str], Row] = {(r.instance, r.solver): r for r in rows}
    instances = list(dict.fromkeys(r.instance for r in rows))
    lines = [header, ""]
    lines += [
        "| family | n | "
        + " | ".join(f"{s} gap % | {s} veh | {s} s | {s} ok" for s in solvers)
        + " |",
        "|---|---:|" + "---:|---:|---:|---:|" * len(solvers),
    ]
    groups: dict[str, list[str]] = defaultdict(list)
    for name in instances:
        groups[family_of(name)].append(name)
    for family in [*[f for f in FAMILIES if f in groups], "all"]:
        names = instances if family == "all" else groups[family]
        cells = []
        for s in solvers:
            runs = [by[(i, s)] for i in names if (i, s) in by]
            ok = [r for r in runs if r.feasible]
            cells += [
                _fmt(_mean([r.gap_pct for r in ok])),
                _fmt(_mean([r.vehicles for r in ok]), ".1f"),
                _fmt(_mean([r.wall_s for r in runs]), ".1f"),
                f"{len(ok)}/{len(runs)}",
            ]
        label = "**all**" if family == "all" else family
        lines.append(f"| {label} | {len(names)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| instance | BKS (veh) | "
        + " | ".join(f"{s}: cost (veh) gap % s" for s in solvers)
        + " |",
        "|---|---:|" + "---:|" * len(solvers),
    ]
    for name in instances:
        first = next(by[(name, s)] for s in solvers if (name, s) in by)
        cells = []
        for s in solvers:
            r = by.get((name, s))
            if r is None:
                cells.append("")
            elif not r.feasible:
                cells.append(f"infeasible ({r.wall_s:.1f} s)")
            else:
                cells.append(f"{r.cost:.2f} ({r.vehicles}) {r.gap_pct:+.2f} {r.wall_s:.1f}")
        lines.append(
            f"| {name} | {first.bks:.2f} ({first.bks_vehicles}) | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--set", choices=sorted(SETS), default="solomon")
    parser.add_argument("--convention", choices=CONVENTIONS, default="dimacs")
    parser.add_argument("--time-limit", type=float, help="seconds per instance and solver")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--solvers", default=",".join(SOLVERS), help="comma-separated")
    parser.add_argument("--instances", help="comma-separated names (default: the whole set)")
    parser.add_argument("--quick", action="store_true", help="12 instances, 3 s by default")
    parser.add_argument("--out", type=Path, help="CSV path (default: benchmarks/results/...)")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the shared data folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = sorted(set(solvers) - set(RUNNERS))
    if unknown:
        print(f"error: --solvers: unknown {unknown}; choose from {list(RUNNERS)}", file=sys.stderr)
        return 2
    limit = args.time_limit or (QUICK_LIMIT_S if args.quick else 10.0)
    paths = instance_paths(args.set, args.data)
    wanted = args.instances.split(",") if args.instances else None
    if wanted is None and args.quick:
        wanted = list(QUICK[args.set])
    if wanted is not None:
        by_name = {p.stem.upper(): p for p in paths}
        missing = [w for w in wanted if w.upper() not in by_name]
        if missing:
            print(f"error: --instances: not in {args.set}: {missing}", file=sys.stderr)
            return 2
        paths = [by_name[w.upper()] for w in wanted]
    bks = load_bks(args.set, args.convention, args.data)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / f"{args.set}-{args.convention}-{limit:g}s-{stamp}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)

    rows: list[Row] = []
    started = time.perf_counter()
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(Row.__dataclass_fields__))
        writer.writeheader()
        for path in paths:
            instance = read_instance(path)
            for solver in solvers:
                try:
                    run = RUNNERS[solver](instance, args.convention, limit, args.seed)
                except Exception as exc:  # a crash is a result too: infeasible, with the reason
                    traceback.print_exc()
                    run = Run([], math.nan, (f"{type(exc).__name__}: {exc}",))
                row = evaluate(
                    instance,
                    args.convention,
                    bks[instance.name.upper()],
                    solver,
                    run,
                    set_name=args.set,
                    time_limit_s=limit,
                    seed=args.seed,
                )
                rows.append(row)
                writer.writerow(asdict(row))
                f.flush()
                status = f"{row.cost:.1f} ({row.vehicles}) gap {row.gap_pct:+.2f} %"
                print(
                    f"{instance.name:>8} {solver:>7}: "
                    + (status if row.feasible else f"INFEASIBLE {row.errors}")
                    + f"  {row.wall_s:.1f} s",
                    flush=True,
                )
    command = "python -m benchmarks.run " + shlex.join(argv if argv is not None else sys.argv[1:])
    header = (
        f"### {args.set}, {args.convention}, {limit:g} s per instance, seed {args.seed}\n\n"
        f"- command: `{command}` ({len(paths)} instances, {time.perf_counter() - started:.0f} s"
        f" in all, {stamp})\n- machine: {machine()}\n- CSV: `{out.name}`"
    )
    markdown = summary_markdown(rows, solvers, header)
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
