"""The forecast stage main on a tiny synthetic panel: outputs, MLflow runs, reproducibility."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
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
        "models": ["seasonal_naive", "moving_average", "historical_average", "mstl", "lightgbm", "oracle"],
        "lightgbm": {"objective": "poisson", "learning_rate": 0.1, "num_leaves": 15},
    },
    # the next period's calendar (holidays, service hours) comes from the features section
    "features": {"start": "2023-01-02", "end": "2023-02-12", "weekday_hours": [9, 17], "weekend_hours": [8, 18],
                 "school_holiday_end": "08-19", "school_holiday_days": 25, "event_dates": []},
}


def _load_stage(project_root: Path):
    spec = importlib.util.spec_from_file_location("forecast_stage_script", project_root / "pipelines" / "forecast.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _argv(root: Path, out: Path, truth: str | None = None) -> list[str]:
    return [str(root / "panel.parquet"), truth or str(root / "truth.parquet"), str(out / "models"),
            str(out / "forecast.parquet"), str(out / "demand.json"), str(out / "figures"), str(out / "plots")]


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
            stage.main(_argv(root, out))
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
        assert set(block) == {"seasonal_naive", "moving_average", "historical_average", "mstl", "lightgbm", "oracle"}
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
    # integer predictive quantiles: a small mean (0.1 request) can lie above the upper bound 0
    assert (forecast["lower"] <= forecast["upper"]).all()
    assert (forecast[["lower", "upper"]] == forecast[["lower", "upper"]].round()).all().all()
    assert (forecast["lower"] >= 0).all()
    # the daily pattern is learnt: night hours (no service) forecast near zero, 9 h is busy
    hour = forecast["time"].dt.hour
    night, peak = forecast.loc[hour == 3, "expected"].mean(), forecast.loc[hour == 9, "expected"].mean()
    assert peak > 1.0
    assert night < 0.1 * peak


def test_plots_and_models_written(stage_run):
    _, _, (a, _) = stage_run
    for name in ("forecast_vs_actual", "residuals_by_hour", "feature_importance"):
        assert (a / "figures" / f"{name}.png").stat().st_size > 5_000
    import lightgbm as lgb

    booster = lgb.Booster(model_file=str(a / "models" / "lgbm_h168.txt"))
    assert "lambda_true" not in booster.feature_name()
    assert "lag_168" in booster.feature_name()
    # the headline series for `dvc plots`: WAPE per model and horizon, next period per zone
    wape = pd.read_csv(a / "plots" / "backtest_wape.csv")
    assert len(wape) == 6 * 2 and set(wape["horizon"]) == {24, 168}
    assert wape["label"].is_unique and wape["wape"].between(0, 2).all()
    metrics = json.loads((a / "demand.json").read_text(encoding="utf-8"))
    lgbm = wape[(wape["model"] == "lightgbm") & (wape["horizon"] == 24)]["wape"].iloc[0]
    assert lgbm == pytest.approx(metrics["backtest"]["h24"]["lightgbm"]["by_series_step"]["wape"], rel=1e-9)
    by_zone = pd.read_csv(a / "plots" / "next_period_by_zone.csv")
    forecast = pd.read_parquet(a / "forecast.parquet")
    assert by_zone["zone"].tolist() == ["Z00", "Z01", "Z02"]
    assert by_zone["expected"].to_numpy() == pytest.approx(
        forecast.groupby("zone")["expected"].sum().to_numpy(), rel=1e-9)


def test_text_model_is_what_save_model_writes(tmp_path):
    """The stage writes ``booster.model_to_string()`` as text: the same bytes as ``save_model``."""
    from kogadx.demand.forecast import ForecastConfig, build_design, fit_lightgbm
    from kogadx.demand.lags import PanelSpec, prepare_panel
    from kogadx.demand.params import ForecastParams
    from kogadx.stage import TextFile

    panel = prepare_panel(toy_hourly_panel(n_zones=2, days=21, seed=4), PanelSpec("time", "y", "zone"))
    design = build_design(panel, 24)
    config = ForecastConfig.from_params(ForecastParams(seed=3, num_boost_round=20))
    booster = fit_lightgbm(design, design.frame["y"].notna().to_numpy(), config)
    booster.save_model(tmp_path / "saved.txt")
    TextFile(booster.model_to_string()).write(tmp_path / "text.txt")
    assert (tmp_path / "text.txt").read_bytes() == (tmp_path / "saved.txt").read_bytes()


def _own_mlflow_store(folder: Path) -> dict[str, str]:
    """Extra stage runs log elsewhere: the module's store holds the two runs of ``stage_run``."""
    return {"MLFLOW_TRACKING_URI": f"sqlite:///{(folder / 'mlflow.db').as_posix()}",
            "KOGADX_MLFLOW_ARTIFACTS": (folder / "artifacts").as_posix()}


def test_forecast_without_truth_has_no_oracle(stage_run, project_root, tmp_path):
    root, _, _ = stage_run
    out = root / "no_truth"
    # a subprocess: MLflow keeps the tracking URI of the last run in the process
    subprocess.run([sys.executable, str(project_root / "pipelines" / "forecast.py"), *_argv(root, out, truth="-")],
                   check=True, capture_output=True,
                   env={**os.environ, **_own_mlflow_store(tmp_path), "KOGADX_ROOT": str(root)})
    metrics = json.loads((out / "demand.json").read_text(encoding="utf-8"))
    assert set(metrics["backtest"]["h24"]) == {"seasonal_naive", "moving_average", "historical_average", "mstl",
                                               "lightgbm"}


def test_forecast_outputs_are_the_same_bytes_whatever_the_threads_and_blas(stage_run, project_root, tmp_path):
    """LightGBM can depend on its thread count, numpy on the BLAS kernel (OPENBLAS_CORETYPE
    forces one) and threads. The engine pins LightGBM to one thread, deterministic; every
    output of the stage must be the same bytes whatever the environment says."""
    root, _, (a, _) = stage_run
    script = project_root / "pipelines" / "forecast.py"
    for name, env in {"other_cpu": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                    "OPENBLAS_CORETYPE": "Haswell"}}.items():
        out = root / name
        subprocess.run([sys.executable, str(script), *_argv(root, out)], check=True, capture_output=True,
                       env={**os.environ, **env, **_own_mlflow_store(tmp_path), "KOGADX_ROOT": str(root)})
        files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
        differing = [str(f) for f in files if (a / f).read_bytes() != (out / f).read_bytes()]
        assert differing == [], f"{name}: {differing}"


def test_mlflow_run_per_model(stage_run):
    import mlflow

    runs = mlflow.search_runs(experiment_names=["demand"])
    names = set(runs["tags.mlflow.runName"])
    for model in ("seasonal_naive", "moving_average", "historical_average", "mstl", "lightgbm", "oracle"):
        assert f"{model}_backtest" in names
    final = runs[runs["tags.mlflow.runName"] == "lightgbm_final"]
    assert len(final) == 2  # two stage runs in this module
    assert np.isfinite(final["metrics.h24.lightgbm.by_series_step.wape"]).all()
    logged = mlflow.search_logged_models(experiment_ids=[final["experiment_id"].iloc[0]])
    assert {"lightgbm_h24", "lightgbm_h168"} <= set(logged["name"])
