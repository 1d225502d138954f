"""The ``rounds`` command line: demo, solve, check and schema.

Errors in the input are printed as one readable message per problem (naming the field and the
value) with exit status 2; ``rounds check`` exits 1 when the plan breaks any rule.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import typer

from rounds.check import check
from rounds.errors import RoundsError, RoundsWarning
from rounds.io import (
    demo_network_path,
    demo_problem_path,
    load_plan,
    load_problem,
    save_json,
    schema_text,
)
from rounds.matrix import MatrixSource, build_matrices
from rounds.report import summary
from rounds.solve import solve

__all__ = ["app", "main"]

app = typer.Typer(
    name="rounds",
    help="Turn home-care packages into walkable rounds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")

TimeLimit = Annotated[
    float, typer.Option("--time-limit", "-t", help="Seconds the solver may use.", min=0.01)
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.", min=0)]
Network = Annotated[
    Path | None,
    typer.Option(
        "--network",
        help="OpenStreetMap street file (.osm, .osm.bz2, .osm.pbf, .graphml) for travel times; "
        "without it, crow-fly estimates.",
    ),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Log the search's progress (starts, phases, rounds) to stderr."
    ),
]


def _log_progress() -> None:
    """Send the ``rounds`` loggers' DEBUG records to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    logger = logging.getLogger("rounds")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _guarded(action: Callable[[], T]) -> T:
    """Run ``action``, turning input problems into a message and exit status 2."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RoundsWarning)
        try:
            result = action()
        except RoundsError as error:
            raise _fail(str(error)) from None
        except (OSError, ValueError) as error:
            raise _fail(str(error)) from None
    for w in caught:
        typer.echo(f"warning: {w.message}", err=True)
    return result


def _network_source(network: Path | None) -> MatrixSource | None:
    if network is None:
        return None
    from rounds.network import NetworkSource

    return _guarded(lambda: NetworkSource.from_file(network))


def _solve_and_report(
    problem_path: Path,
    output: Path,
    time_limit: float,
    seed: int,
    network: Path | None = None,
    verbose: bool = False,
) -> None:
    if verbose:
        _log_progress()
    problem = _guarded(lambda: load_problem(problem_path))
    source = _network_source(network)
    # Street matrices are built (or read from the cache) before the solver's clock starts.
    matrices = _guarded(lambda: build_matrices(problem, source))
    try:
        plan = _guarded(
            lambda: solve(problem, time_limit_s=time_limit, seed=seed, matrices=matrices)
        )
    except KeyboardInterrupt:  # before the search started: nothing to keep
        typer.echo("interrupted before the search started; no plan written", err=True)
        raise typer.Exit(130) from None
    if plan.solver is not None and plan.solver.status == "interrupted":
        typer.echo("interrupted: writing the best plan found so far", err=True)
    _guarded(lambda: save_json(plan, output))
    typer.echo(summary(plan))
    violations = check(problem, plan, matrices=matrices)
    typer.echo(f"\n  checker: {len(violations)} violation(s); plan written to {output}")
    for v in violations:
        typer.echo(f"    {v}", err=True)
    if violations:
        raise typer.Exit(1)


@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the plan JSON.")
    ] = Path("rounds-demo-plan.json"),
    time_limit: TimeLimit = 10.0,
    seed: Seed = 0,
    crow_fly: Annotated[
        bool,
        typer.Option("--crow-fly", help="Use crow-fly estimates instead of the bundled streets."),
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Solve the bundled Kilburn & Belsize Park example on its streets and print its summary.

    Travel times come from the bundled OpenStreetMap extract (© OpenStreetMap contributors);
    the first run builds the walk, cycle and drive networks and caches them.
    """
    network = None if crow_fly else _guarded(demo_network_path)
    _solve_and_report(_guarded(demo_problem_path), output, time_limit, seed, network, verbose)


@app.command("solve")
def solve_command(
    problem: Annotated[Path, typer.Argument(help="Problem JSON file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the plan JSON.")],
    time_limit: TimeLimit = 10.0,
    seed: Seed = 0,
    network: Network = None,
    verbose: Verbose = False,
) -> None:
    """Plan rounds for PROBLEM and write the plan to --output."""
    _solve_and_report(problem, output, time_limit, seed, network, verbose)


@app.command("check")
def check_command(
    problem: Annotated[Path, typer.Argument(help="Problem JSON file.")],
    plan: Annotated[Path, typer.Argument(help="Plan JSON file.")],
    network: Network = None,
) -> None:
    """Check PLAN against PROBLEM; exit 1 if it breaks any rule."""
    the_problem = _guarded(lambda: load_problem(problem))
    the_plan = _guarded(lambda: load_plan(plan))
    source = _network_source(network)
    violations = _guarded(lambda: check(the_problem, the_plan, source=source))
    for v in violations:
        typer.echo(str(v))
    typer.echo(f"{len(violations)} violation(s)")
    if violations:
        raise typer.Exit(1)


@app.command()
def schema(
    which: Annotated[
        Literal["problem", "plan"], typer.Argument(help="Which schema: problem or plan.")
    ] = "problem",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of the problem or the plan."""
    text = schema_text(which)
    if output is None:
        typer.echo(text)
    else:
        _guarded(lambda: output.write_text(text + "\n", encoding="utf-8"))


def main() -> None:
    """Entry point for ``python -m rounds``."""
    sys.exit(app())
