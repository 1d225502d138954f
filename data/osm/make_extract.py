"""Cut ``camden-demo.osm.bz2`` (the street extract ``rounds demo`` walks) from the Camden file.

Run from the repository root, with ``../shared/data/osm`` present::

    .venv/bin/python data/osm/make_extract.py

Every highway way with a node inside the box is kept whole, with its nodes; metadata
(versions, timestamps, users) is dropped. OpenStreetMap data © OpenStreetMap contributors, ODbL.
"""

from __future__ import annotations

from pathlib import Path

from rounds.network import extract_osm

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared" / "data" / "osm" / "camden-highways.osm.bz2"
TARGET = REPO / "data" / "osm" / "camden-demo.osm.bz2"
#: West, south, east, north: the demo's clients and carers' homes plus about 600 m.
BBOX = (-0.2117, 51.5366, -0.1505, 51.5613)

if __name__ == "__main__":
    extract_osm(SOURCE, TARGET, BBOX)
    print(f"wrote {TARGET} ({TARGET.stat().st_size / 1024:.0f} KiB)")
