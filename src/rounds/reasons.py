"""Why a visit is unallocated, in words a coordinator understands.

Reasons are computed after the solve, from the problem alone, by trying the most specific
explanation first: no carers at all, a skill nobody has, too few qualified carers for a double-up,
a window outside every qualified carer's shift, a visit longer than anyone may work, a client
nobody can reach in time. Only when none of these holds is the visit reported as squeezed out
by other work ("all qualified carers are busy at that time").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from rounds.matrix import TravelMatrices, carer_place_keys
from rounds.models import Carer, Problem, Shift, Visit
from rounds.plan import ReasonCode

__all__ = ["explain", "window_text"]


def _hm(t: datetime) -> str:
    return t.strftime("%H:%M")


def window_text(visit: Visit) -> str:
    """The visit's start window as ``"07:00–07:30"`` (with the date when it spans days)."""
    a, b = visit.earliest_start, visit.latest_start
    if a.date() == b.date():
        return f"{a:%a %d %b} {_hm(a)}–{_hm(b)}"
    return f"{a:%a %d %b %H:%M}–{b:%a %d %b %H:%M}"


def _quote(skills: list[str]) -> str:
    return ", ".join(repr(s) for s in skills)


def _fits_shift(visit: Visit, shift: Shift, before: timedelta, after: timedelta) -> bool:
    start = max(visit.earliest_start, shift.start + before)
    return start <= visit.latest_start and (
        start + timedelta(minutes=visit.duration_min) + after <= shift.end
    )


def _reaches(
    problem: Problem, carer: Carer, visit: Visit, client_id: str, matrices: TravelMatrices
) -> bool:
    """Whether ``carer`` can leave home, do ``visit`` and get back within a shift."""
    origin, destination = carer_place_keys(problem, carer.id)
    to_min, _ = matrices.leg(carer.travel_mode, origin, client_id)
    back_min, _ = matrices.leg(carer.travel_mode, client_id, destination)
    if carer.max_leg_min is not None and max(to_min, back_min) > carer.max_leg_min:
        return False
    if carer.max_travel_min is not None and to_min + back_min > carer.max_travel_min:
        return False
    working = to_min + visit.duration_min + back_min
    if carer.max_working_min is not None and working > carer.max_working_min:
        return False
    before, after = timedelta(minutes=to_min), timedelta(minutes=back_min)
    return any(_fits_shift(visit, s, before, after) for s in carer.shifts)


def _gap_text(visit: Visit, previous: Visit, previous_start: datetime, ordered: bool) -> str | None:
    """Why the gap after the previous call cannot be met, or ``None`` if it can."""
    lo = visit.min_gap_from_previous_min
    if lo is None:
        lo = previous.duration_min if ordered else 0
    hi = visit.max_gap_from_previous_min
    earliest = max(visit.earliest_start, previous_start + timedelta(minutes=lo))
    latest = visit.latest_start
    if hi is not None:
        latest = min(latest, previous_start + timedelta(minutes=hi))
    if earliest <= latest:
        return None
    span = f"{lo}–{hi}" if hi is not None else f"at least {lo}"
    return (
        f"it must start {span} min after the previous call ({previous.id!r}, at "
        f"{_hm(previous_start)}), which window {window_text(visit)} does not allow"
    )


