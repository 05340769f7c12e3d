"""Static dial-a-ride (DARP) solver on OR-Tools routing, with an exact LP re-timing step.

Model (see :mod:`kogadx.mobility.model` for the data model and numbering):

* one routing vehicle per :class:`DarpVehicle`, starting at node 0 and ending at ``2n+1``;
* pick-up/drop-off pairs via ``AddPickupAndDelivery`` + same vehicle + precedence;
* capacity dimension (load change per node);
* time dimension with slack (waiting); the cumul variable is the START of service, the
  transit of arc ``i→j`` is ``service_i + travel_ij``; time windows are set on the cumuls;
* ride time as a constraint between the two cumuls:
  ``cumul(drop) - cumul(pick) - service(pick) <= L``;
* maximum route duration as a span upper bound per vehicle;
* objective: total travel distance (integer-scaled for the solver, recomputed in floats);
* preprocessing: implied time windows (:func:`tighten_windows`) and exact pairwise arc
  elimination (:func:`infeasible_arcs`) remove ~83 % of the arcs of the a-instances;
* search: first solution from a small portfolio of insertion heuristics (parallel cheapest
  insertion first, in a model where requests may be dropped at a high penalty, so a
  start always exists), then guided local search under the time limit in the model
  without the drop option; :func:`solve_darp_portfolio` runs GLS and tabu search in
  parallel processes and keeps the better solution.

The ride-time bound is declared twice: as ``solver.Add`` on the cumuls (the model) and
as ``SetPickupToDeliveryLimitFunctionForPair`` (so OR-Tools' insertion and local-search
filters see it; without it every first-solution heuristic fails on L = 30).

Integer scaling: times and distances are multiplied by ``scale`` (default 1000). Travel
times are rounded UP and windows rounded INWARDS, so every schedule the solver finds is
also feasible with exact float times. After the search, each route's sequence is re-timed
exactly by a small LP (:func:`schedule_route`) that minimises route duration and ride
times — Cordeau's definitions allow waiting to be shifted, so this only tightens the
schedule and never changes the sequence or the cost.
"""

from __future__ import annotations

import math
import time as _time
from itertools import pairwise
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from scipy.optimize import linprog

from kogadx.mobility.model import DarpInstance, DarpNode, DarpSolution, DarpVehicle

__all__ = [
    "DarpInstance",
    "DarpNode",
    "DarpSolution",
    "DarpVehicle",
    "schedule_route",
    "solve_darp",
    "tighten_windows",
    "infeasible_arcs",
]


