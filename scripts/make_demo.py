"""Generate ``data/demo/problem.json``: one home-care day in Kilburn and Belsize Park (Camden).

The demo is synthetic but sits on real places. Every client and every carer's home is a real
unit postcode centroid from the ONS National Statistics Postcode Lookup (May 2025), read from
``../shared/data/postcodes/NW.csv`` (relative to the repository root). The people, their care
plans and the rota are made up.

The day (Monday 10 March 2025, naive local times) has two compact walking patches:

* **Kilburn**: NW6 sectors 1 and 2 (the Camden side of Kilburn High Road, West End Lane and
  the railways through West Hampstead), around Kilburn Grange Park;
* **Belsize Park**: NW3, around Haverstock Hill and Belsize Village.

Both patches lie inside the London Borough of Camden, so the bundled OpenStreetMap extract
``data/osm/camden-demo.osm.bz2`` covers every address (``rounds demo`` walks real streets).

Clients are sampled from the postcodes within 700 m of each patch centre, so a walking leg
between neighbours takes a few minutes. Each client has one package of one to four
calls (morning, lunch, tea, bed); a few calls need the ``medication`` or ``hoist`` skill. Carers
have one shift each (no split shifts), mostly walk, and live near the patch they work.

The output is deterministic for a given seed and postcode file::

    python scripts/make_demo.py --seed 7

Postcode data: Source: Office for National Statistics licensed under the Open Government
Licence v.3.0. Contains OS data © Crown copyright and database right 2025. Contains Royal Mail
data © Royal Mail copyright and database right 2025.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import statistics
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from rounds.models import (
    Break,
    Carer,
    Client,
    Location,
    Package,
    Problem,
    Shift,
    TravelMode,
    Visit,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTCODES = REPO_ROOT.parent / "shared" / "data" / "postcodes" / "NW.csv"
DEFAULT_OUT = REPO_ROOT / "data" / "demo" / "problem.json"
DEFAULT_SEED = 7

PROBLEM_NAME = "Kilburn & Belsize Park — demo day"
DAY = date(2025, 3, 10)  # a Monday

EARTH_RADIUS_M = 6_371_008.8
#: Crow-fly to street distance and walking speed, as in rounds' crow-fly fallback; used only
#: for the summary this script prints.
CIRCUITY = 1.3
WALK_KMH = 4.8


# -- postcodes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Postcode:
    """A unit postcode and its centroid."""

    code: str
    lat: float
    lon: float

    @property
    def sector(self) -> str:
        """Outward code plus the first inward character, e.g. ``"NW6 7"``."""
        return self.code[:-2]

    @property
    def district(self) -> str:
        """Outward code, e.g. ``"NW10"``."""
        return self.code.split(" ")[0]

    @property
    def location(self) -> Location:
        """The centroid as a :class:`~rounds.models.Location`."""
        return Location(lat=self.lat, lon=self.lon)


def normalise_postcode(raw: str) -> str:
    """Turn the NSPL 7-character ``pcd`` form (``"NW100AA"``) into ``"NW10 0AA"``."""
    compact = raw.replace(" ", "").upper()
    return f"{compact[:-3]} {compact[-3:]}"


def read_postcodes(path: Path) -> list[Postcode]:
    """Read ``Postcode,lat,long`` rows, dropping those without coordinates, sorted by code."""
    postcodes: dict[str, Postcode] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            lat, lon = row["lat"].strip(), row["long"].strip()
            if not lat or not lon:
                continue  # no coordinates: these rows have an empty lat (and long 0.00000)
            code = normalise_postcode(row["Postcode"])
            postcodes[code] = Postcode(code, float(lat), float(lon))
    return sorted(postcodes.values(), key=lambda p: p.code)


def one_per_place(postcodes: Sequence[Postcode]) -> list[Postcode]:
    """Keep the first postcode at each centroid.

    Blocks of flats often give many postcodes the same centroid; sampling them all would put
    several people at one point and favour big blocks.
    """
    seen: set[tuple[float, float]] = set()
    kept: list[Postcode] = []
    for postcode in postcodes:
        if (postcode.lat, postcode.lon) not in seen:
            seen.add((postcode.lat, postcode.lon))
            kept.append(postcode)
    return kept


def haversine_m(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(a_lat), math.radians(b_lat)
    dphi, dlmb = phi2 - phi1, math.radians(b_lon - a_lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def walk_min(a: Postcode, b: Postcode) -> float:
    """Walking minutes between two postcodes, the way rounds' crow-fly fallback estimates them."""
    metres = haversine_m(a.lat, a.lon, b.lat, b.lon) * CIRCUITY
    return metres / (WALK_KMH * 1000 / 60)


