"""The output model: rounds, unallocated visits with reasons, and KPIs.

A :class:`Plan` accounts for every visit of its problem exactly once: as a :class:`Stop` of
one :class:`Round`, or as an :class:`UnallocatedVisit` with a reason. The same KPI names appear
on every round and on the plan, and every plan-level KPI is the sum (or, for ratios, the
ratio of sums) of the round-level ones. Units follow :mod:`rounds.models`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from rounds.models import TravelMode

__all__ = [
    "Kpis",
    "Plan",
    "PlanKpis",
    "ReasonCode",
    "Round",
    "SolveInfo",
    "Stop",
    "TakenBreak",
    "UnallocatedVisit",
]


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReasonCode(StrEnum):
    """Why a visit could not be allocated, most specific first."""

    NO_CARERS = "no_carers"
    """The problem has no carers at all."""
    SKILL_MISSING = "skill_missing"
    """No carer has every skill the visit needs."""
    NOT_ENOUGH_CARERS = "not_enough_carers"
    """A double-up needs two qualified carers and fewer exist."""
    WINDOW_TOO_NARROW = "window_too_narrow"
    """The start window holds no whole minute (rounds plans in whole minutes)."""
    OUTSIDE_SHIFTS = "outside_shifts"
    """The visit's window does not fit inside any qualified carer's shift."""
    TOO_LONG_FOR_SHIFT = "too_long_for_shift"
    """The visit is longer than any qualified carer may work in one shift."""
    OVER_CAPACITY = "over_capacity"
    """The visit's demand exceeds every qualified carer's capacity."""
    UNREACHABLE_IN_TIME = "unreachable_in_time"
    """No qualified carer can travel there and back within a shift and the window."""
    NOT_ON_NETWORK = "not_on_network"
    """The client's address could not be placed on the street network."""
    GAP_TO_PREVIOUS_CALL = "gap_to_previous_call"
    """The gap the care plan sets after the previous call cannot be met inside the window."""
    SEARCH_TIMED_OUT = "search_timed_out"
    """The search found no plan at all within its time limit."""
    CARERS_BUSY = "carers_busy"
    """Qualified carers exist but are all busy with other visits at that time."""


class Kpis(_Output):
    """Key figures of a round, or of a whole plan (sums over its rounds)."""

    visits: int = Field(ge=0, description="Visits allocated.")
    visit_min: int = Field(ge=0, description="Minutes of care delivered.")
    travel_min: int = Field(ge=0, description="Minutes travelling, first and last legs included.")
    travel_m: int = Field(ge=0, description="Metres travelled, first and last legs included.")
    wait_min: int = Field(ge=0, description="Minutes waiting for a visit's window to open.")
    break_min: int = Field(default=0, ge=0, description="Minutes of breaks, paid or not.")
    paid_min: int = Field(
        ge=0,
        description="Paid minutes: from leaving the start point to reaching the end point, "
        "less unpaid breaks. Travel and waiting are paid.",
    )
    travel_share: float = Field(
        ge=0.0, le=1.0, description="travel_min / paid_min (0 when nothing is paid)."
    )
    lateness_min: int = Field(
        ge=0, description="Minutes started after the agreed window, summed over visits."
    )
    on_time: int = Field(
        default=0, ge=0, description="Visits that started inside their agreed window."
    )
    max_lateness_min: int = Field(
        default=0, ge=0, description="Largest lateness of any one visit, minutes."
    )
    cost: float = Field(ge=0.0, description="Paid hours times each carer's hourly cost, £.")


class PlanKpis(Kpis):
    """Plan-level KPIs: the round KPIs summed, plus counts only a plan has."""

    visits_unallocated: int = Field(ge=0, description="Visits left unallocated.")
    rounds: int = Field(ge=0, description="Rounds (used carer shifts) in the plan.")
    carers: int = Field(ge=0, description="Distinct carers with at least one round.")
    punctuality: float = Field(
        default=1.0, ge=0.0, le=1.0, description="on_time / visits (1 when nothing is allocated)."
    )
    carers_per_client: float = Field(
        default=0.0,
        ge=0.0,
        description="Distinct carers a client sees over the horizon, averaged over clients "
        "with at least one allocated visit (continuity: lower is better).",
    )
    main_carers_share: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Share of allocated visits done by each client's two most frequent carers "
        "(continuity: higher is better).",
    )
    paid_min_spread: int = Field(
        default=0,
        ge=0,
        description="Largest minus smallest paid minutes over the horizon among all carers, "
        "idle ones counting 0 (workload balance).",
    )
    guaranteed_shortfall_min: int = Field(
        default=0,
        ge=0,
        description="Paid minutes short of carers' guaranteed minutes, summed over carers.",
    )


class Stop(_Output):
    """One visit within a round, with the times the carer keeps."""

    visit_id: str
    package_id: str
    client_id: str
    arrival: datetime = Field(description="When the carer arrives at the client's home.")
    start: datetime = Field(description="When the visit starts (arrival plus any wait).")
    end: datetime = Field(description="When the visit ends and the carer leaves.")
    travel_min: int = Field(ge=0, description="Minutes of travel from the previous place.")
    travel_m: int = Field(ge=0, description="Metres of travel from the previous place.")
    wait_min: int = Field(ge=0, description="Minutes between arrival and start.")
    partner_carer_id: str | None = Field(
        default=None, description="For a double-up, the other carer at this visit."
    )


class TakenBreak(_Output):
    """A break in a round."""

    start: datetime
    end: datetime
    paid: bool


class Round(_Output):
    """The ordered visits one carer makes in one shift."""

    carer_id: str
    shift_index: int = Field(ge=0, description="Index of the shift in the carer's shifts.")
    travel_mode: TravelMode
    start: datetime = Field(description="When the carer leaves their start point.")
    end: datetime = Field(description="When the carer reaches their end point.")
    stops: tuple[Stop, ...]
    breaks: tuple[TakenBreak, ...] = Field(
        default=(), description="Breaks taken, in time order, between stops."
    )
    travel_to_end_min: int = Field(ge=0, description="Minutes from the last visit to the end.")
    travel_to_end_m: int = Field(ge=0, description="Metres from the last visit to the end.")
    kpis: Kpis


class UnallocatedVisit(_Output):
    """A visit the plan could not place, and why, in words a coordinator understands."""

    visit_id: str
    package_id: str
    client_id: str
    reason: ReasonCode
    message: str = Field(description="One sentence for a coordinator.")


class SolveInfo(_Output):
    """How the plan was made."""

    status: str = Field(description="Outcome of the search, e.g. 'time_limit' or 'optimal'.")
    objective: int | None = Field(description="Solver objective value, in cost units.")
    wall_time_s: float = Field(ge=0.0, description="Seconds spent in rounds.solve.")
    time_limit_s: float = Field(gt=0.0, description="The time limit asked for.")
    seed: int = Field(description="The random seed used.")
    travel_source: str = Field(description="Where travel times came from.")


class Plan(_Output):
    """A solution: rounds, unallocated visits with reasons, and KPIs."""

    problem_name: str = ""
    rounds: tuple[Round, ...]
    unallocated: tuple[UnallocatedVisit, ...]
    kpis: PlanKpis
    solver: SolveInfo | None = Field(
        default=None, description="How the plan was made; absent for a hand-made plan."
    )
