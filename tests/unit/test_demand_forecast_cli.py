"""`kogadx forecast evaluate` on a user's CSV: metrics JSON per model, clear errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kogadx.demand.cli import app
from kogadx.demand.toy import toy_hourly_panel


def test_evaluate_writes_per_model_metrics(tmp_path):
    raw = toy_hourly_panel(1, 28, seed=8).drop(columns=["zone"])
    raw = raw.drop(index=[100, 101])  # two missing hours, filled with 0
    source = tmp_path / "series.csv"
    raw.to_csv(source, index=False, encoding="cp932")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "evaluate", "--input", str(source), "--time-col", "time", "--target-col", "y",
        "--horizon", "24", "--folds", "2", "--freq", "h", "--out", str(out),
        "--models", "seasonal_naive,moving_average,lightgbm", "--drop-cols", "lambda_true",
        "--num-boost-round", "30",
    ])
    assert result.exit_code == 0, result.output
    assert "WAPE" in result.output
    document = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(document["metrics"]["h24"]) == {"seasonal_naive", "moving_average", "lightgbm"}
    for metrics in document["metrics"]["h24"].values():
        assert {"wape", "mae", "rmse", "bias"} <= set(metrics["by_series_step"])
    assert document["filled_steps"] == 2
    assert "lambda_true" not in document["features_exogenous"]
    assert (out / "predictions.parquet").is_file()


def test_evaluate_names_missing_column(tmp_path):
    source = tmp_path / "series.csv"
    toy_hourly_panel(1, 28, seed=8).to_csv(source, index=False)
    result = CliRunner().invoke(app, [
        "evaluate", "--input", str(source), "--time-col", "日時", "--target-col", "y",
        "--out", str(tmp_path / "out"),
    ])
    assert result.exit_code == 2
    assert "日時" in result.output and "series.csv" in result.output


def test_evaluate_names_a_bad_option(tmp_path):
    source = tmp_path / "series.csv"
    toy_hourly_panel(1, 28, seed=8).to_csv(source, index=False)
    result = CliRunner().invoke(app, [
        "evaluate", "--input", str(source), "--time-col", "time", "--target-col", "y",
        "--out", str(tmp_path / "out"), "--models", "seasonal_naive,prophet", "--coverage", "1.5",
    ])
    assert result.exit_code == 2
    assert "オプションの値が不正です" in result.output
    assert "--models" in result.output and "prophet" in result.output and "--coverage" in result.output
    assert not (tmp_path / "out").exists()
