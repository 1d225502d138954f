"""Developer sessions: ``nox -l`` lists them; ``nox`` runs lint and tests."""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.4.15"
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _install(session: nox.Session, *groups: str) -> None:
    session.install("-e", ".")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def tests(session: nox.Session) -> None:
    """Run the default (fast) test suite; pass pytest options after --."""
    _install(session, "test")
    session.run("pytest", "-m", "not slow", *session.posargs, success_codes=[0, 5])


@nox.session(default=False)
def slow(session: nox.Session) -> None:
    """Run the slow tests (they read ../shared/data and skip when it is absent)."""
    _install(session, "test")
    session.run("pytest", "-m", "slow", *session.posargs, success_codes=[0, 5])


@nox.session(default=False)
def stress(session: nox.Session) -> None:
    """Run the property and mutation tests with 10,000 examples each (HYPOTHESIS_PROFILE=stress)."""
    _install(session, "test")
    session.run(
        "pytest",
        "tests/test_properties.py",
        "tests/test_mutations.py",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "stress"},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Run ruff (lint and format check) and mypy."""
    _install(session, "lint", "test")
    session.run("ruff", "check", "src", "tests", "scripts", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "scripts", "noxfile.py")
    session.run("mypy")


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Solve the bundled demo problem."""
    _install(session)
    session.run("rounds", "demo", *session.posargs)


@nox.session(default=False)
def benchmarks(session: nox.Session) -> None:
    """VRPTW benchmark against PyVRP, VROOM and plain OR-Tools (e.g. `-- --quick`).

    Timed runs take the shared lock /tmp/rounds-bench.lock so only one benchmark runs at a time.
    """
    _install(session, "bench")
    session.run(
        "flock", "/tmp/rounds-bench.lock", "python", "-m", "benchmarks.run", *session.posargs,
        external=True,
    )  # fmt: skip
