"""The ``rounds`` command line: demo, solve, check and schema.

Errors in the input are printed as one readable message per problem (naming the field and the
value) with exit status 2; ``rounds check`` exits 1 when the plan breaks any rule.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import typer

from rounds.check import check
from rounds.errors import RoundsError, RoundsWarning
from rounds.io import demo_problem_path, load_plan, load_problem, save_json, schema_text
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


def _solve_and_report(problem_path: Path, output: Path, time_limit: float, seed: int) -> None:
    problem = _guarded(lambda: load_problem(problem_path))
    plan = _guarded(lambda: solve(problem, time_limit_s=time_limit, seed=seed))
    _guarded(lambda: save_json(plan, output))
    typer.echo(summary(plan))
    violations = check(problem, plan)
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
) -> None:
    """Solve the bundled Kilburn & Willesden example and print its summary."""
    _solve_and_report(_guarded(demo_problem_path), output, time_limit, seed)


@app.command("solve")
def solve_command(
    problem: Annotated[Path, typer.Argument(help="Problem JSON file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the plan JSON.")],
    time_limit: TimeLimit = 10.0,
    seed: Seed = 0,
) -> None:
    """Plan rounds for PROBLEM and write the plan to --output."""
    _solve_and_report(problem, output, time_limit, seed)


@app.command("check")
def check_command(
    problem: Annotated[Path, typer.Argument(help="Problem JSON file.")],
    plan: Annotated[Path, typer.Argument(help="Plan JSON file.")],
) -> None:
    """Check PLAN against PROBLEM; exit 1 if it breaks any rule."""
    the_problem = _guarded(lambda: load_problem(problem))
    the_plan = _guarded(lambda: load_plan(plan))
    violations = _guarded(lambda: check(the_problem, the_plan))
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
