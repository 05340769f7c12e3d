"""Rolling re-optimisation: re-solve the open requests of the vans as a dial-a-ride problem.

Every ``dispatch.reopt.interval_min`` minutes the simulator
(:meth:`kogadx.mobility.simulation._Day.reoptimise`) hands the vans' current plans to
:func:`resolve_open`: every stop not yet served, with the promises already made (pick-up
window of each booking, ride-time limit, capacity), riders on board fixed to their van and a
van already on its way to its next stop kept on that leg. Requests not yet picked up may move
to another van or another position.

The model is the project's DARP model (:mod:`kogadx.mobility.darp`) with the changes a
running service needs: each van starts where it is, when it is free, with its riders on
board (OR-Tools routing with one start node per van and an open end), and the objective is
the simulator's own insertion cost, driving minutes + ``wait_weight`` × rider wait (the
wait as a soft upper bound at each desired time). Same integer conventions as the static
solver: travel rounded up, windows rounded inwards, so every integer schedule is also
feasible with exact times. The search starts from the current plans (so it can only keep or
improve them in the model) and runs a greedy local search to its local optimum: no time
limit decides the result, so it is deterministic on any machine (``time_limit_s`` is a
safety stop only). The simulator re-checks the answer with its own exact schedule and adopts
it only when every promise holds and the cost falls.

The solver may hold a van back before a pick-up (slack) so that a rider picked up earlier is not
left on board too long; the simulator's plans have no such slack (a van leaves at once and waits
only at a stop it reaches early). So where the plan as it stands would break a promise, the
solver's pick-up times become the pick-ups' earliest starts (:meth:`kogadx.mobility.simulation.
_Day.reoptimise`): the van then waits at the pick-up as the solver planned, and every promise the
solver kept holds with the exact times too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

# Integer units: minutes × SCALE for times; costs × COST_SCALE so that wait_weight (e.g. 0.5)
# is an integer coefficient of the scaled wait.
SCALE = 1000
COST_SCALE = 10


@dataclass(frozen=True)
class OpenProblem:
    """The open stops at re-optimisation time (minutes of the service day).

    Vans ``0..V-1``: ``base`` (when each is free at its anchor), ``load`` (on board),
    ``first`` (stop index it is already heading for, -1 = none). Stops ``0..S-1``:
    ``earliest`` / ``latest`` (start of service), ``pax`` (+ boarding, − alighting),
    ``pair`` (the drop-off of a pick-up, -1 otherwise), ``max_ride`` (of a pick-up),
    ``desired`` (of a pick-up: its wait counts from here), ``van`` (van a stop must stay on,
    -1 = free). ``travel``: minutes between the V anchors then the S stops, (V+S)².
    ``routes``: the current plans (stop indices per van), the start of the search.
    """

    base: np.ndarray
    load: np.ndarray
    first: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    pax: np.ndarray
    pair: np.ndarray
    max_ride: np.ndarray
    desired: np.ndarray
    van: np.ndarray
    travel: np.ndarray
    routes: list[list[int]]
    capacity: int
    dwell: float
    wait_weight: float
    service: np.ndarray | None = None  # minutes at each stop (a driver's break is longer); None = dwell


@dataclass(frozen=True)
class Resolution:
    """The re-solve's answer: ``routes`` (stop indices per van) and ``start`` (minutes, per stop):
    the start of service at each stop in the solver's schedule, which keeps every promise."""

    routes: list[list[int]]
    start: np.ndarray


