"""Rolling-origin backtest, metric summaries, final refit and the next-period forecast.

Origins are ``n_folds`` time points ``step`` apart; the last one sits ``max(horizons)``
steps before the last known target, so every horizon is scored on the same origins.
For horizon ``h`` a fold scores the window ``(origin, origin + h]``. Models see targets
only up to the origin: LightGBM is refitted per fold on rows ``<= origin`` with lags
``>= h``; MSTL is refitted per fold and series; the naive models read lags ``>= h``.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kogadx.demand.forecast import (
    Design,
    ForecastConfig,
    build_design,
    extend_future,
    feature_importance,
    fit_lightgbm,
    forecast_mstl,
    moving_average,
    predict_lightgbm,
    seasonal_naive,
)
from kogadx.demand.intervals import (
    apply_interval,
    conformal_quantile,
    conformity_scores,
    sequential_conformal,
)
from kogadx.demand.lags import GROUP, TARGET, TIME, PreparedPanel
from kogadx.demand.metrics import interval_metrics, point_metrics


@dataclass
class BacktestResult:
    """Backtest predictions (one row per series × time × horizon × model) and timings (s)."""

    predictions: pd.DataFrame
    origins: list[pd.Timestamp]
    timings: dict[str, float] = field(default_factory=dict)


def rolling_origins(panel: PreparedPanel, config: ForecastConfig) -> list[pd.Timestamp]:
    """Forecast origins, oldest first; raises when the history cannot hold the folds."""
    known = panel.frame.loc[panel.frame[TARGET].notna(), TIME]
    delta = pd.Timedelta(1, unit=panel.spec.freq)
    last_origin = known.max() - max(config.horizons) * delta
    origins = [last_origin - k * config.fold_step * delta for k in range(config.n_folds - 1, -1, -1)]
    min_history = 2 * max(config.horizons) * delta
    if origins[0] - known.min() < min_history:
        raise ValueError(
            f"履歴が短すぎます: 最初の予測起点 {origins[0]} までに {min_history} 以上の履歴が必要です "
            f"(データ開始 {known.min()})"
        )
    return origins


def run_backtest(panel: PreparedPanel, config: ForecastConfig) -> BacktestResult:
    """Score every model on every fold and horizon; intervals by sequential conformal.

    Returns predictions with columns ``unique_id, ds, fold, origin, horizon, model, y,
    yhat, lower, upper`` (bounds NaN on the first fold, which only calibrates).
    """
    freq = panel.spec.freq
    delta = pd.Timedelta(1, unit=freq)
    origins = rolling_origins(panel, config)
    truth = panel.spec.truth_col
    models = [m for m in config.models if m != "oracle" or truth]
    timings: dict[str, float] = {m: 0.0 for m in models}
    max_h = max(config.horizons)
    mstl_cache: dict[pd.Timestamp, pd.DataFrame] = {}
    if "mstl" in models:
        start = _time.perf_counter()
        for origin in origins:
            mstl_cache[origin] = forecast_mstl(panel.frame, origin, max_h, freq, config.mstl_history)
        timings["mstl"] += _time.perf_counter() - start

    pieces: list[pd.DataFrame] = []
    for horizon in sorted(config.horizons):
        start = _time.perf_counter()
        design = build_design(panel, horizon, issue_time_cols=config.issue_time_cols)
        timings["features"] = timings.get("features", 0.0) + _time.perf_counter() - start
        frame = design.frame
        naive = seasonal_naive(frame, horizon, freq)
        times = frame[TIME].to_numpy()
        known = frame[TARGET].notna().to_numpy()
        for fold, origin in enumerate(origins):
            window = (times > origin.to_datetime64()) & (times <= (origin + horizon * delta).to_datetime64())
            window &= known
            base = frame.loc[window, [GROUP, TIME, TARGET]].reset_index(drop=True)
            for model in models:
                start = _time.perf_counter()
                yhat = _predict(model, design, window, origin, naive, mstl_cache, truth, config, freq)
                timings[model] += _time.perf_counter() - start
                part = base.assign(fold=fold, origin=origin, horizon=horizon, model=model, yhat=yhat)
                pieces.append(part)
    predictions = pd.concat(pieces, ignore_index=True)
    predictions = predictions.rename(columns={TARGET: "y"})
    predictions = sequential_conformal(predictions, config.coverage)
    return BacktestResult(predictions, origins, timings)


def _predict(
    model: str,
    design: Design,
    window: np.ndarray,
    origin: pd.Timestamp,
    naive: pd.Series,
    mstl_cache: dict[pd.Timestamp, pd.DataFrame],
    truth: str | None,
    config: ForecastConfig,
    freq: str,
) -> np.ndarray:
    frame = design.frame
    if model == "seasonal_naive":
        return naive[window].to_numpy(dtype="float64")
    if model == "moving_average":
        return moving_average(design)[window].to_numpy(dtype="float64")
    if model == "oracle":
        return frame.loc[window, truth].to_numpy(dtype="float64")
    if model == "mstl":
        keys = frame.loc[window, [GROUP, TIME]]
        merged = keys.merge(mstl_cache[origin], on=[GROUP, TIME], how="left")
        return merged["yhat"].to_numpy(dtype="float64")
    if model == "lightgbm":
        times = frame[TIME]
        train = (times <= origin).to_numpy()
        if config.train_window:
            delta = pd.Timedelta(1, unit=freq)
            train = train & (times > origin - config.train_window * delta).to_numpy()
        booster = fit_lightgbm(design, train, config)
        return predict_lightgbm(booster, design, window)
    raise ValueError(f"未知のモデル: {model}")


def _aggregate_by_day(part: pd.DataFrame) -> pd.DataFrame:
    """Sum actuals and forecasts over all series per calendar day (city × day)."""
    day = part[TIME].dt.floor("D")
    return part.groupby([part["fold"], day], sort=True)[["y", "yhat"]].sum().reset_index()


def summarize(predictions: pd.DataFrame, coverage: float) -> dict[str, Any]:
    """Metrics per horizon and model at series × step and total × day, plus interval coverage.

    Keys: ``h<horizon>`` → model → ``by_series_step`` / ``total_by_day`` (point metrics)
    and ``interval`` (coverage of the nominal ``coverage`` interval, mean width); plus
    ``wape_ratio_vs_<model>`` for LightGBM against each other model.
    """
    summary: dict[str, Any] = {}
    for horizon, by_h in predictions.groupby("horizon", sort=True):
        block: dict[str, Any] = {}
        for model, part in by_h.groupby("model", sort=True):
            block[model] = {
                "by_series_step": point_metrics(part["y"], part["yhat"]),
                "total_by_day": point_metrics(*_aggregate_by_day(part)[["y", "yhat"]].to_numpy().T),
                "interval": {"nominal": coverage, **interval_metrics(part["y"], part["lower"], part["upper"])},
            }
        if "lightgbm" in block:
            lgbm = block["lightgbm"]["by_series_step"]["wape"]
            for other, metrics in block.items():
                if other != "lightgbm":
                    lgbm_ratio = lgbm / metrics["by_series_step"]["wape"]
                    block["lightgbm"][f"wape_ratio_vs_{other}"] = float(lgbm_ratio)
        summary[f"h{int(horizon)}"] = block
    return summary


def fold_metrics(predictions: pd.DataFrame) -> dict[tuple[str, int], dict[str, Any]]:
    """Point metrics per (model, fold), keyed by horizon (``h24`` …) — one MLflow run each."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for (model, fold), part in predictions.groupby(["model", "fold"], sort=True):
        out[(str(model), int(fold))] = {
            f"h{int(h)}": point_metrics(p["y"], p["yhat"]) for h, p in part.groupby("horizon", sort=True)
        }
    return out


