"""Online dispatch simulation of an on-demand bus (cheapest feasible insertion).

Requests are replayed in order of ``request_time``; each is inserted, when it arrives, into
the plan of the vehicle where it adds the least travel time while every promise already
made stays kept, or it is rejected. Idle vehicles may reposition by a policy.

Units and conventions:

* coordinates in metres, plane rectangular zone II (EPSG:6670);
* times are ``datetime64`` in the requests and minutes since midnight of the service day
  internally; durations are minutes, distances kilometres;
* each service day is simulated independently: vehicles start at the depot when service
  opens and finish their plans after it closes (no return leg to the depot is counted).

Constraints on every plan (checked by :func:`check_vehicle_log` in the tests):

* pick-up service starts within ``[desired, desired + pickup_window_min]``;
* ride time (drop-off start - pick-up start - dwell) ``<= ride_time_alpha * direct +
  ride_time_beta_min`` (α·t + β, see :func:`ride_time_limit`);
* passengers on board ``<= capacity``.

Rider wait = pick-up service start - desired pick-up time (the vehicle never leaves early).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar, cast

import numpy as np
import pandas as pd
from numba import njit
from scipy.spatial import cKDTree

from kogadx.io import InputFileError
from kogadx.mobility.params import DispatchParams, DispatchRules, FleetParams, Travel
from kogadx.mobility.policies import POLICIES

REQUEST_COLUMNS = (
    "request_id", "request_time", "desired_pickup_time", "origin_x", "origin_y",
    "dest_x", "dest_y", "passengers", "origin_zone", "dest_zone",
)
# Rules, travel settings and the short-notice threshold default to the params' defaults.
SHORT_LEAD_MIN = DispatchParams.short_lead_min


# --------------------------------------------------------------------------- travel time
class TravelTimeModel(Protocol):
    """Anything with vectorised ``minutes`` and ``km`` between points (metres, EPSG:6670)."""

    def minutes(self, ax, ay, bx, by) -> np.ndarray: ...

    def km(self, ax, ay, bx, by) -> np.ndarray: ...


@dataclass(frozen=True)
class StraightLineTravelTime:
    """Straight-line distance × ``detour_factor`` driven at ``speed_kmh``."""

    detour_factor: float
    speed_kmh: float

    @classmethod
    def from_params(cls, travel: Travel = Travel()) -> StraightLineTravelTime:
        """The model of the ``dispatch.travel`` settings (speed already a number)."""
        return cls(travel.detour_factor, travel.speed)

    def km(self, ax, ay, bx, by) -> np.ndarray:
        """Road distance estimate (km)."""
        return np.hypot(np.subtract(bx, ax), np.subtract(by, ay)) * self.detour_factor / 1000.0

    def minutes(self, ax, ay, bx, by) -> np.ndarray:
        """Travel time (minutes)."""
        return self.km(ax, ay, bx, by) / self.speed_kmh * 60.0

    # One leg between two points as a Python float: the simulator asks for thousands of
    # single legs, where numpy's array machinery costs more than the arithmetic. Same
    # operations in the same order as the vectorised methods (identical values).
    def leg_km(self, ax: float, ay: float, bx: float, by: float) -> float:
        return float(np.hypot(bx - ax, by - ay)) * self.detour_factor / 1000.0

    def leg_min(self, ax: float, ay: float, bx: float, by: float) -> float:
        return float(np.hypot(bx - ax, by - ay)) * self.detour_factor / 1000.0 / self.speed_kmh * 60.0


@dataclass
class MatrixTravelTime:
    """Stop × stop travel-time matrix (e.g. from a routing engine); points snap to the
    nearest stop.

    ``stops``: stop_id, x, y (metres, EPSG:6670). ``matrix``: from_stop, to_stop, minutes
    (numbers) and optionally km (else straight-line km), for every ordered pair of stops.
    """

    stops: pd.DataFrame
    matrix: pd.DataFrame
    _tree: cKDTree = field(init=False, repr=False)
    _minutes: np.ndarray = field(init=False, repr=False)
    _km: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = self.stops["stop_id"].astype(str).tolist()
        pos = {s: k for k, s in enumerate(ids)}
        m = len(ids)
        self._tree = cKDTree(self.stops[["x", "y"]].to_numpy(float))
        self._minutes = np.full((m, m), np.nan)
        xy = self.stops[["x", "y"]].to_numpy(float)
        self._km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1000
        np.fill_diagonal(self._minutes, 0.0)
        frm = self.matrix["from_stop"].astype(str).map(pos)
        to = self.matrix["to_stop"].astype(str).map(pos)
        unknown = frm.isna() | to.isna()
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise InputFileError(f"行列の {row + 2} 行目: stops にない停留所 ID です")
        fi, ti = frm.to_numpy(int), to.to_numpy(int)
        self._minutes[fi, ti] = self.matrix["minutes"].to_numpy(float)
        if "km" in self.matrix.columns:
            self._km[fi, ti] = self.matrix["km"].to_numpy(float)
        if np.isnan(self._minutes).any():
            gaps = np.argwhere(np.isnan(self._minutes))
            named = ", ".join(f"{ids[a]}→{ids[b]}" for a, b in gaps[:5])
            more = f" ほか {len(gaps) - 5} 組" if len(gaps) > 5 else ""
            raise InputFileError(f"所要時間行列に欠けている停留所の組があります ({len(gaps)} 組): {named}{more}")

    def _snap(self, x, y) -> np.ndarray:
        pts = np.column_stack([np.ravel(x), np.ravel(y)])
        return self._tree.query(pts)[1]

    def minutes(self, ax, ay, bx, by) -> np.ndarray:
        shape = np.broadcast(np.asarray(ax), np.asarray(bx)).shape
        a = self._snap(*np.broadcast_arrays(ax, ay)).reshape(np.shape(ax))
        b = self._snap(*np.broadcast_arrays(bx, by)).reshape(np.shape(bx))
        return np.broadcast_to(self._minutes[a, b], shape)

    def km(self, ax, ay, bx, by) -> np.ndarray:
        shape = np.broadcast(np.asarray(ax), np.asarray(bx)).shape
        a = self._snap(*np.broadcast_arrays(ax, ay)).reshape(np.shape(ax))
        b = self._snap(*np.broadcast_arrays(bx, by)).reshape(np.shape(bx))
        return np.broadcast_to(self._km[a, b], shape)


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class Fleet:
    """Vehicles of one service: count, seats, depot (EPSG:6670 metres), daily hours."""

    n_vehicles: int
    depot_x: float
    depot_y: float
    capacity: int = FleetParams.capacity
    service_start_hour: float = 9.0
    service_end_hour: float = 17.0


@dataclass
class DispatchResult:
    """``trips``: one row per request with status/reason and times (minutes of the day;
    ``request_min`` = -1 for bookings made on an earlier day); ``legs``: every driven leg
    (vehicle, kind service/reposition, start/end xy, depart/arrive minutes, load on board,
    km, to_request / to_pickup = the stop it heads for);
    ``kpis``: see :func:`compute_kpis`; ``decision_ms`` / ``decision_cpu_ms``: wall-clock and
    CPU time of the insertion decision per request (NaN when rejected before insertion)."""

    trips: pd.DataFrame
    legs: pd.DataFrame
    kpis: dict
    decision_ms: np.ndarray
    decision_cpu_ms: np.ndarray | None = None
    breaks: pd.DataFrame | None = None  # drivers' breaks: service_date, vehicle, start_min, end_min, x, y


# --------------------------------------------------------------------------- internals
@dataclass
class _Stop:
    req: int
    pickup: bool
    x: float
    y: float
    earliest: float
    latest: float  # pick-up: desired + W; drop-off: inf (ride limit checked separately)
    pax: int
    max_ride: float
    desired: float = 0.0  # desired pick-up time (minutes), for the wait term of the cost
    service: float = math.nan  # minutes spent at the stop; NaN = rules.dwell (a driver's break: its length)


@dataclass
class _Vehicle:
    vid: int
    x: float
    y: float
    t_avail: float
    load: int = 0
    plan: list[_Stop] = field(default_factory=list)
    # repositioning leg (x0, y0, t0, x1, y1, t1) or None
    repos: tuple | None = None
    # the insertion kernels' arrays of the current plan (see _Day._insertion_arrays)
    cache: tuple | None = field(default=None, repr=False, compare=False)


# --------------------------------------------------------------------------- insertion kernel
# The cheapest-insertion search is the simulator's hot loop (every request × vehicle ×
# pick-up position × drop-off position × plan length): compiled with numba. No fastmath,
# so every sum is done in the same order as plain Python floats (identical results on any
# machine). Stops are "elements": the plan's stops 0…m-1, then the new pick-up (m) and
# drop-off (m+1); element e is row/column e+1 of the travel-time table T (row 0 = anchor).
_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(fn: _F) -> _F:
    """numba-compile ``fn`` (cached on disk) keeping its Python signature for the type checker."""
    return cast(_F, njit(cache=True)(fn))


@_compiled
def _schedule(order, n, T, base, load0, cap, dwell, wait_weight, earliest, latest, pickup, pax, max_ride,
              desired, rid, known, svc, picked, new_p, new_d):  # pragma: no cover - compiled
    """Greedy schedule of ``order[:n]`` (leave at once, wait at a stop if early).

    Returns (code, cost, new pick-up start): code 3 = feasible, 1 = the new pick-up is late,
    2 = the new drop-off breaks its ride limit, 0 = anything else infeasible."""
    for q in range(len(known)):
        picked[q] = known[q]
    t = base
    prev = 0
    load = load0
    drive = 0.0
    wait = 0.0
    t_new = math.nan
    for q in range(n):
        e = order[q]
        leg = T[prev, e + 1]
        if pax[e] > 0:
            # the drive to a driver's break (pax 0) is not the dispatcher's cost: planned from
            # opening, it would make every van far from the depot look cheap (its return "paid")
            drive += leg
        t = max(earliest[e], t + leg)
        if t > latest[e] + 1e-9:
            return (1 if e == new_p else 0), 0.0, t_new
        if pickup[e]:
            load += pax[e]
            if load > cap:
                return 0, 0.0, t_new
            picked[rid[e]] = t
            wait += t - desired[e]
            if e == new_p:
                t_new = t
        else:
            load -= pax[e]
            if t - picked[rid[e]] - dwell > max_ride[e] + 1e-9:
                return (2 if e == new_d else 0), 0.0, t_new
        t += svc[e]
        prev = e + 1
    return 3, drive + wait_weight * wait, t_new


@_compiled
def _step(e, t, prev, load, drive, wait, T, cap, dwell, earliest, latest, pickup, pax, max_ride, desired, rid,
          svc, picked):  # pragma: no cover - compiled
    """One stop ``e`` of :func:`_schedule` from the state (t, prev, load, drive, wait): the same
    operations in the same order. Returns (ok, t, prev, load, drive, wait); ok 0 = late,
    1 = over capacity, 2 = ride limit broken, 3 = served."""
    leg = T[prev, e + 1]
    if pax[e] > 0:
        drive += leg
    t = max(earliest[e], t + leg)
    if t > latest[e] + 1e-9:
        return 0, t, prev, load, drive, wait
    if pickup[e]:
        load += pax[e]
        if load > cap:
            return 1, t, prev, load, drive, wait
        picked[rid[e]] = t
        wait += t - desired[e]
    else:
        load -= pax[e]
        if t - picked[rid[e]] - dwell > max_ride[e] + 1e-9:
            return 2, t, prev, load, drive, wait
    return 3, t + svc[e], e + 1, load, drive, wait


@_compiled
def _best_insertion(T, m, first, base, load0, cap, dwell, wait_weight, earliest, latest, pickup, pax, max_ride,
                    desired, rid, known, svc, best0):  # pragma: no cover - compiled
    """Cheapest feasible (pick-up position i, drop-off position j) of the new request in a
    plan of m stops, first found wins ties; only one cheaper than ``best0`` - 1e-9 counts
    (the best of the vehicles before). Returns (added cost, i, j, offered pick-up); i = -1
    when none. Pruning (exact when travel times obey the triangle inequality, as the
    straight-line model does): a later pick-up position cannot make the new pick-up
    earlier, and a later drop-off position cannot shorten its ride.

    Each candidate order stops[:i] + [p] + stops[i:j] + [d] + stops[j:] is scheduled as
    :func:`_schedule` would, but the common part is kept: the state after stops[:i] (for every
    i) and after p and stops[i:j] (for every j), so only d and stops[j:] are driven per
    candidate — the same operations in the same order on the same numbers, so the same result
    and the same verdicts (a late new pick-up ends the search, a broken ride limit of the new
    rider ends the drop-off positions of that pick-up position)."""
    picked = np.empty(len(known))
    order = np.empty(m + 2, dtype=np.int64)
    for q in range(m):
        order[q] = q
    code, old_cost, _ = _schedule(order, m, T, base, load0, cap, dwell, wait_weight, earliest, latest, pickup, pax,
                                  max_ride, desired, rid, known, svc, picked, -1, -1)
    if code != 3:
        old_cost = 0.0
    best, bi, bj, offer = best0, -1, -1, math.nan
    for q in range(len(known)):
        picked[q] = known[q]
    # prefix state: stops[:i] driven
    pt, pprev, pload, pdrive, pwait = base, 0, load0, 0.0, 0.0
    for q in range(first):
        ok, pt, pprev, pload, pdrive, pwait = _step(q, pt, pprev, pload, pdrive, pwait, T, cap, dwell, earliest,
                                                    latest, pickup, pax, max_ride, desired, rid, svc, picked)
        if ok != 3:
            return best, bi, bj, offer  # every order fails before the new pick-up
    for i in range(first, m + 1):
        if i > first:
            ok, pt, pprev, pload, pdrive, pwait = _step(i - 1, pt, pprev, pload, pdrive, pwait, T, cap, dwell,
                                                        earliest, latest, pickup, pax, max_ride, desired, rid, svc,
                                                        picked)
            if ok != 3:
                break  # this and every later pick-up position fail before the new pick-up
        # the new pick-up
        ok, mt, mprev, mload, mdrive, mwait = _step(m, pt, pprev, pload, pdrive, pwait, T, cap, dwell, earliest,
                                                    latest, pickup, pax, max_ride, desired, rid, svc, picked)
        if ok == 0:
            break  # late: no later pick-up position makes it earlier
        if ok == 3:
            best, bi, bj, offer = _drop_positions(i, m, mt, mprev, mload, mdrive, mwait, T, cap, dwell, wait_weight,
                                                  earliest, latest, pickup, pax, max_ride, desired, rid, svc, picked,
                                                  old_cost, best, bi, bj, offer)
    return best, bi, bj, offer


@_compiled
def _drop_positions(i, m, mt, mprev, mload, mdrive, mwait, T, cap, dwell, wait_weight, earliest, latest, pickup, pax,
                    max_ride, desired, rid, svc, picked, old_cost, best, bi, bj, offer):  # pragma: no cover - compiled
    """The drop-off positions j ≥ i after the new pick-up at position i (state after it: mt …):
    the best (added cost, i, j, offer) so far, updated as :func:`_best_insertion` describes."""
    t_new = picked[rid[m]]
    for j in range(i, m + 1):
        if j > i:
            ok, mt, mprev, mload, mdrive, mwait = _step(j - 1, mt, mprev, mload, mdrive, mwait, T, cap, dwell,
                                                        earliest, latest, pickup, pax, max_ride, desired, rid, svc,
                                                        picked)
            if ok != 3:
                break  # every later drop-off position fails at the same stop
        ok, drive, wait = _rest(j, m, mt, mprev, mload, mdrive, mwait, T, cap, dwell, earliest, latest, pickup, pax,
                                max_ride, desired, rid, svc, picked)
        if ok == 2:
            break  # the new rider's ride only grows with a later drop-off position
        if ok == 3:
            delta = drive + wait_weight * wait - old_cost
            if delta < best - 1e-9:
                best, bi, bj, offer = delta, i, j, t_new
    return best, bi, bj, offer


@_compiled
def _rest(j, m, t, prev, load, drive, wait, T, cap, dwell, earliest, latest, pickup, pax, max_ride, desired, rid,
          svc, picked):  # pragma: no cover - compiled
    """The new drop-off then stops[j:] from the state given: (3, drive, wait) when all are
    served, 2 when the new rider's ride limit breaks, 0 for any other failure."""
    ok, t, prev, load, drive, wait = _step(m + 1, t, prev, load, drive, wait, T, cap, dwell, earliest, latest, pickup,
                                           pax, max_ride, desired, rid, svc, picked)
    if ok != 3:
        return (2 if ok == 2 else 0), drive, wait
    for q in range(j, m):
        ok, t, prev, load, drive, wait = _step(q, t, prev, load, drive, wait, T, cap, dwell, earliest, latest, pickup,
                                               pax, max_ride, desired, rid, svc, picked)
        if ok != 3:
            return 0, drive, wait
    return 3, drive, wait


