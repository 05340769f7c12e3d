"""The forecast stage's work: backtest, refit, next-period forecast, figures, MLflow runs.

``run_forecast_stage`` is pure (frames in, frames / dicts / figures out);
``log_forecast_runs`` writes one MLflow run per model × fold plus one for the refitted
LightGBM model (with signature and input example). The stage script does the file I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kogadx.demand.backtest import (
    BacktestResult,
    FinalModel,
    fold_metrics,
    forecast_next_period,
    refit_final,
    run_backtest,
    summarize,
)
from kogadx.demand.forecast import ForecastConfig
from kogadx.demand.params import ForecastParams
from kogadx.params import as_dict
from kogadx.demand.lags import GROUP, TIME, PanelSpec, PreparedPanel, prepare_panel
from kogadx.demand.plots import plot_feature_importance, plot_forecast_vs_actual, plot_residuals_by_hour


@dataclass
class ForecastStageOutputs:
    """Everything the stage writes: metrics, next-period forecast, models, figures."""

    panel: PreparedPanel
    config: ForecastConfig
    backtest: BacktestResult
    metrics: dict[str, Any]
    final: FinalModel
    next_forecast: pd.DataFrame
    figures: dict[str, Any]


def panel_spec_from_params(params: ForecastParams, columns: list[str], source: str) -> PanelSpec:
    """Column names from the typed ``forecast`` section; the oracle only if truth is present."""
    return PanelSpec(
        time_col=params.time_col,
        target_col=params.target_col,
        group_col=params.group_col,
        freq=params.freq,
        truth_col=params.truth_col if params.truth_col in columns else None,
        drop_cols=params.drop_cols,
        fill=params.fill,
        source=source,
    )


def run_forecast_stage(
    panel_frame: pd.DataFrame,
    params: ForecastParams,
    truth: pd.DataFrame | None = None,
    source: str = "panel",
    known_future: pd.DataFrame | None = None,
) -> ForecastStageOutputs:
    """Backtest all models, refit LightGBM on all data and forecast the next period.

    ``truth`` (optional; columns group, time and the truth column) is joined onto the panel
    for the oracle; it is used for metrics only and never becomes a feature.
    ``known_future``: exogenous columns known in advance for the next period (``time`` +
    columns, e.g. :func:`kogadx.demand.features.service_calendar`); without it they are
    copied from the week before (see :func:`kogadx.demand.forecast.extend_future`).
    """
    frame = panel_frame
    spec = panel_spec_from_params(params, list(frame.columns) + list(truth.columns if truth is not None else []), source)
    if truth is not None and spec.truth_col and spec.truth_col not in frame.columns:
        keys = [spec.group_col, spec.time_col] if spec.group_col else [spec.time_col]
        frame = frame.merge(truth[[*keys, spec.truth_col]], on=keys, how="left", validate="one_to_one")
    config = ForecastConfig.from_params(params)
    panel = prepare_panel(frame, spec)
    backtest = run_backtest(panel, config)
    summary = summarize(backtest.predictions, config.coverage)
    final = refit_final(panel, config, backtest.predictions, known_future)
    next_forecast = forecast_next_period(panel, final)
    group_name = spec.group_col or "series"
    next_forecast = next_forecast.rename(columns={GROUP: group_name, TIME: spec.time_col})
    max_h = max(config.horizons)
    metrics = _clean(
        {
            "backtest": summary,
            "origins": [o.isoformat() for o in backtest.origins],
            "series": int(panel.frame[GROUP].nunique()),
            "rows": len(panel.frame),
            "notes": list(panel.notes),
            "interval_quantile": {f"h{h}": q for h, q in final.quantiles.items()},
            "top_features": final.importance.head(10).to_dict(orient="records"),
        }
    )
    figures = {
        "forecast_vs_actual": plot_forecast_vs_actual(backtest.predictions, min(config.horizons)),
        "residuals_by_hour": plot_residuals_by_hour(backtest.predictions, max_h),
        "feature_importance": plot_feature_importance(final.importance),
    }
    return ForecastStageOutputs(panel, config, backtest, metrics, final, next_forecast, figures)


def log_forecast_runs(outputs: ForecastStageOutputs, params: ForecastParams) -> list[str]:
    """One MLflow run per model × fold, and one for the refitted LightGBM models; run ids."""
    import lightgbm
    from mlflow.models import infer_signature

    from kogadx.tracking import start_run

    run_ids = []
    per_fold = fold_metrics(outputs.backtest.predictions)
    for (model, fold), metrics in per_fold.items():
        origin = outputs.backtest.origins[fold]
        run_params = {"model": model, "fold": fold, "origin": origin.isoformat(),
                      "horizons": list(outputs.config.horizons)}
        if model == "lightgbm":
            run_params.update({"num_boost_round": outputs.config.num_boost_round,
                               "lightgbm": dict(outputs.config.lgbm_params), "seed": outputs.config.seed})
        with start_run("demand", stage="forecast", run_name=f"{model}_fold{fold}", params=run_params) as run:
            run.set_tags({"model": model, "fold": fold, "kind": "backtest"})
            run.log_metrics(_clean(metrics))
            run_ids.append(run.run_id)
    with start_run("demand", stage="forecast", run_name="lightgbm_final", params=as_dict(params)) as run:
        run.set_tags({"model": "lightgbm", "kind": "final"})
        run.log_metrics(_clean(outputs.metrics["backtest"]))
        for name, figure in outputs.figures.items():
            run.log_figure(figure, f"figures/{name}.png")
        for horizon, booster in outputs.final.boosters.items():
            design = outputs.final.designs[horizon]
            # float columns: lags are NaN at a series start, and MLflow integers cannot be NaN
            example = design.frame.loc[design.frame["y"].notna(), list(design.features)].tail(5)
            example = example.astype("float64")
            signature = infer_signature(example, booster.predict(example, num_threads=1))
            # Requirements given, not inferred: inference re-imports the model in a subprocess.
            run.mlflow.lightgbm.log_model(
                booster, name=f"lightgbm_h{horizon}", signature=signature, input_example=example,
                pip_requirements=[f"lightgbm=={lightgbm.__version__}"],
            )
        run_ids.append(run.run_id)
    return run_ids


def _clean(value: Any) -> Any:
    """NaN → None, numpy scalars → Python, recursively (valid JSON for `dvc metrics`)."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