def explain(
    problem: Problem,
    matrices: TravelMatrices,
    visit_id: str,
    starts: Mapping[str, datetime] | None = None,
) -> tuple[ReasonCode, str]:
    """The most specific reason visit ``visit_id`` could not be allocated.

    ``starts`` gives the start of each allocated visit, to explain gaps between a client's calls.

    Returns
    -------
    tuple of ReasonCode and str
        The reason code and one sentence for a coordinator.
    """
    visit = problem.visit_by_id[visit_id]
    package = problem.package_by_visit_id[visit_id]
    need = visit.carers_required
    window = window_text(visit)

    if not problem.carers:
        return ReasonCode.NO_CARERS, "there are no carers in the problem"
    first_minute = visit.earliest_start.replace(second=0, microsecond=0)
    if first_minute < visit.earliest_start:
        first_minute += timedelta(minutes=1)
    if first_minute > visit.latest_start:
        return (
            ReasonCode.WINDOW_TOO_NARROW,
            f"window {visit.earliest_start:%H:%M:%S}–{visit.latest_start:%H:%M:%S} holds no "
            "whole minute to start at; rounds plans in whole minutes",
        )

    qualified = problem.qualified_carers(visit)
    if not qualified:
        have = {s for c in problem.carers for s in c.skills}
        missing = [s for s in visit.skills if s not in have]
        if missing:
            word = "skill" if len(missing) == 1 else "skills"
            return ReasonCode.SKILL_MISSING, f"no carer has {word} {_quote(missing)}"
        return (
            ReasonCode.SKILL_MISSING,
            f"no carer has all of the skills {_quote(list(visit.skills))} together",
        )
    if len(qualified) < need:
        return (
            ReasonCode.NOT_ENOUGH_CARERS,
            f"this double-up needs {need} carers with the right skills but only "
            f"{len(qualified)} ({qualified[0].id}) has them",
        )

    on_network = [c for c in qualified if matrices.is_placed(c.travel_mode, package.client_id)]
    if len(on_network) < need:
        return (
            ReasonCode.NOT_ON_NETWORK,
            "the address could not be placed on the street network of "
            + " or ".join(sorted({c.travel_mode for c in qualified})),
        )
    qualified = [
        c
        for c in on_network
        if all(matrices.is_placed(c.travel_mode, k) for k in carer_place_keys(problem, c.id))
    ]

    zero = timedelta(0)
    in_shift = [c for c in qualified if any(_fits_shift(visit, s, zero, zero) for s in c.shifts)]
    if len(in_shift) < need:
        return (
            ReasonCode.OUTSIDE_SHIFTS,
            f"window {window} ({visit.duration_min} min) is outside every qualified carer's shift"
            if not in_shift
            else f"window {window} fits the shift of only one qualified carer "
            f"({in_shift[0].id}); a double-up needs {need}",
        )

    long_enough = [
        c for c in in_shift if c.max_working_min is None or c.max_working_min >= visit.duration_min
    ]
    if len(long_enough) < need:
        return (
            ReasonCode.TOO_LONG_FOR_SHIFT,
            f"the visit lasts {visit.duration_min} min, longer than any qualified carer may "
            "work in one shift",
        )

    roomy = [c for c in long_enough if c.capacity is None or c.capacity >= visit.demand]
    if len(roomy) < need:
        return (
            ReasonCode.OVER_CAPACITY,
            f"the visit's demand of {visit.demand} is more than any qualified carer's capacity",
        )
    long_enough = roomy

    reachable = [c for c in long_enough if _reaches(problem, c, visit, package.client_id, matrices)]
    if len(reachable) < need:
        legs = sorted(
            (matrices.leg(c.travel_mode, c.id, package.client_id)[0], c.travel_mode)
            for c in long_enough
        )
        nearest = f"; the nearest is {legs[0][0]} min away ({legs[0][1]})" if legs else ""
        return (
            ReasonCode.UNREACHABLE_IN_TIME,
            f"no qualified carer can reach this client within window {window} and get back "
            f"before their shift ends, within their travel limits{nearest}",
        )

    calls = package.visits
    k = calls.index(visit)
    if starts and k > 0 and calls[k - 1].id in starts:
        previous = calls[k - 1]
        gap = _gap_text(visit, previous, starts[previous.id], package.ordered)
        if gap is not None:
            return ReasonCode.GAP_TO_PREVIOUS_CALL, gap

    who = (
        f"the only qualified carer who could do window {window} ({reachable[0].id}) is"
        if len(reachable) == 1
        else f"all {len(reachable)} qualified carers who could do window {window} are"
    )
    return ReasonCode.CARERS_BUSY, f"{who} busy with other visits at that time"
