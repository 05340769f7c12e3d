"""`kogadx forecast evaluate` on a user's CSV: metrics JSON per model, clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
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
    assert set(document["comparison"]["h24"]) == {"seasonal_naive", "moving_average"}
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


def _run(tmp_path, frame: pd.DataFrame, *extra: str):
    source = tmp_path / "series.csv"
    frame.to_csv(source, index=False)
    return CliRunner().invoke(app, [
        "evaluate", "--input", str(source), "--time-col", "time", "--target-col", "y", "--group-col", "zone",
        "--out", str(tmp_path / "out"), "--horizon", "24", "--folds", "4", "--step", "24", "--warmup", "2",
        "--models", "seasonal_naive,lightgbm", "--num-boost-round", "20", "--drop-cols", "lambda_true", *extra,
    ])


def test_service_column_rows_are_not_scored_and_predictions_are_written(tmp_path):
    raw = toy_hourly_panel(2, 28, seed=8)
    raw["open"] = ((raw["time"].dt.hour >= 7) & (raw["time"].dt.hour <= 19)).astype(int)
    result = _run(tmp_path, raw, "--service-col", "open", "--calendar", "JP")
    assert result.exit_code == 0, result.output
    assert "運行中の行のみ" in result.output and "時間帯別の最低" in result.output
    pred = pd.read_parquet(tmp_path / "out" / "predictions.parquet")
    assert {"series", "time", "origin", "horizon", "model", "yhat", "lower", "upper"} <= set(pred.columns)
    closed = pred[pred["time"].dt.hour.isin([0, 3, 22])]
    assert len(closed) and not closed["scored"].any() and (closed["yhat"] == 0).all()
    document = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert document["metrics"]["h24"]["lightgbm"]["by_series_step"]["n"] == int(
        pred[(pred["model"] == "lightgbm") & pred["scored"]].shape[0])
    assert document["config"]["calendar"] == "JP"


@pytest.mark.parametrize(("edit", "column", "words"), [
    (lambda f: f.assign(time=f["time"] + pd.to_timedelta((f.index == 30) * 30, unit="min")), "time", "格子"),
    (lambda f: pd.concat([f, f.iloc[[40]]], ignore_index=True), "time", "重複"),
    (lambda f: f.assign(y=f["y"].where(f.index != 50, -1)), "y", "0 以上"),
    (lambda f: f.assign(open=f["open"].where(f.index != 60, 2)), "open", "0 か 1"),
    (lambda f: f[f["time"] < f["time"].min() + pd.Timedelta(days=5)], "time", "1 季節"),
])
def test_bad_input_gets_a_message_naming_the_column(tmp_path, edit, column, words):
    raw = toy_hourly_panel(1, 28, seed=8).assign(open=1)
    result = _run(tmp_path, edit(raw), "--service-col", "open")
    assert result.exit_code == 2
    assert f"'{column}'" in result.output and words in result.output, result.output
    assert not (tmp_path / "out").exists()
