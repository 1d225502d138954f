"""Moving a pair of visits as one: candidate plans for local search's missing compound move.

A double-up (two carers at once) or a gap between two visits ties the start of one task to
the start of another task in another route. OR-Tools' local search moves one task at a time,
so a late pair whose two carers both arrive late needs two moves, each useless alone (the
pair starts when the later carer arrives), and guided local search rarely finds them. PyVRP
keeps pairs pinned (:func:`rounds._pyvrp.around`). This module proposes the compound move:
take both tasks of a pair out of their routes and put them back, each in some route at some
position, at the earliest minutes the two arrivals and the pair's lag allow.

Candidates are ranked on an estimate computed from the plan's own start minutes (plain
data, no engine): the extra travel of the two insertions, the pair's lateness, and the delay
each insertion pushes onto the tasks after it (a task never starts earlier than in the plan,
so the estimate is pessimistic about the routes the pair leaves). The OR-Tools adapter prices
the best few exactly on its model, with every rule, and keeps a candidate only if the plan
costs less (``rounds._ortools._move_pairs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    import random

    from rounds._ortools import IntArray, RoutingInput, TaskSpec

__all__ = [
    "Moves",
    "Pair",
    "drawn_starts",
    "earliest_starts",
    "insertions",
    "lateness",
    "pairs_of",
    "preferred_window",
    "relocations",
    "ruin",
    "separate_owners",
    "tied",
    "without",
]

#: A plan as the adapter reads it: per vehicle, ``(task, start minute)`` in order.
TimedRoutes = Sequence[Sequence[tuple[int, int]]]


@dataclass(frozen=True)
class Pair:
    """Two tasks in two routes with ``min_lag <= start(second) - start(first) <= max_lag``."""

    first: int
    second: int
    min_lag: int
    max_lag: int | None
    different_vehicles: bool


def pairs_of(data: RoutingInput) -> list[Pair]:
    """Every pair of ``data`` whose tasks are done by two vehicles: double-ups and gaps.

    A gap between tasks that one vehicle may do both of is left out (moving it as a pair
    would need both insertions in one route). One vehicle cannot do both when they must go
    to different carers, or when the second must start before the first is over.
    """
    owners = {frozenset(p) for p in data.different_owners}
    pairs = [Pair(s.first, s.second, -s.tolerance, s.tolerance, True) for s in data.synchronised]
    for gap in data.gaps:
        overlap = gap.max_gap is not None and gap.max_gap < data.tasks[gap.before].service
        if overlap or frozenset((gap.before, gap.after)) in owners:
            pairs.append(Pair(gap.before, gap.after, gap.min_gap, gap.max_gap, True))
    return pairs


def preferred_window(task: TaskSpec) -> tuple[int, int]:
    """The task's window narrowed to its preferred window where leaving that costs something.

    Its opening is never after the window closes, and its close never before it opens.
    """
    early, late = task.earliest, task.latest
    if task.soft_earliest is not None and task.early_cost:
        early = min(max(early, task.soft_earliest), task.latest)
    if task.soft_latest is not None and task.late_cost:
        late = min(late, task.soft_latest)
    return early, max(early, late)


def _preferred_start(data: RoutingInput, task: int) -> int:
    """When the preferred window opens, or the first vehicle that may do ``task`` can be there."""
    spec = data.tasks[task]
    start = preferred_window(spec)[0]
    arrivals = [
        v.earliest_start + int(data.travel_min[v.mode][v.start_place, spec.place])
        for v in (data.vehicles[k] for k in spec.allowed_vehicles if k < len(data.vehicles))
    ]
    if arrivals:
        start = max(start, min(arrivals))
    return min(start, spec.latest)


def earliest_starts(data: RoutingInput) -> dict[int, int]:
    """A minute for every task in a pair: the earliest its window and its pair's lag allow.

    Pins for a first plan of the restriction :func:`rounds._pyvrp.around` builds: with
    every pair pinned on time, PyVRP routes the rest. Every double-up, gap and pair of tasks
    that need different carers counts, even a gap one vehicle may do both tasks of (the
    restriction pins them all). A task in several pairs keeps the
    minute its first pair gives it (a later pair is fitted to it where its lag allows; the
    full model checks every lag when it restores the plan). Tasks that only need different
    carers start when their preferred window opens.
    """
    starts: dict[int, int] = {}
    linked = [Pair(s.first, s.second, -s.tolerance, s.tolerance, True) for s in data.synchronised]
    linked += [Pair(g.before, g.after, g.min_gap, g.max_gap, False) for g in data.gaps]
    for pair in linked:
        ax = starts.get(pair.first, _preferred_start(data, pair.first))
        ay = starts.get(pair.second, _preferred_start(data, pair.second))
        found = _starts(pair, data, ax, ay)
        if found is None:
            continue
        starts.setdefault(pair.first, found[0])
        starts.setdefault(pair.second, found[1])
    for a, b in data.different_owners:
        for t in (a, b):
            starts.setdefault(t, _preferred_start(data, t))
    return starts


def _drawn(data: RoutingInput, task: int, rng: random.Random, latest: int | None = None) -> int:
    """A minute drawn evenly within the task's :func:`preferred_window`.

    ``latest`` caps the draw (a later pair's task must still fit) where the window allows.
    """
    lo, hi = preferred_window(data.tasks[task])
    if latest is not None:
        hi = min(hi, latest)
    return rng.randint(lo, max(lo, hi))


def drawn_starts(data: RoutingInput, pair: Pair, rng: random.Random) -> tuple[int, int] | None:
    """Minutes for the pair's tasks drawn from ``rng``: a new timing for it, or ``None``.

    The first task's minute is drawn evenly within its preferred window (no later than the
    second task's window and the pair's least lag allow), the lag within the pair's lags
    (up to the second task's window width when the lag has no upper bound, and no later
    than its window closes), and the two are then moved as little as the windows and the
    lag need (:func:`_starts`). ``None`` when the windows and the lag leave no timing.
    """
    second = data.tasks[pair.second]
    first = _drawn(data, pair.first, rng, second.latest - pair.min_lag)
    most = second.latest - second.earliest + pair.min_lag
    if pair.max_lag is not None:
        most = min(most, pair.max_lag)
    most = min(most, second.latest - first)
    lag = rng.randint(pair.min_lag, max(pair.min_lag, most))
    return _starts(pair, data, first, first + lag)


def separate_owners(data: RoutingInput, routes: Sequence[Sequence[int]]) -> list[list[int]]:
    """``routes`` less the second task of each pair one carer does but two carers must do.

    A restriction without the rule (PyVRP's) may give both tasks to one carer's vehicles.

    Taking a task out of a route delays nothing; a half double-up it leaves earns nothing,
    and the pair moves put both halves back.
    """
    owner_of = {t: data.vehicles[v].owner for v, route in enumerate(routes) for t in route}
    dropped = {
        b
        for a, b in data.different_owners
        if owner_of.get(a, -1) >= 0 and owner_of.get(a) == owner_of.get(b)
    }
    return [[t for t in route if t not in dropped] for route in routes]


def ruin(
    data: RoutingInput, routes: Sequence[Sequence[int]], seed: int, size: int
) -> list[list[int]]:
    """``routes`` less the ``size`` tasks nearest to task ``seed``, and every task tied to them.

    Nearest by travel minutes (the first travel mode) from the seed's place, among the tasks
    the routes do. A task tied to a removed one (a double-up, a gap, a pair of tasks that
    need different carers) goes too (:func:`without`), so the pairs come back as pairs: the
    pair moves put them in where the rest of their neighbourhood no longer stands in the
    way, and the search routes the other tasks around their new minutes. A kick out of a
    plan where no move of the search helps (iterated local search).
    """
    done = [t for route in routes for t in route]
    return without(data, routes, nearest_first(data, seed, done, lambda t: t)[:size])


_Item = TypeVar("_Item")


def nearest_first(
    data: RoutingInput, origin: int, items: Iterable[_Item], task: Callable[[_Item], int]
) -> list[_Item]:
    """``items`` nearest first to task ``origin``, each where its ``task`` is.

    By travel minutes (the first travel mode) from the origin's place, ties by task index
    and then in the order given: the neighbourhood of a kick (:func:`ruin`, and the pairs
    a re-pin kick draws new minutes for).
    """
    travel = data.travel_min[0]
    here = data.tasks[origin].place

    def key(item: _Item) -> tuple[int, int]:
        t = task(item)
        return int(travel[here, data.tasks[t].place]), t

    return sorted(items, key=key)


def tied(data: RoutingInput) -> list[tuple[int, int]]:
    """Every two tasks whose starts or carers are tied: double-ups, gaps, different carers."""
    pairs = [(s.first, s.second) for s in data.synchronised]
    pairs += [(g.before, g.after) for g in data.gaps]
    pairs += list(data.different_owners)
    return pairs


def without(
    data: RoutingInput, routes: Sequence[Sequence[int]], tasks: Sequence[int]
) -> list[list[int]]:
    """``routes`` less ``tasks`` and every task tied to them, directly or through others.

    Tied: the two tasks of a double-up, of a gap, or of a pair that needs different carers
    (:func:`tied`).
    """
    links: dict[int, set[int]] = {}
    for a, b in tied(data):
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
    removed: set[int] = set()
    stack = list(tasks)
    while stack:
        t = stack.pop()
        if t not in removed:
            removed.add(t)
            stack.extend(links.get(t, ()))
    return [[t for t in route if t not in removed] for route in routes]


def lateness(data: RoutingInput, pair: Pair, starts: dict[int, int]) -> int:
    """Cost of the pair's tasks starting outside their preferred windows at ``starts``."""
    return sum(_lateness(data, t, starts[t]) for t in (pair.first, pair.second) if t in starts)


def _lateness(data: RoutingInput, task: int, start: int) -> int:
    spec = data.tasks[task]
    cost = 0
    if spec.soft_latest is not None and start > spec.soft_latest:
        cost += spec.late_cost * (start - spec.soft_latest)
    if spec.soft_earliest is not None and start < spec.soft_earliest:
        cost += spec.early_cost * (spec.soft_earliest - start)
    return cost


@dataclass
class _Slot:
    """Inserting one task into route ``vehicle`` before position ``position``."""

    vehicle: int
    position: int
    arrival: int
    extra_travel: int
    """Travel cost of the insertion (the detour)."""


class _Routes:
    """The plan with some tasks taken out, and what estimating an insertion needs."""

    def __init__(
        self,
        data: RoutingInput,
        timed: TimedRoutes,
        moved: set[int],
        base: _Routes | None = None,
    ) -> None:
        """``timed`` less ``moved``; routes ``moved`` is not in are shared with ``base``.

        ``base`` is the same plan with nothing taken out (its rescheduled routes, the
        partners and each route's arrays): a plan's candidates are estimated against one
        ``base``, and only the routes a move takes tasks out of are rescheduled.
        """
        self.data = data
        self._base = base
        if base is None:
            self.partner: dict[int, int] = {}
            for p in pairs_of(data):
                self.partner[p.first], self.partner[p.second] = p.second, p.first
        else:
            self.partner = base.partner
        self._arrays: dict[int, tuple[IntArray, IntArray, IntArray]] = {}
        self.routes: list[list[tuple[int, int]]] = [
            base.routes[v]
            if base is not None and not any(t in moved for t, _ in route)
            else self._without(v, [(t, s) for t, s in route if t not in moved])
            for v, route in enumerate(timed)
        ]

    def _without(self, vehicle: int, route: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """``route`` rescheduled after the pair left it: tasks after the gap may start earlier.

        A task of another pair keeps its minute (its partner's route is not rescheduled); any
        other task starts on arrival, or when its window opens.
        """
        data = self.data
        spec = data.vehicles[vehicle]
        place, ready = spec.start_place, spec.earliest_start
        out = []
        for t, old in route:
            task = data.tasks[t]
            arrival = ready + self._travel(vehicle, place, task.place)
            if t in self.partner:
                start = max(arrival, old)
            else:
                start = max(arrival, task.earliest)
                if task.soft_earliest is not None and task.early_cost:
                    start = max(start, min(task.soft_earliest, old))
            out.append((t, start))
            place, ready = task.place, start + task.service
        return out

    def _travel(self, vehicle: int, a: int, b: int) -> int:
        spec = self.data.vehicles[vehicle]
        return int(self.data.travel_min[spec.mode][a, b])

    def _route_arrays(self, vehicle: int) -> tuple[IntArray, IntArray, IntArray]:
        """Arrays of a route: its places, when it may leave each but the last, its legs' travel.

        The places are the vehicle's start place, its tasks' places and its end place; the
        legs are the travel costs between each two in a row.
        """
        got = self._arrays.get(vehicle)
        if got is None:
            base = self._base
            if base is not None and base.routes[vehicle] is self.routes[vehicle]:
                got = base._route_arrays(vehicle)
            else:
                data, spec = self.data, self.data.vehicles[vehicle]
                route = self.routes[vehicle]
                tasks = [data.tasks[t] for t, _ in route]
                places = np.array(
                    [spec.start_place, *(task.place for task in tasks), spec.end_place],
                    dtype=np.intp,
                )
                ready = np.array(
                    [spec.earliest_start]
                    + [start + task.service for (_, start), task in zip(route, tasks, strict=True)],
                    dtype=np.int64,
                )
                matrix = np.asarray(data.travel_min[spec.mode])
                legs = matrix[places[:-1], places[1:]].astype(np.int64)
                got = (places, ready, legs)
            self._arrays[vehicle] = got
        return got

    def slots(self, task: int) -> list[_Slot]:
        """Every route and position ``task`` may be inserted at, with its arrival and detour."""
        data = self.data
        place = data.tasks[task].place
        slots: list[_Slot] = []
        for v in data.tasks[task].allowed_vehicles:
            if v >= len(self.routes):
                continue
            vehicle = data.vehicles[v]
            places, ready, legs = self._route_arrays(v)
            matrix = np.asarray(data.travel_min[vehicle.mode])
            there = matrix[places[:-1], place].astype(np.int64)
            back = matrix[place, places[1:]].astype(np.int64)
            arrivals = (ready + there).tolist()
            detours = (vehicle.travel_cost * (there + back - legs)).tolist()
            slots.extend(
                _Slot(v, k, a, d) for k, (a, d) in enumerate(zip(arrivals, detours, strict=True))
            )
        return slots

    def push_cost(self, task: int, slot: _Slot, start: int) -> int | None:
        """Cost of the delay ``task`` starting at ``start`` pushes onto the tasks after it.

        A task pushed past its latest start, or a vehicle past its latest end, makes the
        insertion infeasible (``None``). A pushed task of another pair pushes its partner by
        as much: its lateness is counted too (the partner's own route is not followed).
        """
        data, v = self.data, slot.vehicle
        route = self.routes[v]
        place = data.tasks[task].place
        ready = start + data.tasks[task].service
        cost = 0
        for t, old in route[slot.position :]:
            spec = data.tasks[t]
            arrival = ready + self._travel(v, place, spec.place)
            if arrival <= old:
                return cost
            if arrival > spec.latest:
                return None
            cost += _lateness(data, t, arrival) - _lateness(data, t, old)
            partner = self.partner.get(t)
            if partner is not None:
                cost += _lateness(data, partner, arrival) - _lateness(data, partner, old)
            place, ready = spec.place, arrival + spec.service
        vehicle = data.vehicles[v]
        if ready + self._travel(v, place, vehicle.end_place) > vehicle.latest_end:
            return None
        return cost


def _starts(pair: Pair, data: RoutingInput, ax: int, ay: int) -> tuple[int, int] | None:
    """The earliest starts of the pair's tasks given their arrivals, or ``None``."""
    x, y = data.tasks[pair.first], data.tasks[pair.second]
    sx, sy = max(ax, x.earliest), max(ay, y.earliest)
    for _ in range(4):
        sy = max(sy, sx + pair.min_lag)
        if pair.max_lag is not None and sy - sx > pair.max_lag:
            sx = sy - pair.max_lag
            continue
        break
    if sx > x.latest or sy > y.latest:
        return None
    if pair.max_lag is not None and not pair.min_lag <= sy - sx <= pair.max_lag:
        return None
    return sx, sy


def _estimate(
    routes: _Routes, pair: Pair, sx_slot: _Slot, sy_slot: _Slot
) -> tuple[int, tuple[int, int]] | None:
    data = routes.data
    starts = _starts(pair, data, sx_slot.arrival, sy_slot.arrival)
    if starts is None:
        return None
    sx, sy = starts
    push_x = routes.push_cost(pair.first, sx_slot, sx)
    push_y = routes.push_cost(pair.second, sy_slot, sy)
    if push_x is None or push_y is None:
        return None
    cost = sx_slot.extra_travel + sy_slot.extra_travel + push_x + push_y
    cost += _lateness(data, pair.first, sx) + _lateness(data, pair.second, sy)
    return cost, starts


def _with_pair(routes: _Routes, pair: Pair, sx_slot: _Slot, sy_slot: _Slot) -> list[list[int]]:
    """Task routes of the plan with the pair put back at the two slots."""
    out = [[t for t, _ in route] for route in routes.routes]
    out[sx_slot.vehicle].insert(sx_slot.position, pair.first)
    out[sy_slot.vehicle].insert(sy_slot.position, pair.second)
    return out


def _single_start(data: RoutingInput, task: int, arrival: int) -> int | None:
    """When ``task`` starts if its carer arrives at ``arrival``, or ``None`` if too late."""
    spec = data.tasks[task]
    start = max(arrival, preferred_window(spec)[0])
    return start if start <= spec.latest else None


class Moves:
    """Candidate moves around one plan: pairs moved, undone tasks put in.

    :meth:`relocations` moves a pair, :meth:`insertions` puts in a task in no pair.

    ``timed`` is the plan (per vehicle, ``(task, start minute)`` in order). Its routes are
    rescheduled and read into arrays once, and shared by every candidate of the plan; a
    candidate reschedules only the routes it takes tasks out of.
    """

    def __init__(self, data: RoutingInput, timed: TimedRoutes) -> None:
        self.data = data
        self.timed = timed
        self.starts = {t: start for route in timed for t, start in route}
        """The start minute of each task the plan does."""
        self._place_of = {
            t: (v, k) for v, route in enumerate(timed) for k, (t, _) in enumerate(route)
        }
        self._base = _Routes(data, timed, set())

    def relocations(
        self, pair: Pair, *, limit: int = 3, examine: int = 200, improving: bool = True
    ) -> list[list[list[int]]]:
        """The ``limit`` most promising plans with ``pair`` moved or put in, best estimate first.

        When both tasks of the pair are done in the plan, only moves whose estimate beats
        putting the pair back where it is are returned. When the plan leaves the pair undone
        (or does one half only, which earns nothing), every feasible way found of doing both
        is a candidate: the pair's penalty is what the plan saves, which local search, moving
        one task at a time, cannot reach. ``examine`` bounds how many candidates are
        estimated in full (with the delay they push onto later tasks), taken in order of a
        lower bound (detours and the pair's own lateness).
        """
        data, timed = self.data, self.timed
        place_of = self._place_of
        vx = place_of[pair.first][0] if pair.first in place_of else None
        vy = place_of[pair.second][0] if pair.second in place_of else None
        if vx is not None and vx == vy:
            return []
        routes = _Routes(data, timed, {pair.first, pair.second}, self._base)
        xs, ys = routes.slots(pair.first), routes.slots(pair.second)
        if not xs or not ys:
            return []

        def original(task: int, vehicle: int | None, slots: list[_Slot]) -> _Slot | None:
            # The two tasks are in different routes: taking them out shifts nothing before them.
            if vehicle is None:
                return None
            index = place_of[task][1]
            return next((s for s in slots if s.vehicle == vehicle and s.position == index), None)

        here_x, here_y = original(pair.first, vx, xs), original(pair.second, vy, ys)
        reference = None
        here = None
        if here_x is not None and here_y is not None:
            current = _estimate(routes, pair, here_x, here_y)
            reference = current[0] if current is not None else None
            here = (xs.index(here_x), ys.index(here_y))
        elif vx is not None and vy is not None:
            return []  # done, but not where the slots can find it (a vehicle it may not use)

        # Lower bound of every combination at once: detours plus the pair's lateness at the
        # earliest starts its two arrivals allow (a delay pushed onto later tasks only adds).
        ax = np.array([s.arrival for s in xs])
        ay = np.array([s.arrival for s in ys])
        dx = np.array([s.extra_travel for s in xs])
        dy = np.array([s.extra_travel for s in ys])
        x, y = data.tasks[pair.first], data.tasks[pair.second]
        sx = np.maximum(ax, x.earliest)[:, None] + np.zeros((1, len(ys)), dtype=np.int64)
        if pair.max_lag is not None:
            sx = np.maximum(sx, ay[None, :] - pair.max_lag)
        sy = np.maximum(np.maximum(ay[None, :], y.earliest), sx + pair.min_lag)
        bound = dx[:, None] + dy[None, :]
        for spec, s in ((x, sx), (y, sy)):
            if spec.soft_latest is not None and spec.late_cost:
                bound = bound + spec.late_cost * np.maximum(0, s - spec.soft_latest)
        vehicles_x = np.array([s.vehicle for s in xs])
        vehicles_y = np.array([s.vehicle for s in ys])
        allowed = vehicles_x[:, None] != vehicles_y[None, :]
        allowed &= (sx <= x.latest) & (sy <= y.latest)
        if reference is not None and improving:
            allowed &= bound < reference
        candidates = np.argwhere(allowed)
        bounds = bound[allowed]
        order = np.argsort(bounds, kind="stable")[:examine]
        found: list[tuple[int, int, int]] = []
        for k in order:
            if len(found) >= limit and bounds[k] >= found[limit - 1][0]:
                break  # the rest cannot beat the best found (the delays pushed only add)
            i, j = (int(n) for n in candidates[k])
            estimate = _estimate(routes, pair, xs[i], ys[j])
            if estimate is None or (
                improving and reference is not None and estimate[0] >= reference
            ):
                continue
            if (i, j) != here:
                found.append((estimate[0], i, j))
                found.sort()
        return [_with_pair(routes, pair, xs[i], ys[j]) for _, i, j in found[:limit]]

    def insertions(self, task: int, *, limit: int = 3) -> list[list[list[int]]]:
        """The ``limit`` most promising plans with the undone ``task`` put in, best estimate first.

        For a task in no pair (:func:`pairs_of`) that the plan leaves undone. Local
        search puts a task in one position at a time, and fails when every position pushes a
        later task of a pair out of step with its partner: the estimate (detour, the task's own
        lateness, and the delay pushed onto later tasks and their partners) ranks every position,
        and the adapter prices the best exactly with every rule (the partners moved too).
        Positions that push a task past its latest start or a vehicle past its latest end, and
        positions whose estimate is not below the task's penalty (leaving it out is cheaper), are
        left out; an empty list means no position was found.
        """
        data = self.data
        if task in self.starts:
            return []
        routes = self._base
        slots = routes.slots(task)
        found: list[tuple[int, int, int]] = []
        for k, slot in enumerate(slots):
            start = _single_start(data, task, slot.arrival)
            if start is None:
                continue
            push = routes.push_cost(task, slot, start)
            if push is None:
                continue
            estimate = slot.extra_travel + _lateness(data, task, start) + push
            if estimate < data.tasks[task].penalty:
                found.append((estimate, k, start))
        found.sort()
        out = []
        for _, k, _ in found[:limit]:
            plan = [[t for t, _ in route] for route in routes.routes]
            plan[slots[k].vehicle].insert(slots[k].position, task)
            out.append(plan)
        return out


def relocations(
    data: RoutingInput, timed: TimedRoutes, pair: Pair, *, limit: int = 3, examine: int = 200
) -> list[list[list[int]]]:
    """:meth:`Moves.relocations` of the plan ``timed``."""
    return Moves(data, timed).relocations(pair, limit=limit, examine=examine)


def insertions(
    data: RoutingInput, timed: TimedRoutes, task: int, *, limit: int = 3
) -> list[list[list[int]]]:
    """:meth:`Moves.insertions` of the plan ``timed``."""
    return Moves(data, timed).insertions(task, limit=limit)
