"""The input model: who needs care, who gives it, and how they travel.

Units are fixed once, here, for the whole library:

* instants are ISO 8601 datetimes (all naive or all with a time zone, never mixed);
* durations are whole minutes and their names end in ``_min``;
* distances are metres (``_m``), travel-matrix times seconds (``_s``);
* coordinates are WGS84 ``lat`` / ``lon`` in degrees.

Every model forbids unknown keys (a misspelt key fails, naming the key) and is frozen.
Cross-object rules (unknown and duplicate ids, windows that end before they start, matrices of
the wrong shape) are checked once, in :class:`Problem`, which gathers every problem it finds and
raises a single error listing them all, each naming the field and the value.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from rounds.errors import RoundsWarning

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "TRAVEL_MODES",
    "Break",
    "Carer",
    "Client",
    "GivenMatrix",
    "Location",
    "ObjectiveWeights",
    "Package",
    "Problem",
    "Shift",
    "TravelMode",
    "TravelSettings",
    "Visit",
    "WorkingRules",
]

TravelMode = Literal["walk", "cycle", "drive", "public_transport"]
TRAVEL_MODES: tuple[TravelMode, ...] = ("walk", "cycle", "drive", "public_transport")

#: Default door-to-door speeds used by the crow-fly fallback, in km/h. Walking 4.8 km/h is the
#: usual planning figure for adults (3 mph); cycling 15 km/h is urban commuting pace; driving
#: 25 km/h and public transport 12 km/h are London-like averages including stops and waits.
DEFAULT_SPEEDS_KMH: dict[TravelMode, float] = {
    "walk": 4.8,
    "cycle": 15.0,
    "drive": 25.0,
    "public_transport": 12.0,
}

Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    Field(description="Identifier, unique among objects of its kind.", examples=["C001"]),
]
Skill = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


def _sorted_unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


#: A set of skills, kept sorted and without repeats so that JSON output is stable.
Skills = Annotated[tuple[Skill, ...], AfterValidator(_sorted_unique)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Location(_Input):
    """A point on the Earth (WGS84 degrees)."""

    lat: float = Field(ge=-90.0, le=90.0, description="Latitude, WGS84 degrees.", examples=[51.54])
    lon: float = Field(
        ge=-180.0, le=180.0, description="Longitude, WGS84 degrees.", examples=[-0.19]
    )


class Client(_Input):
    """A person who receives care at home."""

    id: Id
    location: Location = Field(description="Where the client lives: visits happen here.")
    label: str | None = Field(
        default=None,
        max_length=200,
        description="Optional human label shown in tables and maps, e.g. a postcode.",
        examples=["NW6 7XY"],
    )


class Visit(_Input):
    """One call of a care plan: a single visit to a client."""

    id: Id
    earliest_start: datetime = Field(description="Earliest instant the visit may start.")
    latest_start: datetime = Field(description="Latest instant the visit may start (hard).")
    duration_min: int = Field(
        ge=1, le=24 * 60, description="Time spent with the client, whole minutes.", examples=[30]
    )
    carers_required: Literal[1, 2] = Field(
        default=1, description="1, or 2 for a double-up: two carers who start together."
    )
    skills: Skills = Field(
        default=(),
        description="Skills every carer on this visit must have, e.g. 'hoist', 'medication'.",
        examples=[["medication"]],
    )
    demand: int = Field(
        default=0,
        ge=0,
        le=10**6,
        description="Units of a round's capacity the visit uses (a load, as in vehicle routing "
        "with time windows); 0 for ordinary care visits.",
    )
    priority: int = Field(
        default=1,
        ge=1,
        le=5,
        description="1 (routine) to 5 (critical). Higher-priority visits are allocated first "
        "when not everything fits; the penalty for leaving a visit out scales with it.",
    )
    preferred_start: datetime | None = Field(
        default=None,
        description="Start of the agreed (preferred) start window inside the hard one; starting "
        "earlier costs ObjectiveWeights.early_per_min. Defaults to earliest_start.",
    )
    preferred_end: datetime | None = Field(
        default=None,
        description="End of the agreed start window; starting later is lateness, costed at "
        "ObjectiveWeights.late_per_min and reported. Defaults to latest_start.",
    )
    min_gap_from_previous_min: int | None = Field(
        default=None,
        ge=0,
        le=14 * 24 * 60,
        description="Fewest minutes from the start of the package's previous call to this "
        "call's start (e.g. 240 for medication 4 h apart; 0 lets them start together). "
        "Defaults to the previous call's duration when the package is ordered.",
    )
    max_gap_from_previous_min: int | None = Field(
        default=None,
        ge=0,
        le=14 * 24 * 60,
        description="Most minutes from the start of the package's previous call to this call's "
        "start (e.g. 300 for a tea call at most 5 h after lunch).",
    )
    different_carer_from_previous: bool = Field(
        default=False,
        description="This call must be done by a different carer from the package's previous "
        "call (e.g. two services of one need, given one after the other by two people).",
    )
    sync_tolerance_min: int = Field(
        default=0,
        ge=0,
        le=120,
        description="For a double-up, how many minutes apart the two carers may start.",
    )
    lead_skills: Skills = Field(
        default=(),
        description="For a double-up, skills at least one of the two carers must also have "
        "(e.g. a hoist-trained lead).",
    )
    personal_care: bool = Field(
        default=True,
        description="Personal care (washing, dressing, toileting) rather than a welfare or "
        "medication check; personal-care visits shorter than "
        "WorkingRules.min_personal_care_min raise a warning (Ethical Care Charter).",
    )

    @property
    def agreed_start(self) -> datetime:
        """Start of the agreed window (the hard window's start when not given)."""
        return self.preferred_start if self.preferred_start is not None else self.earliest_start

    @property
    def agreed_end(self) -> datetime:
        """End of the agreed window (the hard window's end when not given)."""
        return self.preferred_end if self.preferred_end is not None else self.latest_start


class Package(_Input):
    """A client's care plan over the planning horizon: the calls they need."""

    id: Id
    client_id: Id = Field(description="The client this package is for.")
    visits: tuple[Visit, ...] = Field(min_length=1, description="The calls of the package.")
    ordered: bool = Field(
        default=True,
        description="Calls happen in the order listed, each starting after the previous one "
        "ends (or as its min_gap_from_previous_min says). Gaps only bind calls that are both "
        "allocated.",
    )
    preferred_carers: tuple[Id, ...] = Field(
        default=(),
        description="Carers the client knows; any other carer costs "
        "ObjectiveWeights.non_preferred_carer per visit.",
    )
    declined_carers: tuple[Id, ...] = Field(
        default=(), description="Carers who must never visit this client (hard)."
    )


class Break(_Input):
    """A break within a shift, taken between visits."""

    earliest_start: datetime = Field(description="Earliest instant the break may start.")
    latest_start: datetime = Field(description="Latest instant the break may start.")
    duration_min: int = Field(ge=1, le=240, description="Length of the break, minutes.")
    paid: bool = Field(default=False, description="Whether the break counts as paid time.")


class Shift(_Input):
    """A working window: the carer leaves their start point and is back by the end."""

    start: datetime = Field(description="Earliest instant the carer may leave their start point.")
    end: datetime = Field(description="Instant by which the carer must reach their end point.")
    breaks: tuple[Break, ...] = Field(
        default=(),
        description="Breaks the carer must take if the shift is worked (e.g. 30 min unpaid "
        "between 12:00 and 14:00 on shifts over 6 h).",
    )


class Carer(_Input):
    """A care worker, with where they start, when they work and how they travel."""

    id: Id
    start_location: Location = Field(description="Where each shift starts, usually home.")
    end_location: Location | None = Field(
        default=None, description="Where each shift ends; the start location when omitted."
    )
    shifts: tuple[Shift, ...] = Field(
        min_length=1, description="Working windows; each used shift becomes one round."
    )
    skills: Skills = Field(default=(), description="Skills the carer has.")
    travel_mode: TravelMode = Field(default="walk", description="How the carer travels.")
    max_working_min: int | None = Field(
        default=None,
        ge=1,
        le=10**6,
        description="Most paid minutes (leaving the start point to reaching the end point) "
        "in any one shift. No limit beyond the shift itself when omitted.",
    )
    hourly_cost: float = Field(
        default=0.0, ge=0.0, le=10_000.0, description="Cost of one paid hour, in £."
    )
    capacity: int | None = Field(
        default=None,
        ge=0,
        le=10**9,
        description="Most demand one round may carry (see Visit.demand); no limit when omitted.",
    )
    max_leg_min: int | None = Field(
        default=None,
        ge=0,
        le=10**6,
        description="Longest single journey between two places, minutes (keeps walking rounds "
        "compact).",
    )
    max_travel_min: int | None = Field(
        default=None,
        ge=0,
        le=10**6,
        description="Most travel minutes in one shift, first and last legs included.",
    )
    max_working_min_per_day: int | None = Field(
        default=None,
        ge=1,
        le=10**6,
        description="Most paid minutes over all shifts starting on one date.",
    )
    max_working_min_per_week: int | None = Field(
        default=None,
        ge=1,
        le=10**6,
        description="Most paid minutes over all shifts starting in any 7 consecutive days.",
    )
    max_working_days_per_week: int | None = Field(
        default=None,
        ge=0,
        le=7,
        description="Most dates worked in any 7 consecutive days (5 gives two days off in 7).",
    )
    guaranteed_min: int | None = Field(
        default=None,
        ge=0,
        le=10**6,
        description="Paid minutes over the horizon the carer is guaranteed (soft: the plan "
        "reports any shortfall).",
    )

    @property
    def end(self) -> Location:
        """Where the carer's shifts end."""
        return self.end_location if self.end_location is not None else self.start_location


def end_key(carer_id: str) -> str:
    """Place name of a carer's end point when it differs from the start: ``"<id>@end"``."""
    return f"{carer_id}@end"


class GivenMatrix(_Input):
    """A travel matrix supplied by another system, for one travel mode.

    Places are named by id: a client id stands for the client's home, a carer id for the carer's
    start location, and ``"<carer id>@end"`` for a carer's end location when it differs from
    the start. Row ``i``, column ``j`` is travel from ``place_ids[i]`` to ``place_ids[j]``.
    """

    travel_mode: TravelMode
    place_ids: tuple[str, ...] = Field(min_length=1, description="Row and column names.")
    durations_s: tuple[tuple[float, ...], ...] = Field(description="Travel times, seconds.")
    distances_m: tuple[tuple[float, ...], ...] = Field(description="Travel distances, metres.")


class TravelSettings(_Input):
    """How travel times are obtained when no street network is given."""

    circuity_factor: float = Field(
        default=1.3,
        ge=1.0,
        le=3.0,
        description="Street distance per crow-fly metre, for the crow-fly fallback. 1.3 is a "
        "typical value for British towns.",
    )
    speeds_kmh: dict[TravelMode, float] = Field(
        default_factory=lambda: dict(DEFAULT_SPEEDS_KMH),
        description="Door-to-door speed of each travel mode, km/h.",
    )
    matrices: tuple[GivenMatrix, ...] = Field(
        default=(),
        description="Travel matrices from another system; a mode with a matrix here uses it "
        "instead of any computed one.",
    )

    @field_validator("speeds_kmh")
    @classmethod
    def _speeds_positive(cls, value: dict[TravelMode, float]) -> dict[TravelMode, float]:
        merged = dict(DEFAULT_SPEEDS_KMH) | value
        for mode, speed in merged.items():
            if not (math.isfinite(speed) and 0.5 <= speed <= 200.0):
                raise ValueError(f"speeds_kmh[{mode!r}]: {speed!r} is not a speed in 0.5-200 km/h")
        return merged


class WorkingRules(_Input):
    """Rules on how rounds are worked, for every carer (Ethical Care Charter)."""

    max_idle_min: int | None = Field(
        default=None,
        ge=0,
        description="Most minutes a carer may wait between visits (breaks excluded), so a round "
        "is one working block and never a split shift. No cap when omitted.",
    )
    min_personal_care_min: int = Field(
        default=30,
        ge=0,
        le=240,
        description="Personal-care visits shorter than this raise a warning: no rushed visits.",
    )


class ObjectiveWeights(_Input):
    """Weights of the solver's objective, in cost units per unit.

    The defaults allocate as many visits as possible (weighted by priority) first, then
    minimise travel, then paid time (which includes waiting between visits).
    """

    unallocated: int = Field(
        default=100_000,
        ge=0,
        le=10**9,
        description="Cost of leaving a visit unallocated, multiplied by its priority.",
    )
    travel_per_min: int = Field(default=10, ge=0, le=10**6, description="Cost per travel minute.")
    paid_per_min: int = Field(
        default=1, ge=0, le=10**6, description="Cost per paid minute, waiting included."
    )
    round_fixed: int = Field(
        default=0, ge=0, le=10**9, description="Cost of using a carer's shift at all."
    )
    late_per_min: int = Field(
        default=50,
        ge=0,
        le=10**6,
        description="Cost per minute a visit starts after its agreed window (preferred_end).",
    )
    worst_late_per_min: int = Field(
        default=0,
        ge=0,
        le=10**6,
        description="Cost per minute of the largest lateness of any one visit (the worst-served "
        "client), on top of late_per_min: spreads lateness instead of piling it on one visit.",
    )
    early_per_min: int = Field(
        default=20,
        ge=0,
        le=10**6,
        description="Cost per minute a visit starts before its agreed window (preferred_start).",
    )
    non_preferred_carer: int = Field(
        default=300,
        ge=0,
        le=10**9,
        description="Cost of a visit, of a package with preferred carers, done by anyone else.",
    )
    continuity: int = Field(
        default=0,
        ge=0,
        le=10**9,
        description="When above 0, a second pass costs each visit done by someone other than "
        "the client's two main carers of the first pass, so a client sees few distinct carers "
        "over the horizon.",
    )
    balance: int = Field(
        default=0,
        ge=0,
        le=10**6,
        description="When above 0, a quadratic cost on paid minutes above the average per "
        "shift spreads work evenly across carers.",
    )


class Problem(_Input):
    """A planning problem: carers, clients, their packages, and travel settings."""

    name: str = Field(default="", max_length=200, description="Free label for this problem.")
    carers: tuple[Carer, ...] = Field(default=(), description="Care workers available.")
    clients: tuple[Client, ...] = Field(default=(), description="People receiving care.")
    packages: tuple[Package, ...] = Field(default=(), description="Care plans to allocate.")
    travel: TravelSettings = Field(default_factory=TravelSettings)
    weights: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    rules: WorkingRules = Field(default_factory=WorkingRules)

    @model_validator(mode="after")
    def _cross_check(self) -> Self:
        errors = _cross_object_errors(self)
        if errors:
            raise ValueError(
                f"{len(errors)} problem(s) in the input:\n" + "\n".join(f"- {e}" for e in errors)
            )
        for message in _cross_object_warnings(self):
            warnings.warn(message, RoundsWarning, stacklevel=2)
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the problem; look-up tables are rebuilt for the copy (nothing is revalidated)."""
        copy = super().model_copy(update=update, deep=deep)
        for name in _LOOKUPS:
            copy.__dict__.pop(name, None)
        return copy

    # -- look-ups -------------------------------------------------------------------------------
    @cached_property
    def client_by_id(self) -> dict[str, Client]:
        """Clients keyed by id."""
        return {c.id: c for c in self.clients}

    @cached_property
    def carer_by_id(self) -> dict[str, Carer]:
        """Carers keyed by id."""
        return {c.id: c for c in self.carers}

    @cached_property
    def package_by_visit_id(self) -> dict[str, Package]:
        """The package of each visit, keyed by visit id."""
        return {v.id: p for p in self.packages for v in p.visits}

    @cached_property
    def visit_by_id(self) -> dict[str, Visit]:
        """Visits keyed by id."""
        return {v.id: v for p in self.packages for v in p.visits}

    def visits(self) -> Iterator[tuple[Package, Visit]]:
        """Yield every ``(package, visit)`` pair in input order."""
        for package in self.packages:
            for visit in package.visits:
                yield package, visit

    def qualified_carers(self, visit: Visit) -> list[Carer]:
        """Carers who have every skill the visit needs and whom its client has not declined."""
        need = set(visit.skills)
        declined = set(self.package_by_visit_id[visit.id].declined_carers)
        return [c for c in self.carers if need <= set(c.skills) and c.id not in declined]


_LOOKUPS = ("client_by_id", "carer_by_id", "package_by_visit_id", "visit_by_id")


# -- cross-object rules ---------------------------------------------------------------------------


def _duplicates(kind: str, ids: list[str]) -> list[str]:
    return [f"{kind}: id {i!r} is used {n} times" for i, n in Counter(ids).items() if n > 1]


def _instants(problem: Problem) -> Iterator[tuple[str, datetime]]:
    for ci, carer in enumerate(problem.carers):
        for si, shift in enumerate(carer.shifts):
            yield f"carers[{ci}].shifts[{si}].start", shift.start
            yield f"carers[{ci}].shifts[{si}].end", shift.end
            for bi, pause in enumerate(shift.breaks):
                yield f"carers[{ci}].shifts[{si}].breaks[{bi}].earliest_start", pause.earliest_start
                yield f"carers[{ci}].shifts[{si}].breaks[{bi}].latest_start", pause.latest_start
    for pi, package in enumerate(problem.packages):
        for vi, visit in enumerate(package.visits):
            where = f"packages[{pi}].visits[{vi}]"
            yield f"{where}.earliest_start", visit.earliest_start
            yield f"{where}.latest_start", visit.latest_start
            if visit.preferred_start is not None:
                yield f"{where}.preferred_start", visit.preferred_start
            if visit.preferred_end is not None:
                yield f"{where}.preferred_end", visit.preferred_end


def _time_zone_errors(problem: Problem) -> list[str]:
    instants = list(_instants(problem))
    aware = [(f, d) for f, d in instants if d.tzinfo is not None]
    naive = [(f, d) for f, d in instants if d.tzinfo is None]
    if aware and naive:
        return [
            f"{naive[0][0]}: {naive[0][1].isoformat()} has no time zone but "
            f"{aware[0][0]} ({aware[0][1].isoformat()}) has one; give all instants a time zone "
            "or none"
        ]
    return []


def _visit_errors(where: str, visit: Visit, previous: Visit | None) -> Iterator[str]:
    if visit.latest_start < visit.earliest_start:
        yield (
            f"{where}.latest_start: {visit.latest_start.isoformat()} is before earliest_start "
            f"{visit.earliest_start.isoformat()}"
        )
    preferred_given = visit.preferred_start is not None or visit.preferred_end is not None
    if preferred_given and visit.agreed_end < visit.agreed_start:
        yield (
            f"{where}.preferred_end: {visit.agreed_end.isoformat()} is before preferred_start "
            f"{visit.agreed_start.isoformat()}"
        )
    for name in ("preferred_start", "preferred_end"):
        value: datetime | None = getattr(visit, name)
        if value is not None and not visit.earliest_start <= value <= visit.latest_start:
            yield (
                f"{where}.{name}: {value.isoformat()} is outside the hard window "
                f"{visit.earliest_start.isoformat()} to {visit.latest_start.isoformat()}"
            )
    lo, hi = visit.min_gap_from_previous_min, visit.max_gap_from_previous_min
    if previous is None and (lo is not None or hi is not None):
        name = "min_gap_from_previous_min" if lo is not None else "max_gap_from_previous_min"
        yield f"{where}.{name}: the first call of a package has no previous call"
    if lo is not None and hi is not None and hi < lo:
        yield f"{where}.max_gap_from_previous_min: {hi} is less than min_gap_from_previous_min {lo}"
    if previous is None and visit.different_carer_from_previous:
        yield (
            f"{where}.different_carer_from_previous: the first call of a package has no "
            "previous call"
        )
    if visit.lead_skills and visit.carers_required != 2:
        yield f"{where}.lead_skills: {list(visit.lead_skills)!r} needs carers_required 2"


def _carer_errors(where: str, carer: Carer) -> Iterator[str]:
    for si, shift in enumerate(carer.shifts):
        if shift.end <= shift.start:
            yield (
                f"{where}.shifts[{si}].end: {shift.end.isoformat()} is not after start "
                f"{shift.start.isoformat()}"
            )
        for bi, pause in enumerate(shift.breaks):
            at = f"{where}.shifts[{si}].breaks[{bi}]"
            if pause.latest_start < pause.earliest_start:
                yield f"{at}.latest_start: {pause.latest_start.isoformat()} is before its start"
            if pause.earliest_start < shift.start or (
                pause.latest_start + timedelta(minutes=pause.duration_min) > shift.end
            ):
                yield (
                    f"{at}: a {pause.duration_min} min break starting "
                    f"{pause.earliest_start.isoformat()} to {pause.latest_start.isoformat()} does "
                    "not fit inside its shift"
                )
    ordered = sorted(enumerate(carer.shifts), key=lambda s: s[1].start)
    for (_, a), (sj, b) in itertools.pairwise(ordered):
        if a.start <= b.start < a.end:
            yield (
                f"{where}.shifts[{sj}].start: {b.start.isoformat()} overlaps the carer's shift "
                f"ending {a.end.isoformat()}"
            )


def _cross_object_errors(problem: Problem) -> list[str]:
    errors = _time_zone_errors(problem)
    if errors:
        return errors  # instants with and without a zone cannot even be compared
    errors += _duplicates("carers", [c.id for c in problem.carers])
    errors += _duplicates("clients", [c.id for c in problem.clients])
    errors += _duplicates("packages", [p.id for p in problem.packages])
    errors += _duplicates("packages[*].visits", [v.id for _, v in problem.visits()])

    client_ids = {c.id for c in problem.clients}
    for ci, carer in enumerate(problem.carers):
        if carer.id in client_ids:
            errors.append(
                f"carers[{ci}].id: {carer.id!r} is also a client id; carer and client ids must "
                "differ so that travel matrices can name every place"
            )
    carer_ids = {c.id for c in problem.carers}
    for ci, carer in enumerate(problem.carers):
        end_name = end_key(carer.id)
        if carer.end != carer.start_location and end_name in client_ids | carer_ids:
            errors.append(
                f"carers[{ci}].end_location: the place name {end_name!r} of this end point is "
                "also a client or carer id; rename that id so travel matrices can name every place"
            )
    for pi, package in enumerate(problem.packages):
        if package.client_id not in client_ids:
            errors.append(f"packages[{pi}].client_id: {package.client_id!r} is not a client id")
        for name in ("preferred_carers", "declined_carers"):
            for cid in getattr(package, name):
                if cid not in carer_ids:
                    errors.append(f"packages[{pi}].{name}: {cid!r} is not a carer id")
        for cid in sorted(set(package.preferred_carers) & set(package.declined_carers)):
            errors.append(f"packages[{pi}].declined_carers: {cid!r} is also a preferred carer")
        previous: Visit | None = None
        for vi, visit in enumerate(package.visits):
            errors += _visit_errors(f"packages[{pi}].visits[{vi}]", visit, previous)
            previous = visit

    for ci, carer in enumerate(problem.carers):
        errors += _carer_errors(f"carers[{ci}]", carer)

    errors += _matrix_errors(problem)
    return errors


#: Largest value a given travel matrix may hold (seconds or metres): beyond it, times in whole
#: minutes would overflow the solver's 64-bit integers. 1e9 s is over 30 years.
MAX_MATRIX_VALUE = 1e9


def _matrix_errors(problem: Problem) -> list[str]:
    errors: list[str] = []
    seen: set[str] = set()
    for mi, given in enumerate(problem.travel.matrices):
        where = f"travel.matrices[{mi}]"
        if given.travel_mode in seen:
            errors.append(f"{where}.travel_mode: {given.travel_mode!r} has more than one matrix")
        seen.add(given.travel_mode)
        n = len(given.place_ids)
        errors += [f"{where}.place_ids: {e}" for e in _duplicates("", list(given.place_ids))]
        for name in ("durations_s", "distances_m"):
            rows: tuple[tuple[float, ...], ...] = getattr(given, name)
            if len(rows) != n or any(len(r) != n for r in rows):
                shape = f"{len(rows)}x{max((len(r) for r in rows), default=0)}"
                errors.append(f"{where}.{name}: shape {shape} does not match {n} place_ids")
                continue
            bad = [
                (i, j, x)
                for i, r in enumerate(rows)
                for j, x in enumerate(r)
                if not (math.isfinite(x) and 0 <= x <= MAX_MATRIX_VALUE)
            ]
            if bad:
                i, j, x = bad[0]
                errors.append(
                    f"{where}.{name}[{i}][{j}]: {x!r} is not a finite value in "
                    f"[0, {MAX_MATRIX_VALUE:g}]"
                )
        needed = {c.id for c in problem.clients}
        for carer in problem.carers:
            if carer.travel_mode == given.travel_mode:
                needed.add(carer.id)
                if carer.end_location is not None and carer.end_location != carer.start_location:
                    needed.add(end_key(carer.id))
        missing = sorted(needed - set(given.place_ids))
        if missing:
            errors.append(
                f"{where}.place_ids: missing {', '.join(map(repr, missing[:5]))}"
                + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            )
    return errors


def _cross_object_warnings(problem: Problem) -> list[str]:
    messages: list[str] = []
    if not problem.packages:
        messages.append("packages: the problem has no packages, so there is nothing to plan")
    if not problem.carers and problem.packages:
        messages.append("carers: the problem has no carers, so every visit will be unallocated")
    have = {s for c in problem.carers for s in c.skills}
    shortest = problem.rules.min_personal_care_min
    for pi, package in enumerate(problem.packages):
        for vi, visit in enumerate(package.visits):
            if visit.personal_care and visit.duration_min < shortest:
                messages.append(
                    f"packages[{pi}].visits[{vi}].duration_min: {visit.duration_min} min is "
                    f"shorter than the {shortest} min minimum for personal care (a rushed visit)"
                )
            missing = sorted(set(visit.skills) - have)
            if missing and problem.carers:
                messages.append(
                    f"packages[{pi}].visits[{vi}].skills: no carer has {missing[0]!r}; "
                    f"visit {visit.id!r} cannot be allocated"
                )
    return messages