# -- patches --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patch:
    """A compact walking area: postcodes in some sectors within a radius of a centre."""

    name: str
    lat: float
    lon: float
    sectors: tuple[str, ...]
    client_radius_m: float
    n_clients: int

    def distance_m(self, postcode: Postcode) -> float:
        """Crow-fly metres from the patch centre."""
        return haversine_m(self.lat, self.lon, postcode.lat, postcode.lon)

    def contains_sector(self, postcode: Postcode) -> bool:
        """Whether the postcode lies in one of the patch's sectors (or districts)."""
        return any(postcode.sector == s or postcode.district == s for s in self.sectors)

    def within(self, postcodes: Sequence[Postcode], radius_m: float) -> list[Postcode]:
        """Postcodes of the patch's sectors within ``radius_m`` of its centre."""
        return [p for p in postcodes if self.contains_sector(p) and self.distance_m(p) <= radius_m]


KILBURN = Patch(
    name="Kilburn",
    lat=51.5460,
    lon=-0.1935,  # Kilburn Grange Park, between Kilburn High Road and West End Lane
    sectors=("NW6 1", "NW6 2"),  # Camden's side of Kilburn High Road
    client_radius_m=700.0,
    n_clients=20,
)
BELSIZE = Patch(
    name="Belsize Park",
    lat=51.5495,
    lon=-0.1690,  # Belsize Park, by Haverstock Hill and Belsize Village
    sectors=("NW3",),
    client_radius_m=700.0,
    n_clients=20,
)
PATCHES = (KILBURN, BELSIZE)

#: Walkers live within this distance of their patch centre; cyclists and drivers within
#: ``ROAMER_HOME_RADIUS_M`` of the midpoint of the two centres.
WALKER_HOME_RADIUS_M = 1_300.0
ROAMER_HOME_RADIUS_M = 2_000.0


# -- calls ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallType:
    """One kind of call: when its start window may open, how wide it is, how long it lasts."""

    suffix: str
    opens: tuple[time, ...]
    widths_min: tuple[int, ...]
    durations_min: tuple[int, ...]


#: Morning calls open in staggered sub-windows from 07:00 to 09:00, each 90 minutes wide, so
#: the morning peak is spread over 07:00-10:30 as agencies do in practice.
MORNING = CallType(
    "AM",
    opens=(time(7, 0), time(7, 30), time(7, 30), time(8, 0), time(8, 0), time(8, 30), time(9, 0)),
    widths_min=(90,),
    durations_min=(30, 45, 45),
)
LUNCH = CallType(
    "LUNCH",
    opens=(time(11, 45), time(12, 0), time(12, 15)),
    widths_min=(90,),
    durations_min=(30,),
)
TEA = CallType(
    "TEA",
    opens=(time(16, 0), time(16, 15), time(16, 30)),
    widths_min=(90, 105),
    durations_min=(30,),
)
BED = CallType(
    "BED",
    opens=(time(18, 45), time(19, 0), time(19, 15), time(19, 30), time(19, 45)),
    widths_min=(90,),
    durations_min=(30,),
)
#: Single-call clients: a short morning or lunchtime welfare or medication check.
WELFARE_DURATIONS_MIN = (15, 20, 30)

#: How many clients get how many calls a day (sums to the number of clients).
CALLS_PER_DAY = {1: 6, 2: 7, 3: 9, 4: 18}
#: Which calls a client with that many calls has, one pattern picked at random.
CALL_PATTERNS: dict[int, tuple[tuple[CallType, ...], ...]] = {
    1: ((MORNING,), (MORNING,), (LUNCH,)),
    2: ((MORNING, BED), (MORNING, BED), (MORNING, TEA), (LUNCH, TEA)),
    3: ((MORNING, LUNCH, BED), (MORNING, TEA, BED), (MORNING, LUNCH, TEA)),
    4: ((MORNING, LUNCH, TEA, BED),),
}

MEDICATION_SHARE = 0.15  # of visits
HOIST_SHARE = 0.05  # of visits
MEDICATION_PRIORITY = 3


