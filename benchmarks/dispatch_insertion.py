"""Benchmark: per-request insertion decision time of the online dispatcher (6 vehicles).

Generates one synthetic service day (9:00–17:00) of ride requests in four zones of a
4 km × 3 km area (EPSG:6670 metres, origin at an arbitrary point), replays it with
cheapest feasible insertion under the three repositioning policies, and writes
``benchmarks/results/dispatch_insertion.json`` (decision time mean/p95/max in ms, KPIs per
policy, machine). Target: decision ≤ 50 ms per request at 6 vehicles.

    .venv/bin/python benchmarks/dispatch_insertion.py --requests-per-hour 30
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from kogadx.io import write_json
from kogadx.mobility.params import DispatchRules
from kogadx.mobility.simulation import (
    Fleet,
    check_dispatch,
    simulate_dispatch,
)
from kogadx.rng import stream_rng
from kogadx.synth.requests import generate_synthetic_requests

ROOT = Path(__file__).resolve().parents[1]
app = typer.Typer(add_completion=False)


@app.command()
def main(
    seed: int = typer.Option(20240301, help="乱数シード"),
    n_vehicles: int = typer.Option(6, help="車両数"),
    requests_per_hour: float = typer.Option(30.0, help="1 時間あたりの平均依頼数 (全ゾーン計)"),
    out: Path = typer.Option(ROOT / "benchmarks" / "results" / "dispatch_insertion.json", help="結果 JSON"),
) -> None:
    """合成した 1 日分の依頼を逐次挿入し、1 件あたりの判定時間と KPI を測ります。"""
    rng = stream_rng(seed, "dispatch_benchmark")
    zones = pd.DataFrame({"zone": ["Z1", "Z2", "Z3", "Z4"], "x": [0.0, 2500.0, 500.0, 3500.0],
                          "y": [0.0, 500.0, 2500.0, 2800.0]})
    day = pd.Timestamp("2024-03-01")
    hours = pd.date_range(day + pd.Timedelta(hours=8), day + pd.Timedelta(hours=16), freq="h")
    # True intensity λ: zone weights change over the day (morning: Z1/Z2, afternoon: Z3/Z4).
    tod = (hours.hour.to_numpy() - 8) / 8.0
    weights = np.column_stack([1.2 - tod, 1.0 - 0.5 * tod, 0.3 + tod, 0.2 + 1.2 * tod])
    lam = requests_per_hour * weights / weights.sum(axis=1, keepdims=True)
    truth = pd.DataFrame({"zone": np.tile(zones["zone"], len(hours)), "hour": np.repeat(hours, 4),
                          "expected": lam.ravel()})
    truth = truth[(truth["hour"] >= day + pd.Timedelta(hours=9)) & (truth["hour"] < day + pd.Timedelta(hours=17))]
    requests = generate_synthetic_requests(rng, truth, zones)
    # A "forecast": the truth with multiplicative noise (σ = 0.3 in log space).
    forecast = truth.assign(expected=truth["expected"] * np.exp(rng.normal(0, 0.3, len(truth))))
    fleet = Fleet(n_vehicles, depot_x=1500.0, depot_y=1500.0, capacity=8)
    rules = DispatchRules()
    results = {}
    for policy, demand in (("none", None), ("forecast", forecast), ("oracle", truth)):
        res = simulate_dispatch(requests, fleet, rules, policy=policy, zone_demand=demand,
                                zone_centroids=zones if demand is not None else None)
        ms = res.decision_ms[~np.isnan(res.decision_ms)]
        cpu = res.decision_cpu_ms[~np.isnan(res.decision_cpu_ms)]
        results[policy] = {
            "decision_ms_mean": round(float(ms.mean()), 3),
            "decision_ms_p95": round(float(np.percentile(ms, 95)), 3),
            "decision_ms_max": round(float(ms.max()), 3),
            "decision_cpu_ms_mean": round(float(cpu.mean()), 3),
            "decision_cpu_ms_p95": round(float(np.percentile(cpu, 95)), 3),
            "decision_cpu_ms_max": round(float(cpu.max()), 3),
            "violations": len(check_dispatch(res, fleet, rules)),
            "kpis": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.kpis.items()},
        }
        typer.echo(f"{policy}: 判定 平均 {ms.mean():.2f} ms / p95 {np.percentile(ms, 95):.2f} ms / 最大 "
                   f"{ms.max():.2f} ms (CPU 最大 {cpu.max():.2f} ms)、乗車率 {res.kpis['served_rate']:.3f}、"
                   f"平均待ち {res.kpis['wait_mean_min']:.2f} 分")
    write_json({
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "python": platform.python_version(), "note": "2 コアを他の作業と共有して計測"},
        "n_requests": int(len(requests)),
        "n_vehicles": n_vehicles,
        "requests_per_hour": requests_per_hour,
        "seed": seed,
        "target_ms": 50,
        "policies": results,
    }, out)


if __name__ == "__main__":
    app()
