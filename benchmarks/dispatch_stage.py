"""Benchmark: wall-clock time of the dispatch stage at default scale (budget 90 s on 2 cores).

Reads the stage's inputs from the pipeline outputs (run ``dvc repro features forecast`` first)
and times :func:`kogadx.mobility.stage.run_dispatch` with params.yaml, then each part alone
(scenarios, grid, frontier, replications) so that the slow part is visible. Writes
``benchmarks/results/dispatch_stage.json`` with the machine and its load average at the
start (the machine is shared: a high load makes every figure slower) and the CPU time of the
whole run (this process and its worker processes), which a busy machine does not inflate as
much as the wall clock, with the CPU seconds per simulation.

    .venv/bin/python benchmarks/dispatch_stage.py
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import typer

from kogadx.io import read_geoparquet, read_parquet, write_json
from kogadx.mobility.params import DispatchStageParams
from kogadx.mobility.replications import run_reopt_comparison, run_replications
from kogadx.mobility.stage import DispatchInputs, prepare_dispatch, run_dispatch, run_scenarios
from kogadx.mobility.whatif import run_frontier, run_grid
from kogadx.params import load_params

ROOT = Path(__file__).resolve().parents[1]


def _reopt_runs(d: object) -> int:
    """Simulations of the re-optimisation comparison (insertion and re-optimisation per replication)."""
    reopt = getattr(d, "reopt", None)
    return 2 * (reopt.replications + 1) if reopt is not None and reopt.interval_min > 0 else 0


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished child processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
app = typer.Typer(add_completion=False)


@app.command()
def main(parts: bool = typer.Option(True, help="部分ごとの時間も測る")) -> None:
    load = os.getloadavg()
    params = load_params(DispatchStageParams)
    d = params.dispatch
    data = ROOT / "data"
    inputs = DispatchInputs(
        rides=read_parquet(data / "pseudonymized/ride_requests.parquet"),
        stops=read_parquet(data / "pseudonymized/stops.parquet"),
        towns=read_geoparquet(data / "pseudonymized/towns.parquet"),
        forecast=read_parquet(data / "features/demand_forecast.parquet"),
        truth=read_parquet(data / "truth/demand_intensity.parquet"),
        panel=read_parquet(data / "features/demand_panel.parquet"))
    cpu0 = _cpu()
    tic = time.perf_counter()
    run_dispatch(inputs, params)
    total = time.perf_counter() - tic
    cpu = _cpu() - cpu0
    seconds: dict[str, float] = {"run_dispatch": round(total, 1), "run_dispatch_cpu": round(cpu, 1)}
    if parts:
        tic = time.perf_counter()
        setup = prepare_dispatch(inputs, params)
        seconds["prepare"] = round(time.perf_counter() - tic, 1)
        tic = time.perf_counter()
        results = run_scenarios(setup, d)
        seconds["scenarios"] = round(time.perf_counter() - tic, 1)
        tic = time.perf_counter()
        run_grid(setup.service, setup.replay.requests, d.grid.fleet_sizes, d.grid.demand_factors, d.grid.policy,
                 d.seed, d.workers)
        seconds["grid"] = round(time.perf_counter() - tic, 1)
        if setup.demand.table is not None:
            tic = time.perf_counter()
            run_frontier(setup.service, setup.replay.requests, setup.demand.table, d.frontier.move_weights,
                         d.frontier.policy, d.workers, results.default.get("none"))
            seconds["frontier"] = round(time.perf_counter() - tic, 1)
        if setup.demand.oracle is not None and d.replications.n > 0:
            tic = time.perf_counter()
            run_replications(setup.replay, setup.service, setup.demand, d.replications, d.seed, d.workers)
            seconds["replications"] = round(time.perf_counter() - tic, 1)
        if d.reopt.interval_min > 0:
            tic = time.perf_counter()
            run_reopt_comparison(setup.replay, setup.service, setup.demand.oracle, d.reopt, d.seed, d.workers)
            seconds["reopt"] = round(time.perf_counter() - tic, 1)
    # the grid reuses the scenario runs of its policy at demand 1.0 and the frontier its default point
    reused_grid = (len(set(d.grid.fleet_sizes) & set(d.scenarios.fleet_sizes))
                   if 1.0 in d.grid.demand_factors and 1.0 in d.scenarios.demand_factors
                   and d.grid.policy in d.scenarios.policies else 0)
    reused_frontier = int(d.rules.move_weight in d.frontier.move_weights and d.frontier.policy in d.scenarios.policies)
    n_sims = {"scenarios": len(d.scenarios.fleet_sizes) * len(d.scenarios.demand_factors) * len(d.scenarios.policies),
              "grid": len(d.grid.fleet_sizes) * len(d.grid.demand_factors) - reused_grid,
              "frontier": len(d.frontier.move_weights) - reused_frontier,
              "replications": d.replications.n * len(d.replications.policies),
              "reopt": _reopt_runs(d)}
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    "loadavg_at_start": [round(x, 2) for x in load]},
        "workers": d.workers, "seconds": seconds, "budget_s": 90.0, "within_budget": total <= 90.0,
        "n_simulations": n_sims,
        "cpu_s_per_simulation": round(cpu / max(1, sum(n_sims.values())), 2),
    }
    write_json(result, ROOT / "benchmarks/results/dispatch_stage.json")
    typer.echo(result)


if __name__ == "__main__":
    app()