@dataclass
class CallPlan:
    """A call being drafted, before it becomes a :class:`~rounds.models.Visit`."""

    client_id: str
    kind: CallType
    opens: datetime
    closes: datetime
    duration_min: int
    personal_care: bool
    skills: set[str]

    @property
    def visit_id(self) -> str:
        """Visit id such as ``"C07-AM"``."""
        return f"{self.client_id}-{self.kind.suffix}"


def at(clock: time) -> datetime:
    """The demo day at ``clock``."""
    return datetime.combine(DAY, clock)


def draft_call(rng: random.Random, client_id: str, kind: CallType, *, single: bool) -> CallPlan:
    """A call of ``kind`` with a window and duration drawn from the call type.

    A client's only call is a short welfare or medication check rather than personal care.
    """
    opens = at(rng.choice(kind.opens))
    closes = opens + timedelta(minutes=rng.choice(kind.widths_min))
    durations = WELFARE_DURATIONS_MIN if single else kind.durations_min
    return CallPlan(
        client_id,
        kind,
        opens,
        closes,
        rng.choice(durations),
        personal_care=not single,
        skills=set(),
    )


def draft_calls(rng: random.Random, client_ids: Sequence[str]) -> dict[str, list[CallPlan]]:
    """Each client's calls of the day, with the number of calls spread as ``CALLS_PER_DAY``."""
    counts = [n for n, clients in sorted(CALLS_PER_DAY.items()) for _ in range(clients)]
    if len(counts) != len(client_ids):
        raise ValueError(f"CALLS_PER_DAY covers {len(counts)} clients, not {len(client_ids)}")
    rng.shuffle(counts)
    calls: dict[str, list[CallPlan]] = {}
    for client_id, n in zip(client_ids, counts, strict=True):
        pattern = rng.choice(CALL_PATTERNS[n])
        calls[client_id] = [draft_call(rng, client_id, k, single=n == 1) for k in pattern]
    return calls


def add_skills(rng: random.Random, calls: dict[str, list[CallPlan]]) -> None:
    """Mark hoist and medication calls, client by client, until each share is reached.

    A hoisted client needs the hoist to get up and to go to bed; a client on medication has it
    prompted at the morning and bed calls (or at their only call). The two groups do not overlap.
    """
    n_visits = sum(len(c) for c in calls.values())
    clients = list(calls)
    rng.shuffle(clients)

    hoisted: list[str] = []
    hoist_visits, hoist_target = 0, round(HOIST_SHARE * n_visits)
    for client_id in clients:
        if hoist_visits >= hoist_target:
            break
        if len(calls[client_id]) == 4:
            for call in calls[client_id]:
                if call.kind in (MORNING, BED):
                    call.skills.add("hoist")
                    hoist_visits += 1
            hoisted.append(client_id)

    med_visits, med_target = 0, round(MEDICATION_SHARE * n_visits)
    for client_id in clients:
        if med_visits >= med_target:
            break
        if client_id in hoisted:
            continue
        mine = calls[client_id]
        chosen = [c for c in mine if c.kind in (MORNING, BED)] or mine[:1]
        for call in chosen:
            call.skills.add("medication")
            # Medication is time-critical: a tighter window, no later than an hour after opening.
            call.closes = min(call.closes, call.opens + timedelta(minutes=60))
            med_visits += 1


# -- care rules ------------------------------------------------------------------------------------

DOUBLE_UP_SHARE = 0.10  # of visits: hoist transfers need two carers, one of them hoist-trained
LUNCH_AFTER_MORNING_MIN = 180  # lunch at least 3 h after the morning call starts
TEA_AFTER_LUNCH_MIN = (180, 330)  # tea 3-5.5 h after lunch
PREFERRED_SHARE = 0.4  # of clients: have a carer they know
DECLINED_CLIENTS = 3  # clients who have declined one carer
AGREED_WINDOW_MIN = 30  # the agreed (preferred) start window inside the hard one
BREAK_MIN = 30  # unpaid, on shifts over 6 h
BREAK_WINDOWS: dict[str, tuple[time, time]] = {
    "early": (time(10, 30), time(12, 0)),
    "day": (time(10, 30), time(12, 0)),
    "late": (time(17, 30), time(19, 0)),
    "evening": (time(17, 30), time(19, 0)),
}


