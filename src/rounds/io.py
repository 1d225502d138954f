"""Reading and writing problems and plans as JSON, with errors a person can act on.

Nothing here unpickles or evaluates anything: inputs are parsed as JSON by pydantic and
nothing else. Files larger than :data:`MAX_INPUT_BYTES` are refused before they are read.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from rounds.errors import InputError
from rounds.models import Problem
from rounds.plan import Plan

__all__ = [
    "MAX_INPUT_BYTES",
    "demo_network_path",
    "demo_problem_path",
    "format_validation_error",
    "json_schema",
    "load_plan",
    "load_problem",
    "parse_problem",
    "save_json",
]

MAX_INPUT_BYTES = 200 * 1024 * 1024
"""Largest problem or plan file rounds will read (200 MiB)."""


def _where(loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[-1] == "[key]":  # a bad key of a mapping, e.g. speeds_kmh
        return f"{_where(loc[:-2])} key {loc[-2]!r}"
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _is_echo(item: Any, others: list[Any]) -> bool:
    """Whether ``item`` only repeats another error: a list too short because an item failed."""
    loc = tuple(item["loc"])
    return item["type"] == "too_short" and any(
        len(o["loc"]) > len(loc) and tuple(o["loc"][: len(loc)]) == loc for o in others
    )


def _short(value: Any) -> str:
    if isinstance(value, bytes):  # a whole file that is not JSON: show it as text
        value = value.decode("utf-8", errors="replace")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_validation_error(error: ValidationError) -> str:
    """One line per problem, each naming the field and the value.

    Examples
    --------
    ``packages[0].visits[1].duration_min: Input should be greater than or equal to 1 (got 0)``
    """
    lines: list[str] = []
    items = error.errors(include_url=False)
    for item in items:
        if _is_echo(item, items):
            continue
        where = _where(tuple(item["loc"]))
        kind, message = item["type"], item["msg"]
        if kind == "extra_forbidden":
            lines.append(f"{where}: unknown key {where.rsplit('.', 1)[-1]!r} (misspelt?)")
        elif kind == "missing":
            lines.append(f"{where}: required key is missing")
        elif kind == "value_error":
            # Our own validators already name the field and the value.
            message = message.removeprefix("Value error, ")
            parent, _, last = where.rpartition(".")
            if not where:
                lines.append(message)
            elif message.startswith(last):
                lines.append(f"{parent}.{message}" if parent else message)
            else:
                lines.append(f"{where}: {message}")
        else:
            lines.append(f"{where or 'input'}: {message} (got {_short(item.get('input'))})")
    return "\n".join(lines)


def _read(path: Path, what: str) -> bytes:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} file {str(path)!r} does not exist or is not a file")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(
            f"{what} file {str(path)!r} is {size / 2**20:.0f} MiB, over the "
            f"{MAX_INPUT_BYTES / 2**20:.0f} MiB limit"
        )
    return path.read_bytes()


def parse_problem(text: str | bytes) -> Problem:
    """Parse a problem from JSON text, raising :class:`InputError` with readable messages."""
    try:
        return Problem.model_validate_json(text)
    except ValidationError as error:
        raise InputError(format_validation_error(error)) from None


def load_problem(path: str | Path) -> Problem:
    """Read a problem JSON file."""
    return parse_problem(_read(Path(path), "problem"))


def load_plan(path: str | Path) -> Plan:
    """Read a plan JSON file."""
    try:
        return Plan.model_validate_json(_read(Path(path), "plan"))
    except ValidationError as error:
        raise InputError(format_validation_error(error)) from None


def save_json(model: BaseModel, path: str | Path) -> Path:
    """Write ``model`` as indented JSON to ``path`` and return the path."""
    path = Path(path)
    path.write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def json_schema(which: Literal["problem", "plan"]) -> dict[str, Any]:
    """The published JSON Schema of the problem or the plan."""
    model = Problem if which == "problem" else Plan
    schema = model.model_json_schema(mode="validation" if which == "problem" else "serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_text(which: Literal["problem", "plan"]) -> str:
    """:func:`json_schema` as indented JSON text."""
    return json.dumps(json_schema(which), indent=2, ensure_ascii=False)


def _bundled(*parts: str, what: str) -> Path:
    """A file shipped with rounds: in the installed package data, else in the source tree."""
    packaged = resources.files("rounds").joinpath("_data", *parts)
    if packaged.is_file():
        return Path(str(packaged))
    source_tree = Path(__file__).resolve().parents[2].joinpath("data", *parts)
    if source_tree.is_file():
        return source_tree
    raise InputError(f"the {what} is missing: reinstall rounds or run from a source tree")


def demo_problem_path() -> Path:
    """Where the bundled demo problem lives (installed package data or the source tree)."""
    return _bundled("demo", "problem.json", what="demo problem")


def demo_network_path() -> Path:
    """Where the bundled demo street extract lives (OpenStreetMap, © OpenStreetMap contributors)."""
    return _bundled("osm", "camden-demo.osm.bz2", what="demo street network")