# travel table, earliest, latest, pick-up flag, party size, ride limit, desired, request number, known pick-up,
# minutes at the stop
_KernelArrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray, np.ndarray]


# Minutes of single legs already computed, per straight-line model: the vans drive between the
# same stops and waiting points again and again, and a dict look-up costs a fraction of hypot's
# numpy call. Same values (they are the first computation's), so nothing downstream changes.
_LEG_MEMO: dict[StraightLineTravelTime, dict[tuple[float, float, float, float], float]] = {}
_LEG_MEMO_MAX = 1_000_000


def _memo_leg(leg: Callable[[float, float, float, float], float],
              memo: dict[tuple[float, float, float, float], float]) -> Callable[[float, float, float, float], float]:
    """``leg`` with its results kept in ``memo`` (emptied when it grows past ``_LEG_MEMO_MAX``)."""
    def memo_leg(ax: float, ay: float, bx: float, by: float) -> float:
        key = (ax, ay, bx, by)
        out = memo.get(key)
        if out is None:
            if len(memo) >= _LEG_MEMO_MAX:
                memo.clear()
            out = memo[key] = leg(ax, ay, bx, by)
        return out
    return memo_leg


_COMBINATIONS: dict[tuple[int, ...], tuple[np.ndarray, list[np.ndarray]]] = {}