def resolve_open(problem: OpenProblem, time_limit_s: float = 5.0) -> Resolution | None:
    """New plans for the open stops with their schedule, or None when the solver finds none."""
    v_n, s_n = len(problem.base), len(problem.earliest)
    end = v_n + s_n  # one shared open end: arriving there costs and takes nothing
    manager = pywrapcp.RoutingIndexManager(v_n + s_n + 1, v_n, list(range(v_n)), [end] * v_n)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    travel = np.zeros((v_n + s_n + 1, v_n + s_n + 1))
    travel[:end, :end] = problem.travel
    travel[:, end] = 0.0
    svc = np.r_[np.zeros(v_n), np.full(s_n, problem.dwell) if problem.service is None else problem.service, 0.0]
    transit = np.ceil((svc[:, None] + travel) * SCALE - 1e-9).astype(np.int64)
    transit[:, end] = 0
    cost = np.rint(travel * SCALE * COST_SCALE).astype(np.int64)
    # the drive to a driver's break (pax 0) is not in the simulator's cost either (see simulation._schedule)
    cost[:, v_n + np.flatnonzero(np.asarray(problem.pax) == 0)] = 0
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
    horizon = int(math.ceil((float(np.max(problem.base)) + 24 * 60) * SCALE))
    tdim_cb = routing.RegisterTransitMatrix(transit.tolist())
    routing.AddDimension(tdim_cb, horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    load_cb = routing.RegisterUnaryTransitVector([0] * v_n + [int(p) for p in problem.pax] + [0])
    routing.AddDimensionWithVehicleCapacity(load_cb, 0, [int(problem.capacity)] * v_n, False, "Load")
    ldim = routing.GetDimensionOrDie("Load")
    for v in range(v_n):
        # a van leaves its anchor no earlier than it is free (rounded up: feasible with floats)
        tdim.CumulVar(routing.Start(v)).SetRange(int(math.ceil(problem.base[v] * SCALE - 1e-9)), horizon)
        ldim.CumulVar(routing.Start(v)).SetValue(int(problem.load[v]))
    wait_coef = int(round(problem.wait_weight * COST_SCALE))
    dwell_int = int(round(problem.dwell * SCALE))
    keep = []  # Python callbacks must outlive the search
    n_pairs = 0
    for s in range(s_n):
        idx = manager.NodeToIndex(v_n + s)
        lo = int(math.ceil(problem.earliest[s] * SCALE - 1e-9))
        hi = horizon if math.isinf(problem.latest[s]) else int(math.floor(problem.latest[s] * SCALE + 1e-9))
        if lo > hi:
            return None
        tdim.CumulVar(idx).SetRange(lo, hi)
        if problem.van[s] >= 0:
            routing.VehicleVar(idx).SetValue(int(problem.van[s]))
        if problem.pax[s] == 0:
            # a driver's break: nobody on board (riders already aboard have no pair to bound their ride)
            ldim.CumulVar(idx).SetValue(0)
        if problem.pax[s] > 0 and wait_coef > 0:
            # the wait term of the simulator's cost: wait_weight × (start − desired), start ≥ desired
            tdim.SetCumulVarSoftUpperBound(idx, int(math.ceil(problem.desired[s] * SCALE - 1e-9)), wait_coef)
        if problem.pair[s] >= 0:
            d_idx = manager.NodeToIndex(v_n + int(problem.pair[s]))
            routing.AddPickupAndDelivery(idx, d_idx)
            limit = int(math.floor(problem.max_ride[s] * SCALE + 1e-9)) + dwell_int
            keep.append(lambda _p, _d, limit=limit: limit)
            tdim.SetPickupToDeliveryLimitFunctionForPair(keep[-1], n_pairs)
            n_pairs += 1
            solver.Add(routing.VehicleVar(idx) == routing.VehicleVar(d_idx))
            solver.Add(tdim.CumulVar(idx) <= tdim.CumulVar(d_idx))
            solver.Add(tdim.CumulVar(d_idx) - tdim.CumulVar(idx) - dwell_int <= limit - dwell_int)
    for v in range(v_n):
        if problem.first[v] >= 0:
            routing.NextVar(routing.Start(v)).SetValue(manager.NodeToIndex(v_n + int(problem.first[v])))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    start = routing.ReadAssignmentFromRoutes([[manager.NodeToIndex(v_n + s) for s in r] for r in problem.routes],
                                             True)
    assignment = (routing.SolveFromAssignmentWithParameters(start, params) if start is not None
                  else routing.SolveWithParameters(params))
    if assignment is None:
        return None
    out = []
    start = np.full(s_n, np.nan)
    for v in range(v_n):
        idx = assignment.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(idx):
            route.append(manager.IndexToNode(idx) - v_n)
            # integer times are never earlier than the exact ones (travel rounded up)
            start[route[-1]] = assignment.Min(tdim.CumulVar(idx)) / SCALE
            idx = assignment.Value(routing.NextVar(idx))
        out.append(route)
    return Resolution(out, start)
