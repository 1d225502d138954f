"""Travel matrices: seconds and metres between every place of a problem, per travel mode.

A *place* is a client's home or a carer's start or end point. Places are named the way
:class:`rounds.models.GivenMatrix` names them: the client id, the carer id for a carer's start,
and ``"<carer id>@end"`` for an end point that differs from the start.

Where travel times come from is pluggable: anything with a ``name`` and a
``matrix(locations, mode)`` method is a :class:`MatrixSource`. The crow-fly fallback
:class:`HaversineSource` ships here; street-network sources plug in the same way. A matrix a
council system supplies in the problem (:attr:`rounds.models.TravelSettings.matrices`) always
takes precedence for its mode.

The solver and the checker plan in whole minutes: :attr:`ModeMatrix.travel_min` is the travel
time rounded to the nearest second, then *up* to the next whole minute, so a leg is never
planned shorter than it takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from rounds.errors import InputError
from rounds.models import GivenMatrix, Location, Problem, TravelMode, end_key

__all__ = [
    "EARTH_RADIUS_M",
    "HaversineSource",
    "MatrixSource",
    "ModeMatrix",
    "Places",
    "TravelMatrices",
    "build_matrices",
    "haversine_m",
    "places_of",
]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Places:
    """The distinct places of a problem, in a fixed order, with their names."""

    keys: tuple[str, ...]
    locations: tuple[Location, ...]
    index: Mapping[str, int] = field(repr=False)

    def __len__(self) -> int:
        return len(self.keys)


def places_of(problem: Problem) -> Places:
    """List every place of ``problem``: clients first, then carers' start and end points."""
    keys: list[str] = []
    locations: list[Location] = []
    for client in problem.clients:
        keys.append(client.id)
        locations.append(client.location)
    for carer in problem.carers:
        keys.append(carer.id)
        locations.append(carer.start_location)
        if carer.end != carer.start_location:
            keys.append(end_key(carer.id))
            locations.append(carer.end)
    if len(set(keys)) != len(keys):
        clash = sorted({k for k in keys if keys.count(k) > 1})
        raise InputError(
            f"carers[*].id: {clash[0]!r} is also a client id; carer and client ids must differ "
            "so travel matrices can name every place"
        )
    return Places(tuple(keys), tuple(locations), {k: i for i, k in enumerate(keys)})


def carer_place_keys(problem: Problem, carer_id: str) -> tuple[str, str]:
    """Place names of a carer's start and end points."""
    carer = problem.carer_by_id[carer_id]
    end = carer_id if carer.end == carer.start_location else end_key(carer_id)
    return carer_id, end


@dataclass(frozen=True)
class ModeMatrix:
    """Travel among places for one mode: ``durations_s[i, j]`` and ``distances_m[i, j]``.

    A source that cannot place some locations (an address too far from any street, say) lists
    their indices in ``unplaced``: their rows and columns are meaningless, the solver never
    routes a carer of this mode to or from them, and such visits come back unallocated with
    reason :attr:`rounds.plan.ReasonCode.NOT_ON_NETWORK`. ``snap_m`` optionally records how
    far each location was moved to reach the network.
    """

    durations_s: FloatArray
    distances_m: FloatArray
    unplaced: frozenset[int] = frozenset()
    snap_m: FloatArray | None = None

    def __post_init__(self) -> None:
        d, m = self.durations_s, self.distances_m
        if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape != m.shape:
            raise InputError(
                f"travel matrix: durations_s {d.shape} and distances_m {m.shape} must be equal "
                "square matrices"
            )
        for name, a in (("durations_s", d), ("distances_m", m)):
            if not np.all(np.isfinite(a)) or np.any(a < 0):
                i, j = np.argwhere(~np.isfinite(a) | (a < 0))[0]
                raise InputError(
                    f"travel matrix: {name}[{i}][{j}] is {a[i, j]!r}, not a finite value >= 0"
                )

    @cached_property
    def travel_min(self) -> IntArray:
        """Planned travel minutes: seconds rounded to the nearest second, then up to minutes."""
        return np.ceil(np.rint(self.durations_s) / 60.0).astype(np.int64)

    @cached_property
    def travel_m(self) -> IntArray:
        """Travel metres rounded to whole metres."""
        return np.rint(self.distances_m).astype(np.int64)


@runtime_checkable
class MatrixSource(Protocol):
    """Something that computes travel among locations for a mode."""

    @property
    def name(self) -> str:
        """Short description recorded in the plan, e.g. ``"haversine x1.3"``."""
        ...

    def matrix(self, locations: Sequence[Location], mode: TravelMode) -> ModeMatrix:
        """Travel among ``locations`` (in that order) for ``mode``."""
        ...