def _combinations(sizes: tuple[int, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Every combination of one option per vehicle (``sizes`` options each), lexicographic:
    one row per combination, and each vehicle's column on its own. Kept per ``sizes`` (the
    same few shapes recur all day)."""
    if sizes not in _COMBINATIONS:
        if len(_COMBINATIONS) >= 512:
            _COMBINATIONS.clear()
        grids = np.meshgrid(*[np.arange(n) for n in sizes], indexing="ij")
        combo = np.stack([g.ravel() for g in grids], axis=1)
        _COMBINATIONS[sizes] = combo, [np.ascontiguousarray(combo[:, i]) for i in range(len(sizes))]
    return _COMBINATIONS[sizes]


class _Day:
    """State of one simulated service day (minutes since midnight)."""

    def __init__(self, fleet: Fleet, rules: DispatchRules, travel: TravelTimeModel, day: pd.Timestamp,
                 start_hour: float | None = None):
        self.fleet, self.rules, self.travel, self.day = fleet, rules, travel, day
        self.dwell = rules.dwell  # a property that checks the setting: read once
        self._symmetric = isinstance(travel, StraightLineTravelTime)
        t0 = (fleet.service_start_hour if start_hour is None else start_hour) * 60
        self.vehicles = [_Vehicle(v, fleet.depot_x, fleet.depot_y, t0) for v in range(fleet.n_vehicles)]
        self.breaks: list[tuple] = []  # (day, vehicle, start, end, x, y) of drivers' breaks taken
        if rules.break_min > 0 and rules.break_starts_h:
            # van k's driver breaks at the depot, starting within [start_k, start_k + flex]
            for v in self.vehicles:
                b0 = rules.break_starts_h[v.vid % len(rules.break_starts_h)] * 60.0
                v.plan = [_Stop(-1 - v.vid, False, fleet.depot_x, fleet.depot_y, b0, b0 + rules.break_flex_min, 0,
                                math.inf, 0.0, float(rules.break_min))]
        self.pickup_start: dict[int, float] = {}
        self.dropoff_start: dict[int, float] = {}
        self.assigned: dict[int, int] = {}
        self.offer: dict[int, float] = {}
        self.legs: list[tuple] = []
        self._waiting: tuple | None = None  # see _waiting_points
        self._chosen: dict[tuple, np.ndarray] = {}  # waiting points chosen, by what the choice depends on
        self.n_solves = 0  # re-solves run (re-optimisation)
        self.n_refused = 0  # re-solved plans the exact check refused (a promise broken when driven)
        if isinstance(travel, StraightLineTravelTime):
            self.leg_min, self.leg_km = _memo_leg(travel.leg_min, _LEG_MEMO.setdefault(travel, {})), travel.leg_km
        else:
            self.leg_min = lambda ax, ay, bx, by: float(travel.minutes(ax, ay, bx, by))
            self.leg_km = lambda ax, ay, bx, by: float(travel.km(ax, ay, bx, by))

    def _anchor(self, v: _Vehicle, now: float) -> tuple[float, float, float, bool]:
        """(x, y, base time, first stop committed) of a vehicle as seen at ``now``.

        A repositioning vehicle (with or without booked stops) is where its leg has taken
        it by ``now``; it has not left for a booked stop yet (see :meth:`_slack_ok`)."""
        if v.repos is not None:
            x0, y0, t0, x1, y1, t1 = v.repos
            f = 1.0 if t1 <= t0 else min(1.0, max(0.0, (now - t0) / (t1 - t0)))
            return x0 + f * (x1 - x0), y0 + f * (y1 - y0), max(now, t0), False
        if v.plan:
            s = v.plan[0]
            leg = self.leg_min(v.x, v.y, s.x, s.y)
            depart = max(v.t_avail, s.earliest - leg)
            if depart <= now:
                return v.x, v.y, v.t_avail, True
        return v.x, v.y, max(v.t_avail, now), False

    def advance(self, now: float) -> None:
        """Execute every stop whose service has started by ``now``."""
        for v in self.vehicles:
            if v.repos is not None and v.repos[5] <= now:
                self._finish_repos(v, v.repos[5])
            if v.repos is not None:
                # still repositioning: by construction its next stop starts after the leg ends
                continue
            while v.plan:
                x, y, base, _ = self._anchor(v, now)
                s = v.plan[0]
                leg = self.leg_min(x, y, s.x, s.y)
                depart = max(base, s.earliest - leg)
                start = max(s.earliest, base + leg)
                if start > now:
                    break
                self._record(v, "service", x, y, s.x, s.y, depart, depart + leg, v.load, s.req, s.pickup)
                v.plan.pop(0)
                v.x, v.y, v.t_avail = s.x, s.y, start + self.service_of(s)
                if s.req < 0:
                    self.breaks.append((self.day, v.vid, start, start + self.service_of(s), s.x, s.y))
                elif s.pickup:
                    v.load += s.pax
                    self.pickup_start[s.req] = start
                else:
                    v.load -= s.pax
                    self.dropoff_start[s.req] = start

    def _record(self, v, kind, x0, y0, x1, y1, t0, t1, load, req=-1, to_pickup=False) -> None:
        km = self.leg_km(x0, y0, x1, y1)
        if km > 0:
            self.legs.append((self.day, v.vid, kind, x0, y0, x1, y1, t0, t1, load, km, req, to_pickup))

    def _finish_repos(self, v: _Vehicle, t: float) -> None:
        assert v.repos is not None, "only a repositioning vehicle finishes its leg"
        x0, y0, t0, x1, y1, t1 = v.repos
        f = 1.0 if t1 <= t0 else min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        xe, ye = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
        self._record(v, "reposition", x0, y0, xe, ye, t0, max(t0, min(t, t1)), 0)
        v.x, v.y, v.t_avail, v.repos = xe, ye, max(t0, min(t, t1)), None

    def insert(self, req: int, p: _Stop, d: _Stop, now: float, accept_wait: float = math.inf) -> bool | None:
        """Cheapest feasible insertion of a request (pick-up ``p``, drop-off ``d``).

        The planned pick-up of the chosen insertion is the time offered to the rider
        (``self.offer[req]``); a rider who accepts at most ``accept_wait`` minutes past
        ``p.desired`` declines a later offer (returns None, nothing is committed).
        Returns True when inserted, False when no vehicle can keep every promise."""
        best = None
        cap, dwell, weight = int(self.fleet.capacity), float(self.dwell), float(self.rules.wait_weight)
        for v in self.vehicles:
            x0, y0, base, committed = self._anchor(v, now)
            stops = v.plan
            m = len(stops)
            arrays = self._insertion_arrays(v, x0, y0, p, d)
            delta, i, j, offer = _best_insertion(
                arrays[0], m, 1 if committed else 0, float(base), int(v.load), cap, dwell, weight, *arrays[1:],
                math.inf if best is None else float(best[0]))
            if i >= 0:
                best = (delta, v.vid, stops[:i] + [p] + stops[i:j] + [d] + stops[j:], offer)
        if best is None:
            return False
        self.offer[req] = best[3]
        if best[3] - p.desired > accept_wait + 1e-9:
            return None
        v = self.vehicles[best[1]]
        if v.repos is not None:
            self._finish_repos(v, now)
        if not self._anchor(v, now)[3]:
            # The vehicle was waiting at its anchor until now: it cannot have left earlier.
            v.t_avail = max(v.t_avail, now)
        v.plan = best[2]
        self.assigned[req] = v.vid
        return True

    def _insertion_arrays(self, v: _Vehicle, x0: float, y0: float, p: _Stop, d: _Stop) -> _KernelArrays:
        """``_arrays(x0, y0, v.plan + [p, d])``, the plan's part kept on the vehicle between calls:
        a plan that lost its first stops or gained a request is a selection of the stops the
        vehicle's arrays already hold, so only the anchor's and the new stops' rows and columns of
        the travel table are computed again (elementwise the same numbers)."""
        plan, cache = v.plan, v.cache
        m = len(plan)
        if cache is None or len(cache[0]) != m + 2 or any(a is not b for a, b in zip(cache[0][:m], plan, strict=True)):
            cache = self._reselect(v, x0, y0, p, d)
        held, arrays, xs, ys, local = cache
        T, earliest, latest, pickup, pax, max_ride, desired, rid, _, svc = arrays
        xs[0], ys[0], xs[m + 1], ys[m + 1], xs[m + 2], ys[m + 2] = x0, y0, p.x, p.y, d.x, d.y
        for k, s in ((m, p), (m + 1, d)):
            held[k] = s
            earliest[k], latest[k], pickup[k], pax[k] = s.earliest, s.latest, s.pickup, s.pax
            max_ride[k], desired[k], rid[k], svc[k] = s.max_ride, s.desired, len(local), self.service_of(s)
        idx = np.array([0, m + 1, m + 2])
        T[idx, :] = self.travel.minutes(xs[idx][:, None], ys[idx][:, None], xs[None, :], ys[None, :])
        # straight lines are the same both ways (b − a is exactly −(a − b), hypot ignores signs)
        T[:, idx] = (T[idx, :].T if self._symmetric else
                     self.travel.minutes(xs[:, None], ys[:, None], xs[idx][None, :], ys[idx][None, :]))
        known = np.array([self.pickup_start.get(r, math.nan) for r in local] + [self.pickup_start.get(p.req, math.nan)],
                         dtype=float)
        return T, earliest, latest, pickup, pax, max_ride, desired, rid, known, svc

    def _reselect(self, v: _Vehicle, x0: float, y0: float, p: _Stop, d: _Stop) -> tuple:
        """The vehicle's kernel arrays for its current plan (two free slots at the end): selected
        from the arrays it holds when every stop is among them, else computed afresh."""
        plan, cache = v.plan, v.cache
        local = list(dict.fromkeys(s.req for s in plan))
        pos = {id(s): k for k, s in enumerate(cache[0])} if cache is not None else {}
        ks = [pos.get(id(s), -1) for s in plan]
        if cache is None or -1 in ks:
            arrays = self._arrays(x0, y0, plan + [p, d])
            if not arrays[0].flags.writeable:  # a model may hand back a read-only view
                arrays = (arrays[0].copy(), *arrays[1:])
            xs = np.array([x0] + [s.x for s in plan] + [p.x, d.x])
            ys = np.array([y0] + [s.y for s in plan] + [p.y, d.y])
        else:
            old, xs_old, ys_old = cache[1], cache[2], cache[3]
            sel = np.array([0] + [k + 1 for k in ks] + [0, 0])
            T = old[0][np.ix_(sel, sel)]
            take = np.array(ks + [0, 0], dtype=np.int64)
            earliest, latest, pickup, pax, max_ride, desired, svc = (old[k][take] for k in (1, 2, 3, 4, 5, 6, 9))
            number = {r: n for n, r in enumerate(local)}
            rid = np.array([number[s.req] for s in plan] + [0, 0], dtype=np.int64)
            arrays = (T, earliest, latest, pickup, pax, max_ride, desired, rid, old[8], svc)  # known: per call
            xs, ys = xs_old[sel], ys_old[sel]
        v.cache = (list(plan) + [p, d], arrays, xs, ys, local)
        return v.cache

    def _arrays(self, x0: float, y0: float, seq: list[_Stop]) -> _KernelArrays:
        """The kernels' view of a stop sequence from an anchor: travel table (anchor first),
        earliest, latest, pick-up flag, party size, ride limit, desired time, local request
        number and the known pick-up start of each request (NaN while not picked up)."""
        xs = np.array([x0] + [s.x for s in seq])
        ys = np.array([y0] + [s.y for s in seq])
        T = np.ascontiguousarray(self.travel.minutes(xs[:, None], ys[:, None], xs[None, :], ys[None, :]), dtype=float)
        local: dict[int, int] = {}
        rid = np.array([local.setdefault(s.req, len(local)) for s in seq], dtype=np.int64)
        known = np.array([self.pickup_start.get(r, math.nan) for r in local], dtype=float)
        # fixed dtypes (and float / int scalars at the calls): one compiled specialisation only
        return (T, np.array([s.earliest for s in seq], dtype=float), np.array([s.latest for s in seq], dtype=float),
                np.array([s.pickup for s in seq], dtype=bool), np.array([s.pax for s in seq], dtype=np.int64),
                np.array([s.max_ride for s in seq], dtype=float), np.array([s.desired for s in seq], dtype=float),
                rid, known, np.array([self.service_of(s) for s in seq], dtype=float))

    def service_of(self, s: _Stop) -> float:
        """Minutes a van spends at stop ``s`` (boarding/alighting, or a driver's break)."""
        return self.dwell if math.isnan(s.service) else s.service

    def plan_cost(self, v: _Vehicle, now: float, seq: list[_Stop]) -> float | None:
        """The insertion cost (driving + wait_weight × wait) of ``seq`` as ``v``'s plan from
        its anchor at ``now``; None when it breaks a promise."""
        x0, y0, base, _ = self._anchor(v, now)
        arrays = self._arrays(x0, y0, seq)
        order = np.arange(len(seq), dtype=np.int64)
        code, cost, _ = _schedule(order, len(seq), arrays[0], float(base), int(v.load), int(self.fleet.capacity),
                                  float(self.rules.dwell), float(self.rules.wait_weight), *arrays[1:],
                                  np.empty(len(arrays[8])), -1, -1)
        return float(cost) if code == 3 else None

    def reoptimise(self, now: float, time_limit_s: float = 5.0) -> bool:
        """Re-solve every open stop of the day (:mod:`kogadx.mobility.reopt`); adopt the new
        plans when each keeps every promise and their total cost is lower. Returns True
        when adopted; a solver plan that breaks a promise when driven counts in ``n_refused``."""
        from kogadx.mobility.reopt import resolve_open

        stops = [s for v in self.vehicles for s in v.plan]
        if sum(s.pickup for s in stops) < 2:
            return False  # nothing to exchange
        self.n_solves += 1
        solved = resolve_open(self._open_problem(now, stops), time_limit_s)
        if solved is None or sorted(k for r in solved.routes for k in r) != list(range(len(stops))):
            return False
        old_total, new_total, plans = 0.0, 0.0, []
        for v, route in zip(self.vehicles, solved.routes, strict=True):
            seq = [stops[k] for k in route]
            old, new = self.plan_cost(v, now, v.plan), self.plan_cost(v, now, seq)
            if new is None and seq:
                # the van would pick someone up too early for a later ride limit: it waits at
                # each pick-up until the solver's time (the first stop too, unless already on its way)
                on_way = self._anchor(v, now)[3]
                seq = [s if not s.pickup or (q == 0 and on_way) else
                       replace(s, earliest=max(s.earliest, float(solved.start[k])))
                       for q, (k, s) in enumerate(zip(route, seq, strict=True))]
                new = self.plan_cost(v, now, seq)
            if new is None or old is None:
                self.n_refused += int(new is None)
                return False
            old_total, new_total = old_total + old, new_total + new
            plans.append(seq)
        if new_total >= old_total - 1e-9:
            return False
        for v, seq in zip(self.vehicles, plans, strict=True):
            if [id(s) for s in seq] != [id(s) for s in v.plan]:
                self._adopt(v, seq, now)
        return True

    def _open_problem(self, now: float, stops: list[_Stop]) -> Any:
        """The vans' open stops as a :class:`kogadx.mobility.reopt.OpenProblem`: riders on
        board and the stop a van is already heading for stay on that van."""
        from kogadx.mobility.reopt import OpenProblem

        anchors = [self._anchor(v, now) for v in self.vehicles]
        pos = {id(s): k for k, s in enumerate(stops)}
        pick_of = {s.req: pos[id(s)] for s in stops if s.pickup}
        pair = np.full(len(stops), -1)
        van = np.full(len(stops), -1)
        first = np.full(len(self.vehicles), -1)
        for vi, v in enumerate(self.vehicles):
            for s in v.plan:
                if not s.pickup and s.req in pick_of:
                    pair[pick_of[s.req]] = pos[id(s)]
                elif not s.pickup:
                    van[pos[id(s)]] = vi  # rider on board
            if v.plan and anchors[vi][3]:
                first[vi] = pos[id(v.plan[0])]  # already on its way there
                van[first[vi]] = vi
        for k in np.flatnonzero((pair >= 0) & (van >= 0)):  # its drop-off stays on that van too
            van[pair[k]] = van[k]
        xs = np.array([a[0] for a in anchors] + [s.x for s in stops])
        ys = np.array([a[1] for a in anchors] + [s.y for s in stops])
        return OpenProblem(
            base=np.array([a[2] for a in anchors]), load=np.array([v.load for v in self.vehicles]), first=first,
            earliest=np.array([s.earliest for s in stops]), latest=np.array([self._latest_start(s) for s in stops]),
            pax=np.array([s.pax if s.pickup else -s.pax for s in stops]), pair=pair,
            max_ride=np.array([s.max_ride for s in stops]), desired=np.array([s.desired for s in stops]), van=van,
            travel=np.asarray(self.travel.minutes(xs[:, None], ys[:, None], xs[None, :], ys[None, :]), float),
            routes=[[pos[id(s)] for s in v.plan] for v in self.vehicles], capacity=self.fleet.capacity,
            dwell=self.rules.dwell, wait_weight=self.rules.wait_weight,
            service=np.array([self.service_of(s) for s in stops], dtype=float))

    def _latest_start(self, s: _Stop) -> float:
        """Latest start of service at ``s`` as the re-solve must see it: a rider already on board
        has no pick-up left in the open problem to bound the ride from, so the ride limit becomes
        a deadline on the drop-off (without it, the solver delayed those drop-offs freely and the
        simulator's exact check rejected most re-solved plans, #17)."""
        if not s.pickup and s.req in self.pickup_start:
            return min(s.latest, self.pickup_start[s.req] + self.rules.dwell + s.max_ride)
        return s.latest

    def _adopt(self, v: _Vehicle, seq: list[_Stop], now: float) -> None:
        """Give ``v`` a new plan at ``now`` (as an insertion would: a waiting van leaves from now)."""
        if v.repos is not None:
            self._finish_repos(v, now)
        if not self._anchor(v, now)[3]:
            v.t_avail = max(v.t_avail, now)
        v.plan = seq
        for s in seq:
            if s.pickup:
                self.assigned[s.req] = v.vid

    def _may_reposition(self, v: _Vehicle, now: float) -> bool:
        """Idle at ``now``: not moving and either no booked stop or (with
        ``rules.reposition_in_slack``) not yet due to leave for the next one."""
        if v.repos is not None:
            return False
        if not v.plan:
            return True
        return self.rules.reposition_in_slack and not self._anchor(v, now)[3]

    def _slack_ok(self, v: _Vehicle, t0: float, tx: float, ty: float) -> bool:
        """Can ``v`` leave at ``t0`` for (tx, ty), stand there ``slack_min_stay_min`` and
        still start its next booked stop at the time planned had it stayed put?

        The planned start of the next stop is ``max(earliest, t0 + leg)`` from where the
        vehicle stands; requiring the detour via the target to fit before it leaves every
        later time of the plan unchanged (same travel-time model as the insertion).
        """
        if not v.plan:
            return True
        s = v.plan[0]
        planned = max(s.earliest, t0 + self.leg_min(v.x, v.y, s.x, s.y))
        via = (t0 + self.leg_min(v.x, v.y, tx, ty) + self.rules.slack_min_stay_min
               + self.leg_min(tx, ty, s.x, s.y))
        return via <= planned + 1e-9

    def return_to_depot(self, now: float) -> None:
        """Send every idle vehicle (see :meth:`_may_reposition`) back to the depot."""
        tx, ty = self.fleet.depot_x, self.fleet.depot_y
        for v in self.vehicles:
            if not self._may_reposition(v, now) or math.hypot(tx - v.x, ty - v.y) < 1.0:
                continue
            t0 = max(now, v.t_avail)
            if not self._slack_ok(v, t0, tx, ty):
                continue
            v.repos = (v.x, v.y, t0, tx, ty, t0 + self.leg_min(v.x, v.y, tx, ty))

    def reposition(self, now: float, demand: dict[str, float], centroids: dict[str, tuple[float, float]]) -> None:
        """Send idle vehicles to waiting points by expected demand (``rules.reposition_rule``)."""
        if not demand:
            return
        if self.rules.reposition_rule == "coverage":
            self._reposition_coverage(now, demand, centroids)
        else:
            self._reposition_greedy(now, demand, centroids)

    def _reposition_coverage(self, now: float, demand: dict[str, float],
                             centroids: dict[str, tuple[float, float]]) -> None:
        """Joint choice of waiting points for the idle vehicles (see ``DispatchRules``)."""
        zones, wx, wy, between = self._waiting_points(centroids)
        lam = np.array([max(0.0, float(demand.get(z, 0.0))) for z in zones])
        if lam.sum() <= 0:
            return
        reach_fixed = np.full(len(zones), math.inf)
        idle: list[_Vehicle] = []
        for v in self.vehicles:
            if v.repos is not None:
                fx, fy = v.repos[3], v.repos[4]
            elif self._may_reposition(v, now):
                idle.append(v)
                continue
            else:  # busy: it will be free where its last booked stop is
                fx, fy = (v.plan[-1].x, v.plan[-1].y) if v.plan else (v.x, v.y)
            reach_fixed = np.minimum(reach_fixed, np.asarray(self.travel.minutes(fx, fy, wx, wy), float))
        if not idle:
            return
        # options per idle vehicle: stay (index 0) or a waiting point it can reach in its slack
        # (each waiting point's test is _slack_ok's, for all of them at once: same numbers)
        options: list[list[tuple[float, float]]] = []
        reach: list[np.ndarray] = []
        move: list[np.ndarray] = []
        for v in idle:
            t0 = max(now, v.t_avail)
            out = np.asarray(self.travel.minutes(v.x, v.y, wx, wy), float)
            if v.plan:
                s = v.plan[0]
                planned = max(s.earliest, t0 + self.leg_min(v.x, v.y, s.x, s.y))
                back = np.asarray(self.travel.minutes(wx, wy, s.x, s.y), float)
                via = t0 + out + self.rules.slack_min_stay_min + back
                fits = np.flatnonzero(via <= planned + 1e-9)
            else:
                fits = np.arange(len(zones))
            options.append([(v.x, v.y)] + [(float(wx[j]), float(wy[j])) for j in fits])
            reach.append(np.vstack([out[None, :], between[fits]]))
            move.append(np.r_[self.leg_min(v.x, v.y, v.x, v.y), out[fits]])
        # the choice is a function of the options, the fixed reach and the demand: between two
        # requests these are often unchanged (idle vans staying where they wait), so it is kept
        key = (tuple(xy for o in options for xy in o), tuple(len(o) for o in options), reach_fixed.tobytes(),
               lam.tobytes())
        if key in self._chosen:
            choice = self._chosen[key]
        else:
            choice = self._choose(options, reach_fixed, reach, move, lam)
            if len(self._chosen) >= 4096:
                self._chosen.clear()
            self._chosen[key] = choice
        for v, xy, k in zip(idle, options, choice, strict=True):
            tx, ty = xy[int(k)]
            if k == 0 or math.hypot(tx - v.x, ty - v.y) < 200.0:
                continue
            t0 = max(now, v.t_avail)
            v.repos = (v.x, v.y, t0, tx, ty, t0 + self.leg_min(v.x, v.y, tx, ty))

    def _choose(self, options: list[list[tuple[float, float]]], reach_fixed: np.ndarray, reach: list[np.ndarray],
                move: list[np.ndarray], lam: np.ndarray) -> np.ndarray:
        """The option (index) per idle vehicle with the least rider-minutes of reach plus
        ``move_weight`` × minutes moved: every combination, or coordinate descent when too many."""
        n_choices = math.prod(len(o) for o in options)
        if n_choices <= self.rules.max_enumeration:
            # all combinations in lexicographic order: the first minimum prefers staying
            combo, columns = _combinations(tuple(len(o) for o in options))
            cover = np.broadcast_to(reach_fixed, (len(combo), len(reach_fixed)))
            cost = np.zeros(len(combo))
            for i in range(len(options)):
                cover = np.minimum(cover, reach[i][columns[i]])
                if self.rules.move_weight != 0.0:  # 0 × finite minutes adds exactly 0.0: skipped
                    cost += self.rules.move_weight * move[i][columns[i]]
            # summed elementwise, not by a BLAS matrix product: BLAS kernels differ by CPU in the
            # last bits, and near-ties between waiting points would then be chosen differently
            cost += (cover * lam).sum(axis=1)
            return combo[int(np.argmin(cost))]
        return self._coordinate_descent(reach_fixed, reach, move, lam)

    def _waiting_points(self, centroids: dict[str, tuple[float, float]]) -> tuple[list[str], np.ndarray, np.ndarray,
                                                                               np.ndarray]:
        """Zones (sorted), their waiting points' x and y, and the minutes between every two
        (row = from): computed once per set of waiting points."""
        if self._waiting is None or self._waiting[0] is not centroids:
            zones = sorted(centroids)
            wx = np.array([centroids[z][0] for z in zones])
            wy = np.array([centroids[z][1] for z in zones])
            between = np.asarray(self.travel.minutes(wx[:, None], wy[:, None], wx[None, :], wy[None, :]), float)
            self._waiting = (centroids, zones, wx, wy, between)
        return self._waiting[1:]

    def _coordinate_descent(self, reach_fixed: np.ndarray, reach: list[np.ndarray], move: list[np.ndarray],
                            lam: np.ndarray) -> np.ndarray:
        """Best option per vehicle given the others, repeated until nothing improves
        (starting from "everyone stays"); deterministic, used for large fleets."""
        choice = np.zeros(len(reach), dtype=int)

        def total(ch: np.ndarray) -> float:
            cover = reach_fixed.copy()
            for i, k in enumerate(ch):
                cover = np.minimum(cover, reach[i][k])
            return float((cover * lam).sum() + self.rules.move_weight * sum(move[i][k] for i, k in enumerate(ch)))

        best = total(choice)
        for _ in range(20):
            improved = False
            for i in range(len(reach)):
                for k in range(len(reach[i])):
                    trial = choice.copy()
                    trial[i] = k
                    c = total(trial)
                    if c < best - 1e-9:
                        best, choice, improved = c, trial, True
            if not improved:
                break
        return choice

    def _reposition_greedy(self, now: float, demand: dict[str, float],
                           centroids: dict[str, tuple[float, float]]) -> None:
        """Send idle vehicles towards zone centroids by expected demand (greedy shares).

        Vehicles with booked stops take part only while idle with slack and only towards
        zones they can leave in time (:meth:`_slack_ok`); when none fits, they stay put."""
        zones = sorted(centroids)
        cxy = np.array([centroids[z] for z in zones])
        count = dict.fromkeys(zones, 0)
        idle = []
        for v in self.vehicles:
            if v.repos is not None:
                tx, ty = v.repos[3], v.repos[4]
            elif self._may_reposition(v, now):
                tx, ty = v.x, v.y
                idle.append(v)
            else:
                continue
            z = zones[int(np.argmin(np.hypot(cxy[:, 0] - tx, cxy[:, 1] - ty)))]
            count[z] += 1
        for v in idle:
            here = zones[int(np.argmin(np.hypot(cxy[:, 0] - v.x, cxy[:, 1] - v.y)))]
            count[here] -= 1
            t0 = max(now, v.t_avail)
            allowed = [z for z in zones if self._slack_ok(v, t0, *centroids[z])]
            if not allowed:  # no waiting point fits before its next stop: stay put
                count[here] += 1
                continue
            score = {z: demand.get(z, 0.0) / (1 + count[z]) for z in allowed}
            target = max(allowed, key=lambda z: (score[z], z == here))
            count[target] += 1
            tx, ty = centroids[target]
            if math.hypot(tx - v.x, ty - v.y) < 200.0:
                continue
            leg = self.leg_min(v.x, v.y, tx, ty)
            v.repos = (v.x, v.y, t0, tx, ty, t0 + leg)


def _validate_requests(requests: pd.DataFrame) -> None:
    missing = [c for c in REQUEST_COLUMNS if c not in requests.columns]
    if missing:
        raise InputFileError(f"requests: 列 {missing} がありません")
    for col in ("origin_x", "origin_y", "dest_x", "dest_y", "passengers"):
        bad = requests[col].isna()
        if bad.any():
            raise InputFileError(f"requests: 行 {int(np.flatnonzero(bad.to_numpy())[0])} 列 {col} が欠損しています")


def _minute_of_day(ts: pd.Series) -> np.ndarray:
    return ((ts - ts.dt.normalize()) / pd.Timedelta(minutes=1)).to_numpy(float)


def simulate_dispatch(
    requests: pd.DataFrame,
    fleet: Fleet,
    rules: DispatchRules = DispatchRules(),
    travel: TravelTimeModel | None = None,
    policy: str = "none",
    zone_demand: pd.DataFrame | None = None,
    zone_centroids: pd.DataFrame | None = None,
    service_hours: dict[pd.Timestamp, tuple[float, float]] | None = None,
    short_lead_min: float = SHORT_LEAD_MIN,
    reopt_interval_min: float = 0.0,
) -> DispatchResult:
    """Replay ride requests in arrival order with cheapest feasible insertion.

    Args:
        requests: columns ``REQUEST_COLUMNS`` (times datetime64, xy metres EPSG:6670).
        fleet: vehicles, depot and daily service hours.
        rules: rider promises (pick-up window, detour) and dwell (a number, not "calibrated").
        travel: travel-time model (default: :class:`StraightLineTravelTime` of the default
            ``dispatch.travel`` settings).
        policy: ``"none"``, ``"forecast"`` or ``"oracle"``; the last two need
            ``zone_demand`` (zone, hour (datetime64 hour start), expected) — a forecast or
            the true intensity λ — and ``zone_centroids`` (zone, x, y). ``"depot"`` sends
            idle vehicles back to the depot; ``"none"`` leaves them where they stopped.
        service_hours: optional (open hour, close hour) per service date (midnight
            Timestamp), e.g. longer weekend hours; dates not in it use the fleet's hours.
        short_lead_min: requests booked less than this many minutes ahead form the
            "short notice" group of the KPIs (see :func:`compute_kpis`).
        reopt_interval_min: rolling re-optimisation: at the first request at least this
            many minutes after the last one, the open requests of all vans are re-solved
            (:meth:`_Day.reoptimise`); 0 = insertion only.

    Returns:
        :class:`DispatchResult` with trips, legs, KPIs and per-request decision times.
    """
    if policy not in POLICIES:
        raise ValueError(f"policy は {POLICIES} のいずれかです: {policy!r}")
    travel = travel or StraightLineTravelTime.from_params()
    _validate_requests(requests)
    demand = _ZoneDemand.of(policy, zone_demand, zone_centroids)
    replay = _Replay.of(requests, travel, rules)
    hours_of = dict(service_hours or {})
    legs: list[tuple] = []
    breaks: list[tuple] = []
    vehicle_hours = 0.0
    break_hours = 0.0
    for day in sorted(replay.day_of.unique()):
        open_h, close_h = hours_of.get(pd.Timestamp(day), (fleet.service_start_hour, fleet.service_end_hour))
        vehicle_hours += fleet.n_vehicles * (close_h - open_h)
        sim = _Day(fleet, rules, travel, pd.Timestamp(day), open_h)
        replay.run_day(sim, policy, demand, open_h * 60, close_h * 60, reopt_interval_min)
        legs.extend(sim.legs)
        breaks.extend(sim.breaks)
        # drivers' breaks within the service hours are not revenue hours
        break_hours += sum(max(0.0, min(b[3], close_h * 60) - max(b[2], open_h * 60)) for b in sim.breaks) / 60
    trips = replay.trips(rules)
    legs_df = _legs_frame(legs, replay.reqs)
    kpis = compute_kpis(trips, legs_df, vehicle_hours, short_lead_min, vehicle_hours - break_hours)
    if reopt_interval_min > 0:
        kpis["n_reoptimised"] = replay.n_reoptimised
        kpis["n_reopt_solves"] = replay.n_solves
        kpis["n_reopt_refused"] = replay.n_refused
    return DispatchResult(trips, legs_df, kpis, replay.decision_ms, replay.decision_cpu_ms,
                          pd.DataFrame(breaks, columns=["service_date", "vehicle", "start_min", "end_min", "x", "y"]))


@dataclass(frozen=True)
class _ZoneDemand:
    """Expected demand by hour start (zone → requests) and the zones' waiting points."""

    by_hour: dict[pd.Timestamp, dict[str, float]]
    centroids: dict[str, tuple[float, float]]
    _hours: dict[tuple[pd.Timestamp, int], dict[str, float]] = field(default_factory=dict)  # by (day, hour)

    @classmethod
    def of(cls, policy: str, zone_demand: pd.DataFrame | None, zone_centroids: pd.DataFrame | None) -> _ZoneDemand:
        if policy not in ("forecast", "oracle"):
            return cls({}, {}, {})
        if zone_demand is None or zone_centroids is None:
            raise ValueError(f"policy={policy!r} には zone_demand と zone_centroids が必要です")
        # one pass over sorted arrays (a groupby with pandas per hour cost more than the simulation)
        zd = zone_demand[zone_demand["hour"].notna()].sort_values("hour", kind="stable")
        hours = zd["hour"].to_numpy()
        zones = zd["zone"].astype(str).to_numpy()
        expected = zd["expected"].astype(float).to_numpy()
        cuts = np.r_[0, np.flatnonzero(hours[1:] != hours[:-1]) + 1, len(hours)] if len(hours) else np.zeros(1, int)
        by_hour = {pd.Timestamp(hours[lo]): dict(zip(zones[lo:hi].tolist(), expected[lo:hi].tolist(), strict=True))
                   for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)}
        centroids = {str(z): (float(x), float(y))
                     for z, x, y in zone_centroids[["zone", "x", "y"]].itertuples(index=False)}
        return cls(by_hour, centroids, {})

    def at(self, day: pd.Timestamp, minute: float) -> dict[str, float]:
        """Expected demand of the hour that holds ``minute`` of ``day`` (empty when unknown)."""
        hour = math.floor(minute / 60.0)
        if not 1e-6 < minute - 60.0 * hour < 60.0 - 1e-6:
            # next to an hour's start: the timestamp's own rounding decides, as it always did
            return self.by_hour.get((day + pd.Timedelta(minutes=minute)).floor("h"), {})
        key = (day, hour)
        if key not in self._hours:
            self._hours[key] = self.by_hour.get(day + pd.Timedelta(hours=hour), {})
        return self._hours[key]


@dataclass
class _Replay:
    """The requests of one simulation in arrival order, their times in minutes of the day,
    and what happened to each (filled in day by day by :meth:`run_day`)."""

    reqs: pd.DataFrame
    direct: np.ndarray
    desired_min: np.ndarray
    request_min: np.ndarray  # -1: booked on an earlier day (seen when service opens)
    lead_min: np.ndarray
    day_of: pd.Series
    status: np.ndarray = field(init=False)
    reason: np.ndarray = field(init=False)
    vehicle: np.ndarray = field(init=False)
    pick_t: np.ndarray = field(init=False)
    drop_t: np.ndarray = field(init=False)
    decision_ms: np.ndarray = field(init=False)
    decision_cpu_ms: np.ndarray = field(init=False)
    ride_now: np.ndarray = field(init=False)
    accept_wait: np.ndarray = field(init=False)  # a ride-now rider declines an offer later than this
    offer_t: np.ndarray = field(init=False)
    wait_from: np.ndarray = field(init=False)  # request (ride-now) or desired time (reservation)
    pax: np.ndarray = field(init=False)
    xy: np.ndarray = field(init=False)  # origin x, y, destination x, y
    n_reoptimised: int = field(init=False, default=0)  # re-optimisations adopted
    n_solves: int = field(init=False, default=0)  # re-solves run
    n_refused: int = field(init=False, default=0)  # re-solved plans refused by the exact check

    def __post_init__(self) -> None:
        n = len(self.reqs)
        self.wait_from = self.desired_min.copy()
        self.ride_now = np.zeros(n, dtype=bool)
        self.accept_wait = np.full(n, math.inf)
        self.offer_t = np.full(n, np.nan)
        self.status = np.array(["rejected"] * n, dtype=object)
        self.reason = np.array([""] * n, dtype=object)
        self.vehicle = np.full(n, -1)
        self.pick_t = np.full(n, np.nan)
        self.drop_t = np.full(n, np.nan)
        self.decision_ms = np.full(n, np.nan)
        self.decision_cpu_ms = np.full(n, np.nan)

    @classmethod
    def of(cls, requests: pd.DataFrame, travel: TravelTimeModel, rules: DispatchRules = DispatchRules()) -> _Replay:
        reqs = requests.sort_values(["request_time", "request_id"], kind="stable").reset_index(drop=True)
        direct = np.asarray(travel.minutes(reqs["origin_x"], reqs["origin_y"], reqs["dest_x"], reqs["dest_y"]), float)
        desired_min = _minute_of_day(reqs["desired_pickup_time"])
        request_min = _minute_of_day(reqs["request_time"])
        lead_min = ((reqs["desired_pickup_time"] - reqs["request_time"]) / pd.Timedelta(minutes=1)).to_numpy(float)
        day_of = reqs["desired_pickup_time"].dt.normalize()
        req_day = reqs["request_time"].dt.normalize()
        # Ride-now: booked for "as soon as possible"; the rider waits from the request.
        ride_now = (lead_min < rules.ride_now_lead_min) & (req_day == day_of).to_numpy()
        wait_from = np.where(ride_now, request_min, desired_min)
        # a ride-now rider first walks to the virtual stop: no pick-up before request + access
        desired_min = np.where(ride_now, np.maximum(desired_min, request_min + rules.ride_now_access_min),
                               desired_min)
        # a booking made on an earlier day is seen at the start of the service day
        request_min = np.where(req_day < day_of, -1.0, request_min)
        accept = (reqs["accept_wait_min"].to_numpy(float) if "accept_wait_min" in reqs.columns
                  else np.full(len(reqs), math.inf))
        out = cls(reqs, direct, desired_min, request_min, lead_min, day_of)
        out.ride_now, out.accept_wait = ride_now, np.where(np.isnan(accept), math.inf, accept)
        out.wait_from = wait_from
        # plain arrays: the replay reads one request at a time (pandas lookups cost more)
        out.pax = reqs["passengers"].to_numpy(int)
        out.xy = reqs[["origin_x", "origin_y", "dest_x", "dest_y"]].to_numpy(float)
        return out

    def run_day(self, sim: _Day, policy: str, demand: _ZoneDemand, open_min: float, close_min: float,
                reopt_interval_min: float = 0.0) -> None:
        """Replay one service day's requests in booking order on ``sim``."""
        rules = sim.rules
        rows = np.flatnonzero((self.day_of == sim.day).to_numpy())
        rows = rows[np.lexsort((rows, self.request_min[rows]))]
        last_reopt = -math.inf
        for r in rows.tolist():
            now = max(self.request_min[r], open_min - 60)
            sim.advance(now)
            if reopt_interval_min > 0 and now >= last_reopt + reopt_interval_min:
                last_reopt = now
                self.n_reoptimised += int(sim.reoptimise(now))
            if policy == "depot":
                sim.return_to_depot(now)
            elif policy != "none":
                sim.reposition(now, demand.at(sim.day, now + rules.lookahead_min), demand.centroids)
            if not (open_min <= self.desired_min[r] <= close_min):
                self.reason[r] = "運行時間外"
                continue
            if int(self.pax[r]) > sim.fleet.capacity:
                self.reason[r] = "定員超過"
                continue
            p, d = self._stops(r, now, rules)
            tic, tic_cpu = _time.perf_counter(), _time.process_time()
            ok = sim.insert(r, p, d, now, self.accept_wait[r] + self.wait_from[r] - self.desired_min[r]
                            if self.ride_now[r] else math.inf)
            self.decision_ms[r] = (_time.perf_counter() - tic) * 1000
            self.decision_cpu_ms[r] = (_time.process_time() - tic_cpu) * 1000
            self.offer_t[r] = sim.offer.get(r, math.nan)
            if ok:
                self.status[r] = "served"
            elif ok is None:
                self.status[r] = "declined"
                self.reason[r] = "提示時刻を辞退"
            else:
                self.reason[r] = "最大待ち時間内に配車不可" if self.ride_now[r] else "約束の時間枠内に配車不可"
        sim.advance(math.inf)
        self.n_solves += sim.n_solves
        self.n_refused += sim.n_refused
        for r, v in sim.assigned.items():
            self.vehicle[r] = v
            self.pick_t[r] = sim.pickup_start[r]
            self.drop_t[r] = sim.dropoff_start[r]

    def _stops(self, r: int, now: float, rules: DispatchRules) -> tuple[_Stop, _Stop]:
        """Pick-up and drop-off of request ``r`` with its promises (window, ride limit)."""
        direct, desired = self.direct[r], self.desired_min[r]
        max_ride = ride_time_limit(direct, rules)
        earliest = max(desired, now)
        pax = int(self.pax[r])
        # ride-now: pick-up within the maximum wait from the request; reservation: the promised window
        latest = self.wait_from[r] + (rules.max_wait_min if self.ride_now[r] else rules.pickup_window_min)
        p = _Stop(r, True, float(self.xy[r, 0]), float(self.xy[r, 1]), earliest,
                  latest, pax, max_ride, desired)
        d = _Stop(r, False, float(self.xy[r, 2]), float(self.xy[r, 3]), 0.0, math.inf, pax,
                  max_ride)
        return p, d

    def trips(self, rules: DispatchRules) -> pd.DataFrame:
        """One row per request: status, reason, vehicle, times (minutes of the day), wait, ride."""
        reqs = self.reqs
        trips = pd.DataFrame({
            "request_id": reqs["request_id"].to_numpy(),
            "status": self.status.astype(str),
            "reason": self.reason.astype(str),
            "vehicle": self.vehicle,
            "passengers": reqs["passengers"].to_numpy(int),
            "origin_zone": reqs["origin_zone"].astype(str).to_numpy(),
            "dest_zone": reqs["dest_zone"].astype(str).to_numpy(),
            "request_min": self.request_min,
            "desired_min": self.desired_min,
            "pickup_min": self.pick_t,
            "dropoff_min": self.drop_t,
            "direct_min": self.direct,
            "lead_min": self.lead_min,
            "service_date": self.day_of.to_numpy(),
            "booking": np.where(self.ride_now, "ride_now", "reservation"),
            "offer_min": self.offer_t,
        })
        # wait from the request (ride-now) or from the start of the promised window (reservation)
        trips["wait_from_min"] = self.wait_from
        trips["wait_min"] = trips["pickup_min"] - trips["wait_from_min"]
        trips["ride_min"] = trips["dropoff_min"] - trips["pickup_min"] - rules.dwell
        return trips


def _legs_frame(legs: list[tuple], reqs: pd.DataFrame) -> pd.DataFrame:
    """Driven legs as a table; ``to_request`` is the id of the request a leg heads for."""
    legs_df = pd.DataFrame(legs, columns=["service_date", "vehicle", "kind", "x0", "y0", "x1", "y1",
                                          "depart_min", "arrive_min", "load", "km", "_row", "to_pickup"])
    ids = reqs["request_id"].astype(str).to_numpy()
    legs_df.insert(11, "to_request", [ids[r] if r >= 0 else "" for r in legs_df["_row"]])
    return legs_df.drop(columns="_row")


def compute_kpis(trips: pd.DataFrame, legs: pd.DataFrame, vehicle_hours: float,
                 short_lead_min: float = SHORT_LEAD_MIN, revenue_hours: float | None = None) -> dict:
    """Service KPIs from simulated trips and legs.

    served/rejection/decline rate (share of requests; rejected = no vehicle could keep the
    promises, declined = a ride-now rider refused the offered time), wait mean/p95 (min;
    wait = pick-up start - desired pick-up time, which for ride-now is the request time),
    ride-now and reservation waits apart, empty-km share, rides per vehicle-revenue-hour
    (``revenue_hours``: the vans' service hours less the drivers' breaks, as transit statistics
    count revenue hours; default ``vehicle_hours``), rides per vehicle-hour of service (breaks
    included: what an hourly cost of the van is paid for), mean ride/direct ratio, vehicle_km,
    empty_km (driven with nobody on board, incl. repositioning), occupancy (passenger-km /
    vehicle-km), passengers per vehicle-hour of service. ``short_notice_*``: the same for requests booked less than
    ``short_lead_min`` minutes ahead (``lead_min`` column; the only riders whose wait can
    depend on where idle vans stand — a longer lead lets any van arrive in time).
    """
    n = len(trips)
    revenue_hours = vehicle_hours if revenue_hours is None else revenue_hours
    served = trips[trips["status"] == "served"]
    n_rejected = int((trips["status"] == "rejected").sum())
    n_declined = int((trips["status"] == "declined").sum())
    vkm = float(legs["km"].sum()) if len(legs) else 0.0
    pkm = float((legs["km"] * legs["load"]).sum()) if len(legs) else 0.0
    empty = float(legs.loc[legs["load"] == 0, "km"].sum()) if len(legs) else 0.0
    ratio = served["ride_min"] / served["direct_min"].where(served["direct_min"] > 0)
    return {
        "n_requests": int(n),
        "n_served": int(len(served)),
        "n_rejected": int(n_rejected),
        "n_declined": int(n_declined),
        "served_rate": float(len(served) / n) if n else math.nan,
        "rejection_rate": float(n_rejected / n) if n else math.nan,
        "decline_rate": float(n_declined / n) if n else math.nan,
        "wait_mean_min": float(served["wait_min"].mean()) if len(served) else math.nan,
        "wait_p95_min": float(served["wait_min"].quantile(0.95)) if len(served) else math.nan,
        "ride_over_direct_mean": float(ratio.mean()) if len(served) else math.nan,
        "vehicle_km": vkm,
        "empty_km": empty,
        "occupancy": pkm / vkm if vkm > 0 else math.nan,
        "passengers_per_vehicle_hour": float(served["passengers"].sum() / vehicle_hours) if vehicle_hours else math.nan,
        "empty_km_share": empty / vkm if vkm > 0 else math.nan,
        "rides_per_vehicle_revenue_hour": float(len(served) / revenue_hours) if revenue_hours else math.nan,
        "rides_per_vehicle_hour": float(len(served) / vehicle_hours) if vehicle_hours else math.nan,
        **_booking_kpis(served),
        **_short_notice_kpis(trips, short_lead_min),
    }


def round_metric(value: Any) -> Any:
    """A number as the dispatch metrics report it: 4 decimals, NaN → None (JSON null)."""
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), 4)
    return value


