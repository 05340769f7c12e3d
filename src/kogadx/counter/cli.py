"""``kogadx counter …``: one queue setting simulated, or a staffing plan from hourly arrivals.

``simulate``: a long M/M/c run (Poisson arrivals, exponential service) beside Erlang C.
``plan``: counters per hour for arrivals by day × hour (a CSV/Parquet with 日 (day), 時 (hour)
and 来庁数 (arrivals), or the stage's ``arrival_forecast.parquet``), keeping the wait quantile
at the target; writes ``staffing_plan.csv`` (Excel) and ``summary.json`` into the folder.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from kogadx.counter.params import CounterParams, CounterScenario
from kogadx.counter.queue import CounterInputError, erlang_c_figures, simulate_stationary
from kogadx.counter.staffing import plan_scenario
from kogadx.io import InputFileError, read_table, write_csv_for_excel
from kogadx.rng import stream_rng

app = typer.Typer(help="現況届の窓口: 待ち行列シミュレーションと人員配置", no_args_is_help=True)

ARRIVAL_HEADERS = {"日": "day", "時": "hour", "来庁数": "arrivals"}


@app.command("simulate")
def simulate(
    rate: float = typer.Option(..., "--rate", help="到着率 (人/時)"),
    service_min: float = typer.Option(..., "--service-min", help="平均処理時間 (分)"),
    servers: int = typer.Option(..., "--servers", help="窓口数"),
    hours: float = typer.Option(2000.0, "--hours", help="シミュレーションする時間 (長いほど定常状態に近い)"),
    seed: int = typer.Option(1, "--seed", help="乱数の種"),
    out: Path | None = typer.Option(None, "--out", help="結果の JSON"),
) -> None:
    """M/M/c の長時間シミュレーションと Erlang C の理論値を並べて示します。"""
    theory = erlang_c_figures(rate, service_min, servers)  # refuses unstable settings before simulating
    if rate * hours > 5_000_000:
        raise CounterInputError(f"到着数が多すぎます (約 {rate * hours:,.0f} 人)。--hours を短くしてください")
    sim = simulate_stationary(rate, service_min, servers, hours, stream_rng(seed, "counter/cli"))
    result = {
        "rate_per_hour": rate, "service_min": service_min, "servers": servers, "hours": hours, "seed": seed,
        "simulated": {"mean_wait_min": sim.mean_wait_min, "p90_wait_min": sim.p90_wait_min,
                      "utilisation": sim.utilisation, "visitors": len(sim.waits)},
        "erlang_c": {"mean_wait_min": theory.mean_wait_min, "p90_wait_min": theory.p90_wait_min,
                     "utilisation": theory.utilisation, "p_wait": theory.p_wait},
    }
    typer.echo(f"平均待ち {sim.mean_wait_min:.2f} 分 (Erlang C {theory.mean_wait_min:.2f} 分), "
               f"90%点 {sim.p90_wait_min:.2f} 分 (Erlang C {theory.p90_wait_min:.2f} 分), "
               f"稼働率 {sim.utilisation:.1%} (理論 {theory.utilisation:.1%})")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        typer.echo(f"書き出し: {out}")


def read_arrivals(path: Path) -> pd.DataFrame:
    """Venue arrivals as (position, hour, mean); errors name the file, row and column."""
    frame = read_table(path)
    if {"part", "position", "hour", "mean"} <= set(frame.columns):  # the stage's arrival_forecast.parquet
        venue = frame[frame["part"] == "venue"]
        return venue[["position", "hour", "mean"]].astype({"position": int, "hour": int, "mean": float})
    frame = frame.rename(columns={c: ARRIVAL_HEADERS.get(str(c).strip(), str(c).strip()) for c in frame.columns})
    missing = [ja for ja, key in ARRIVAL_HEADERS.items() if key not in frame.columns]
    if missing:
        raise InputFileError(f"{path}: 列「{'」「'.join(missing)}」がありません (必要な列: 日, 時, 来庁数)")
    out = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        values = []
        for ja, key in ARRIVAL_HEADERS.items():
            try:
                v = float(getattr(row, key))
            except (TypeError, ValueError):
                raise InputFileError(f"{path}: {i} 行目の列「{ja}」が数値ではありません") from None
            if not math.isfinite(v) or v < 0:
                raise InputFileError(f"{path}: {i} 行目の列「{ja}」は 0 以上の数にしてください")
            values.append(v)
        out.append((int(values[0]) - 1, int(values[1]), values[2]))
    return pd.DataFrame(out, columns=["position", "hour", "mean"])


@app.command("plan")
def plan(
    arrivals: Path = typer.Option(..., "--arrivals", help="日 × 時の来庁数 (CSV/Parquet: 日, 時, 来庁数)"),
    out: Path = typer.Option(..., "--out", help="出力フォルダ"),
    service_min: float = typer.Option(12.0, "--service-min", help="平均処理時間 (分、指数分布で模擬)"),
    target_min: float = typer.Option(15.0, "--target-min", help="待ち時間の目標 (分、90%点)"),
    online: float = typer.Option(0.0, "--online", help="事前オンライン提出の割合 (0–1)"),
    online_saving: float = typer.Option(0.4, "--online-saving", help="オンライン提出で短くなる処理時間の割合"),
    seed: int = typer.Option(1, "--seed", help="乱数の種"),
) -> None:
    """時間帯ごとの必要窓口数と延べ職員時間を計算し、シミュレーションで確かめます。"""
    if not service_min > 0:
        raise CounterInputError(f"平均処理時間は正の値にしてください (指定: {service_min:g} 分)")
    if not 0 <= online <= 1 or not 0 <= online_saving < 1:
        raise CounterInputError("--online は 0–1、--online-saving は 0 以上 1 未満にしてください")
    venue = read_arrivals(arrivals)
    params = CounterParams(seed=seed, wait_target_min=target_min, online_saving=online_saving)
    scenario = CounterScenario(name=f"オンライン {online:.0%}", online_uptake=online,
                               venue_days=int(venue["position"].nunique()))
    pool = stream_rng(seed, "counter/cli/service").exponential(service_min, 5000)
    result = plan_scenario(venue, pool, scenario, params, stream_rng(seed, "counter/cli/plan"))
    out.mkdir(parents=True, exist_ok=True)
    table = result.plan.rename(columns={"scenario": "シナリオ", "day": "日", "hour": "時", "arrivals": "来庁数",
                                        "counters": "窓口数", "p90_wait_min": "待ち時間90%点(分)"})
    write_csv_for_excel(table.round(2), out / "staffing_plan.csv")
    summary = {k: (float(v) if isinstance(v, np.floating) else v) for k, v in result.summary.items()}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"延べ職員時間 {summary['staff_hours']:.0f} 人時, 最大窓口数 {summary['max_counters']}, "
               f"待ち時間 平均 {summary['mean_wait_min']:.1f} 分 / 90%点 {summary['p90_wait_min']:.1f} 分 → {out}")