def haversine_m(a: Sequence[Location], b: Sequence[Location]) -> FloatArray:
    """Great-circle distances in metres between every location of ``a`` and of ``b``."""
    lat1 = np.radians(np.array([p.lat for p in a], dtype=np.float64))[:, None]
    lon1 = np.radians(np.array([p.lon for p in a], dtype=np.float64))[:, None]
    lat2 = np.radians(np.array([p.lat for p in b], dtype=np.float64))[None, :]
    lon2 = np.radians(np.array([p.lon for p in b], dtype=np.float64))[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


@dataclass(frozen=True)
class HaversineSource:
    """Crow-fly fallback: great-circle metres x circuity factor, at a fixed speed per mode.

    Parameters
    ----------
    circuity_factor
        Street metres per crow-fly metre (1.3 is typical of British towns).
    speeds_kmh
        Door-to-door speed of each mode, km/h.
    """

    circuity_factor: float
    speeds_kmh: Mapping[TravelMode, float]

    @property
    def name(self) -> str:
        """Description recorded in plans."""
        return f"haversine x{self.circuity_factor:g}"

    def matrix(self, locations: Sequence[Location], mode: TravelMode) -> ModeMatrix:
        """Crow-fly travel among ``locations`` for ``mode``."""
        metres = haversine_m(locations, locations) * self.circuity_factor
        seconds = metres / (self.speeds_kmh[mode] / 3.6)
        return ModeMatrix(durations_s=seconds, distances_m=metres)


@dataclass(frozen=True)
class TravelMatrices:
    """Travel among a problem's places for every mode its carers use."""

    places: Places
    by_mode: Mapping[TravelMode, ModeMatrix]
    source: str

    def is_placed(self, mode: TravelMode, place: str) -> bool:
        """Whether ``place`` is on the network of ``mode`` (always true for crow-fly)."""
        return self.places.index[place] not in self.by_mode[mode].unplaced

    def leg(self, mode: TravelMode, origin: str, destination: str) -> tuple[int, int]:
        """Planned ``(minutes, metres)`` from place ``origin`` to place ``destination``."""
        m = self.by_mode[mode]
        i, j = self.places.index[origin], self.places.index[destination]
        return int(m.travel_min[i, j]), int(m.travel_m[i, j])


def _from_given(given: GivenMatrix, places: Places) -> ModeMatrix:
    """The given matrix, reordered to ``places``.

    Places it does not name (the start and end points of carers of other modes, which the
    model does not require) are marked unplaced: nobody of this mode travels there.
    """
    order = {k: i for i, k in enumerate(given.place_ids)}
    n = len(places)
    durations = np.zeros((n, n), dtype=np.float64)
    distances = np.zeros((n, n), dtype=np.float64)
    known = np.array([k in order for k in places.keys], dtype=bool)
    mine = np.flatnonzero(known)
    idx = np.array([order[places.keys[i]] for i in mine], dtype=np.int64)
    durations[np.ix_(mine, mine)] = np.asarray(given.durations_s, dtype=np.float64)[
        np.ix_(idx, idx)
    ]
    distances[np.ix_(mine, mine)] = np.asarray(given.distances_m, dtype=np.float64)[
        np.ix_(idx, idx)
    ]
    unplaced = frozenset(int(i) for i in np.flatnonzero(~known))
    return ModeMatrix(durations_s=durations, distances_m=distances, unplaced=unplaced)


def _modes_in_use(problem: Problem) -> list[TravelMode]:
    seen: list[TravelMode] = []
    for carer in problem.carers:
        if carer.travel_mode not in seen:
            seen.append(carer.travel_mode)
    return seen


def build_matrices(problem: Problem, source: MatrixSource | None = None) -> TravelMatrices:
    """Compute travel among every place of ``problem`` for each travel mode in use.

    Parameters
    ----------
    problem
        The problem whose places to connect.
    source
        Where to get travel times for modes without a matrix in the problem. Defaults to
        :class:`HaversineSource` with the problem's circuity factor and speeds.

    Returns
    -------
    TravelMatrices
        One :class:`ModeMatrix` per travel mode used by at least one carer.
    """
    places = places_of(problem)
    if source is None:
        source = HaversineSource(problem.travel.circuity_factor, problem.travel.speeds_kmh)
    given = {g.travel_mode: g for g in problem.travel.matrices}
    by_mode: dict[TravelMode, ModeMatrix] = {}
    names: list[str] = []
    for mode in _modes_in_use(problem):
        if mode in given:
            by_mode[mode] = _from_given(given[mode], places)
            names.append(f"{mode}: given matrix")
        else:
            by_mode[mode] = source.matrix(places.locations, mode)
            names.append(f"{mode}: {source.name}")
    return TravelMatrices(places=places, by_mode=by_mode, source="; ".join(names))