def _booking_kpis(served: pd.DataFrame) -> dict:
    """Wait of ride-now riders (from the request) and of reservations (from the promised time)."""
    if "booking" not in served.columns:
        return {}
    now = served.loc[served["booking"] == "ride_now", "wait_min"]
    res = served.loc[served["booking"] == "reservation", "wait_min"]
    return {
        "ride_now_n_served": int(len(now)),
        "ride_now_wait_mean_min": float(now.mean()) if len(now) else math.nan,
        "ride_now_wait_p95_min": float(now.quantile(0.95)) if len(now) else math.nan,
        "reservation_wait_mean_min": float(res.mean()) if len(res) else math.nan,
    }


def _short_notice_kpis(trips: pd.DataFrame, short_lead_min: float) -> dict:
    if "lead_min" not in trips.columns:
        return {}
    short = trips[trips["lead_min"] < short_lead_min]
    served = short[short["status"] == "served"]
    return {
        "short_notice_n_requests": int(len(short)),
        "short_notice_served_rate": float(len(served) / len(short)) if len(short) else math.nan,
        "short_notice_wait_mean_min": float(served["wait_min"].mean()) if len(served) else math.nan,
    }


def ride_time_limit(direct_min: float, rules: DispatchRules) -> float:
    """Longest allowed ride (minutes on board, dwell excluded) for a direct time: α·t + β."""
    return rules.ride_time_alpha * direct_min + rules.ride_time_beta_min


