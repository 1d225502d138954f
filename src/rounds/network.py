"""Travel times on real streets: OpenStreetMap graphs, mode profiles, snapping and matrices.

This is the only module that imports osmnx. The chain is a few plain values::

    OSM file / GraphML / Overpass --load_graph / download_graph--> networkx.MultiDiGraph (raw)
        --street_network(graph, profile)--> StreetNetwork (compact numpy arrays, cached)
        --network_matrix(network, locations)--> ModeMatrix (seconds and metres)

:class:`NetworkSource` wraps the chain as a :class:`rounds.matrix.MatrixSource`, so
``solve(problem, source=NetworkSource.from_file("streets.osm.bz2"))`` plans on real streets and
``check(problem, plan, source=...)`` re-checks with the same times.

How a location reaches the network: it is projected to metres (UTM) and moved to the nearest
point of the nearest street edge (the *snap*, exact on the projected geometry). The snap leg is
travelled in a straight line at the profile's speed; a location farther than ``max_snap_m`` from
every street is *unplaced* (:attr:`rounds.matrix.ModeMatrix.unplaced`), so its visits come back
unallocated with reason ``not_on_network`` instead of being silently moved. The snapped point
splits its edge, so two neighbours on one long street are as close as they really are.

Shortest paths use :func:`scipy.sparse.csgraph.dijkstra` from each distinct snapped point on a
CSR matrix. Street networks and matrices are cached on disk, keyed by content (the file's
SHA-256, the profile and the locations), in :func:`default_cache_dir`.

OpenStreetMap data is © OpenStreetMap contributors, available under the Open Database License.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import math
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
import shapely.ops
from scipy.sparse.csgraph import dijkstra

from rounds.errors import InputError
from rounds.matrix import ModeMatrix
from rounds.models import DEFAULT_SPEEDS_KMH, Location, TravelMode

if TYPE_CHECKING:
    import networkx as nx
    import pyproj

    from rounds.models import Problem
    from rounds.plan import Round

__all__ = [
    "CYCLE",
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_PROFILES",
    "DRIVE",
    "OSM_ATTRIBUTION",
    "UK_DRIVE_SPEEDS_KMH",
    "WALK",
    "NetworkSource",
    "Profile",
    "StreetNetwork",
    "default_cache_dir",
    "download_graph",
    "extract_osm",
    "leg_path",
    "load_graph",
    "network_matrix",
    "round_paths",
    "street_network",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
"""Attribution every map or published output made from OSM data must carry (ODbL)."""

DEFAULT_MAX_SNAP_M = 500.0
"""A location farther than this from every street is not placed on the network, metres."""

FORMAT_VERSION = 2
"""Bumped whenever cached networks or matrices change meaning."""

#: Tags osmnx must keep on edges so that profiles can filter on them.
_PROFILE_TAGS = (
    "highway",
    "oneway",
    "junction",
    "access",
    "area",
    "foot",
    "sidewalk",
    "footway",
    "bicycle",
    "oneway:bicycle",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "maxspeed",
    "service",
)

_HIGHWAY_FILTER = '["highway"]'
"""Overpass filter for downloads: every highway way; profiles filter afterwards."""


# -- profiles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How one travel mode uses the street network; plain data a user can change.

    An edge is usable when none of its tags has a ``forbidden`` value, and either none has an
    ``excluded`` value or one has a ``permitted`` value (``highway=trunk`` is excluded for
    walking unless ``sidewalk=both``, say). Tag values absent from an edge never match.

    Parameters
    ----------
    name
        Short name, e.g. ``"walk"``.
    speed_kmh
        Speed along every edge when ``highway_speeds_kmh`` is empty, and along snap legs.
    oneway
        Whether one-way streets may only be used forwards (false for walking).
    forbidden
        Tag values that always make an edge unusable.
    excluded
        Tag values that make an edge unusable unless a ``permitted`` value is present.
    permitted
        Tag values that override ``excluded``.
    highway_speeds_kmh
        Speed per ``highway`` type, km/h; a ``maxspeed`` tag takes precedence (osmnx
        ``add_edge_speeds``). Empty means ``speed_kmh`` everywhere.
    """

    name: str
    speed_kmh: float
    oneway: bool
    forbidden: Mapping[str, frozenset[str]] = field(default_factory=dict)
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)
    permitted: Mapping[str, frozenset[str]] = field(default_factory=dict)
    highway_speeds_kmh: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_kmh) and self.speed_kmh > 0):
            raise InputError(f"Profile.speed_kmh: {self.speed_kmh!r} is not a speed > 0")
        bad = {k: v for k, v in self.highway_speeds_kmh.items() if not v > 0}
        if bad:
            raise InputError(f"Profile.highway_speeds_kmh: {bad} are not speeds > 0")

    @property
    def uniform(self) -> bool:
        """Whether every edge is travelled at ``speed_kmh`` (so fastest = shortest)."""
        return not self.highway_speeds_kmh

    def allows(self, tags: Mapping[str, Any]) -> bool:
        """Whether an edge with these tags (values may be lists after simplification) is usable."""

        def hits(rules: Mapping[str, frozenset[str]]) -> bool:
            return any(v in rules.get(k, ()) for k, v in _tag_values(tags, rules))

        if hits(self.forbidden):
            return False
        return not hits(self.excluded) or hits(self.permitted)

    def fingerprint(self) -> str:
        """A stable text form of the profile, for cache keys."""
        data = dataclasses.asdict(self)
        return json.dumps(data, sort_keys=True, default=sorted)


