"""The demand stages: ``features`` (the zone × hour panel) and ``forecast`` (backtest, refit,
next-period forecast).

:func:`run_features` and :func:`run_forecast` are pure (frames and typed params in, a
:class:`kogadx.stage.StageOutputs` out); ``pipelines/features.py`` and
``pipelines/forecast.py`` read the inputs and write the outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import geopandas as gpd
import pandas as pd

from kogadx.compute import ComputeParams, engine
from kogadx.demand.backtest import (
    BacktestResult,
    FinalModel,
    band_labels,
    forecast_next_period,
    refit_final,
    run_backtest,
)
from kogadx.demand.evaluation import compare_models, summarize
from kogadx.demand.features import build_demand_panel, next_period_calendar, residents_town_aggregate
from kogadx.demand.forecast import ForecastConfig
from kogadx.demand.lags import GROUP, TIME, PreparedPanel, panel_spec_from_params, prepare_panel
from kogadx.demand.params import FeaturesParams, ForecastParams, ForecastStageParams
from kogadx.demand.plots import model_label, plot_feature_importance, plot_forecast_vs_actual, plot_residuals_by_hour
from kogadx.params import as_dict
from kogadx.progress import note
from kogadx.stage import LoggedModel, StageOutputs, TextFile, TrackedRun

EXPERIMENT = "demand"


# ------------------------------------------------------------------------------ features
@dataclass(frozen=True)
class FeaturesInputs:
    """The pseudonymized ride requests and stops, hourly weather (JMA convention: keyed by
    the end of the hour), the towns (GeoDataFrame with town_code, polygons, population) and
    the pseudonymized register (town_code, age; aggregated per town here)."""

    requests: pd.DataFrame
    stops: pd.DataFrame
    weather: pd.DataFrame
    towns: gpd.GeoDataFrame
    residents: pd.DataFrame


def run_features(inputs: FeaturesInputs, params: FeaturesParams, compute: ComputeParams | None = None) -> StageOutputs:
    """The zone × hour demand panel (output ``panel``), shareable: no personal column.
    ``compute``: the ride requests counted on pandas or Dask partitions (same bytes either way)."""
    with engine(compute) as running:
        panel = build_demand_panel(inputs.requests, inputs.stops, inputs.towns,
                                   residents_town_aggregate(inputs.residents), inputs.weather, params, running)
    return StageOutputs(
        tables={"panel": panel},
        summary=f"需要パネル: {len(panel)} 行, {panel['zone'].nunique()} ゾーン, 需要合計 {int(panel['y'].sum())} 件",
    )


# ------------------------------------------------------------------------------ forecast
@dataclass(frozen=True)
class ForecastInputs:
    """The demand panel, and optionally the true intensity (group, time and the truth
    column) for the oracle — metrics only, never a feature. ``source`` names the panel in
    error messages."""

    panel: pd.DataFrame
    truth: pd.DataFrame | None = None
    source: str = "panel"


@dataclass
class ForecastResult:
    """What the forecast computes: the backtest, its metrics, the refitted models and the
    next-period forecast (in the panel's column names)."""

    panel: PreparedPanel
    config: ForecastConfig
    backtest: BacktestResult
    metrics: dict[str, Any]
    final: FinalModel
    next_forecast: pd.DataFrame


def run_forecast(inputs: ForecastInputs, params: ForecastStageParams) -> StageOutputs:
    """Backtest every model, refit LightGBM on all data and forecast the next period.

    Outputs: ``models/lgbm_h<h>.txt`` (LightGBM text models), ``forecast`` (next period),
    ``metrics``, ``figures/*.png``, ``plots/*.csv`` and the MLflow runs (one per model ×
    fold, and ``lightgbm_final`` with the models).
    """
    forecast = params.forecast
    # the next period's calendar (holidays, service hours, events) is known in advance
    known = next_period_calendar(inputs.panel[forecast.time_col].max(), max(forecast.horizons), params.features)
    result = forecast_demand(inputs.panel, forecast, inputs.truth, inputs.source, known)
    predictions = result.backtest.predictions
    figures = {
        "forecast_vs_actual": plot_forecast_vs_actual(predictions, min(result.config.horizons)),
        "residuals_by_hour": plot_residuals_by_hour(predictions, max(result.config.horizons)),
        "feature_importance": plot_feature_importance(result.final.importance),
    }
    group = forecast.group_col or "series"
    first = min(result.config.horizons)
    block = result.metrics["backtest"][f"h{first}"]
    wape = block["lightgbm"]["by_series_step"]["wape"] if "lightgbm" in block else None
    wape_text = "—" if wape is None else f"{wape:.3f}"
    return StageOutputs(
        tables={"forecast": result.next_forecast},
        files={f"models/lgbm_h{h}.txt": TextFile(booster.model_to_string())
               for h, booster in result.final.boosters.items()},
        figures={f"figures/{name}.png": figure for name, figure in figures.items()},
        plots={"plots/backtest_wape.csv": backtest_wape_series(result.metrics["backtest"]),
               "plots/next_period_by_zone.csv": next_period_by_zone(result.next_forecast, group)},
        metrics=result.metrics,
        runs=forecast_runs(result, forecast),
        summary=f"需要予測: バックテスト起点 {sum(len(o) for o in result.backtest.origins.values())} 件, "
                f"LightGBM の WAPE ({first} ステップ先) {wape_text}, 次期間 {len(result.next_forecast)} 行",
    )


def forecast_demand(panel_frame: pd.DataFrame, params: ForecastParams, truth: pd.DataFrame | None = None,
                    source: str = "panel", known_future: pd.DataFrame | None = None) -> ForecastResult:
    """Backtest all models, refit LightGBM on all data and forecast the next period.

    ``truth`` (optional; columns group, time and the truth column) is joined onto the panel
    for the oracle; it is used for metrics only and never becomes a feature.
    ``known_future``: exogenous columns known in advance for the next period (``time`` +
    columns, e.g. :func:`kogadx.demand.features.next_period_calendar`); without it they are
    copied from the week before (see :func:`kogadx.demand.forecast.extend_future`).
    """
    frame = panel_frame
    columns = list(frame.columns) + (list(truth.columns) if truth is not None else [])
    spec = panel_spec_from_params(params, columns, source)
    if truth is not None and spec.truth_col and spec.truth_col not in frame.columns:
        keys = [spec.group_col, spec.time_col] if spec.group_col else [spec.time_col]
        frame = frame.merge(truth[[*keys, spec.truth_col]], on=keys, how="left", validate="one_to_one")
    config = ForecastConfig.from_params(params)
    panel = prepare_panel(frame, spec)
    backtest = run_backtest(panel, config)
    summary = summarize(backtest.predictions, config.coverage, backtest.scales, band_labels(config.hour_bands))
    note("需要予測", "モデル比較 (ブロック・ブートストラップ) と LightGBM の全データでの再学習をしています")
    comparison = compare_models(backtest.predictions, config.seed, config.bootstrap)
    final = refit_final(panel, config, backtest.predictions, known_future)
    next_forecast = forecast_next_period(panel, final, config)
    next_forecast = next_forecast.rename(columns={GROUP: spec.group_col or "series", TIME: spec.time_col})
    metrics = (
        {
            "backtest": summary,
            "comparison": comparison,
            "origins": {f"h{h}": [o.isoformat() for o in origins] for h, origins in backtest.origins.items()},
            "closed_steps": backtest.closed,
            "series": int(panel.frame[GROUP].nunique()),
            "rows": len(panel.frame),
            "notes": list(panel.notes),
            "interval_model": {f"h{h}": {"nb_size": m.size, "levels": {str(k): v for k, v in m.levels.items()}}
                               for h, m in final.intervals.items()},
            "top_features": final.importance.head(10).to_dict(orient="records"),
        }
    )
    return ForecastResult(panel, config, backtest, metrics, final, next_forecast)


def forecast_runs(result: ForecastResult, params: ForecastParams) -> list[TrackedRun]:
    """One MLflow run per model (its backtest metrics per horizon), and ``lightgbm_final``:
    the refitted LightGBM models (signature inferred from an input example), LightGBM's
    backtest metrics and the figures."""
    config = result.config
    runs = []
    backtest = result.metrics["backtest"]
    models = sorted({m for block in backtest.values() for m in block})
    for model in models:
        run_params: dict[str, Any] = {"model": model, "horizons": list(config.horizons),
                                      "origins": {f"h{h}": len(o) for h, o in result.backtest.origins.items()}}
        if model == "lightgbm":
            run_params.update({"num_boost_round": config.num_boost_round, "lightgbm": dict(config.lgbm_params),
                               "seed": config.seed})
        metrics = {key: {"point": block[model]["by_series_step"], "interval": {
            k: v for k, v in block[model]["interval"].items() if k != "by_band"}}
            for key, block in backtest.items() if model in block}
        runs.append(TrackedRun(EXPERIMENT, f"{model}_backtest", params=run_params, metrics=metrics,
                               tags={"model": model, "kind": "backtest"}))
    models = []
    for horizon, booster in result.final.boosters.items():
        design = result.final.designs[horizon]
        # float columns: lags are NaN at a series start, and MLflow integers cannot be NaN
        example = design.frame.loc[design.frame["y"].notna(), list(design.features)].tail(5).astype("float64")
        models.append(LoggedModel("lightgbm", booster, f"lightgbm_h{horizon}", input_example=example,
                                  output_example=booster.predict(example, num_threads=1),
                                  pip_requirements=[f"lightgbm=={version('lightgbm')}"]))
    # LightGBM's own backtest metrics only (every other model's are in its own run): MLflow 3 copies
    # each metric of the run onto every logged model, one query per metric (#25)
    own = {key: {"lightgbm": block["lightgbm"]} for key, block in backtest.items() if "lightgbm" in block}
    runs.append(TrackedRun(EXPERIMENT, "lightgbm_final", params=as_dict(params),
                           metrics=own, tags={"model": "lightgbm", "kind": "final"},
                           artifacts={"figures": "figures"}, models=models))
    return runs


def backtest_wape_series(backtest: Mapping[str, Any]) -> pd.DataFrame:
    """WAPE per model and horizon (series × step, and city total × day) for ``dvc plots``."""
    rows = []
    for key, block in backtest.items():
        for model, metrics in block.items():
            rows.append({"label": f"{model_label(model)}、{key[1:]} ステップ先", "model": model,
                         "horizon": int(key[1:]), "wape": metrics["by_series_step"]["wape"],
                         "wape_total_by_day": metrics["total_by_day"]["wape"]})
    frame = pd.DataFrame(rows, columns=["label", "model", "horizon", "wape", "wape_total_by_day"])
    return frame.astype({"wape": "float64", "wape_total_by_day": "float64"})


def next_period_by_zone(next_forecast: pd.DataFrame, group: str) -> pd.DataFrame:
    """Expected requests per zone over the whole next period, for ``dvc plots``."""
    totals = next_forecast.groupby(group, sort=True, observed=True)["expected"].sum()
    return pd.DataFrame({"zone": totals.index.astype(str), "expected": totals.to_numpy(dtype="float64")})