def check_dispatch(result: DispatchResult, fleet: Fleet, rules: DispatchRules) -> list[str]:
    """Independent re-check of a simulation: promises kept and capacity never exceeded.

    Returns a list of violations (empty when feasible).
    """
    out: list[str] = []
    served = result.trips[result.trips["status"] == "served"]
    for row in served.itertuples(index=False):
        bound = rules.max_wait_min if getattr(row, "booking", "") == "ride_now" else rules.pickup_window_min
        if row.wait_min < -1e-6 or row.wait_min > bound + 1e-6:
            out.append(f"依頼 {row.request_id}: 待ち時間 {row.wait_min:.2f} 分が約束の範囲外")
        limit = ride_time_limit(row.direct_min, rules)
        if row.ride_min > limit + 1e-6:
            out.append(f"依頼 {row.request_id}: 乗車時間 {row.ride_min:.2f} 分が上限 {limit:.2f} 分を超過")
        if row.ride_min < row.direct_min - 1e-6:
            out.append(f"依頼 {row.request_id}: 乗車時間が直行より短い")
    # a vehicle cannot head for a rider before the booking exists
    known = dict(zip(result.trips["request_id"].astype(str), result.trips["request_min"], strict=True))
    legs = result.legs
    if len(legs):
        to_pick = legs[legs["to_pickup"]]
        for leg in to_pick.itertuples(index=False):
            if leg.depart_min < known[leg.to_request] - 1e-6:
                out.append(f"依頼 {leg.to_request}: 予約 ({known[leg.to_request]:.1f}) 前に車両 {leg.vehicle} が出発")
    # on-board count over time per vehicle from pick-up/drop-off events
    for (day, veh), grp in served.groupby(["service_date", "vehicle"]):
        events = sorted([(t, 1, p) for t, p in zip(grp["pickup_min"], grp["passengers"], strict=True)]
                        + [(t, 0, -p) for t, p in zip(grp["dropoff_min"], grp["passengers"], strict=True)])
        load = 0
        for t, _, delta in events:
            load += delta
            if load > fleet.capacity:
                out.append(f"{day} 車両 {veh}: 時刻 {t:.1f} に乗車 {load} 人 (定員 {fleet.capacity})")
    return out