def _tag_values(tags: Mapping[str, Any], rules: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for key in rules:
        value = tags.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        for v in value if isinstance(value, list) else [value]:
            for part in str(v).split(";"):
                yield key, part.strip()


_NO_CONSTRUCTION = frozenset({"construction", "proposed", "abandoned", "razed", "disused"})

WALK = Profile(
    name="walk",
    speed_kmh=DEFAULT_SPEEDS_KMH["walk"],
    oneway=False,
    forbidden={
        "highway": _NO_CONSTRUCTION | {"raceway", "bus_guideway", "busway", "platform"},
        "foot": frozenset({"no", "private", "use_sidepath"}),
        "area": frozenset({"yes"}),
    },
    excluded={
        "highway": frozenset({"motorway", "motorway_link", "trunk", "trunk_link"}),
        "access": frozenset({"private", "no"}),
    },
    permitted={
        "foot": frozenset({"yes", "designated", "permissive"}),
        "sidewalk": frozenset({"both", "left", "right", "yes", "separate"}),
        "footway": frozenset({"sidewalk", "both", "left", "right"}),
    },
)
"""Walking at 4.8 km/h (as :data:`rounds.models.DEFAULT_SPEEDS_KMH`), both ways along one-way
streets; no motorways or trunk roads without a footway, no ``foot=no``, ``access=private``,
construction or ``area=yes``."""

CYCLE = Profile(
    name="cycle",
    speed_kmh=DEFAULT_SPEEDS_KMH["cycle"],
    oneway=True,
    forbidden={
        "highway": _NO_CONSTRUCTION
        | {"motorway", "motorway_link", "raceway", "bus_guideway", "busway", "platform"},
        "bicycle": frozenset({"no", "private", "use_sidepath"}),
        "area": frozenset({"yes"}),
    },
    excluded={
        "highway": frozenset({"footway", "pedestrian", "steps", "corridor", "elevator"}),
        "access": frozenset({"private", "no"}),
    },
    permitted={"bicycle": frozenset({"yes", "designated", "permissive"})},
)
"""Cycling at 15 km/h on roads, cycleways and paths; footways only where ``bicycle=yes``;
one-way streets respected."""

UK_DRIVE_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 112.0,
    "motorway_link": 64.0,
    "trunk": 80.0,
    "trunk_link": 48.0,
    "primary": 48.0,
    "primary_link": 40.0,
    "secondary": 40.0,
    "secondary_link": 32.0,
    "tertiary": 32.0,
    "tertiary_link": 32.0,
    "unclassified": 32.0,
    "residential": 24.0,
    "living_street": 16.0,
    "service": 16.0,
    "road": 24.0,
}
"""Typical UK speeds per highway type, km/h, for roads without a ``maxspeed`` tag: 70 mph
motorways, urban A roads near 30 mph, residential streets near 15 mph with junctions and
parking."""

DRIVE = Profile(
    name="drive",
    speed_kmh=DEFAULT_SPEEDS_KMH["drive"],
    oneway=True,
    forbidden={
        "highway": _NO_CONSTRUCTION
        | {
            "footway",
            "pedestrian",
            "steps",
            "corridor",
            "elevator",
            "path",
            "cycleway",
            "bridleway",
            "track",
            "platform",
            "raceway",
            "bus_guideway",
            "busway",
        },
        "area": frozenset({"yes"}),
        "service": frozenset({"parking_aisle", "emergency_access"}),
    },
    excluded={
        "access": frozenset({"private", "no"}),
        "vehicle": frozenset({"no", "private"}),
        "motor_vehicle": frozenset({"no", "private"}),
        "motorcar": frozenset({"no", "private"}),
    },
    permitted={
        "motor_vehicle": frozenset({"yes", "destination", "permissive"}),
        "motorcar": frozenset({"yes", "destination", "permissive"}),
    },
    highway_speeds_kmh=UK_DRIVE_SPEEDS_KMH,
)
"""Driving on public roads at ``maxspeed`` or :data:`UK_DRIVE_SPEEDS_KMH`; one-way respected;
snap legs at 25 km/h."""

DEFAULT_PROFILES: Mapping[TravelMode, Profile] = {"walk": WALK, "cycle": CYCLE, "drive": DRIVE}
"""The profile of each travel mode a street network can serve."""


# -- cache ----------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where rounds caches street networks and matrices.

    ``$ROUNDS_CACHE_DIR`` if set, else the user cache directory (``~/.cache/rounds`` on Linux).
    """
    env = os.environ.get("ROUNDS_CACHE_DIR")
    if env:
        return Path(env)
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return Path.home() / ".cache" / "rounds"
    return Path(platformdirs.user_cache_dir("rounds", appauthor=False))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _key(*parts: str | bytes) -> str:
    digest = hashlib.sha256(str(FORMAT_VERSION).encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:32]


def _save_npz(path: Path, arrays: Mapping[str, npt.NDArray[Any]]) -> None:
    """Write atomically, so a crash or a concurrent run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- loading graphs -------------------------------------------------------------------------------


@contextlib.contextmanager
def _osmnx(cache_dir: Path | None = None) -> Iterator[Any]:
    """Import osmnx, keeping the tags profiles need (and its HTTP cache in ``cache_dir``)."""
    try:
        import osmnx as ox
    except ImportError as error:  # pragma: no cover - osmnx is a dependency
        raise InputError("install osmnx>=2.0 to load street networks") from error
    saved = (ox.settings.useful_tags_way, ox.settings.cache_folder, ox.settings.use_cache)
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved[0], *_PROFILE_TAGS]))
    if cache_dir is not None:
        ox.settings.cache_folder = str(cache_dir / "osmnx")
        ox.settings.use_cache = True
    try:
        yield ox
    finally:
        ox.settings.useful_tags_way, ox.settings.cache_folder, ox.settings.use_cache = saved


_XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml", ".xml.bz2", ".xml.gz")


