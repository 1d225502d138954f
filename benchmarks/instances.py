"""VRPTW benchmark instances (Solomon 100, Gehring & Homberger 200) and their BKS.

Two objective conventions, never mixed (see ``../shared/data/solomon/README.md``):

``dimacs``
    Total distance, fleet size free. Every arc's distance *and* travel time is the Euclidean
    distance truncated to one decimal; we work in integer tenths (``floor(10 * d)``).
``hierarchical``
    Fewest vehicles first, then total double-precision Euclidean distance. Solvers are given
    travel times rounded *up* to tenths (``ceil(10 * d)``), which keeps every plan feasible in
    double precision; distance is recomputed in double precision by :mod:`benchmarks.verify`.

Times are kept in integer tenths of a Solomon time unit throughout; rounds reads one tenth as
one minute, so every quantity is an exact whole number of minutes.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

Convention = Literal["dimacs", "hierarchical"]
CONVENTIONS: tuple[Convention, ...] = ("dimacs", "hierarchical")
IntArray = npt.NDArray[np.int64]

#: Where the shared benchmark data lives (override with ``ROUNDS_BENCH_DATA``).
DATA_DIR = Path(os.environ.get("ROUNDS_BENCH_DATA", Path(__file__).parents[2] / "shared" / "data"))
SETS = {"solomon": "solomon", "homberger200": "homberger200"}
SCALE = 10
"""Integer units per Solomon unit (distance and time): tenths."""


@dataclass(frozen=True)
class Instance:
    """A VRPTW instance; node 0 is the depot. Coordinates and times as in the file."""

    name: str
    xy: tuple[tuple[int, int], ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]
    vehicles: int
    capacity: int

    def __post_init__(self) -> None:
        n = len(self.xy)
        if n < 2:
            raise ValueError(f"{self.name}: an instance needs a depot and at least one customer")
        for field in ("demand", "ready", "due", "service"):
            if len(getattr(self, field)) != n:
                raise ValueError(f"{self.name}: {field} has {len(getattr(self, field))} != {n}")

    @property
    def n_customers(self) -> int:
        """Customers (nodes 1..n)."""
        return len(self.xy) - 1

    @property
    def family(self) -> str:
        """C1, C2, R1, R2, RC1 or RC2."""
        return family_of(self.name)

    def arcs(self, convention: Convention) -> IntArray:
        """Integer arc matrix in tenths (distance and travel time) for ``convention``."""
        return self._dimacs if convention == "dimacs" else self._ceil

    @cached_property
    def _squared(self) -> IntArray:
        p = np.asarray(self.xy, dtype=np.int64)
        diff = p[:, None, :] - p[None, :, :]
        return np.asarray((diff**2).sum(-1) * SCALE**2, dtype=np.int64)

    @cached_property
    def _dimacs(self) -> IntArray:
        # Exact integer truncation: floor(10 * sqrt(s)) == isqrt(100 * s) for integer s.
        return np.asarray(
            np.vectorize(math.isqrt, otypes=[np.int64])(self._squared), dtype=np.int64
        )

    @cached_property
    def _ceil(self) -> IntArray:
        floor = self._dimacs
        return np.asarray(floor + (floor * floor != self._squared), dtype=np.int64)


def family_of(name: str) -> str:
    """``R101`` -> ``R1``, ``rc2_2_4`` -> ``RC2``."""
    match = re.match(r"([a-z]+)(\d)", name.lower())
    if not match:
        raise ValueError(f"{name!r} is not a Solomon/Homberger instance name")
    return f"{match.group(1).upper()}{match.group(2)}"


def _integers(values: object, name: str) -> tuple[int, ...]:
    out = []
    for x in np.asarray(values).ravel():
        if float(x) != int(x):
            raise ValueError(f"{name}: {x!r} is not a whole number")
        out.append(int(x))
    return tuple(out)


def read_instance(path: Path) -> Instance:
    """Read a Solomon-format file with the ``vrplib`` package."""
    try:
        import vrplib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        message = "install the 'bench' dependency group (vrplib) to read instances"
        raise ImportError(message) from exc
    data = vrplib.read_instance(str(path), instance_format="solomon", compute_edge_weights=False)
    xy = _integers(data["node_coord"], "node_coord")
    windows = _integers(data["time_window"], "time_window")
    return Instance(
        name=str(data["name"]).strip(),
        xy=tuple(zip(xy[0::2], xy[1::2], strict=True)),
        demand=_integers(data["demand"], "demand"),
        ready=windows[0::2],
        due=windows[1::2],
        service=_integers(data["service_time"], "service_time"),
        vehicles=int(data["vehicles"]),
        capacity=int(data["capacity"]),
    )


@dataclass(frozen=True)
class Bks:
    """A best-known solution: vehicles and distance (in Solomon units)."""

    vehicles: int
    distance: float
    proven_optimal: bool | None = None


def load_bks(set_name: str, convention: Convention, data_dir: Path = DATA_DIR) -> dict[str, Bks]:
    """BKS of a set for one convention, keyed by upper-case instance name."""
    folder = data_dir / SETS[set_name]
    out: dict[str, Bks] = {}
    if convention == "hierarchical":
        with (folder / "bks.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                out[row["instance"].upper()] = Bks(int(row["vehicles"]), float(row["distance"]))
        return out
    with (folder / "bks_distance_only.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["convention"] != "dimacs_truncated_1dp":
                continue
            out[row["instance"].upper()] = Bks(
                int(row["vehicles"]), float(row["distance"]), row["proven_optimal"] == "yes"
            )
    return out


def instance_paths(set_name: str, data_dir: Path = DATA_DIR) -> list[Path]:
    """Instance files of a set, in family then number order."""
    folder = data_dir / SETS[set_name]
    if not folder.is_dir():
        raise FileNotFoundError(f"benchmark data not found: {folder} (set ROUNDS_BENCH_DATA)")

    def key(p: Path) -> tuple[str, tuple[int, ...]]:
        return family_of(p.stem), tuple(int(x) for x in re.findall(r"\d+", p.stem))

    return sorted(
        (p for p in folder.glob("*.txt") if re.match(r"^(c|r|rc)\d", p.stem.lower())), key=key
    )