def scale_demand(requests: pd.DataFrame, factor: float, rng: np.random.Generator,
                 jitter_min: float = 15.0) -> pd.DataFrame:
    """Demand what-if: keep every request and add ``round((factor-1)·N)`` resampled ones.

    Added requests copy a random existing request (same places, party size, booking lead)
    with the desired pick-up time shifted by U(-jitter, +jitter) minutes; ids get a ``+k``
    suffix. ``factor < 1`` drops a random share instead. Deterministic for a seeded ``rng``.
    """
    n = len(requests)
    if factor <= 0:
        raise ValueError("factor は正の値です")
    if factor < 1:
        keep = np.sort(rng.choice(n, size=int(round(factor * n)), replace=False))
        return requests.iloc[keep].reset_index(drop=True)
    extra = int(round((factor - 1.0) * n))
    if extra == 0 or n == 0:
        return requests.reset_index(drop=True)
    pick = rng.integers(0, n, extra)
    shift = pd.to_timedelta(np.round(rng.uniform(-jitter_min, jitter_min, extra), 1), unit="min")
    added = requests.iloc[pick].reset_index(drop=True)
    added["desired_pickup_time"] = added["desired_pickup_time"] + shift
    added["request_time"] = added["request_time"] + shift
    added["request_id"] = added["request_id"].astype(str) + [f"+{k}" for k in range(extra)]
    out = pd.concat([requests, added], ignore_index=True)
    return out.sort_values(["request_time", "request_id"], kind="stable").reset_index(drop=True)