def tighten_windows(instance: DarpInstance, travel: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Implied time windows (minutes) from ride-time and depot constraints.

    Standard DARP preprocessing (Cordeau 2006, §4): a loose pick-up window is narrowed by the
    drop-off window and the maximum ride time, and vice versa; every node must be reachable
    from the depot and leave time to return. Only implied bounds are added, so the feasible
    set is unchanged; the narrower windows make the search far more effective.
    """
    t = instance.travel_time_matrix() if travel is None else travel
    nodes = instance.nodes
    n = instance.n_requests
    end = 2 * n + 1
    big_t = max(v.max_route_duration for v in instance.vehicles)
    e = np.array([nd.earliest for nd in nodes], dtype=float)
    lt = np.array([nd.latest for nd in nodes], dtype=float)
    svc = np.array([nd.service_min for nd in nodes], dtype=float)
    depot_open, depot_close = e[0], lt[end]
    L = instance.max_ride_time
    for _ in range(2):
        for i in range(1, n + 1):
            p, d = i, n + i
            e[p] = max(e[p], depot_open + t[0, p])
            lt[d] = min(lt[d], depot_close - svc[d] - t[d, end], e[0] + big_t - svc[d] - t[d, end])
            # drop-off window → pick-up window
            e[p] = max(e[p], e[d] - L - svc[p])
            lt[p] = min(lt[p], lt[d] - t[p, d] - svc[p])
            # pick-up window → drop-off window
            e[d] = max(e[d], e[p] + svc[p] + t[p, d])
            lt[d] = min(lt[d], lt[p] + svc[p] + L)
    return e, lt


# The six orders of two requests a, b (pick-up before drop-off): positions 0=a, 1=n+a, 2=b, 3=n+b.
_PAIR_ORDERS = ((0, 1, 2, 3), (0, 2, 1, 3), (0, 2, 3, 1), (2, 0, 1, 3), (2, 0, 3, 1), (2, 3, 0, 1))


def infeasible_arcs(instance: DarpInstance, e: np.ndarray, lt: np.ndarray, travel: np.ndarray) -> np.ndarray:
    """Boolean ``(2n+2, 2n+2)`` mask of arcs that no feasible solution can use.

    Arc elimination after Cordeau (2006, §4.2), made exact for pairs: an arc ``u → v``
    between nodes of two different requests ``a, b`` is kept only if some order of the
    four nodes of ``a`` and ``b`` with ``u`` directly before ``v`` is feasible on its own
    (windows, ride times, capacity). Any route using the arc would contain such a feasible
    sub-sequence (travel times obey the triangle inequality), so nothing feasible is lost.
    Feasibility of the 4-node sequences is a system of difference constraints, decided for
    all pairs at once by Floyd–Warshall on 5 variables (negative cycle = infeasible).
    """
    n = instance.n_requests
    end = 2 * n + 1
    nodes = instance.nodes
    svc = np.array([nd.service_min for nd in nodes])
    load = np.array([nd.load for nd in nodes])
    cap = max(v.capacity for v in instance.vehicles)  # largest vehicle: elimination stays safe
    L = instance.max_ride_time
    bad = np.zeros((2 * n + 2, 2 * n + 2), dtype=bool)
    req = np.arange(1, n + 1)
    bad[0, n + req] = True          # cannot start with a drop-off
    bad[req, end] = True            # cannot end right after a pick-up
    bad[n + req, req] = True        # drop-off before its own pick-up
    np.fill_diagonal(bad, True)
    bad |= (e[:, None] + svc[:, None] + travel) > lt[None, :] + 1e-9
    bad[:, 0] = True
    bad[end, :] = True
    bad[0, end] = False
    if n < 2:
        return bad
    a_idx, b_idx = np.triu_indices(n, k=1)
    a_idx, b_idx = a_idx + 1, b_idx + 1
    four = np.stack([a_idx, a_idx + n, b_idx, b_idx + n], axis=1)  # (P, 4) node ids
    feasible_arc = np.zeros_like(bad)
    inf = np.inf
    for order in _PAIR_ORDERS:
        seq = four[:, order]  # (P, 4)
        P = len(seq)
        # variables: 0 = time origin Z, 1..4 = service starts along seq; D[i, j] bounds x_j - x_i
        D = np.full((P, 5, 5), inf)
        for k in range(5):
            D[:, k, k] = 0.0
        for k in range(4):
            node = seq[:, k]
            D[:, 0, k + 1] = np.minimum(D[:, 0, k + 1], lt[node])       # x_k - Z <= l
            D[:, k + 1, 0] = np.minimum(D[:, k + 1, 0], -e[node])      # Z - x_k <= -e
        for k in range(3):
            u, v = seq[:, k], seq[:, k + 1]
            D[:, k + 2, k + 1] = np.minimum(D[:, k + 2, k + 1], -(svc[u] + travel[u, v]))  # x_k - x_{k+1} <= -(s+t)
        pos = {c: k for k, c in enumerate(order)}
        for pick, drop in ((0, 1), (2, 3)):
            kp, kd = pos[pick] + 1, pos[drop] + 1
            D[:, kp, kd] = np.minimum(D[:, kp, kd], L + svc[four[:, pick]])      # x_d - x_p <= L + s_p
        for k in range(5):
            D = np.minimum(D, D[:, :, k : k + 1] + D[:, k : k + 1, :])
        ok = (np.diagonal(D, axis1=1, axis2=2) >= -1e-9).all(axis=1)
        onboard = np.cumsum(load[seq], axis=1)
        ok &= (onboard <= cap).all(axis=1)
        for k in range(3):
            u, v = seq[ok, k], seq[ok, k + 1]
            feasible_arc[u, v] = True
    inter = np.zeros_like(bad)
    inter[1:end, 1:end] = True
    same = (np.arange(2 * n + 2) - 1) % n
    inter &= same[:, None] != same[None, :]
    bad |= inter & ~feasible_arc
    return bad


def schedule_route(
    instance: DarpInstance,
    route: list[int],
    travel: np.ndarray | None = None,
    max_duration: float | None = None,
) -> list[float] | None:
    """Exact service-start times (minutes) for a fixed node sequence, or None if infeasible.

    Solves the LP  min  duration + 0.01·Σ ride times
    s.t. B_j ≥ B_i + s_i + t_ij along the route, e_k ≤ B_k ≤ l_k, ride_r ≤ L,
    duration ≤ T  (HiGHS via SciPy). Any feasible timing is acceptable to Cordeau's checker;
    minimising duration and ride time just gives the rider-friendly one.
    """
    t = instance.travel_time_matrix() if travel is None else travel
    nodes = instance.nodes
    n = instance.n_requests
    m = len(route)
    if m <= 2:
        return [nodes[route[0]].earliest, nodes[route[0]].earliest][:m]
    pos = {node: k for k, node in enumerate(route)}
    rows, rhs = [], []

    def row(coefs: dict[int, float], bound: float) -> None:
        r = np.zeros(m)
        for k, c in coefs.items():
            r[k] += c
        rows.append(r)
        rhs.append(bound)

    for k in range(m - 1):  # B_k - B_{k+1} <= -(s + t)
        a, b = route[k], route[k + 1]
        row({k: 1.0, k + 1: -1.0}, -(nodes[a].service_min + t[a, b]))
    c = np.zeros(m)
    c[-1] += 1.0
    c[0] -= 1.0
    for node, k in pos.items():
        if 1 <= node <= n and (n + node) in pos:
            kd = pos[n + node]
            row({kd: 1.0, k: -1.0}, instance.max_ride_time + nodes[node].service_min)
            c[kd] += 0.01
            c[k] -= 0.01
    vehicle_t = max(v.max_route_duration for v in instance.vehicles) if max_duration is None else max_duration
    row({m - 1: 1.0, 0: -1.0}, vehicle_t)
    bounds = [(nodes[node].earliest, nodes[node].latest) for node in route]
    res = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    if res.status != 0:
        return None
    return [float(v) for v in res.x]


_FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy
_METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic
_FALLBACK_FIRST = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_COST_INSERTION")


class _RoutingModel:
    """The OR-Tools routing model of a DARP instance (see module docstring)."""

    def __init__(self, instance, e, lt, svc, cost_int, transit_int, horizon, scale, bad_arcs, drop_penalty):
        n = instance.n_requests
        end = 2 * n + 1
        k_veh = instance.n_vehicles
        self.n, self.end, self.scale = n, end, scale
        self.manager = manager = pywrapcp.RoutingIndexManager(2 * n + 2, k_veh, [0] * k_veh, [end] * k_veh)
        self.routing = routing = pywrapcp.RoutingModel(manager)
        solver = routing.solver()
        cost_cb = routing.RegisterTransitMatrix(cost_int.tolist())
        routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
        load_cb = routing.RegisterUnaryTransitVector([int(nd.load) for nd in instance.nodes])
        routing.AddDimensionWithVehicleCapacity(load_cb, 0, [int(v.capacity) for v in instance.vehicles], True, "Load")
        time_cb = routing.RegisterTransitMatrix(transit_int.tolist())
        routing.AddDimension(time_cb, horizon, horizon, False, "Time")
        self.tdim = tdim = routing.GetDimensionOrDie("Time")

        def window(node: int) -> tuple[int, int]:
            return int(math.ceil(e[node] * scale - 1e-9)), int(math.floor(lt[node] * scale + 1e-9))

        for node in range(1, end):
            lo, hi = window(node)
            tdim.CumulVar(manager.NodeToIndex(node)).SetRange(lo, hi)
        for v, veh in enumerate(instance.vehicles):
            lo, hi = window(0)
            tdim.CumulVar(routing.Start(v)).SetRange(lo, hi)
            lo, hi = window(end)
            tdim.CumulVar(routing.End(v)).SetRange(lo, hi)
            tdim.SetSpanUpperBoundForVehicle(int(math.floor(veh.max_route_duration * scale + 1e-9)), v)
            # Prefer late departures / early returns in the solver's own schedule.
            routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))
            routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))

        ride_cap = int(math.floor(instance.max_ride_time * scale + 1e-9))
        self._keepalive = []  # Python callbacks must outlive the search
        for pair, i in enumerate(range(1, n + 1)):
            pi, di = manager.NodeToIndex(i), manager.NodeToIndex(n + i)
            routing.AddPickupAndDelivery(pi, di)
            s_pick = int(round(svc[i] * scale))
            # The ride-time bound is also declared to the dimension, so the insertion and
            # local-search filters see it (a bare solver.Add is only checked at commit
            # time, which makes every first-solution heuristic fail on Cordeau's L = 30).
            limit = ride_cap + s_pick
            self._keepalive.append(lambda _p, _d, limit=limit: limit)
            tdim.SetPickupToDeliveryLimitFunctionForPair(self._keepalive[-1], pair)
            solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
            solver.Add(tdim.CumulVar(pi) <= tdim.CumulVar(di))
            solver.Add(tdim.CumulVar(di) - tdim.CumulVar(pi) - s_pick <= ride_cap)

        if drop_penalty is not None:
            pen = int(drop_penalty * scale)
            for node in range(1, end):
                routing.AddDisjunction([manager.NodeToIndex(node)], pen)

        for u in range(1, end):
            iu = manager.NodeToIndex(u)
            for v in (np.flatnonzero(bad_arcs[u, 1:end]) + 1).tolist():
                if v != u:  # Next(u) == u means "unserved" when requests are droppable
                    routing.NextVar(iu).RemoveValue(manager.NodeToIndex(int(v)))
        for veh in range(k_veh):
            for v in (np.flatnonzero(bad_arcs[0, 1:end]) + 1).tolist():
                routing.NextVar(routing.Start(veh)).RemoveValue(manager.NodeToIndex(int(v)))

    def full_routes(self, assignment) -> list[list[int]]:
        """Node ids of every vehicle's route, depots included."""
        out = []
        for v in range(self.routing.vehicles()):
            idx = self.routing.Start(v)
            route = [self.manager.IndexToNode(idx)]
            while not self.routing.IsEnd(idx):
                idx = assignment.Value(self.routing.NextVar(idx))
                route.append(self.manager.IndexToNode(idx))
            out.append(route)
        return out

    def routes(self, assignment) -> list[list[int]]:
        """Routes without depots (the format of ``ReadAssignmentFromRoutes``)."""
        return [r[1:-1] for r in self.full_routes(assignment)]

    def times(self, assignment, vehicle: int) -> list[float]:
        """The solver's own service-start times (minutes) along one vehicle's route."""
        idx = self.routing.Start(vehicle)
        out = [assignment.Value(self.tdim.CumulVar(idx)) / self.scale]
        while not self.routing.IsEnd(idx):
            idx = assignment.Value(self.routing.NextVar(idx))
            out.append(assignment.Value(self.tdim.CumulVar(idx)) / self.scale)
        return out


def solve_darp(
    instance: DarpInstance,
    time_limit_s: float = 10.0,
    scale: int = 1000,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    log_search: bool = False,
    drop_penalty: float | None = 1000.0,
    extra_operators: tuple[str, ...] = (),
) -> DarpSolution:
    """Solve a static DARP instance; returns routes in Cordeau numbering with exact times.

    Args:
        instance: the problem (times in minutes, distance/speed = travel minutes).
        time_limit_s: wall-clock limit of the OR-Tools search (seconds).
        scale: integer scaling of minutes and distances for the solver.
        first_solution: name of an OR-Tools ``FirstSolutionStrategy``.
        metaheuristic: name of an OR-Tools ``LocalSearchMetaheuristic``.
        log_search: print OR-Tools search log.
        drop_penalty: penalty (distance units) per unserved node, or None to forbid
            dropping (then the first-solution heuristic may fail outright).
        extra_operators: names of OR-Tools local-search operators to switch on
            (``RoutingSearchParameters.local_search_operators``).

    Returns:
        :class:`DarpSolution`; ``status`` is ``"solved"``, ``"partial"`` (some requests
        unserved, only with ``drop_penalty``) or ``"no_solution"`` (routes empty, cost NaN).
        Cost = float sum of Euclidean arc lengths.
    """
    t0 = _time.perf_counter()
    n = instance.n_requests
    nodes = instance.nodes
    dist = instance.distance_matrix()
    travel = dist / instance.travel_speed
    e, lt = tighten_windows(instance, travel)
    if np.any(e > lt + 1e-9):
        return DarpSolution(instance.name, [], [], math.nan, _time.perf_counter() - t0, "infeasible_windows")

    svc = np.array([nd.service_min for nd in nodes])
    cost_int = np.rint(dist * scale).astype(np.int64)
    # Travel rounded up so the integer schedule stays feasible with exact floats.
    transit_int = np.ceil((svc[:, None] + travel) * scale - 1e-9).astype(np.int64)
    horizon = int(math.ceil(max(lt.max(), max(v.max_route_duration for v in instance.vehicles)) * scale)) + 1

    bad_arcs = infeasible_arcs(instance, e, lt, travel)
    build = dict(instance=instance, e=e, lt=lt, svc=svc, cost_int=cost_int, transit_int=transit_int,
                 horizon=horizon, scale=scale, bad_arcs=bad_arcs)

    m1 = _RoutingModel(**build, drop_penalty=drop_penalty)
    start, start_unserved = _first_solution(m1, first_solution, n, time_limit_s, t0)

    # Phase 2: guided local search from the start. When every request is served, search
    # a model WITHOUT the drop option (GLS's arc penalties otherwise make dropping look
    # attractive and waste moves); else continue in the droppable model.
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(_FIRST_SOLUTION, first_solution)
    params.local_search_metaheuristic = getattr(_METAHEURISTIC, metaheuristic)
    params.log_search = log_search
    for op in extra_operators:
        setattr(params.local_search_operators, op, 2)  # BOOL_TRUE
    model = m1
    initial = None
    if start is not None and start_unserved == 0:
        m2 = _RoutingModel(**build, drop_penalty=None)
        initial = m2.routing.ReadAssignmentFromRoutes(start, True)
        if initial is not None:
            model = m2
    if initial is None and start is not None:
        initial = m1.routing.ReadAssignmentFromRoutes(start, True)
    remaining = max(0.05, time_limit_s - (_time.perf_counter() - t0))
    params.time_limit.FromMilliseconds(max(1, int(remaining * 1000)))
    if initial is not None:
        assignment = model.routing.SolveFromAssignmentWithParameters(initial, params)
    else:
        assignment = model.routing.SolveWithParameters(params)
    if assignment is None:
        return DarpSolution(instance.name, [], [], math.nan, _time.perf_counter() - t0, "no_solution")

    routes, times = _routes_with_times(instance, model, assignment, travel)
    cost = float(sum(dist[a, b] for r in routes for a, b in pairwise(r)))
    served = sum(len(r) - 2 for r in routes)
    status = "solved" if served == 2 * n else "partial"
    return DarpSolution(instance.name, routes, times, cost, _time.perf_counter() - t0, status)


def _first_solution(m1: _RoutingModel, first_solution: str, n: int, time_limit_s: float,
                    t0: float) -> tuple[list[list[int]] | None, int | None]:
    """Phase 1 (model with droppable requests, so a start always exists): first solutions
    from a small portfolio of insertion heuristics, the preferred one first; keep the
    first that serves every request, else the one serving most. Returns (routes, nodes unserved)."""
    strategies = [first_solution] + [x for x in _FALLBACK_FIRST if x != first_solution]
    start, start_unserved = None, None
    for name in strategies:
        fs_params = pywrapcp.DefaultRoutingSearchParameters()
        fs_params.first_solution_strategy = getattr(_FIRST_SOLUTION, name)
        fs_params.solution_limit = 1
        remaining = time_limit_s - (_time.perf_counter() - t0)
        fs_params.time_limit.FromMilliseconds(max(1, int(remaining * 500)))
        candidate = m1.routing.SolveWithParameters(fs_params)
        if candidate is None:
            continue
        routes_c = m1.routes(candidate)
        missing = 2 * n - sum(len(r) for r in routes_c)
        if start_unserved is None or missing < start_unserved:
            start, start_unserved = routes_c, missing
        if missing == 0:
            break
    return start, start_unserved


def _routes_with_times(instance: DarpInstance, model: _RoutingModel, assignment: Any,
                       travel: np.ndarray) -> tuple[list[list[int]], list[list[float]]]:
    """Routes of a solution in Cordeau numbering with exact service starts (LP re-timing,
    else the solver's integer times)."""
    routes: list[list[int]] = []
    times: list[list[float]] = []
    for route in model.full_routes(assignment):
        if len(route) == 2:
            solver_times = [0.0, 0.0]
        else:
            own_t = instance.vehicles[len(routes)].max_route_duration
            solver_times = schedule_route(instance, route, travel, own_t) or model.times(assignment, len(routes))
        routes.append(route)
        times.append(solver_times)
    return routes, times


DEFAULT_PORTFOLIO: tuple[dict, ...] = (
    {"first_solution": "PARALLEL_CHEAPEST_INSERTION", "metaheuristic": "GUIDED_LOCAL_SEARCH"},
    {"first_solution": "LOCAL_CHEAPEST_INSERTION", "metaheuristic": "TABU_SEARCH"},
)


def _solve_config(instance: DarpInstance, time_limit_s: float, config: dict) -> DarpSolution:
    return solve_darp(instance, time_limit_s=time_limit_s, **config)


def solve_darp_portfolio(
    instance: DarpInstance,
    time_limit_s: float = 10.0,
    configs: tuple[dict, ...] = DEFAULT_PORTFOLIO,
    workers: int = 2,
) -> DarpSolution:
    """Run several :func:`solve_darp` configurations in parallel processes; keep the best.

    The searches are independent (different first solutions and metaheuristics), so on
    ``workers`` cores they diversify the search at the same wall-clock time. With
    ``workers <= 1`` the configurations run one after another, each with the full limit.
    ``seconds`` of the result is the wall-clock time of the whole portfolio.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_all_start_methods, get_context

    t0 = _time.perf_counter()
    if workers <= 1 or len(configs) == 1:
        results = [_solve_config(instance, time_limit_s, c) for c in configs]
    else:
        # fork (where available) avoids re-importing NumPy/SciPy/OR-Tools in each worker,
        # which costs seconds on a loaded machine; no solver threads exist at this point.
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=min(workers, len(configs)), mp_context=get_context(method)) as pool:
            futures = [pool.submit(_solve_config, instance, time_limit_s, c) for c in configs]
            results = [f.result() for f in futures]
    rank = {"solved": 0, "partial": 1}
    best = min(results, key=lambda s: (rank.get(s.status, 2), s.cost if s.cost == s.cost else math.inf))
    best.seconds = _time.perf_counter() - t0
    return best