def load_graph(path: str | Path) -> nx.MultiDiGraph:
    """Read a street graph from an OSM file or a saved GraphML, without any network access.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.bz2`` or ``.osm.gz`` (OSM XML, read by osmnx), ``.osm.pbf`` (filtered
        to highway ways with pyosmium, then read by osmnx) or ``.graphml`` (osmnx GraphML).

    Returns
    -------
    networkx.MultiDiGraph
        The unsimplified graph of every highway way with the tags profiles use, one-way
        streets one way (``bidirectional=False``), all components kept.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"street network file {str(path)!r} does not exist or is not a file")
    name = path.name.lower()
    with _osmnx() as ox:
        if name.endswith(".graphml"):
            return ox.load_graphml(path)
        if name.endswith(".pbf"):
            with tempfile.TemporaryDirectory(prefix="rounds-pbf-") as tmp:
                xml = Path(tmp) / "highways.osm"
                _highways_to_xml(path, xml)
                return _graph_from_xml(ox, xml)
        if name.endswith(_XML_SUFFIXES):
            return _graph_from_xml(ox, path)
    raise InputError(
        f"street network file {str(path)!r}: unknown kind; use .osm, .osm.bz2, .osm.gz, "
        ".osm.pbf or .graphml"
    )


def _graph_from_xml(ox: Any, path: Path) -> nx.MultiDiGraph:
    graph: nx.MultiDiGraph = ox.graph_from_xml(
        path, bidirectional=False, simplify=False, retain_all=True
    )
    return graph


def _osmium() -> Any:
    try:
        import osmium
    except ImportError as error:  # pragma: no cover - osmium is a dependency
        raise InputError("install osmium (pyosmium) to read OSM PBF files") from error
    return osmium


def _highways_to_xml(src: Path, dst: Path) -> None:
    """Keep highway ways (and their nodes) of ``src``, written as OSM XML to ``dst``."""
    osmium = _osmium()
    with osmium.BackReferenceWriter(str(dst), ref_src=str(src), overwrite=True) as writer:
        ways = osmium.FileProcessor(str(src), osmium.osm.WAY)
        for way in ways.with_filter(osmium.filter.KeyFilter("highway")):
            writer.add_way(way)


def extract_osm(src: str | Path, dst: str | Path, bbox: tuple[float, float, float, float]) -> Path:
    """Cut the highway ways touching a bounding box out of an OSM file (XML or PBF).

    Ways with at least one node inside ``bbox`` are kept whole, with all their nodes, so
    streets crossing the edge are not cut short. Relations and other ways are dropped.

    Parameters
    ----------
    src
        OSM XML or PBF file to read.
    dst
        Where to write; the format follows the suffix (``.osm.bz2`` for compressed XML).
    bbox
        ``(west, south, east, north)`` in degrees.

    Returns
    -------
    Path
        ``dst``.
    """
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise InputError(f"bbox: {bbox} is not (west, south, east, north) with west < east")
    osmium = _osmium()
    dst = Path(dst)
    # Without version, timestamp and user metadata: routing needs none of it.
    name = dst.name.lower()
    kind = "pbf" if name.endswith(".pbf") else "osm"
    kind += next((c for c in (".bz2", ".gz") if name.endswith(c)), "")
    out = osmium.io.File(str(dst), f"{kind},add_metadata=false")
    with osmium.BackReferenceWriter(out, ref_src=str(src), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(src)).with_locations():
            if not obj.is_way() or "highway" not in obj.tags:
                continue
            for ref in obj.nodes:
                loc = ref.location
                if loc.valid() and west <= loc.lon <= east and south <= loc.lat <= north:
                    writer.add_way(obj)
                    break
    return dst


def download_graph(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    around: Sequence[Location] | None = None,
    buffer_m: float = 1_000.0,
    cache_dir: Path | None = None,
) -> nx.MultiDiGraph:
    """Download every highway way of an area from OpenStreetMap (Overpass) through osmnx.

    Give exactly one of ``place``, ``bbox`` or ``around``. Responses are cached by osmnx in
    ``cache_dir / "osmnx"``, so asking again for the same area needs no network.

    Parameters
    ----------
    place
        A place name osmnx can geocode, e.g. ``"London Borough of Camden"``.
    bbox
        ``(west, south, east, north)`` in degrees.
    around
        Locations (a problem's clients and carers, say): their bounding box grown by
        ``buffer_m`` on every side.
    buffer_m
        Margin around ``around``, metres.
    cache_dir
        Cache root; defaults to :func:`default_cache_dir`.

    Returns
    -------
    networkx.MultiDiGraph
        The raw graph, as :func:`load_graph` returns it.
    """
    given = [x is not None for x in (place, bbox, around)]
    if sum(given) != 1:
        raise InputError("download_graph: give exactly one of place, bbox or around")
    if around is not None:
        if not around:
            raise InputError("download_graph: around is empty; give at least one location")
        lats = [p.lat for p in around]
        lons = [p.lon for p in around]
        dlat = buffer_m / 111_195.0
        dlon = dlat / max(math.cos(math.radians(sum(lats) / len(lats))), 1e-6)
        bbox = (min(lons) - dlon, min(lats) - dlat, max(lons) + dlon, max(lats) + dlat)
    options = {"simplify": False, "retain_all": True, "custom_filter": _HIGHWAY_FILTER}
    with _osmnx(cache_dir or default_cache_dir()) as ox:
        if place is not None:
            graph: nx.MultiDiGraph = ox.graph_from_place(place, **options)
        else:
            assert bbox is not None
            graph = ox.graph_from_bbox(bbox, **options)
    return graph


# -- the compact street network -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """One profile's street network as compact arrays: nodes, directed arcs, arc geometry.

    Arc ``a`` runs from node ``tail[a]`` to ``head[a]``; ``length_m[a]`` metres take
    ``time_s[a]`` seconds; its shape is the projected points ``coords[offsets[a]:offsets[a+1]]``.
    ``reverse[a]`` is the arc running the same geometry backwards, or -1 (a one-way street).
    Coordinates are in metres in ``crs`` (the UTM zone of the median node); ``measure`` is the
    great-circle metres from the arc's start to each of its points, as osmnx measures ``length``,
    so a point snapped onto an arc splits its length exactly. Speed is uniform along an arc.
    """

    profile: Profile
    key: str
    crs: str
    node_xy: FloatArray
    tail: IntArray
    head: IntArray
    length_m: FloatArray
    time_s: FloatArray
    offsets: IntArray
    coords: FloatArray
    measure: FloatArray
    reverse: IntArray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of directed arcs."""
        return int(self.tail.shape[0])

    @cached_property
    def lines(self) -> npt.NDArray[np.object_]:
        """Shapely line of each arc, projected."""
        counts = np.diff(self.offsets)
        return np.asarray(
            shapely.linestrings(self.coords, indices=np.repeat(np.arange(self.n_arcs), counts))
        )

    @cached_property
    def along(self) -> FloatArray:
        """Projected metres from each arc's start to each of its points."""
        step = np.r_[0.0, np.hypot(*np.diff(self.coords, axis=0).T)]
        step[self.offsets[:-1]] = 0.0
        total = np.cumsum(step)
        start = np.repeat(total[self.offsets[:-1]], np.diff(self.offsets))
        return np.asarray(total - start)

    def to_measure(self, arcs: IntArray, along: FloatArray) -> FloatArray:
        """Great-circle metres from the start of ``arcs`` of points ``along`` projected metres."""
        out = np.empty(arcs.size)
        for i, (a, d) in enumerate(zip(arcs, along, strict=True)):
            lo, hi = self.offsets[a], self.offsets[a + 1]
            out[i] = np.interp(d, self.along[lo:hi], self.measure[lo:hi])
        return out

    def to_along(self, arc: int, measure: float) -> float:
        """Projected metres from the start of ``arc`` of the point ``measure`` metres along."""
        lo, hi = self.offsets[arc], self.offsets[arc + 1]
        return float(np.interp(measure, self.measure[lo:hi], self.along[lo:hi]))

    @cached_property
    def tree(self) -> shapely.STRtree:
        """Spatial index over :attr:`lines`."""
        return shapely.STRtree(self.lines)

    @cached_property
    def to_xy(self) -> pyproj.Transformer:
        """WGS84 (lon, lat) to the projected (x, y) of this network."""
        import pyproj

        return pyproj.Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    @cached_property
    def to_lonlat(self) -> pyproj.Transformer:
        """Projected (x, y) back to WGS84 (lon, lat)."""
        import pyproj

        return pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)

    def save(self, path: str | Path) -> Path:
        """Write the network to ``path`` (``.npz``) and return the path."""
        path = Path(path)
        meta = json.dumps({"profile": self.profile.fingerprint(), "key": self.key, "crs": self.crs})
        arrays = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)[3:]}
        _save_npz(path, {"meta": np.array(meta), **arrays})
        return path

    @classmethod
    def load(cls, path: str | Path, profile: Profile) -> StreetNetwork:
        """Read a network written by :meth:`save` for ``profile``."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta["profile"] != profile.fingerprint():
                raise InputError(f"{path}: cached network was made with another profile")
            arrays = {f.name: data[f.name] for f in dataclasses.fields(cls)[3:]}
        return cls(profile=profile, key=meta["key"], crs=meta["crs"], **arrays)


def street_network(graph: nx.MultiDiGraph, profile: Profile, *, key: str = "") -> StreetNetwork:
    """Turn a raw street graph into one profile's compact, projected network.

    Keeps the edges ``profile`` allows, sets travel times (uniform speed, or osmnx
    ``add_edge_speeds`` with the profile's highway speeds and ``add_edge_travel_times``),
    keeps the largest connected component (strongly connected when one-way streets count) so
    every snapped point reaches every other, merges chains of edges (osmnx ``simplify_graph``,
    summing lengths and times) and projects to UTM.

    Parameters
    ----------
    graph
        A graph from :func:`load_graph` or :func:`download_graph` (simplified graphs work too).
    profile
        The travel mode's profile.
    key
        Identifies the source for caches; defaults to a hash of the resulting arrays.

    Returns
    -------
    StreetNetwork
        The compact network.
    """
    with _osmnx() as ox:
        keep = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if profile.allows(d)]
        if not keep:
            raise InputError(f"the street graph has no edge a {profile.name} profile may use")
        sub = _largest_component(graph, keep, strongly=profile.oneway)
        if profile.uniform:
            mps = profile.speed_kmh / 3.6
            for _, _, d in sub.edges(data=True):
                d["travel_time"] = float(d["length"]) / mps
        else:
            sub = ox.add_edge_speeds(
                sub, hwy_speeds=dict(profile.highway_speeds_kmh), fallback=profile.speed_kmh
            )
            sub = ox.add_edge_travel_times(sub)
        if not sub.graph.get("simplified", False):
            # Keep nodes where the speed changes, so that speed is uniform along every arc.
            sub = ox.simplify_graph(
                sub,
                edge_attrs_differ=None if profile.uniform else ["speed_kph"],
                edge_attr_aggs={"length": sum, "travel_time": sum},
            )
    return _compact(sub, profile, key)


def _largest_component(
    graph: nx.MultiDiGraph, keep: list[tuple[Any, Any, Any]], *, strongly: bool
) -> nx.MultiDiGraph:
    """A new graph of the ``keep`` edges, cut to their largest (strongly) connected component."""
    import networkx as nx

    sub = nx.MultiDiGraph(**graph.graph)
    sub.add_edges_from((u, v, k, graph.edges[u, v, k]) for u, v, k in keep)
    parts = nx.strongly_connected_components if strongly else nx.weakly_connected_components
    biggest = max(parts(sub), key=len)
    sub.remove_nodes_from([n for n in list(sub.nodes) if n not in biggest])
    sub.add_nodes_from((n, graph.nodes[n]) for n in biggest)
    return sub


def _utm_crs(lon: float, lat: float) -> str:
    """The UTM zone (WGS84) containing ``lon``, ``lat``, as an EPSG code."""
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _compact(graph: nx.MultiDiGraph, profile: Profile, key: str) -> StreetNetwork:
    """Arrays of an unprojected (WGS84) graph, projected to its UTM zone."""
    import pyproj

    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    node_xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in nodes], dtype=float)
    tails: list[int] = []
    heads: list[int] = []
    lengths: list[float] = []
    times: list[float] = []
    shapes: list[FloatArray] = []
    for u, v, d in graph.edges(data=True):
        tails.append(index[u])
        heads.append(index[v])
        lengths.append(float(d["length"]))
        times.append(float(d["travel_time"]))
        geom = d.get("geometry")
        if geom is None:
            shapes.append(node_xy[[index[u], index[v]]])
        else:
            shapes.append(np.asarray(geom.coords, dtype=float)[:, :2])

    reverse = [-1] * len(tails)
    by_pair: dict[tuple[int, int], list[int]] = defaultdict(list)
    for a, (t, h) in enumerate(zip(tails, heads, strict=True)):
        by_pair[(t, h)].append(a)
    for a in range(len(tails)):
        if reverse[a] >= 0:
            continue
        for b in by_pair[(heads[a], tails[a])]:
            if (
                b != a
                and reverse[b] < 0
                and math.isclose(lengths[a], lengths[b], rel_tol=1e-9, abs_tol=1e-6)
                and shapes[a].shape == shapes[b].shape
                and np.allclose(shapes[a], shapes[b][::-1], rtol=0.0, atol=1e-9)
            ):
                reverse[a], reverse[b] = b, a
                break
    if not profile.oneway:  # every street both ways: add the missing reverse arcs
        for a in range(len(reverse)):
            if reverse[a] < 0:
                b = len(tails)
                tails.append(heads[a])
                heads.append(tails[a])
                lengths.append(lengths[a])
                times.append(times[a])
                shapes.append(shapes[a][::-1])
                reverse.append(a)
                reverse[a] = b

    counts = np.array([len(s) for s in shapes], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    lonlat = np.concatenate(shapes) if shapes else np.zeros((0, 2))
    measure = _measure(lonlat, offsets, np.array(lengths, dtype=float))
    crs = _utm_crs(*np.median(node_xy, axis=0))
    project = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    coords = np.column_stack(project.transform(lonlat[:, 0], lonlat[:, 1]))
    node_xy = np.column_stack(project.transform(node_xy[:, 0], node_xy[:, 1]))
    arrays = {
        "node_xy": node_xy,
        "tail": np.array(tails, dtype=np.int64),
        "head": np.array(heads, dtype=np.int64),
        "length_m": np.array(lengths, dtype=float),
        "time_s": np.array(times, dtype=float),
        "offsets": offsets,
        "coords": coords,
        "measure": measure,
        "reverse": np.array(reverse, dtype=np.int64),
    }
    if not key:
        digest = hashlib.sha256(profile.fingerprint().encode() + crs.encode())
        for arr in arrays.values():
            digest.update(np.ascontiguousarray(arr).tobytes())
        key = digest.hexdigest()[:32]
    return StreetNetwork(profile=profile, key=key, crs=crs, **arrays)


def _measure(lonlat: FloatArray, offsets: IntArray, lengths: FloatArray) -> FloatArray:
    """Great-circle metres from each arc's start to each of its points (osmnx's formula)."""
    if lonlat.shape[0] == 0:
        return np.zeros(0)
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    phi, lmb = np.radians(lat), np.radians(lon)
    h = (
        np.sin(np.diff(phi) / 2) ** 2
        + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.diff(lmb) / 2) ** 2
    )
    step = np.r_[0.0, 2 * 6_371_009 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))]
    step[offsets[:-1]] = 0.0
    total = np.cumsum(step)
    start = np.repeat(total[offsets[:-1]], np.diff(offsets))
    measure = total - start
    # Scale each arc so that its last point lies exactly at its length.
    ends = measure[offsets[1:] - 1]
    scale = np.divide(lengths, ends, out=np.ones_like(lengths), where=ends > 0)
    return np.asarray(measure * np.repeat(scale, np.diff(offsets)))


# -- snapping and shortest paths ------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapped:
    """Distinct locations on a network: where each lies, and the graph with them spliced in."""

    xy: FloatArray  # projected location, (m, 2)
    placed: npt.NDArray[np.bool_]
    snap_m: FloatArray
    arc: IntArray  # arc of the snapped point (placed only meaningful)
    frac: FloatArray  # fraction along the arc
    node: IntArray  # node id of each placed point in the spliced graph, -1 if unplaced
    graph: sp.csr_matrix  # weights: metres (uniform profile) or seconds
    lengths: FloatArray  # metres of each CSR entry
    times: FloatArray  # seconds of each CSR entry
    piece_arc: IntArray  # original arc of each CSR entry
    piece_from: FloatArray  # fraction along that arc where the entry starts
    piece_to: FloatArray


def _snap(network: StreetNetwork, lonlat: FloatArray, max_snap_m: float) -> _Snapped:
    m = lonlat.shape[0]
    x, y = network.to_xy.transform(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y]).astype(float)
    points = shapely.points(xy)
    pairs, dist = network.tree.query_nearest(points, return_distance=True, all_matches=False)
    arc = np.zeros(m, dtype=np.int64)
    snap = np.full(m, np.inf)
    arc[pairs[0]] = pairs[1]
    snap[pairs[0]] = dist
    placed = snap <= max_snap_m
    frac = np.zeros(m)
    if placed.any():
        arcs = arc[placed]
        along = shapely.line_locate_point(network.lines[arcs], points[placed])
        length = network.length_m[arcs]
        metres = network.to_measure(arcs, np.nan_to_num(along))
        frac[placed] = np.clip(
            np.divide(metres, length, out=np.zeros_like(length), where=length > 0), 0.0, 1.0
        )

    # Canonical arc of each point: of an arc and its reverse, the lower index.
    rev = network.reverse
    idx = np.flatnonzero(placed)
    a, f = arc[idx], frac[idx]
    swap = (rev[a] >= 0) & (rev[a] < a)
    ca = np.where(swap, rev[a], a)
    cf = np.where(swap, 1.0 - f, f)
    node = np.full(m, -1, dtype=np.int64)
    node[idx] = network.n_nodes + np.arange(idx.size)

    order = np.lexsort((cf, ca))
    sa, sf, sv = ca[order], cf[order], node[idx][order]
    k = sa.size
    first = np.ones(k, dtype=bool)
    last = np.ones(k, dtype=bool)
    if k > 1:
        first[1:] = sa[1:] != sa[:-1]
        last[:-1] = sa[1:] != sa[:-1]
    prev_node = np.where(first, network.tail[sa], np.r_[-1, sv[:-1]])
    prev_f = np.where(first, 0.0, np.r_[0.0, sf[:-1]])
    # Pieces along each canonical arc: tail -> p1 -> ... -> pk -> head.
    p_tail = np.r_[prev_node, sv[last]]
    p_head = np.r_[sv, network.head[sa[last]]]
    p_arc = np.r_[sa, sa[last]]
    p_from = np.r_[prev_f, sf[last]]
    p_to = np.r_[sf, np.ones(int(last.sum()))]
    # The same pieces backwards along the reverse arc, where there is one.
    back = rev[p_arc] >= 0
    b_arc = rev[p_arc[back]]
    # A point at an end of an arc is at that node: join them both ways (a one-way arc alone
    # would only lead into the point).
    at_tail = sf * network.length_m[sa] <= 1e-9
    at_head = (1.0 - sf) * network.length_m[sa] <= 1e-9
    end_node = np.r_[network.tail[sa[at_tail]], network.head[sa[at_head]]]
    end_point = np.r_[sv[at_tail], sv[at_head]]
    end_arc = np.r_[sa[at_tail], sa[at_head]]
    end_f = np.r_[np.zeros(int(at_tail.sum())), np.ones(int(at_head.sum()))]
    tails = np.r_[network.tail, p_tail, p_head[back], end_node, end_point]
    heads = np.r_[network.head, p_head, p_tail[back], end_point, end_node]
    arcs = np.r_[np.arange(network.n_arcs), p_arc, b_arc, end_arc, end_arc]
    f0 = np.r_[np.zeros(network.n_arcs), p_from, 1.0 - p_to[back], end_f, end_f]
    f1 = np.r_[np.ones(network.n_arcs), p_to, 1.0 - p_from[back], end_f, end_f]
    share = f1 - f0
    lengths = network.length_m[arcs] * share
    times = network.time_s[arcs] * share
    weights = lengths if network.profile.uniform else times

    # Drop dead-end trees without a snapped point: no shortest path between points enters them.
    n = network.n_nodes + idx.size
    alive = _prune_dead_ends(tails, heads, n, node[idx])
    live = alive[tails] & alive[heads]
    renumber = np.cumsum(alive) - 1
    tails, heads = renumber[tails], renumber[heads]
    node = np.where(node >= 0, renumber[np.maximum(node, 0)], -1)
    n = int(alive.sum())

    # One entry per (tail, head): the cheapest.
    pick = np.lexsort((weights, heads, tails))
    pick = pick[live[pick]]
    t_s, h_s = tails[pick], heads[pick]
    keep = np.ones(pick.size, dtype=bool)
    keep[1:] = (t_s[1:] != t_s[:-1]) | (h_s[1:] != h_s[:-1])
    pick = pick[keep]  # sorted by (tail, head): CSR order
    graph = sp.csr_matrix((weights[pick], (tails[pick], heads[pick])), shape=(n, n))
    if graph.nnz != pick.size:  # pragma: no cover - duplicates were removed above
        raise AssertionError("CSR construction merged entries")
    return _Snapped(
        xy=xy,
        placed=placed,
        snap_m=snap,
        arc=arc,
        frac=frac,
        node=node,
        graph=graph,
        lengths=lengths[pick],
        times=times[pick],
        piece_arc=arcs[pick],
        piece_from=f0[pick],
        piece_to=f1[pick],
    )


def _prune_dead_ends(
    tails: IntArray, heads: IntArray, n: int, terminals: IntArray
) -> npt.NDArray[np.bool_]:
    """Nodes left after repeatedly removing non-terminal nodes with one neighbour (or none)."""
    lo, hi = np.minimum(tails, heads), np.maximum(tails, heads)
    pairs = np.unique(np.column_stack([lo[lo != hi], hi[lo != hi]]), axis=0)
    u, v = pairs[:, 0], pairs[:, 1]
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    alive = np.ones(n, dtype=bool)
    pinned = np.zeros(n, dtype=bool)
    pinned[terminals] = True
    edge_alive = np.ones(u.size, dtype=bool)
    while True:
        leaves = alive & ~pinned & (degree <= 1)
        if not leaves.any():
            return alive
        alive &= ~leaves
        gone = edge_alive & (leaves[u] | leaves[v])
        edge_alive &= ~gone
        degree -= np.bincount(u[gone], minlength=n) + np.bincount(v[gone], minlength=n)


def _csr_entry(
    graph: sp.csr_matrix, rows: npt.NDArray[np.integer[Any]], cols: npt.NDArray[np.integer[Any]]
) -> IntArray:
    """Position in ``graph.data`` of entries ``(rows[i], cols[i])`` (which must exist)."""
    n = graph.shape[1]
    row_of = np.repeat(np.arange(graph.shape[0], dtype=np.int64), np.diff(graph.indptr))
    keys = row_of * n + graph.indices.astype(np.int64)
    found = np.searchsorted(keys, rows.astype(np.int64) * n + cols.astype(np.int64))
    return np.asarray(found, dtype=np.int64)


def _tree_lengths(snapped: _Snapped, pred: npt.NDArray[np.int32]) -> FloatArray:
    """Metres from each source to every node along its shortest-path tree (pointer jumping)."""
    k, n = pred.shape
    has = pred >= 0
    cols = np.broadcast_to(np.arange(n), (k, n))
    acc = np.zeros((k, n))
    acc[has] = snapped.lengths[_csr_entry(snapped.graph, pred[has], cols[has])]
    ptr = np.where(has, pred, cols).astype(np.int64)
    while True:
        nxt = np.take_along_axis(ptr, ptr, axis=1)
        acc = acc + np.take_along_axis(acc, ptr, axis=1)
        if np.array_equal(nxt, ptr):
            return acc
        ptr = nxt


def network_matrix(
    network: StreetNetwork,
    locations: Sequence[Location],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> ModeMatrix:
    """Travel among ``locations`` on ``network``: street time and metres plus the snap legs.

    Parameters
    ----------
    network
        The mode's street network.
    locations
        Places in matrix order; identical locations share a row.
    max_snap_m
        Locations farther than this from every street are listed in ``unplaced`` (their rows
        and columns are zero).

    Returns
    -------
    ModeMatrix
        ``durations_s`` along the fastest street path (shortest, for uniform-speed profiles),
        ``distances_m`` along that path, and ``snap_m`` for every location.
    """
    if not (max_snap_m >= 0 and math.isfinite(max_snap_m)):
        raise InputError(f"max_snap_m: {max_snap_m!r} is not a distance >= 0 in metres")
    n = len(locations)
    if n == 0:
        return ModeMatrix(np.zeros((0, 0)), np.zeros((0, 0)), snap_m=np.zeros(0))
    lonlat = np.array([(p.lon, p.lat) for p in locations], dtype=float)
    unique, inverse = np.unique(lonlat, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    snapped = _snap(network, unique, max_snap_m)
    sources = snapped.node[snapped.placed]
    m = unique.shape[0]
    dur = np.zeros((m, m))
    dist = np.zeros((m, m))
    if sources.size:
        if network.profile.uniform:
            metres = dijkstra(snapped.graph, directed=True, indices=sources)
            street_m = metres[:, sources]
            street_s = street_m / (network.profile.speed_kmh / 3.6)
        else:
            seconds, pred = dijkstra(
                snapped.graph, directed=True, indices=sources, return_predecessors=True
            )
            street_s = seconds[:, sources]
            street_m = _tree_lengths(snapped, pred)[:, sources]
        if not (np.all(np.isfinite(street_s)) and np.all(np.isfinite(street_m))):
            raise AssertionError("a snapped point cannot reach another")  # pragma: no cover
        snap_m = snapped.snap_m[snapped.placed]
        snap_s = snap_m / (network.profile.speed_kmh / 3.6)
        ix = np.ix_(snapped.placed, snapped.placed)
        dur[ix] = snap_s[:, None] + street_s + snap_s[None, :]
        dist[ix] = snap_m[:, None] + street_m + snap_m[None, :]
        np.fill_diagonal(dur, 0.0)
        np.fill_diagonal(dist, 0.0)
    full = np.ix_(inverse, inverse)
    unplaced = frozenset(int(i) for i in np.flatnonzero(~snapped.placed[inverse]))
    return ModeMatrix(
        durations_s=dur[full],
        distances_m=dist[full],
        unplaced=unplaced,
        snap_m=snapped.snap_m[inverse],
    )


# -- route geometry -------------------------------------------------------------------------------


def _leg_xy(network: StreetNetwork, origin: Location, destination: Location) -> FloatArray | None:
    lonlat = np.array([(origin.lon, origin.lat), (destination.lon, destination.lat)])
    snapped = _snap(network, lonlat, math.inf)
    a, b = (int(v) for v in snapped.node)
    if (origin.lat, origin.lon) == (destination.lat, destination.lon):
        return snapped.xy[:1]
    _, pred = dijkstra(snapped.graph, directed=True, indices=a, return_predecessors=True)
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
        if path[-1] < 0:  # pragma: no cover - networks are connected
            return None
    path.reverse()
    entries = _csr_entry(snapped.graph, np.array(path[:-1]), np.array(path[1:]))
    pieces: list[FloatArray] = [snapped.xy[:1]]
    for e in entries:
        arc = int(snapped.piece_arc[e])
        length = float(network.length_m[arc])
        part = shapely.ops.substring(
            network.lines[arc],
            network.to_along(arc, float(snapped.piece_from[e]) * length),
            network.to_along(arc, float(snapped.piece_to[e]) * length),
        )
        pieces.append(np.asarray(part.coords, dtype=float)[:, :2])
    pieces.append(snapped.xy[1:])
    xy = np.concatenate(pieces)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(xy, axis=0)) > 1e-9, axis=1)
    return xy[keep]


def _network_of(source: NetworkSource | StreetNetwork, mode: TravelMode) -> StreetNetwork:
    return source if isinstance(source, StreetNetwork) else source.network(mode)


def leg_path(
    source: NetworkSource | StreetNetwork,
    origin: Location,
    destination: Location,
    mode: TravelMode = "walk",
) -> list[tuple[float, float]]:
    """The street path from ``origin`` to ``destination`` as ``(lat, lon)`` points.

    The path starts at ``origin``, runs straight to its snapped point, follows the streets of
    the fastest path the matrix uses, and ends at ``destination``. Coordinates come from
    OpenStreetMap: maps drawn from them must credit :data:`OSM_ATTRIBUTION`.

    Parameters
    ----------
    source
        A :class:`NetworkSource` (its network for ``mode`` is used) or a network.
    origin, destination
        The two ends of the leg.
    mode
        Travel mode, when ``source`` is a :class:`NetworkSource`.

    Returns
    -------
    list of (float, float)
        ``(lat, lon)`` points, WGS84 degrees.
    """
    network = _network_of(source, mode)
    xy = _leg_xy(network, origin, destination)
    if xy is None:  # pragma: no cover
        return [(origin.lat, origin.lon), (destination.lat, destination.lon)]
    lon, lat = network.to_lonlat.transform(xy[:, 0], xy[:, 1])
    return [(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]


def round_paths(
    source: NetworkSource | StreetNetwork, problem: Problem, round_: Round
) -> list[list[tuple[float, float]]]:
    """The street path of every leg of a planned round, start to end, as ``(lat, lon)`` lists.

    Parameters
    ----------
    source
        The source the plan was made with.
    problem
        The problem the round belongs to.
    round_
        A round of a plan of ``problem``.

    Returns
    -------
    list of list of (float, float)
        One path per leg: start to the first visit, visit to visit, last visit to the end.
    """
    carer = problem.carer_by_id[round_.carer_id]
    clients = {c.id: c.location for c in problem.clients}
    stops = [carer.start_location, *(clients[s.client_id] for s in round_.stops), carer.end]
    return [leg_path(source, a, b, round_.travel_mode) for a, b in itertools.pairwise(stops)]


# -- the matrix source ----------------------------------------------------------------------------


class NetworkSource:
    """Travel times on OpenStreetMap streets, one network per travel mode, cached on disk.

    Networks are built on first use of a mode (walk-only problems never build the drive
    network). Build a source with :meth:`from_file`, :meth:`from_graph`, :meth:`from_place`,
    :meth:`from_bbox` or :meth:`around`; pass it to :func:`rounds.solve` and
    :func:`rounds.check` as ``source=``.

    Parameters
    ----------
    graph
        Raw street graph, or a callable returning it (called at most once, when needed).
    label
        Names the source in plans, e.g. the file name.
    key
        Content key of the graph for the disk cache (e.g. the file's SHA-256); empty
        disables the network cache (matrices are still cached by network content).
    profiles
        Profile of each mode served; modes without one raise :class:`InputError`.
    max_snap_m
        See :func:`network_matrix`.
    cache_dir
        Cache root (default :func:`default_cache_dir`); ``None`` with ``cache=False`` to never
        touch the disk.
    cache
        Whether to read and write the disk cache.
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph | Any,
        *,
        label: str,
        key: str = "",
        profiles: Mapping[TravelMode, Profile] = DEFAULT_PROFILES,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        cache_dir: str | Path | None = None,
        cache: bool = True,
    ) -> None:
        if not (max_snap_m >= 0 and math.isfinite(max_snap_m)):
            raise InputError(f"max_snap_m: {max_snap_m!r} is not a distance >= 0 in metres")
        self._graph_or_loader = graph
        self._graph: nx.MultiDiGraph | None = None
        self.label = label
        self.key = key
        self.profiles = dict(profiles)
        self.max_snap_m = float(max_snap_m)
        self.cache = cache
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._networks: dict[TravelMode, StreetNetwork] = {}

    # constructors

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> NetworkSource:
        """A source reading ``path`` (see :func:`load_graph`) unless its networks are cached."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"street network file {str(path)!r} does not exist or is not a file")
        sha = _sha256_file(path)
        return cls(lambda: load_graph(path), label=f"osm {path.name}", key=sha, **options)

    @classmethod
    def from_graph(
        cls, graph: nx.MultiDiGraph, *, label: str = "osm graph", **options: Any
    ) -> NetworkSource:
        """A source on an in-memory raw graph (matrices cached by network content)."""
        return cls(graph, label=label, **options)

    @classmethod
    def from_place(cls, place: str, **options: Any) -> NetworkSource:
        """Download the streets of a named place from OpenStreetMap (needs network access)."""
        cache_dir = options.get("cache_dir")
        graph = download_graph(place=place, cache_dir=Path(cache_dir) if cache_dir else None)
        return cls(graph, label=f"osm {place}", **options)

    @classmethod
    def from_bbox(cls, bbox: tuple[float, float, float, float], **options: Any) -> NetworkSource:
        """Download the streets of ``(west, south, east, north)`` (needs network access)."""
        cache_dir = options.get("cache_dir")
        graph = download_graph(bbox=bbox, cache_dir=Path(cache_dir) if cache_dir else None)
        label = "osm bbox " + ",".join(f"{v:.4f}" for v in bbox)
        return cls(graph, label=label, **options)

    @classmethod
    def around(
        cls, locations: Sequence[Location], *, buffer_m: float = 1_000.0, **options: Any
    ) -> NetworkSource:
        """Download the streets around ``locations`` (needs network access)."""
        cache_dir = options.get("cache_dir")
        graph = download_graph(
            around=locations, buffer_m=buffer_m, cache_dir=Path(cache_dir) if cache_dir else None
        )
        return cls(graph, label="osm around locations", **options)

    # the MatrixSource protocol

    @property
    def name(self) -> str:
        """Description recorded in plans."""
        return f"{self.label} ({OSM_ATTRIBUTION})"

    def graph(self) -> nx.MultiDiGraph:
        """The raw street graph (loaded now if it was deferred)."""
        if self._graph is None:
            g = self._graph_or_loader
            self._graph = g() if callable(g) else g
        return self._graph

    def network(self, mode: TravelMode) -> StreetNetwork:
        """The street network of ``mode``, from memory, the disk cache or the graph."""
        if mode in self._networks:
            return self._networks[mode]
        profile = self.profiles.get(mode)
        if profile is None:
            raise InputError(
                f"travel mode {mode!r}: this street network source has no profile for it "
                f"(it serves {', '.join(sorted(self.profiles))}); give the mode a matrix in "
                "travel.matrices or use the crow-fly fallback"
            )
        path = None
        if self.cache and self.key:
            path = self.cache_dir / "networks" / f"{_key(self.key, profile.fingerprint())}.npz"
            if path.is_file():
                with contextlib.suppress(OSError, ValueError, KeyError, InputError):
                    self._networks[mode] = StreetNetwork.load(path, profile)
                    return self._networks[mode]
        key = _key(self.key, profile.fingerprint()) if self.key else ""
        network = street_network(self.graph(), profile, key=key)
        if path is not None:
            with contextlib.suppress(OSError):
                network.save(path)
        self._networks[mode] = network
        return network

    def matrix(self, locations: Sequence[Location], mode: TravelMode) -> ModeMatrix:
        """Street travel among ``locations`` for ``mode`` (see :func:`network_matrix`)."""
        network = self.network(mode)
        lonlat = np.array([(p.lon, p.lat) for p in locations], dtype=float)
        path = None
        if self.cache:
            key = _key(network.key, repr(self.max_snap_m), lonlat.tobytes())
            path = self.cache_dir / "matrices" / f"{key}.npz"
            if path.is_file():
                try:
                    with np.load(path, allow_pickle=False) as data:
                        return ModeMatrix(
                            durations_s=data["durations_s"],
                            distances_m=data["distances_m"],
                            unplaced=frozenset(int(i) for i in data["unplaced"]),
                            snap_m=data["snap_m"],
                        )
                except (OSError, ValueError, KeyError):
                    pass
        result = network_matrix(network, locations, max_snap_m=self.max_snap_m)
        if path is not None:
            with contextlib.suppress(OSError):
                _save_npz(
                    path,
                    {
                        "durations_s": result.durations_s,
                        "distances_m": result.distances_m,
                        "unplaced": np.array(sorted(result.unplaced), dtype=np.int64),
                        "snap_m": np.asarray(result.snap_m),
                    },
                )
        return result