def iter_fleet_scenarios(
    requests: pd.DataFrame,
    fleet: Fleet,
    rules: DispatchRules,
    fleet_sizes: Sequence[int],
    demand_factors: Sequence[float],
    policies: Sequence[str],
    rng_for_factor: Callable[[float], np.random.Generator],
    travel: TravelTimeModel | None = None,
    forecast_demand: pd.DataFrame | None = None,
    true_demand: pd.DataFrame | None = None,
    zone_centroids: pd.DataFrame | None = None,
    service_hours: dict[pd.Timestamp, tuple[float, float]] | None = None,
    short_lead_min: float = SHORT_LEAD_MIN,
) -> Iterator[tuple[int, float, str, DispatchResult]]:
    """Simulate every (demand factor, fleet size, policy); yield (size, factor, policy, result).

    ``rng_for_factor(factor)`` gives the generator that resamples requests for a factor ≠ 1.
    ``forecast_demand`` / ``true_demand`` (zone, hour, expected) feed the "forecast" /
    "oracle" policies and are scaled by the demand factor.
    """
    for factor in map(float, demand_factors):
        reqs = requests if factor == 1.0 else scale_demand(requests, factor, rng_for_factor(factor))
        for size in map(int, fleet_sizes):
            sized = Fleet(size, fleet.depot_x, fleet.depot_y, fleet.capacity,
                          fleet.service_start_hour, fleet.service_end_hour)
            for policy in policies:
                demand = {"forecast": forecast_demand, "oracle": true_demand}.get(policy)
                if demand is not None:
                    demand = demand.assign(expected=demand["expected"] * factor)
                yield size, factor, policy, simulate_dispatch(
                    reqs, sized, rules, travel, policy, demand,
                    zone_centroids if demand is not None else None, service_hours, short_lead_min)


