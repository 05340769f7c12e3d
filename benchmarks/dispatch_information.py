"""Benchmark: how much does knowing demand help idle-van repositioning? (value of information)

Reads the pipeline's outputs (run ``make run`` first): the pseudonymized ride log and stops,
the demand panel and the true intensity λ of synthetic Koga (``data/truth``, secure zone;
only aggregated waits leave this script). With the dispatch stage's own setup
(``kogadx.mobility.stage.prepare_dispatch``, params.yaml ``dispatch``), it draws ``--reps``
fresh realisations of the replay period from λ and replays each at the default fleet with
the same repositioning rule fed different demand estimates:

* ``oracle`` — the true λ; ``forecast`` — the backtest LightGBM forecast the stage uses;
  ``history`` — the 4-week same-hour average;
* ``oracle_noise_<σ>`` — λ × lognormal noise (mean-preserving, σ in log space): a dose–
  response, from a forecast as good as the oracle to a poor one;
* ``uniform`` — each hour's total spread evenly over the zones (spread out, no spatial
  information); ``reversed`` — each hour's zone values mirrored (busiest zone gets the
  least): a deliberately wrong estimate; ``none`` — no repositioning.

For each estimate: mean wait over the replications, MAE against λ (per served zone-hour)
and the paired difference to the oracle with a t 95 % interval. Writes
``benchmarks/results/dispatch_information.json``.

    .venv/bin/python benchmarks/dispatch_information.py --reps 30
"""

from __future__ import annotations

import math
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from scipy import stats

from kogadx.io import write_json
from kogadx.mobility.params import DispatchStageParams
from kogadx.mobility.replications import replication_demand, resample_requests, simulate_with_demand
from kogadx.mobility.stage import DispatchInputs, prepare_dispatch
from kogadx.params import load_params
from kogadx.rng import stream_rng

ROOT = Path(__file__).resolve().parents[1]
INPUTS = {  # DispatchInputs field → file
    "rides": "data/pseudonymized/ride_requests.parquet",
    "stops": "data/pseudonymized/stops.parquet",
    "forecast": "data/features/demand_forecast.parquet",
    "truth": "data/truth/demand_intensity.parquet",
    "panel": "data/features/demand_panel.parquet",
}
app = typer.Typer(add_completion=False)


def _paired(diff: np.ndarray) -> dict:
    half = float(stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff)))
    m = float(diff.mean())
    return {"diff_vs_oracle_min": round(m, 4), "ci95_low": round(m - half, 4), "ci95_high": round(m + half, 4)}


@app.command()
def main(
    reps: int = typer.Option(30, help="作り直す期間の数"),
    sigmas: str = typer.Option("0.25,0.5,1.0", help="真の需要に掛けるノイズ (対数の標準偏差、カンマ区切り)"),
    out: Path = typer.Option(ROOT / "benchmarks" / "results" / "dispatch_information.json", help="結果 JSON"),
) -> None:
    """需要の見込みの精度と、空き車両の再配置による待ち時間の関係を測ります。"""
    missing = [p for p in INPUTS.values() if not (ROOT / p).exists()]
    if missing:
        print(f"[skip] パイプラインの出力がありません (先に make run): {', '.join(missing)}")
        return
    params = load_params(DispatchStageParams)
    setup = prepare_dispatch(DispatchInputs(**{k: pd.read_parquet(ROOT / p) for k, p in INPUTS.items()}), params)
    oracle = setup.demand.oracle
    seed = params.dispatch.seed
    shared = replication_demand(setup.demand)
    estimates: dict[str, pd.DataFrame | None] = {
        "none": None, "oracle": oracle, "forecast": shared["forecast"], "history": shared["history"],
        "uniform": shared["uniform"],
        "reversed": oracle.assign(
            expected=oracle.groupby("hour")["expected"].transform(lambda v: v.max() + v.min() - v)),
    }
    for s in (float(x) for x in sigmas.split(",") if x.strip()):
        noise = stream_rng(seed, f"information_noise_{s:g}").normal(-s * s / 2, s, len(oracle))
        estimates[f"oracle_noise_{s:g}"] = oracle.assign(expected=oracle["expected"] * np.exp(noise))
    key = oracle.set_index(["zone", "hour"])["expected"]
    served = key > 0
    mae = {}
    for name, table in estimates.items():
        if table is not None:
            est = table.set_index(["zone", "hour"])["expected"].reindex(key.index).fillna(0.0)
            mae[name] = round(float((est - key)[served].abs().mean()), 4)

    started = time.perf_counter()
    waits: dict[str, list[float]] = {name: [] for name in estimates}
    empty: dict[str, list[float]] = {name: [] for name in estimates}
    n_requests = []
    for k in range(reps):
        reqs = resample_requests(setup.replay.templates, oracle, setup.replay.outcomes,
                                 stream_rng(seed, f"information_{k}"))
        n_requests.append(len(reqs))
        for name, table in estimates.items():
            res = simulate_with_demand(reqs, setup.service, table, oracle=name == "oracle")
            waits[name].append(res.kpis["wait_mean_min"])
            empty[name].append(res.kpis["empty_km"])
        print(f"replication {k + 1}/{reps}", flush=True)
    base = np.array(waits["oracle"])
    rows = {name: {"wait_mean_min": round(float(np.mean(w)), 4), "empty_km": round(float(np.mean(empty[name])), 1),
                   "mae_vs_lambda": mae.get(name), **_paired(np.array(w) - base)}
            for name, w in waits.items()}
    result = {
        "what": "空き車両の再配置: 需要の見込みの精度と平均待ち時間 (本当の需要から作り直した期間で比較)",
        "replications": reps, "n_vehicles": setup.service.fleet.n_vehicles,
        "reposition_rule": setup.service.rules.reposition_rule,
        "replay": {"start": setup.replay.start, "end": setup.replay.end},
        "n_requests_mean": round(float(np.mean(n_requests)), 1),
        "estimates": rows,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
    }
    write_json(result, out)
    for name, r in rows.items():
        print(f"{name:>18}: wait {r['wait_mean_min']:.4f} min, vs oracle {r['diff_vs_oracle_min']:+.4f} "
              f"[{r['ci95_low']:+.4f}, {r['ci95_high']:+.4f}], MAE {r['mae_vs_lambda']}")


if __name__ == "__main__":
    app()