@dataclass
class FinalModel:
    """LightGBM boosters refitted on all data (one per horizon) and their conformal quantiles."""

    boosters: dict[int, Any]
    quantiles: dict[int, float]
    designs: dict[int, Design]
    importance: pd.DataFrame


def refit_final(panel: PreparedPanel, config: ForecastConfig, predictions: pd.DataFrame,
                known_future: pd.DataFrame | None = None) -> FinalModel:
    """Refit LightGBM per horizon on every known row; quantiles from all backtest folds.

    The design tables are built on the panel extended by the next period
    (``max(horizons)`` steps, see :func:`extend_future` for ``known_future``), so the same
    tables serve the next-period forecast.
    """
    extended = extend_future(panel, max(config.horizons), known_future)
    boosters, quantiles, designs = {}, {}, {}
    for horizon in sorted(config.horizons):
        design = build_design(panel, horizon, frame=extended, issue_time_cols=config.issue_time_cols)
        train = design.frame[TARGET].notna().to_numpy()
        boosters[horizon] = fit_lightgbm(design, train, config)
        designs[horizon] = design
        mine = predictions[(predictions["model"] == "lightgbm") & (predictions["horizon"] == horizon)]
        quantiles[horizon] = conformal_quantile(conformity_scores(mine["y"], mine["yhat"]), config.coverage)
    importance = feature_importance(boosters[max(config.horizons)])
    return FinalModel(boosters, quantiles, designs, importance)


def forecast_next_period(panel: PreparedPanel, final: FinalModel) -> pd.DataFrame:
    """Expected counts and conformal bounds for the steps after the last known target.

    Step ``k`` ahead comes from the shortest-horizon model with ``horizon >= k`` (direct
    strategy). Columns: ``unique_id, ds, horizon_step, expected, lower, upper``.
    """
    delta = pd.Timedelta(1, unit=panel.spec.freq)
    last = panel.frame.loc[panel.frame[TARGET].notna()].groupby(GROUP, observed=True)[TIME].max()
    pieces = []
    lower_h = 0
    for horizon in sorted(final.boosters):
        design = final.designs[horizon]
        frame = design.frame
        ahead = ((frame[TIME] - frame[GROUP].map(last).astype("datetime64[ns]")) / delta).to_numpy()
        mask = (ahead > lower_h) & (ahead <= horizon)
        expected = predict_lightgbm(final.boosters[horizon], design, mask)
        lo, hi = apply_interval(expected, final.quantiles[horizon])
        pieces.append(
            pd.DataFrame(
                {
                    GROUP: frame.loc[mask, GROUP].to_numpy(),
                    TIME: frame.loc[mask, TIME].to_numpy(),
                    "horizon_step": ahead[mask].astype("int64"),
                    "expected": expected,
                    "lower": lo,
                    "upper": hi,
                }
            )
        )
        lower_h = horizon
    return pd.concat(pieces, ignore_index=True).sort_values([GROUP, TIME], kind="mergesort").reset_index(drop=True)