def add_double_ups(rng: random.Random, calls: dict[str, list[CallPlan]]) -> set[str]:
    """Turn hoist transfers into double-ups until ``DOUBLE_UP_SHARE`` of visits need two carers.

    Hoisted clients' calls go first, then the bed calls of other four-call clients (a frail
    client put to bed by two carers). The hoist skill moves from "every carer" to "the lead".
    """
    n_visits = sum(len(c) for c in calls.values())
    target = round(DOUBLE_UP_SHARE * n_visits)
    chosen: set[str] = set()
    for mine in calls.values():
        for call in mine:
            if "hoist" in call.skills and len(chosen) < target:
                chosen.add(call.visit_id)
    frail = [cid for cid, mine in calls.items() if len(mine) == 4]
    rng.shuffle(frail)
    for client_id in frail:
        if len(chosen) >= target:
            break
        bed = [c for c in calls[client_id] if c.kind is BED and "medication" not in c.skills]
        chosen.update(c.visit_id for c in bed)
    return chosen


def to_visit(call: CallPlan, previous: CallPlan | None, double_ups: set[str]) -> Visit:
    """The :class:`~rounds.models.Visit` of a drafted call.

    ``previous`` is the client's previous call (for the gaps between calls); visits in
    ``double_ups`` need two carers.
    """
    double = call.visit_id in double_ups
    skills = set(call.skills) - ({"hoist"} if double else set())
    agreed_end = min(call.closes, call.opens + timedelta(minutes=AGREED_WINDOW_MIN))
    gap: dict[str, int] = {}
    if previous is not None and call.kind is LUNCH and previous.kind is MORNING:
        gap["min_gap_from_previous_min"] = LUNCH_AFTER_MORNING_MIN
    if previous is not None and call.kind is TEA and previous.kind is LUNCH:
        gap["min_gap_from_previous_min"], gap["max_gap_from_previous_min"] = TEA_AFTER_LUNCH_MIN
    return Visit(
        id=call.visit_id,
        earliest_start=call.opens,
        latest_start=call.closes,
        duration_min=call.duration_min,
        carers_required=2 if double else 1,
        skills=tuple(sorted(skills)),
        lead_skills=("hoist",) if double and "hoist" in call.skills else (),
        priority=MEDICATION_PRIORITY if "medication" in call.skills else 1,
        preferred_start=call.opens,
        preferred_end=agreed_end,
        personal_care=call.personal_care,
        **gap,  # type: ignore[arg-type]
    )


# -- carers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarerPlan:
    """A line of the rota: a shift pattern, a way of travelling, a home patch and skills."""

    shift: str
    travel_mode: TravelMode
    patch: Patch | None  # None: lives between the patches and works both
    skills: tuple[str, ...]


SHIFTS: dict[str, tuple[time, time]] = {
    "early": (time(7, 0), time(14, 30)),
    "day": (time(7, 0), time(15, 0)),
    "late": (time(14, 0), time(22, 0)),
    "evening": (time(15, 0), time(22, 0)),
}
MAX_WORKING_MIN = 480
HOURLY_COSTS = (12.60, 12.75, 12.90, 13.10, 13.25, 13.50, 13.75, 14.00)

#: The rota: eleven carers cover mornings and lunches, ten teas and beds. With one shift each,
#: every peak needs its own carers: about five morning calls (or four lunch, tea or bed calls)
#: fit in one carer's window. Each half of the day has at least two carers with each skill, and
#: each patch a walker trained in medication.
ROTA = (
    CarerPlan("early", "walk", KILBURN, ("medication",)),
    CarerPlan("early", "walk", KILBURN, ("hoist",)),
    CarerPlan("early", "walk", KILBURN, ()),
    CarerPlan("early", "walk", BELSIZE, ("hoist", "medication")),
    CarerPlan("early", "walk", BELSIZE, ()),
    CarerPlan("early", "walk", BELSIZE, ("medication",)),
    CarerPlan("day", "cycle", None, ("medication",)),
    CarerPlan("day", "drive", None, ("hoist", "medication")),
    CarerPlan("late", "walk", KILBURN, ("hoist", "medication")),
    CarerPlan("late", "walk", KILBURN, ()),
    CarerPlan("evening", "walk", KILBURN, ("medication",)),
    CarerPlan("late", "walk", BELSIZE, ("medication",)),
    CarerPlan("late", "walk", BELSIZE, ("hoist",)),
    CarerPlan("evening", "walk", BELSIZE, ()),
    CarerPlan("late", "drive", None, ("hoist", "medication")),
    # Double-ups take two carers and every shift has a break: three more walkers in each half.
    CarerPlan("early", "walk", BELSIZE, ("hoist",)),
    CarerPlan("early", "walk", KILBURN, ()),
    CarerPlan("late", "walk", KILBURN, ("hoist",)),
    CarerPlan("late", "walk", BELSIZE, ()),
    CarerPlan("early", "walk", BELSIZE, ()),
    CarerPlan("late", "walk", KILBURN, ()),
)


