"""Street-network benchmarks: graph loading, 1,000 x 1,000 matrices, exactness vs networkx.

Run from the repository root (the machine is shared, so take the benchmark lock)::

    flock /tmp/rounds-bench.lock .venv/bin/python -m benchmarks.bench_network

It reads ``../shared/data/osm`` (or ``$ROUNDS_BENCH_DATA/osm``) and prints a Markdown table
(pasted into ``docs/network.md``).
Cached networks go to a fresh temporary directory, so "from XML" is a cold build every time.

OpenStreetMap data © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import networkx as nx
import numpy as np
import scipy

from benchmarks.instances import DATA_DIR as SHARED_DATA
from rounds.models import Location
from rounds.network import (
    DRIVE,
    WALK,
    Profile,
    StreetNetwork,
    _snap,
    load_graph,
    network_matrix,
    street_network,
)

T = TypeVar("T")
OSM = SHARED_DATA / "osm"


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    profile: Profile
    networkx: bool  # time networkx side by side on the same 1,000 sources


CASES = (
    Case("Camden walk", "camden-highways.osm.bz2", WALK, True),
    Case("Leeds walk", "leeds-university-highways.osm", WALK, False),
    Case("Rutland drive", "rutland-highways.osm.bz2", DRIVE, False),
)


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def sample_locations(net: StreetNetwork, n: int, seed: int) -> list[Location]:
    """``n`` places near the streets: random nodes moved up to 40 m in a random direction."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.n_nodes, n, replace=net.n_nodes < n)
    xy = net.node_xy[nodes] + rng.uniform(-40, 40, (n, 2))
    lon, lat = net.to_lonlat.transform(xy[:, 0], xy[:, 1])
    return [Location(lat=float(a), lon=float(b)) for a, b in zip(lat, lon, strict=True)]


def networkx_matrix(net: StreetNetwork, places: list[Location]) -> tuple[np.ndarray, float]:
    """The same street matrix with networkx Dijkstra from each source, on the same graph."""
    lonlat = np.array([(p.lon, p.lat) for p in places])
    snapped = _snap(net, lonlat, np.inf)
    coo = snapped.graph.tocoo()
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    sources = snapped.node.tolist()
    targets = np.array(sources)

    def run() -> np.ndarray:
        out = np.empty((len(sources), len(sources)))
        for i, s in enumerate(sources):
            lengths = nx.single_source_dijkstra_path_length(graph, s, weight="weight")
            out[i] = [lengths[t] for t in targets]
        return out

    street, seconds = timed(run)
    snap = snapped.snap_m
    total = snap[:, None] + street + snap[None, :]
    np.fill_diagonal(total, 0.0)
    return total, seconds


def exactness(raw: nx.MultiDiGraph, net: StreetNetwork, n: int, seed: int) -> float:
    """Largest difference, metres, from networkx on the raw filtered graph, places at nodes."""
    profile = net.profile
    ref = nx.DiGraph()
    for u, v, d in raw.edges(data=True):
        if not profile.allows(d):
            continue
        for a, b in [(u, v)] if profile.oneway else [(u, v), (v, u)]:
            w = float(d["length"])
            if not ref.has_edge(a, b) or ref[a][b]["w"] > w:
                ref.add_edge(a, b, w=w)
    rng = np.random.default_rng(seed)
    # Nodes of the network that are raw nodes: match by position.
    lon, lat = net.to_lonlat.transform(net.node_xy[:, 0], net.node_xy[:, 1])
    by_pos = {(round(raw.nodes[k]["x"], 6), round(raw.nodes[k]["y"], 6)): k for k in raw.nodes}
    ids = [by_pos.get((round(a, 6), round(b, 6))) for a, b in zip(lon, lat, strict=True)]
    pick = rng.choice([i for i, k in enumerate(ids) if k is not None], n, replace=False)
    places = [Location(lat=raw.nodes[ids[i]]["y"], lon=raw.nodes[ids[i]]["x"]) for i in pick]
    m = network_matrix(net, places)
    worst = 0.0
    for i, a in enumerate(pick):
        got = nx.single_source_dijkstra_path_length(ref, ids[a], weight="w")
        want = np.array([got[ids[b]] for b in pick])
        if profile.uniform:
            worst = max(worst, float(np.max(np.abs(m.distances_m[i] - want))))
    return worst


def run_case(case: Case, n: int, seed: int, cache: Path) -> dict[str, str]:
    path = OSM / case.file
    raw, t_xml = timed(lambda: load_graph(path))
    net, t_build = timed(lambda: street_network(raw, case.profile))
    saved = net.save(cache / f"{case.name}.npz")
    cached, t_cache = timed(lambda: StreetNetwork.load(saved, case.profile))
    _, t_index = timed(lambda: cached.tree)
    places = sample_locations(cached, n, seed)
    matrix, t_matrix = timed(lambda: network_matrix(cached, places))
    _, t_matrix2 = timed(lambda: network_matrix(cached, places))
    row = {
        "case": case.name,
        "nodes / arcs": f"{net.n_nodes:,} / {net.n_arcs:,}",
        "load XML + build (s)": f"{t_xml:.1f} + {t_build:.1f}",
        "load cache (s)": f"{t_cache + t_index:.2f}",
        f"{n}x{n} matrix (s)": f"{t_matrix:.2f} ({t_matrix2:.2f} again)",
        "unplaced": str(len(matrix.unplaced)),
    }
    if case.networkx and case.profile.uniform:
        ref, t_nx = networkx_matrix(cached, places)
        ok = ~np.isin(np.arange(n), list(matrix.unplaced))
        diff = np.max(np.abs(matrix.distances_m[np.ix_(ok, ok)] - ref[np.ix_(ok, ok)]))
        row["networkx (s)"] = f"{t_nx:.1f} ({t_nx / t_matrix2:.0f}x slower), max diff {diff:.1e} m"
    if case.profile.uniform:
        worst = exactness(raw, net, 100, seed)
        row["exact vs networkx on raw graph"] = f"max diff {worst:.1e} m (100x100 at nodes)"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="matrix side (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not OSM.is_dir():
        raise SystemExit(f"{OSM} is absent: these benchmarks need ../shared/data/osm")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"networkx {nx.__version__}, {platform.machine()}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            row = run_case(case, args.size, args.seed, Path(tmp))
            print(row, flush=True)
            rows.append(row)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    print("\n| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(r.get(k, "") for k in keys) + " |")


if __name__ == "__main__":
    main()
