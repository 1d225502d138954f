"""Street networks: loading, profiles, snapping, exact matrices, solving on streets, caching.

The tiny town used here (metres east/north of a point in Kilburn)::

    (0,100) N0 ---- N1 ---- N2 ---- N3 ---- N4 (1000,100)     north street
      |                                      |
    motorway (no walking)                  bridge (footway)
      |            ~ ~ ~ river ~ ~ ~         |
    (0,0)   S0 ---- S1 ---- S2 ---- S3 ---- S4 (1000,0)       south street

North and south are 100 m apart crow-fly but a walker must cross at the bridge.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from rounds import Carer, Problem, ReasonCode, Shift, check, solve
from rounds.errors import InputError
from rounds.models import Location
from rounds.network import (
    DRIVE,
    WALK,
    NetworkSource,
    Profile,
    StreetNetwork,
    download_graph,
    extract_osm,
    leg_path,
    load_graph,
    network_matrix,
    round_paths,
    street_network,
)

from conftest import at, loc, one_visit_packages, visit

REPO = Path(__file__).resolve().parents[1]
SHARED_OSM = REPO.parent / "shared" / "data" / "osm"
WALK_MPS = 4.8 / 3.6


def osm_xml(nodes: dict[int, Location], ways: list[tuple[list[int], dict[str, str]]]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, p in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{p.lat:.9f}" lon="{p.lon:.9f}"/>')
    for wid, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


SOUTH = [1, 2, 3, 4, 5]
NORTH = [11, 12, 13, 14, 15]


@pytest.fixture(scope="module")
def town_osm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nodes = {n: loc(250 * i, 0) for i, n in enumerate(SOUTH)}
    nodes |= {n: loc(250 * i, 100) for i, n in enumerate(NORTH)}
    ways = [
        (SOUTH, {"highway": "residential", "name": "South Street"}),
        (NORTH, {"highway": "residential", "name": "North Street", "oneway": "yes"}),
        ([5, 15], {"highway": "footway", "bridge": "yes"}),
        ([1, 11], {"highway": "motorway"}),
    ]
    path = tmp_path_factory.mktemp("osm") / "town.osm"
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def town_graph(town_osm: Path) -> nx.MultiDiGraph:
    return load_graph(town_osm)


@pytest.fixture(scope="module")
def town_walk(town_graph: nx.MultiDiGraph) -> StreetNetwork:
    return street_network(town_graph, WALK)


def source(town_osm: Path, tmp_path: Path, **kw: object) -> NetworkSource:
    return NetworkSource.from_file(town_osm, cache_dir=tmp_path / "cache", **kw)


# -- profiles and loading -------------------------------------------------------------------------


def test_walking_profile_drops_motorways_and_walks_one_way_streets_both_ways(
    town_walk: StreetNetwork,
) -> None:
    # Without the motorway, South Street and the bridge merge into one chain; North Street
    # (one-way for traffic) is the other: two edges, both ways each.
    assert town_walk.n_arcs == 4
    assert (town_walk.reverse >= 0).all()
    assert math.isclose(town_walk.length_m.sum() / 2, 2_100, rel_tol=2e-3)


def test_profile_rules_are_data() -> None:
    assert not WALK.allows({"highway": "trunk"})
    assert WALK.allows({"highway": "trunk", "sidewalk": "both"})
    assert not WALK.allows({"highway": "residential", "foot": "no", "sidewalk": "both"})
    assert not WALK.allows({"highway": "service", "access": "private"})
    assert WALK.allows({"highway": "service", "access": "private", "foot": "yes"})
    assert not WALK.allows({"highway": ["residential", "construction"]})
    assert WALK.allows({"highway": "footway", "foot": float("nan")})
    assert not DRIVE.allows({"highway": "footway"})
    with pytest.raises(InputError, match="speed_kmh"):
        Profile(name="x", speed_kmh=0, oneway=False)


def test_drive_keeps_one_way_streets_one_way(town_graph: nx.MultiDiGraph) -> None:
    # Drivers may use the motorway and North Street only westwards: largest strongly connected
    # component is the loop S0 -> S4 -> ... no: the bridge is a footway, so drivers have no loop.
    drive = Profile(
        name="drive",
        speed_kmh=30,
        oneway=True,
        forbidden={"highway": frozenset({"footway"})},
    )
    net = street_network(town_graph, drive)
    assert (net.reverse >= 0).all()  # only the two-way South Street survives
    assert net.n_arcs == 2


def test_pbf_files_read_like_xml(town_osm: Path, tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "town.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(town_osm)):
            writer.add(obj)
    a, b = load_graph(town_osm), load_graph(pbf)
    assert sorted(a.nodes) == sorted(b.nodes)
    assert a.number_of_edges() == b.number_of_edges()


def test_extract_keeps_whole_ways_touching_the_box(town_osm: Path, tmp_path: Path) -> None:
    corner = loc(100, 50)
    far = loc(-100, -50)
    out = extract_osm(town_osm, tmp_path / "cut.osm", (far.lon, far.lat, corner.lon, corner.lat))
    graph = load_graph(out)
    # S0 is in the box: South Street whole, and the motorway S0-N0; not North Street.
    assert set(graph.nodes) == {*SOUTH, 11}


def test_unknown_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_graph(tmp_path / "nope.osm")
    bad = tmp_path / "streets.csv"
    bad.write_text("x\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown kind"):
        load_graph(bad)


# -- snapping and matrices ------------------------------------------------------------------------


def test_walking_distance_goes_round_by_the_bridge(town_walk: StreetNetwork) -> None:
    south, north = loc(100, 0), loc(100, 100)
    m = network_matrix(town_walk, [south, north])
    # 900 m east, 100 m over the bridge, 900 m west; crow-fly it is 100 m.
    assert m.distances_m[0, 1] == pytest.approx(1_900, rel=2e-3)
    assert m.durations_s[0, 1] == pytest.approx(m.distances_m[0, 1] / WALK_MPS)
    assert m.distances_m[1, 0] == pytest.approx(m.distances_m[0, 1])
    assert m.unplaced == frozenset()


def test_points_on_one_edge_are_as_close_as_they_are(town_walk: StreetNetwork) -> None:
    a, b = loc(300, 0), loc(420, 0)
    m = network_matrix(town_walk, [a, b, a])
    assert m.distances_m[0, 1] == pytest.approx(120, rel=2e-3)
    assert m.distances_m[0, 2] == 0
    assert m.durations_s[2, 0] == 0


def test_snap_leg_is_walked_and_recorded(town_walk: StreetNetwork) -> None:
    off, on = loc(600, -40), loc(800, 0)
    m = network_matrix(town_walk, [off, on])
    assert m.snap_m is not None
    assert m.snap_m[0] == pytest.approx(40, abs=0.5)
    assert m.snap_m[1] == pytest.approx(0, abs=0.01)
    assert m.distances_m[0, 1] == pytest.approx(40 + 200, rel=2e-3)
    assert m.durations_s[0, 1] == pytest.approx(m.distances_m[0, 1] / WALK_MPS)


def test_a_location_far_from_every_street_is_unplaced(town_walk: StreetNetwork) -> None:
    m = network_matrix(town_walk, [loc(0, 0), loc(500, 900)], max_snap_m=500)
    assert m.unplaced == frozenset({1})
    assert m.snap_m is not None
    assert m.snap_m[1] == pytest.approx(800, abs=1)
    assert network_matrix(town_walk, [loc(500, 900)], max_snap_m=900).unplaced == frozenset()


def random_grid_osm(path: Path, seed: int, size: int = 7) -> Path:
    """A jittered grid with some one-way streets, some missing streets and a trunk road."""
    rng = np.random.default_rng(seed)
    nodes: dict[int, Location] = {}
    for i in range(size):
        for j in range(size):
            dx, dy = rng.uniform(-40, 40, 2)
            nodes[100 + i * size + j] = loc(150 * i + dx, 150 * j + dy)
    ways: list[tuple[list[int], dict[str, str]]] = []
    kinds = ["residential", "residential", "tertiary", "footway", "trunk", "service"]
    for i in range(size):
        for j in range(size):
            a = 100 + i * size + j
            for b in ([a + size] if i + 1 < size else []) + ([a + 1] if j + 1 < size else []):
                if rng.random() < 0.15:
                    continue
                tags = {"highway": str(rng.choice(kinds))}
                if rng.random() < 0.25:
                    tags["oneway"] = "yes"
                ways.append(([a, b], tags))
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("profile", [WALK, DRIVE], ids=["walk", "drive"])
def test_matrix_equals_networkx_shortest_paths(tmp_path: Path, seed: int, profile: Profile) -> None:
    raw = load_graph(random_grid_osm(tmp_path / "grid.osm", seed))
    net = street_network(raw, profile)
    # Reference: networkx on the same filtered, unsimplified edges.
    weight = "length" if profile.uniform else "travel_time"
    ref = nx.DiGraph()
    keep = [(u, v, d) for u, v, d in raw.edges(data=True) if profile.allows(d)]
    for u, v, d in keep:
        if profile.uniform:
            w = d["length"]
        else:
            speed = profile.highway_speeds_kmh.get(d["highway"], profile.speed_kmh)
            w = d["length"] / (speed / 3.6)
        pairs = [(u, v)] if profile.oneway else [(u, v), (v, u)]
        for a, b in pairs:
            if not ref.has_edge(a, b) or ref[a][b][weight] > w:
                ref.add_edge(a, b, **{weight: w})
    core = max(
        nx.strongly_connected_components(ref)
        if profile.oneway
        else nx.weakly_connected_components(ref),
        key=len,
    )
    ids = sorted(core)
    locations = [Location(lat=raw.nodes[n]["y"], lon=raw.nodes[n]["x"]) for n in ids]
    m = network_matrix(net, locations)
    assert m.unplaced == frozenset()
    got = m.durations_s if not profile.uniform else m.distances_m
    for i, a in enumerate(ids):
        lengths = nx.single_source_dijkstra_path_length(ref, a, weight=weight)
        want = np.array([lengths[b] for b in ids])
        np.testing.assert_allclose(got[i], want, rtol=1e-9, atol=1e-6)


# -- solving on streets ---------------------------------------------------------------------------


def bridge_problem() -> Problem:
    """From S0 to an office at S4: client N (100 m north of home) and client S (500 m east).

    Crow-fly, N is next door, so a crow-fly plan visits N first. On foot N is only reached
    over the bridge at the far end, so the street plan visits S first, then N, then the office.
    """
    clients = {"N": loc(100, 100), "S": loc(500, 0)}
    cs, ps = one_visit_packages(clients, {k: visit(f"V-{k}", (8, 0), (14, 0)) for k in clients})
    walker = Carer(
        id="K1",
        start_location=loc(0, 0),
        end_location=loc(1000, 0),
        shifts=(Shift(start=at(8), end=at(16)),),
    )
    return Problem(carers=(walker,), clients=cs, packages=ps)


def test_the_round_follows_the_walking_order_not_crow_fly(town_osm: Path, tmp_path: Path) -> None:
    problem = bridge_problem()
    crow = solve(problem, time_limit_s=1)
    assert [s.visit_id for s in crow.rounds[0].stops] == ["V-N", "V-S"]

    streets = source(town_osm, tmp_path)
    plan = solve(problem, time_limit_s=1, source=streets)
    assert [s.visit_id for s in plan.rounds[0].stops] == ["V-S", "V-N"]
    assert plan.solver is not None
    assert plan.solver.travel_source.startswith("walk: osm town.osm")
    assert "OpenStreetMap" in plan.solver.travel_source
    assert check(problem, plan, source=streets) == []
    # Every leg is the matrix's: S0 -> S 500 m, S -> N over the bridge, N -> bridge -> S4.
    metres = [s.travel_m for s in plan.rounds[0].stops] + [plan.rounds[0].travel_to_end_m]
    assert metres == pytest.approx([500, 500 + 100 + 900, 900 + 100], abs=3)
    # The crow-fly plan breaks the street times.
    assert check(problem, crow, source=streets) != [] or crow.kpis.travel_m < plan.kpis.travel_m


def test_a_client_off_the_network_is_unallocated_not_on_network(
    town_osm: Path, tmp_path: Path
) -> None:
    clients = {"A": loc(300, 0), "FAR": loc(500, 2_000)}
    cs, ps = one_visit_packages(clients, {k: visit(f"V-{k}", (8, 0), (12, 0)) for k in clients})
    walker = Carer(id="K1", start_location=loc(0, 0), shifts=(Shift(start=at(7), end=at(15)),))
    problem = Problem(carers=(walker,), clients=cs, packages=ps)
    streets = source(town_osm, tmp_path)
    plan = solve(problem, time_limit_s=1, source=streets)
    assert [s.visit_id for r in plan.rounds for s in r.stops] == ["V-A"]
    (out,) = plan.unallocated
    assert out.reason == ReasonCode.NOT_ON_NETWORK
    assert check(problem, plan, source=streets) == []


def test_a_mode_without_a_profile_is_a_clear_error(town_osm: Path, tmp_path: Path) -> None:
    streets = source(town_osm, tmp_path)
    with pytest.raises(InputError, match="public_transport"):
        streets.matrix([loc(0)], "public_transport")


# -- caching and geometry -------------------------------------------------------------------------


def test_second_run_reads_networks_and_matrices_from_the_cache(
    town_osm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    places = [loc(100, 0), loc(100, 100), loc(700, 0)]
    first = source(town_osm, tmp_path).matrix(places, "walk")
    assert len(list((tmp_path / "cache" / "networks").glob("*.npz"))) == 1
    assert len(list((tmp_path / "cache" / "matrices").glob("*.npz"))) == 1

    import rounds.network

    def no_loading(*_: object) -> None:
        raise AssertionError("the graph was loaded again")

    monkeypatch.setattr(rounds.network, "load_graph", no_loading)
    monkeypatch.setattr(rounds.network, "network_matrix", no_loading)
    again = source(town_osm, tmp_path).matrix(places, "walk")
    np.testing.assert_array_equal(first.durations_s, again.durations_s)
    np.testing.assert_array_equal(first.distances_m, again.distances_m)
    # A different place needs a new matrix but not a new network.
    monkeypatch.undo()
    monkeypatch.setattr(rounds.network, "load_graph", no_loading)
    source(town_osm, tmp_path).matrix([*places, loc(900, 100)], "walk")


def test_cached_network_equals_a_fresh_one(town_walk: StreetNetwork, tmp_path: Path) -> None:
    back = StreetNetwork.load(town_walk.save(tmp_path / "n.npz"), WALK)
    places = [loc(100, 0), loc(100, 100), loc(730, -20)]
    np.testing.assert_array_equal(
        network_matrix(back, places).durations_s, network_matrix(town_walk, places).durations_s
    )
    with pytest.raises(InputError, match="another profile"):
        StreetNetwork.load(tmp_path / "n.npz", DRIVE)


def test_leg_path_follows_the_streets(town_walk: StreetNetwork) -> None:
    south, north = loc(100, 0), loc(100, 100)
    path = leg_path(town_walk, south, north)
    assert path[0] == pytest.approx((south.lat, south.lon))
    assert path[-1] == pytest.approx((north.lat, north.lon))
    bridge_s, bridge_n = loc(1000, 0), loc(1000, 100)
    assert any(p == pytest.approx((bridge_s.lat, bridge_s.lon)) for p in path)
    assert any(p == pytest.approx((bridge_n.lat, bridge_n.lon)) for p in path)
    from rounds.matrix import haversine_m

    pts = [Location(lat=a, lon=b) for a, b in path]
    along = sum(float(haversine_m([p], [q])[0, 0]) for p, q in itertools.pairwise(pts))
    assert along == pytest.approx(
        network_matrix(town_walk, [south, north]).distances_m[0, 1], rel=2e-3
    )


def test_round_paths_cover_every_leg(town_osm: Path, tmp_path: Path) -> None:
    problem = bridge_problem()
    streets = source(town_osm, tmp_path)
    plan = solve(problem, time_limit_s=1, source=streets)
    paths = round_paths(streets, problem, plan.rounds[0])
    assert len(paths) == 3
    assert paths[-1][-1] == pytest.approx((loc(1000, 0).lat, loc(1000, 0).lon))


# -- real data (slow) -----------------------------------------------------------------------------


@pytest.mark.slow
def test_camden_walking_matrix_equals_networkx_on_a_sample() -> None:
    camden = SHARED_OSM / "camden-highways.osm.bz2"
    if not camden.is_file():
        pytest.skip(f"{camden} is absent (../shared/data is not available here)")
    net = street_network(load_graph(camden), WALK)
    rng = np.random.default_rng(0)
    nodes = rng.choice(net.n_nodes, 30, replace=False)
    lon, lat = net.to_lonlat.transform(net.node_xy[nodes, 0], net.node_xy[nodes, 1])
    places = [Location(lat=float(a), lon=float(b)) for a, b in zip(lat, lon, strict=True)]
    m = network_matrix(net, places)
    assert m.snap_m is not None
    ref = nx.DiGraph()
    for a, (t, h) in enumerate(zip(net.tail, net.head, strict=True)):
        w = float(net.length_m[a])
        if not ref.has_edge(int(t), int(h)) or ref[int(t)][int(h)]["w"] > w:
            ref.add_edge(int(t), int(h), w=w)
    for i, a in enumerate(nodes):
        got = nx.single_source_dijkstra_path_length(ref, int(a), weight="w")
        want = np.array([got[int(b)] for b in nodes])
        np.testing.assert_allclose(m.distances_m[i], want + m.snap_m[i] + m.snap_m, atol=1e-6)
        assert m.distances_m[i, i] == 0


# -- the bundled demo -----------------------------------------------------------------------------


def test_the_bundled_extract_places_every_demo_address(tmp_path: Path) -> None:
    from rounds.io import demo_network_path, demo_problem_path, load_problem
    from rounds.matrix import places_of

    problem = load_problem(demo_problem_path())
    streets = NetworkSource.from_file(demo_network_path(), cache_dir=tmp_path)
    m = streets.matrix(places_of(problem).locations, "walk")
    assert m.unplaced == frozenset()
    assert m.snap_m is not None
    assert float(m.snap_m.max()) < 150


def test_online_sources_ask_osmnx_for_every_highway(
    town_graph: nx.MultiDiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import osmnx as ox

    calls: list[tuple[object, dict[str, object]]] = []

    def fake(query: object, **kw: object) -> nx.MultiDiGraph:
        calls.append((query, kw))
        assert "foot" in ox.settings.useful_tags_way  # profiles can filter on it
        return town_graph

    monkeypatch.setattr(ox, "graph_from_place", fake)
    monkeypatch.setattr(ox, "graph_from_bbox", fake)
    streets = NetworkSource.from_place("Town", cache_dir=tmp_path)
    assert streets.matrix([loc(100, 0), loc(100, 100)], "walk").distances_m[0, 1] > 1_800
    NetworkSource.around([loc(0, 0), loc(1000, 100)], buffer_m=500, cache_dir=tmp_path)
    (_, by_place), (bbox, _) = calls
    assert by_place["custom_filter"] == '["highway"]'
    assert by_place["simplify"] is False
    assert isinstance(bbox, tuple)
    west, south, east, north = bbox
    assert west < loc(0, 0).lon < loc(1000, 0).lon < east
    assert south < loc(0, 0).lat < loc(0, 100).lat < north
    assert "foot" not in ox.settings.useful_tags_way  # settings restored
    with pytest.raises(InputError, match="exactly one"):
        download_graph()
    with pytest.raises(InputError, match="exactly one"):
        download_graph(place="Town", bbox=(0.0, 0.0, 1.0, 1.0))