def midpoint_patch() -> Patch:
    """A pseudo-patch between the two patches, for carers who work both."""
    return Patch(
        name="between",
        lat=(KILBURN.lat + BELSIZE.lat) / 2,
        lon=(KILBURN.lon + BELSIZE.lon) / 2,
        sectors=KILBURN.sectors + BELSIZE.sectors,
        client_radius_m=0.0,
        n_clients=0,
    )


def check_skill_cover(carers: Sequence[Carer], skills: Sequence[str]) -> None:
    """Fail unless each half of the day has at least two carers with each skill."""
    for half, (first, last) in {"morning": (0, 12), "evening": (12, 24)}.items():
        on_duty = [c for c in carers if first <= c.shifts[0].start.hour < last]
        for skill in skills:
            have = [c.id for c in on_duty if skill in c.skills]
            if len(have) < 2:
                raise ValueError(f"{half}: only {len(have)} carer(s) with {skill!r}: {have}")


def with_carer_preferences(
    rng: random.Random, package: Package, client: Client, carers: Sequence[Carer]
) -> Package:
    """Give ``PREFERRED_SHARE`` of clients a preferred carer: a walker on shift for their
    first call, among the three living nearest."""
    if rng.random() >= PREFERRED_SHARE:
        return package
    first = package.visits[0]
    on_shift = [
        c
        for c in carers
        if c.travel_mode == "walk"
        and c.shifts[0].start <= first.earliest_start < c.shifts[0].end
        and set(first.skills) <= set(c.skills)
    ]
    if not on_shift:
        return package
    here = client.location
    nearest = sorted(
        on_shift,
        key=lambda c: haversine_m(here.lat, here.lon, c.start_location.lat, c.start_location.lon),
    )[:3]
    return package.model_copy(update={"preferred_carers": (rng.choice(nearest).id,)})


def decline_some(
    rng: random.Random, packages: list[Package], carers: Sequence[Carer]
) -> list[Package]:
    """``DECLINED_CLIENTS`` clients without a preferred carer decline one carer each."""
    candidates = [i for i, p in enumerate(packages) if not p.preferred_carers]
    for i in rng.sample(candidates, DECLINED_CLIENTS):
        declined = rng.choice([c.id for c in carers if c.travel_mode == "walk"])
        packages[i] = packages[i].model_copy(update={"declined_carers": (declined,)})
    return packages


def make_carers(rng: random.Random, postcodes: Sequence[Postcode], taken: set[str]) -> list[Carer]:
    """The carers of ``ROTA``, each living at a postcode no client or other carer has.

    ``taken`` holds the postcodes already used; the carers' homes are added to it.
    """
    carers: list[Carer] = []
    for i, plan in enumerate(ROTA, start=1):
        if plan.patch is None:
            area, radius = midpoint_patch(), ROAMER_HOME_RADIUS_M
        else:
            area, radius = plan.patch, WALKER_HOME_RADIUS_M
        home = rng.choice([p for p in area.within(postcodes, radius) if p.code not in taken])
        taken.add(home.code)
        start, end = SHIFTS[plan.shift]
        opens, closes = BREAK_WINDOWS[plan.shift]
        lunch = Break(earliest_start=at(opens), latest_start=at(closes), duration_min=BREAK_MIN)
        carers.append(
            Carer(
                id=f"K{i:02d}",
                start_location=home.location,
                shifts=(Shift(start=at(start), end=at(end), breaks=(lunch,)),),
                skills=plan.skills,
                travel_mode=plan.travel_mode,
                max_working_min=MAX_WORKING_MIN,
                hourly_cost=rng.choice(HOURLY_COSTS),
            )
        )
    return carers


# -- the problem ----------------------------------------------------------------------------------


