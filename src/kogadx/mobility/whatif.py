"""What-if runs for staff: the fleet × demand grid and the repositioning frontier.

* **Grid** (:func:`run_grid`): served rate and waits for every fleet size × demand factor
  with the operator's policy (``dispatch.grid``). Demand ×f is
  :func:`kogadx.mobility.simulation.scale_demand` seeded from ``seed`` and f (the same
  draws as the scenario table), so the grid shows where service degrades (served < 95 %).
* **Frontier** (:func:`run_frontier`): the repositioning rule at each ``move_weight`` —
  mean wait against empty km, the trade-off the weight sets.

Runs are independent simulations, spread over ``workers`` processes; every run is
deterministic, so the results do not depend on the number of workers.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import pandas as pd

from kogadx.mobility.inputs import Service
from kogadx.mobility.simulation import DispatchResult, scale_demand
from kogadx.progress import steps
from kogadx.rng import stream_rng

T = TypeVar("T")
R = TypeVar("R")

GRID_KPIS = ("served_rate", "rejection_rate", "decline_rate", "wait_mean_min", "wait_p95_min",
             "ride_now_wait_mean_min", "ride_now_wait_p95_min", "reservation_wait_mean_min", "vehicle_km",
             "empty_km", "empty_km_share", "rides_per_vehicle_revenue_hour", "rides_per_vehicle_hour",
             "n_requests")


def parallel_map(fn: Callable[[T], R], jobs: Sequence[T], workers: int, desc: str = "配車シミュレーション") -> list[R]:
    """``[fn(j) for j in jobs]`` in ``workers`` forked processes (in order; 1 = in this process),
    with progress as ``desc`` (results in order, so the count moves as they come back)."""
    if workers <= 1 or len(jobs) <= 1:
        return [fn(j) for j in steps(jobs, desc=desc, unit="回")]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(steps(pool.map(fn, jobs), desc=desc, total=len(jobs), unit="回"))


def scaled_requests(requests: pd.DataFrame, factor: float, seed: int) -> pd.DataFrame:
    """The replay set at demand ×``factor`` (the scenario table's draws)."""
    return requests if factor == 1.0 else scale_demand(requests, factor, stream_rng(seed, f"demand_x{factor:g}"))


def _kpis(result: DispatchResult) -> dict[str, Any]:
    return {k: result.kpis.get(k) for k in GRID_KPIS}


@dataclasses.dataclass(frozen=True)
class _GridJob:
    service: Service
    requests: pd.DataFrame
    n_vehicles: int
    factor: float
    policy: str
    seed: int

    def __call__(self) -> dict[str, Any]:
        fleet = dataclasses.replace(self.service.fleet, n_vehicles=self.n_vehicles)
        res = self.service.simulate(scaled_requests(self.requests, self.factor, self.seed), self.policy,
                                    fleet=fleet)
        return {"n_vehicles": self.n_vehicles, "demand_factor": self.factor, **_kpis(res)}


def _call(job: Callable[[], R]) -> R:
    return job()


def run_grid(service: Service, requests: pd.DataFrame, fleet_sizes: Sequence[int], factors: Sequence[float],
             policy: str, seed: int, workers: int,
             known: dict[tuple[int, float], dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One row per fleet size × demand factor (:data:`GRID_KPIS`). ``known``: KPIs of cells
    already simulated with the same service, policy and draws (the scenario table's), not run again."""
    known = known or {}
    cells = [(int(n), float(f)) for f in factors for n in fleet_sizes]
    jobs = [_GridJob(service, requests, n, f, policy, seed) for n, f in cells if (n, f) not in known]
    done = iter(parallel_map(_call, jobs, workers, "配車: 台数×需要の表"))
    return [{"n_vehicles": n, "demand_factor": f, **{k: known[(n, f)].get(k) for k in GRID_KPIS}}
            if (n, f) in known else next(done) for n, f in cells]


@dataclasses.dataclass(frozen=True)
class _FrontierJob:
    service: Service
    requests: pd.DataFrame
    demand: pd.DataFrame
    move_weight: float
    policy: str

    def __call__(self) -> dict[str, Any]:
        rules = dataclasses.replace(self.service.rules, move_weight=self.move_weight)
        res = dataclasses.replace(self.service, rules=rules).simulate(self.requests, self.policy, self.demand)
        return {"move_weight": self.move_weight, **_kpis(res)}


def run_frontier(service: Service, requests: pd.DataFrame, demand: pd.DataFrame, move_weights: Sequence[float],
                 policy: str, workers: int, baseline: DispatchResult | None = None,
                 at_default: DispatchResult | None = None) -> dict[str, Any]:
    """Wait against empty km over ``move_weight`` for the repositioning ``policy`` (and
    the no-repositioning point for reference). ``at_default``: the policy's run with the
    service's own ``move_weight`` (the scenario table's), reused for that point."""
    weights = [float(w) for w in move_weights]
    reuse = at_default is not None and service.rules.move_weight in weights
    jobs = [_FrontierJob(service, requests, demand, w, policy) for w in weights
            if not (reuse and w == service.rules.move_weight)]
    done = iter(parallel_map(_call, jobs, workers, "配車: 待ち時間と空車距離の関係"))
    rows = [{"move_weight": w, **_kpis(at_default)} if reuse and at_default is not None
            and w == service.rules.move_weight else next(done) for w in weights]
    base = baseline if baseline is not None else service.simulate(requests, "none")
    return {"policy": policy, "points": rows, "none": _kpis(base)}



@dataclasses.dataclass(frozen=True)
class _ScenarioJob:
    service: Service
    requests: pd.DataFrame
    n_vehicles: int
    factor: float
    policy: str
    demand: pd.DataFrame | None
    seed: int

    def __call__(self) -> tuple[int, float, str, DispatchResult]:
        fleet = dataclasses.replace(self.service.fleet, n_vehicles=self.n_vehicles)
        demand = None if self.demand is None else self.demand.assign(expected=self.demand["expected"] * self.factor)
        res = self.service.simulate(scaled_requests(self.requests, self.factor, self.seed), self.policy, demand,
                                    fleet=fleet)
        return self.n_vehicles, self.factor, self.policy, res


def run_fleet_scenarios(service: Service, requests: pd.DataFrame, fleet_sizes: Sequence[int],
                        factors: Sequence[float], policies: Sequence[str], demand: dict[str, pd.DataFrame | None],
                        seed: int, workers: int) -> list[tuple[int, float, str, DispatchResult]]:
    """Every demand factor × fleet size × policy (the forecast / oracle policies get their
    expected demand scaled by the factor), in that order: (size, factor, policy, result)."""
    jobs = [_ScenarioJob(service, requests, int(n), float(f), p, demand.get(p), seed)
            for f in factors for n in fleet_sizes for p in policies]
    return parallel_map(_call, jobs, workers, "配車: シナリオ")
