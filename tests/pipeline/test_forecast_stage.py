"""The forecast stage main on a tiny synthetic panel: outputs, MLflow runs, reproducibility."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kogadx.demand.toy import toy_hourly_panel

PARAMS = {
    "forecast": {
        "time_col": "time", "target_col": "y", "group_col": "zone", "freq": "h",
        "truth_col": "lambda_true", "horizons": [24, 168], "n_folds": 2, "coverage": 0.8,
        "seed": 7, "num_boost_round": 40, "mstl_history": 336,
        "models": ["seasonal_naive", "moving_average", "mstl", "lightgbm", "oracle"],
        "lightgbm": {"objective": "poisson", "learning_rate": 0.1, "num_leaves": 15},
    }
}


def _load_stage(project_root: Path):
    spec = importlib.util.spec_from_file_location("forecast_stage_script", project_root / "pipelines" / "forecast.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stage_run(project_root, tmp_path_factory):
    """Run the stage twice on the same inputs (3 zones, 6 weeks), truth in a separate file."""
    root = tmp_path_factory.mktemp("forecast_stage")
    (root / "params.yaml").write_text(yaml.safe_dump(PARAMS), encoding="utf-8")
    (root / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    panel = toy_hourly_panel(n_zones=3, days=42, seed=11)
    panel.drop(columns="lambda_true").to_parquet(root / "panel.parquet")
    panel[["zone", "time", "lambda_true"]].to_parquet(root / "truth.parquet")
    stage = _load_stage(project_root)
    mp = pytest.MonkeyPatch()
    mp.setenv("KOGADX_ROOT", str(root))
    try:
        outs = []
        for run in ("a", "b"):
            out = root / run
            stage.main(["forecast.py", str(root / "panel.parquet"), str(out / "models"),
                        str(out / "forecast.parquet"), str(out / "demand.json"), str(out / "plots"),
                        str(root / "truth.parquet")])
            outs.append(out)
    finally:
        mp.undo()
    return root, panel, outs


def test_metrics_json_is_reproducible(stage_run):
    _, _, (a, b) = stage_run
    assert (a / "demand.json").read_bytes() == (b / "demand.json").read_bytes()
    assert (a / "forecast.parquet").read_bytes() == (b / "forecast.parquet").read_bytes()
    assert (a / "models" / "lgbm_h24.txt").read_text() == (b / "models" / "lgbm_h24.txt").read_text()


def test_metrics_cover_every_model_and_horizon(stage_run):
    _, _, (a, _) = stage_run
    metrics = json.loads((a / "demand.json").read_text(encoding="utf-8"))
    for key in ("h24", "h168"):
        block = metrics["backtest"][key]
        assert set(block) == {"seasonal_naive", "moving_average", "mstl", "lightgbm", "oracle"}
        for model in block.values():
            assert model["by_series_step"]["n"] > 0
            assert 0 <= model["by_series_step"]["wape"] < 2
        # the oracle is the noise floor: on Poisson counts nothing should be far below it
        assert block["lightgbm"]["by_series_step"]["wape"] > 0.8 * block["oracle"]["by_series_step"]["wape"]
        assert 0.5 < block["lightgbm"]["interval"]["coverage"] <= 1.0


def test_next_period_forecast_for_dispatch(stage_run):
    _, panel, (a, _) = stage_run
    forecast = pd.read_parquet(a / "forecast.parquet")
    assert list(forecast.columns) == ["zone", "time", "horizon_step", "expected", "lower", "upper"]
    assert len(forecast) == 3 * 168
    assert forecast["time"].min() == panel["time"].max() + pd.Timedelta(hours=1)
    assert (forecast["lower"] <= forecast["expected"]).all()
    assert (forecast["expected"] <= forecast["upper"]).all()
    assert (forecast["lower"] >= 0).all()
    # the daily pattern is learnt: night hours (no service) forecast near zero, 9 h is busy
    hour = forecast["time"].dt.hour
    night, peak = forecast.loc[hour == 3, "expected"].mean(), forecast.loc[hour == 9, "expected"].mean()
    assert peak > 1.0
    assert night < 0.1 * peak


def test_plots_and_models_written(stage_run):
    _, _, (a, _) = stage_run
    for name in ("forecast_vs_actual", "residuals_by_hour", "feature_importance"):
        assert (a / "plots" / f"{name}.png").stat().st_size > 5_000
    import lightgbm as lgb

    booster = lgb.Booster(model_file=str(a / "models" / "lgbm_h168.txt"))
    assert "lambda_true" not in booster.feature_name()
    assert "lag_168" in booster.feature_name()


def test_mlflow_run_per_model_and_fold(stage_run):
    import mlflow

    runs = mlflow.search_runs(experiment_names=["demand"])
    names = set(runs["tags.mlflow.runName"])
    for model in ("seasonal_naive", "moving_average", "mstl", "lightgbm", "oracle"):
        for fold in range(2):
            assert f"{model}_fold{fold}" in names
    final = runs[runs["tags.mlflow.runName"] == "lightgbm_final"]
    assert len(final) == 2  # two stage runs in this module
    assert np.isfinite(final["metrics.h24.lightgbm.by_series_step.wape"]).all()
    logged = mlflow.search_logged_models(experiment_ids=[final["experiment_id"].iloc[0]])
    assert {"lightgbm_h24", "lightgbm_h168"} <= set(logged["name"])