def pick_client_postcodes(rng: random.Random, postcodes: Sequence[Postcode]) -> list[Postcode]:
    """Client addresses: a sample from each patch, in patch order, sorted within a patch."""
    chosen: list[Postcode] = []
    for patch in PATCHES:
        candidates = patch.within(postcodes, patch.client_radius_m)
        if len(candidates) < patch.n_clients:
            raise ValueError(f"{patch.name}: only {len(candidates)} postcodes in range")
        chosen += sorted(rng.sample(candidates, patch.n_clients), key=lambda p: p.code)
    return chosen


def build_problem(postcodes: Sequence[Postcode], seed: int) -> tuple[Problem, list[Postcode]]:
    """The demo problem, and its clients' postcodes (in client order)."""
    rng = random.Random(seed)
    postcodes = one_per_place(postcodes)
    client_postcodes = pick_client_postcodes(rng, postcodes)
    clients = [
        Client(id=f"C{i:02d}", location=p.location, label=p.code)
        for i, p in enumerate(client_postcodes, start=1)
    ]
    calls = draft_calls(rng, [c.id for c in clients])
    add_skills(rng, calls)
    carers = make_carers(rng, postcodes, {p.code for p in client_postcodes})
    double_ups = add_double_ups(rng, calls)
    packages = [
        with_carer_preferences(
            rng,
            Package(
                id=f"P{client.id[1:]}",
                client_id=client.id,
                visits=tuple(
                    to_visit(call, previous, double_ups)
                    for previous, call in zip([None, *mine], mine, strict=False)
                ),
            ),
            client,
            carers,
        )
        for client in clients
        for mine in [sorted(calls[client.id], key=lambda c: c.opens)]
    ]
    packages = decline_some(rng, packages, carers)
    check_skill_cover(
        carers, sorted({s for c in calls.values() for call in c for s in call.skills})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the demo must load without a single warning
        problem = Problem(
            name=PROBLEM_NAME,
            carers=tuple(carers),
            clients=tuple(clients),
            packages=tuple(packages),
        )
    return problem, client_postcodes


def summary(problem: Problem, client_postcodes: Sequence[Postcode]) -> str:
    """A few lines describing the generated day."""
    visits = [v for _, v in problem.visits()]
    calls = Counter(len(p.visits) for p in problem.packages)
    kinds = Counter(v.id.split("-")[1] for v in visits)
    skills = Counter(s for v in visits for s in v.skills)
    modes = Counter(c.travel_mode for c in problem.carers)
    shifts = Counter(f"{s.start:%H:%M}-{s.end:%H:%M}" for c in problem.carers for s in c.shifts)
    lines = [
        f"{problem.name}: {len(problem.clients)} clients, {len(visits)} visits, "
        f"{len(problem.carers)} carers",
        "  calls a day: " + ", ".join(f"{n}: {calls[n]} clients" for n in sorted(calls)),
        "  visits: " + ", ".join(f"{k} {kinds[k]}" for k in ("AM", "LUNCH", "TEA", "BED")),
        "  skills: " + ", ".join(f"{k} {n}" for k, n in sorted(skills.items())),
        "  carers: " + ", ".join(f"{k} {n}" for k, n in sorted(modes.items())),
        "  shifts: " + ", ".join(f"{k} x{n}" for k, n in sorted(shifts.items())),
    ]
    start = 0
    for patch in PATCHES:
        mine = client_postcodes[start : start + patch.n_clients]
        start += patch.n_clients
        legs = [walk_min(a, b) for i, a in enumerate(mine) for b in mine[i + 1 :]]
        nearest = [min(walk_min(a, b) for b in mine if b is not a) for a in mine]
        lines.append(
            f"  {patch.name}: walk between clients median {statistics.median(legs):.1f} min "
            f"(max {max(legs):.1f}); to nearest neighbour median "
            f"{statistics.median(nearest):.1f} min"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 7)")
    parser.add_argument(
        "--postcodes",
        type=Path,
        default=DEFAULT_POSTCODES,
        help="NSPL postcode centroids, Postcode,lat,long (default ../shared/data/postcodes/NW.csv)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="where to write (default data/demo/...)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the demo problem and write it as pretty JSON."""
    args = parse_args(argv)
    postcodes = read_postcodes(args.postcodes)
    problem, client_postcodes = build_problem(postcodes, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Only the fields set here: the file stays short and readable, and model defaults added
    # later (weights, travel settings, new optional fields) apply to it as to any input.
    text = problem.model_dump_json(indent=2, exclude_unset=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(summary(problem, client_postcodes))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