def run_fleet_scenarios(
    requests: pd.DataFrame,
    fleet: Fleet,
    rules: DispatchRules,
    fleet_sizes: Sequence[int],
    demand_factors: Sequence[float],
    policies: Sequence[str],
    rng: np.random.Generator,
    travel: TravelTimeModel | None = None,
    forecast_demand: pd.DataFrame | None = None,
    true_demand: pd.DataFrame | None = None,
    zone_centroids: pd.DataFrame | None = None,
    service_hours: dict[pd.Timestamp, tuple[float, float]] | None = None,
    short_lead_min: float = SHORT_LEAD_MIN,
) -> pd.DataFrame:
    """KPIs for every (fleet size, demand factor, policy): the fleet what-if table.

    One row per scenario with the :func:`compute_kpis` columns plus decision-time
    mean/p95 (ms). One ``rng`` resamples the requests for every factor ≠ 1.
    """
    rows = []
    for size, factor, policy, res in iter_fleet_scenarios(
            requests, fleet, rules, fleet_sizes, demand_factors, policies, lambda _factor: rng, travel,
            forecast_demand, true_demand, zone_centroids, service_hours, short_lead_min):
        ms = res.decision_ms[~np.isnan(res.decision_ms)]
        rows.append({"n_vehicles": size, "demand_factor": factor, "policy": policy, **res.kpis,
                     "decision_ms_mean": float(ms.mean()) if len(ms) else math.nan,
                     "decision_ms_p95": float(np.percentile(ms, 95)) if len(ms) else math.nan})
    return pd.DataFrame(rows)
