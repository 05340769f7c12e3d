"""Independent feasibility checker for DARP solutions (Cordeau's definitions).

Deliberately shares no code with the solver: it reads only the instance data and a list of
routes with service-start times, and recomputes everything from scratch.

Definitions (Cordeau 2006):
* cost = sum of Euclidean arc lengths along every route;
* arrival at ``j`` after ``i`` = start_i + service_i + travel(i, j); service may start
  later (waiting) but never earlier;
* ride time of request ``i`` = start(drop-off) - (start(pick-up) + service(pick-up));
* route duration = start at the end depot - start at the start depot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kogadx.mobility.model import DarpInstance


@dataclass
class CheckResult:
    """Outcome of :func:`check_solution`: recomputed cost and human-readable violations."""

    feasible: bool
    cost: float
    violations: list[str] = field(default_factory=list)
    max_ride_time: float = 0.0
    max_route_duration: float = 0.0


def check_solution(
    instance: DarpInstance,
    routes: list[list[int]],
    start_times: list[list[float]],
    tol: float = 1e-6,
) -> CheckResult:
    """Check routes (Cordeau node ids, each ``0 ... 2n+1``) and service-start times.

    Args:
        instance: the problem.
        routes: one node list per used vehicle; at most ``K`` routes.
        start_times: service start (minutes) at each node of each route.
        tol: numerical tolerance in minutes.

    Returns:
        :class:`CheckResult`; ``feasible`` is True iff ``violations`` is empty.
    """
    violations: list[str] = []
    if len(routes) > len(instance.vehicles):
        violations.append(f"車両数 {len(routes)} が上限 {len(instance.vehicles)} を超えています")
    if len(routes) != len(start_times):
        violations.append("routes と start_times の長さが違います")
        return CheckResult(False, math.nan, violations)

    visits = _Visits()
    cost = 0.0
    max_dur = 0.0
    for v, (route, times) in enumerate(zip(routes, start_times, strict=True)):
        checked = _check_route(instance, v, route, times, tol, visits, violations)
        if checked is not None:
            cost += checked[0]
            max_dur = max(max_dur, checked[1])
    max_ride = _check_requests(instance, visits, tol, violations)
    return CheckResult(not violations, cost, violations, max_ride, max_dur)


@dataclass
class _Visits:
    """Where and when each request node was served: node → (vehicle, position), start time."""

    where: dict[int, tuple[int, int]] = field(default_factory=dict)
    time_at: dict[int, float] = field(default_factory=dict)


def _dist(instance: DarpInstance, a: int, b: int) -> float:
    nodes = instance.nodes
    return math.hypot(nodes[a].x - nodes[b].x, nodes[a].y - nodes[b].y)


def _check_route(instance: DarpInstance, v: int, route: list[int], times: list[float], tol: float,
                 visits: _Visits, violations: list[str]) -> tuple[float, float] | None:
    """Check one vehicle's route (windows, load, travel times, duration); record its visits.

    Returns (cost, duration), or None when the route cannot be read at all.
    """
    end = 2 * instance.n_requests + 1
    nodes = instance.nodes
    if len(route) != len(times):
        violations.append(f"車両 {v}: ルートと時刻の長さが違います")
        return None
    if len(route) < 2 or route[0] != 0 or route[-1] != end:
        violations.append(f"車両 {v}: ルートは 0 で始まり {end} で終わる必要があります")
        return None
    vehicle = instance.vehicles[min(v, len(instance.vehicles) - 1)]
    load = 0
    cost = 0.0
    for pos, node in enumerate(route):
        t = float(times[pos])
        if not 0 <= node <= end:
            violations.append(f"車両 {v}: 不明なノード {node}")
            continue
        nd = nodes[node]
        if 0 < node < end:
            if node in visits.where:
                violations.append(f"ノード {node} が 2 回訪問されています")
            visits.where[node] = (v, pos)
            visits.time_at[node] = t
        if t < nd.earliest - tol or t > nd.latest + tol:
            violations.append(
                f"車両 {v}: ノード {node} の開始時刻 {t:.3f} が時間窓 "
                f"[{nd.earliest}, {nd.latest}] の外です"
            )
        load += nd.load
        if load > vehicle.capacity:
            violations.append(f"車両 {v}: ノード {node} の後の乗車人数 {load} が定員 {vehicle.capacity} を超えています")
        if load < 0:
            violations.append(f"車両 {v}: ノード {node} の後の乗車人数が負です ({load})")
        if pos > 0:
            prev = route[pos - 1]
            leg = _dist(instance, prev, node)
            cost += leg
            earliest_arrival = float(times[pos - 1]) + nodes[prev].service_min + leg / instance.travel_speed
            if t < earliest_arrival - tol:
                violations.append(
                    f"車両 {v}: ノード {prev}→{node} で到着 {earliest_arrival:.3f} より前に "
                    f"開始 ({t:.3f}) しています"
                )
    duration = float(times[-1]) - float(times[0])
    if duration > vehicle.max_route_duration + tol:
        violations.append(
            f"車両 {v}: ルート所要時間 {duration:.3f} が上限 {vehicle.max_route_duration} を超えています"
        )
    return cost, duration


def _check_requests(instance: DarpInstance, visits: _Visits, tol: float, violations: list[str]) -> float:
    """Every request picked up and dropped off by one vehicle, in order, within the ride
    limit; returns the longest ride time."""
    n = instance.n_requests
    nodes = instance.nodes
    visited, time_at = visits.where, visits.time_at
    max_ride = 0.0
    for i in range(1, n + 1):
        p, d = i, n + i
        if p not in visited or d not in visited:
            violations.append(f"依頼 {i} が未処理です (乗車 {p in visited}, 降車 {d in visited})")
            continue
        (vp, pp), (vd, pd_) = visited[p], visited[d]
        if vp != vd:
            violations.append(f"依頼 {i}: 乗車と降車が別の車両です ({vp}, {vd})")
            continue
        if pp >= pd_:
            violations.append(f"依頼 {i}: 降車が乗車より前です")
        ride = time_at[d] - (time_at[p] + nodes[p].service_min)
        max_ride = max(max_ride, ride)
        if ride > instance.max_ride_time + tol:
            violations.append(f"依頼 {i}: 乗車時間 {ride:.3f} が上限 {instance.max_ride_time} を超えています")
    return max_ride
