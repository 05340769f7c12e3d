"""Rolling-origin backtest, metric summaries, final refit and the next-period forecast.

Origins per horizon ``h``: ``n`` origins ``step`` apart (params ``origins``, e.g. 63 daily
origins at 24 h and 16 weekly ones at 168 h); the last sits ``h`` steps before the last
known target. A fold scores the window ``(origin, origin + h]``. Models see targets only up
to the origin: LightGBM is refitted on rows ``<= origin`` with lags ``>= h`` per fold, or at
every k-th fold (``lightgbm_refit``), the model then forecasting the next k folds from the
lags known at each origin; MSTL, the intermittent models and the historical average are
refitted per fold and series; the naive models read lags ``>= h``.

Closed steps (service column = 0) are known zeros: every model's forecast there is set to 0
and they are left out of every error and coverage figure (``scored`` = False); what the
models would have said there is kept in ``BacktestResult.closed``.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kogadx.demand.baselines import INTERMITTENT_MODELS, historical_average, intermittent_levels
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
from kogadx.demand.intervals import IntervalModel, fit_interval_model, sequential_intervals
from kogadx.demand.lags import GROUP, TARGET, TIME, PreparedPanel, steps_per_week
from kogadx.parallel import chunks, ordered_map, worker_count
from kogadx.progress import note, steps


@dataclass
class BacktestResult:
    """Backtest predictions (one row per series × time × horizon × model), the origins of
    each horizon, timings (s), the RMSSE scale per series and the closed-step check."""

    predictions: pd.DataFrame
    origins: dict[int, list[pd.Timestamp]]
    timings: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)
    closed: dict[str, Any] = field(default_factory=dict)


def hour_band(times: pd.Series, freq: str, edges: tuple[int, ...]) -> np.ndarray:
    """Hour-of-day band index of each step (0 = before the first edge); daily data: 0."""
    if freq != "h":
        return np.zeros(len(times), dtype="int64")
    return np.searchsorted(np.asarray(edges), times.dt.hour.to_numpy(), side="right").astype("int64")


def band_labels(edges: tuple[int, ...]) -> dict[int, tuple[str, str]]:
    """Key and Japanese label of each hour band, e.g. {0: ("00-10", "〜10時台"), 1: ("11-13",
    "11〜13時台"), …}; keys are plain ASCII (they become MLflow metric names)."""
    bounds = [0, *edges, 24]
    labels = {}
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1] - 1
        ja = f"〜{hi}時台" if i == 0 else (f"{lo}時台〜" if i == len(bounds) - 2 else f"{lo}〜{hi}時台")
        labels[i] = (f"{lo:02d}-{hi:02d}", ja)
    return labels


def rolling_origins(panel: PreparedPanel, config: ForecastConfig, horizon: int | None = None) -> list[pd.Timestamp]:
    """Forecast origins of ``horizon`` (default: the longest), oldest first; raises when the
    history cannot hold the folds."""
    horizon = horizon or max(config.horizons)
    n, step = config.folds_for(horizon)
    known = panel.frame.loc[panel.frame[TARGET].notna(), TIME]
    delta = pd.Timedelta(1, unit=panel.spec.freq)
    last_origin = known.max() - horizon * delta
    origins = [last_origin - k * step * delta for k in range(n - 1, -1, -1)]
    min_history = 2 * max(horizon, steps_per_week(panel.spec.freq)) * delta
    if origins[0] - known.min() < min_history:
        raise ValueError(
            f"履歴が短すぎます: 最初の予測起点 {origins[0]} までに {min_history} 以上の履歴が必要です "
            f"(データ開始 {known.min()}、起点 {n} 件 × {step} ステップ)"
        )
    return origins


def service_mask(panel: PreparedPanel, frame: pd.DataFrame) -> np.ndarray:
    """True where the step is in service (no service column: every step)."""
    col = panel.spec.service_col
    if not col:
        return np.ones(len(frame), dtype=bool)
    return frame[col].to_numpy(dtype="float64") > 0.5


def rmsse_scales(panel: PreparedPanel, before: pd.Timestamp) -> dict[str, float]:
    """M5 scale per series: mean squared one-step difference of the in-service targets
    known before the first origin."""
    frame = panel.frame
    keep = (frame[TIME] <= before).to_numpy() & frame[TARGET].notna().to_numpy() & service_mask(panel, frame)
    scales = {}
    for uid, part in frame.loc[keep].groupby(GROUP, sort=True, observed=True):
        diffs = np.diff(part[TARGET].to_numpy(dtype="float64"))
        scales[str(uid)] = float(np.mean(diffs**2)) if diffs.size else float("nan")
    return scales


def run_backtest(panel: PreparedPanel, config: ForecastConfig) -> BacktestResult:
    """Score every model on every fold and horizon; NB intervals calibrated on earlier folds.

    Returns predictions with columns ``unique_id, ds, fold, origin, horizon, model, y,
    yhat, lower, upper, band, scored`` (bounds NaN on the first ``config.warmup`` folds of
    each horizon, which only calibrate).
    """
    freq = panel.spec.freq
    delta = pd.Timedelta(1, unit=freq)
    origins = {h: rolling_origins(panel, config, h) for h in sorted(config.horizons)}
    truth = panel.spec.truth_col
    models = [m for m in config.models if m != "oracle" or truth]
    timings: dict[str, float] = {m: 0.0 for m in models}
    closed_raw: dict[str, list[float]] = {m: [] for m in models}
    pieces: list[pd.DataFrame] = []
    for horizon in sorted(config.horizons):
        start = _time.perf_counter()
        design = build_design(panel, horizon, issue_time_cols=config.issue_time_cols, country=config.calendar)
        timings["features"] = timings.get("features", 0.0) + _time.perf_counter() - start
        frame = design.frame
        naive = seasonal_naive(frame, horizon, freq)
        times = frame[TIME].to_numpy()
        known = frame[TARGET].notna().to_numpy()
        in_service = service_mask(panel, frame)
        band = hour_band(frame[TIME], freq, config.hour_bands)
        every = config.refit_every(horizon)
        folds = list(enumerate(origins[horizon]))
        # LightGBM of fold i is fitted at the first origin of its run of ``every`` folds
        fits = [origins[horizon][i - i % every] for i, _ in folds]
        workers = worker_count()
        # pieces hold whole runs, so that each run's model is fitted once
        groups = [range(g * every, min(len(folds), (g + 1) * every)) for g in range(-(-len(folds) // every))]
        shares = [[i for g in groups[c.start:c.stop] for i in g] for c in chunks(len(groups), workers)]
        tasks = [(design, naive, known, in_service, [(*folds[i], fits[i]) for i in share], models, truth, config,
                  freq) for share in shares]
        # folds are independent: computed in parallel processes, gathered in fold order
        results = (item for chunk in ordered_map(_score_folds, tasks, workers) for item in chunk)
        for (fold, origin), fold_preds in zip(
            folds, steps(results, desc=f"需要予測 バックテスト ({horizon} ステップ先)", total=len(folds), unit="起点"),
            strict=True,
        ):
            window = _fold_window(times, known, origin, horizon, delta)
            base = frame.loc[window, [GROUP, TIME, TARGET]].reset_index(drop=True)
            scored = in_service[window]
            for model, (yhat, seconds) in zip(models, fold_preds, strict=True):
                timings[model] += seconds
                yhat = np.nan_to_num(np.clip(yhat, 0.0, None), nan=0.0)
                closed_raw[model].extend(yhat[~scored].tolist())
                yhat = np.where(scored, yhat, 0.0)
                part = base.assign(fold=fold, origin=origin, horizon=horizon, model=model, yhat=yhat,
                                   band=band[window], scored=scored)
                pieces.append(part)
    predictions = pd.concat(pieces, ignore_index=True)
    predictions = predictions.rename(columns={TARGET: "y"})
    note("需要予測", "予測区間を較正しています (起点ごとに過去の起点の誤差から)")
    predictions = sequential_intervals(predictions, config.coverage, config.warmup)
    closed_y = predictions.loc[~predictions["scored"], "y"]
    closed = {"n": int(len(closed_y) // max(1, len(models))), "actual_sum": float(closed_y.sum() / max(1, len(models))),
              "raw_mean_forecast": {m: float(np.mean(v)) if v else 0.0 for m, v in closed_raw.items()},
              "raw_max_forecast": {m: float(np.max(v)) if v else 0.0 for m, v in closed_raw.items()}}
    first = min(min(o) for o in origins.values())
    return BacktestResult(predictions, origins, timings, rmsse_scales(panel, first), closed)


def _fold_window(times: np.ndarray, known: np.ndarray, origin: pd.Timestamp, horizon: int,
                 delta: pd.Timedelta) -> np.ndarray:
    """Steps scored by the fold at ``origin``: ``(origin, origin + horizon]`` with a known target."""
    window = (times > origin.to_datetime64()) & (times <= (origin + horizon * delta).to_datetime64())
    return window & known


def _score_folds(
    design: Design,
    naive: pd.Series,
    known: np.ndarray,
    in_service: np.ndarray,
    folds: list[tuple[int, pd.Timestamp, pd.Timestamp]],
    models: list[str],
    truth: str | None,
    config: ForecastConfig,
    freq: str,
) -> list[list[tuple[np.ndarray, float]]]:
    """Raw forecasts (and fit seconds) of every model on each of ``folds`` (fold, origin, and
    the origin LightGBM is fitted at); runs in a worker process or in the caller's, with the
    same result either way (a model is a function of its fit origin only)."""
    times = design.frame[TIME].to_numpy()
    delta = pd.Timedelta(1, unit=freq)
    boosters: dict[pd.Timestamp, Any] = {}
    out = []
    for _fold, origin, fit_origin in folds:
        window = _fold_window(times, known, origin, design.horizon, delta)
        history = (times <= origin.to_datetime64()) & known
        preds = []
        for model in models:
            start = _time.perf_counter()
            if model == "lightgbm":
                if fit_origin not in boosters:
                    boosters.clear()  # runs come in order: the previous run's model is done
                    boosters[fit_origin] = _fit_lightgbm_at(design, fit_origin, config, freq)
                yhat = predict_lightgbm(boosters[fit_origin], design, window)
            else:
                yhat = _predict(model, design, window, history & in_service, origin, naive, truth, config, freq)
            preds.append((yhat, _time.perf_counter() - start))
        out.append(preds)
    return out


def _fit_lightgbm_at(design: Design, origin: pd.Timestamp, config: ForecastConfig, freq: str) -> Any:
    """LightGBM fitted on the rows up to ``origin`` (the last ``train_window`` steps)."""
    times = design.frame[TIME]
    train = (times <= origin).to_numpy()
    if config.train_window:
        delta = pd.Timedelta(1, unit=freq)
        train = train & (times > origin - config.train_window * delta).to_numpy()
    return fit_lightgbm(design, train, config)


def _predict(
    model: str,
    design: Design,
    window: np.ndarray,
    history: np.ndarray,
    origin: pd.Timestamp,
    naive: pd.Series,
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
    if model == "historical_average":
        return historical_average(frame, history, window, freq)
    if model in INTERMITTENT_MODELS:
        levels = intermittent_levels(frame, history, model, config.mstl_history)
        return frame.loc[window, GROUP].astype(str).map(levels).to_numpy(dtype="float64")
    if model in ("mstl", "autoets"):
        horizon = design.horizon
        keys = frame.loc[window, [GROUP, TIME]]
        fc = forecast_mstl(frame[[GROUP, TIME, TARGET]], origin, horizon, freq, config.mstl_history, model,
                           config.mstl_stl)
        return keys.merge(fc, on=[GROUP, TIME], how="left")["yhat"].to_numpy(dtype="float64")
    raise ValueError(f"未知のモデル: {model}")


@dataclass
class FinalModel:
    """LightGBM boosters refitted on all data (one per horizon) and their interval models
    (NB size and calibrated levels per hour band, from every scored backtest fold)."""

    boosters: dict[int, Any]
    intervals: dict[int, IntervalModel]
    designs: dict[int, Design]
    importance: pd.DataFrame


def refit_final(panel: PreparedPanel, config: ForecastConfig, predictions: pd.DataFrame,
                known_future: pd.DataFrame | None = None) -> FinalModel:
    """Refit LightGBM per horizon on every known row; intervals from all backtest folds.

    The design tables are built on the panel extended by the next period
    (``max(horizons)`` steps, see :func:`extend_future` for ``known_future``), so the same
    tables serve the next-period forecast.
    """
    extended = extend_future(panel, max(config.horizons), known_future)
    boosters, intervals, designs = {}, {}, {}
    for horizon in sorted(config.horizons):
        design = build_design(panel, horizon, frame=extended, issue_time_cols=config.issue_time_cols,
                              country=config.calendar)
        train = design.frame[TARGET].notna().to_numpy()
        boosters[horizon] = fit_lightgbm(design, train, config)
        designs[horizon] = design
        mine = predictions[(predictions["model"] == "lightgbm") & (predictions["horizon"] == horizon)
                           & predictions["scored"]]
        intervals[horizon] = fit_interval_model(mine["y"].to_numpy(), mine["yhat"].to_numpy(),
                                                mine["band"].to_numpy(), config.coverage)
    importance = feature_importance(boosters[max(config.horizons)])
    return FinalModel(boosters, intervals, designs, importance)


def forecast_next_period(panel: PreparedPanel, final: FinalModel, config: ForecastConfig) -> pd.DataFrame:
    """Expected counts and integer NB bounds for the steps after the last known target.

    Step ``k`` ahead comes from the shortest-horizon model with ``horizon >= k`` (direct
    strategy); closed steps get 0. Columns: ``unique_id, ds, horizon_step, expected, lower, upper``.
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
        open_ = service_mask(panel, frame)[mask]
        expected = np.where(open_, expected, 0.0)
        band = hour_band(frame.loc[mask, TIME], panel.spec.freq, config.hour_bands)
        lo, hi = final.intervals[horizon].bounds(expected, band)
        pieces.append(
            pd.DataFrame(
                {
                    GROUP: frame.loc[mask, GROUP].to_numpy(),
                    TIME: frame.loc[mask, TIME].to_numpy(),
                    "horizon_step": ahead[mask].astype("int64"),
                    "expected": expected,
                    "lower": np.where(open_, lo, 0.0),
                    "upper": np.where(open_, hi, 0.0),
                }
            )
        )
        lower_h = horizon
    return pd.concat(pieces, ignore_index=True).sort_values([GROUP, TIME], kind="mergesort").reset_index(drop=True)
