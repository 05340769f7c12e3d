"""The ``counter`` stage: the 現況届 counter week — arrivals, queue, staffing (issue #22).

:func:`run_counter` takes the pseudonymized households and the past reception logs and returns
the arrival forecast by day × hour (with intervals and a year-by-year backtest), the staffing
plan of each scenario with its simulated waits, figures, metrics and the MLflow runs. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from kogadx.counter.figures import arrival_heatmap, waits_by_scenario
from kogadx.counter.forecast import arrival_counts, backtest, forecast_arrivals
from kogadx.counter.params import CounterParams
from kogadx.counter.queue import CounterInputError
from kogadx.counter.staffing import plan_scenario
from kogadx.params import as_dict
from kogadx.progress import steps
from kogadx.rng import stream_rng
from kogadx.stage import StageOutputs, TrackedRun

LOG_COLUMNS = ("case_number", "year", "venue", "arrived_at", "called_at", "ended_at", "case_type", "counter")


@dataclass(frozen=True)
class CounterInputs:
    """Pseudonymized ``counter_households`` (the roster) and ``counter_log`` (past years)."""

    households: pd.DataFrame
    log: pd.DataFrame


def service_pool(log: pd.DataFrame) -> pd.Series:
    """Minutes at the counter of each past visit (end − call); visits with none are dropped."""
    minutes = (pd.to_datetime(log["ended_at"]) - pd.to_datetime(log["called_at"])).dt.total_seconds() / 60
    return minutes[minutes > 0]


def _check(inputs: CounterInputs) -> None:
    missing = [c for c in LOG_COLUMNS if c not in inputs.log.columns]
    if missing:
        raise CounterInputError(f"counter_log: 列がありません: {', '.join(missing)}")
    if inputs.log.empty:
        raise CounterInputError("counter_log: 過去の受付ログが空です (予測の学習に1年以上必要です)")


def run_counter(inputs: CounterInputs, params: CounterParams) -> StageOutputs:
    """Forecast, backtest, plan every scenario; the headline is the three uptake scenarios."""
    _check(inputs)
    households = params.target_households if params.target_households is not None else len(inputs.households)
    counts = arrival_counts(inputs.log, params.venue_days, params.open_hours)
    bt = backtest(counts, params.backtest_years, params.venue_days, params.open_hours, params.interval_level)
    fc = forecast_arrivals(counts, params.target_year, households, params.venue_days, params.open_hours,
                           params.interval_level)
    venue = fc.cells[fc.cells["part"] == "venue"]
    pool = service_pool(inputs.log).to_numpy()
    past_counters = int(inputs.log.loc[inputs.log["venue"] == "特設会場", "counter"].max())
    plans, summaries = [], []
    for k, scenario in steps(list(enumerate(params.scenarios)), desc="窓口シミュレーション (シナリオ)", unit="件"):
        result = plan_scenario(venue, pool, scenario, params, stream_rng(params.seed, f"counter/{k}"))
        today = plan_scenario(venue, pool, scenario, params, stream_rng(params.seed, f"counter/{k}/today"),
                              fixed_counters=past_counters)
        plans.append(result.plan)
        summaries.append({**result.summary, "past_counters": past_counters,
                          "past_counters_mean_wait_min": today.summary["mean_wait_min"],
                          "past_counters_p90_wait_min": today.summary["p90_wait_min"],
                          "past_counters_staff_hours": today.summary["staff_hours"]})
    plan = pd.concat(plans, ignore_index=True)
    summary = pd.DataFrame(summaries)
    metrics = _metrics(bt, fc.dispersion, summary, households, params)
    # Two named runs: the forecast, and the plans (MLflow metric names cannot hold "%" or
    # parentheses, so scenarios are numbered in the order of params and named in the params).
    runs = [TrackedRun("counter", f"counter-forecast-{params.target_year}", params=as_dict(params),
                       metrics={k: v for k, v in metrics["forecast"].items() if isinstance(v, int | float)},
                       artifacts={"figures/arrivals_heatmap.png": None}),
            TrackedRun("counter", f"counter-staffing-{params.target_year}",
                       params={f"scenario{k + 1}": s["scenario"] for k, s in enumerate(summaries)},
                       metrics={f"scenario{k + 1}.{name}": value for k, s in enumerate(summaries)
                                for name, value in s.items() if isinstance(value, int | float)},
                       artifacts={"features/scenarios.parquet": None, "figures/waits_by_scenario.png": None})]
    cells = fc.cells.assign(date=pd.to_datetime(fc.cells["date"]))
    heads = summary.set_index("scenario")
    return StageOutputs(
        tables={"features/arrival_forecast.parquet": cells, "features/backtest.parquet": bt,
                "features/staffing_plan.parquet": plan, "features/scenarios.parquet": summary},
        figures={"figures/arrivals_heatmap.png": arrival_heatmap(cells, params.target_year),
                 "figures/waits_by_scenario.png": waits_by_scenario(summary, params.wait_target_min)},
        plots={"plots/scenario_waits.csv": summary[["scenario", "mean_wait_min", "p90_wait_min", "staff_hours"]]},
        metrics=metrics, runs=runs,
        summary=(f"counter: {params.target_year}年 {households} 世帯, 会場 {len(venue['date'].unique())} 日; "
                 + ", ".join(f"{n}: 延べ {heads.at[n, 'staff_hours']:.0f} 人時 "
                             f"(90%点 {heads.at[n, 'p90_wait_min']:.1f} 分)" for n in heads.index[:3])),
    )


def _metrics(bt: pd.DataFrame, dispersion: dict[str, float], summary: pd.DataFrame, households: int,
             params: CounterParams) -> dict[str, Any]:
    overall = bt[bt["part"] == "all"]
    venue = bt[bt["part"] == "venue"]
    return {
        "households": households,
        "forecast": {"backtest_years": [int(y) for y in overall["test_year"]],
                     "wape": float(overall["wape"].mean()), "wape_naive": float(overall["wape_naive"].mean()),
                     "coverage": float(overall["coverage"].mean()), "interval_level": params.interval_level,
                     "wape_venue": float(venue["wape"].mean()), "coverage_venue": float(venue["coverage"].mean()),
                     "dispersion_venue": dispersion["venue"], "dispersion_regular": dispersion["regular"]},
        "wait_target_min": params.wait_target_min,
        "scenarios": {str(r["scenario"]): {k: r[k] for k in ("staff_hours", "max_counters", "mean_wait_min",
                                                             "p90_wait_min", "worst_hour_p90_min",
                                                             "past_counters_p90_wait_min")}
                      for r in summary.to_dict("records")},
    }
