"""Stage ``counter`` end to end at a tiny scale in tmp_path."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from kogadx.counter.params import CounterParams
from kogadx.counter.queue import CounterInputError
from kogadx.counter.stage import CounterInputs, run_counter
from kogadx.params import validate_params
from tests.counter_fixtures import tiny_counter_world
from tests.helpers import load_stage_script

PARAMS = {"counter": {
    "seed": 3, "target_year": 2025, "replications": 3, "backtest_years": 1,
    "scenarios": [{"name": "オンライン 0 %", "online_uptake": 0.0}, {"name": "オンライン 60 %", "online_uptake": 0.6},
                  {"name": "予約 2週間", "online_uptake": 0.3, "appointment_share": 0.4, "venue_days": 10}],
}}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("counter")
    (root / "params.yaml").write_text(yaml.safe_dump(PARAMS, allow_unicode=True), encoding="utf-8")
    _, households, log = tiny_counter_world(n_households=100, years=(2022, 2023, 2024))
    households.to_parquet(root / "households.parquet")
    log.to_parquet(root / "log.parquet")
    return root


def _run(root, tag):
    out = {k: root / tag / k for k in ("features", "figures", "plots")}
    load_stage_script("counter").main([str(root / "households.parquet"), str(root / "log.parquet"),
                                       str(out["features"]), str(out["figures"]), str(out["plots"]),
                                       str(root / tag / "counter.json")])
    return out, root / tag / "counter.json"


def test_stage_plans_every_scenario_and_is_deterministic(inputs, monkeypatch):
    monkeypatch.setenv("KOGADX_ROOT", str(inputs))
    out, metrics_path = _run(inputs, "a")
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    assert metrics["households"] == 100
    assert set(metrics["scenarios"]) == {"オンライン 0 %", "オンライン 60 %", "予約 2週間"}
    s = metrics["scenarios"]
    # Online pre-submission shortens visits: fewer staff-hours for the same wait target.
    assert s["オンライン 60 %"]["staff_hours"] < s["オンライン 0 %"]["staff_hours"]
    plan = pd.read_parquet(out["features"] / "staffing_plan.parquet")
    assert (plan["counters"] >= 1).all()
    assert plan.groupby("scenario")["day"].max().to_dict()["予約 2週間"] == 10
    forecast = pd.read_parquet(out["features"] / "arrival_forecast.parquet")
    assert forecast["mean"].sum() == pytest.approx(100, rel=0.02)
    assert sorted(p.name for p in out["figures"].glob("*.png")) == ["arrivals_heatmap.png", "waits_by_scenario.png"]
    # Nothing of the households' pseudonyms reaches the shareable outputs.
    blob = b"".join(p.read_bytes() for p in [*out["features"].glob("*.parquet"), metrics_path])
    assert b"C00001" not in blob and b"P00001" not in blob

    import mlflow

    names = {r.info.run_name for r in mlflow.search_runs(experiment_names=["counter"], output_format="list")}
    assert {"counter-forecast-2025", "counter-staffing-2025"} <= names


def test_same_inputs_and_seed_give_the_same_plan(inputs):
    households, log = pd.read_parquet(inputs / "households.parquet"), pd.read_parquet(inputs / "log.parquet")
    params = validate_params(CounterParams, {**PARAMS["counter"], "scenarios": PARAMS["counter"]["scenarios"][1:2]})
    first, second = (run_counter(CounterInputs(households, log), params) for _ in range(2))
    for key, table in first.tables.items():
        pd.testing.assert_frame_equal(table, second.tables[key])
    assert first.metrics == second.metrics
    other = run_counter(CounterInputs(households, log), validate_params(CounterParams, {
        **PARAMS["counter"], "seed": 4, "scenarios": PARAMS["counter"]["scenarios"][1:2]}))
    assert not other.tables["features/staffing_plan.parquet"].equals(first.tables["features/staffing_plan.parquet"])


def test_empty_log_is_a_clear_error(inputs, monkeypatch, tmp_path):
    monkeypatch.setenv("KOGADX_ROOT", str(inputs))
    pd.read_parquet(inputs / "log.parquet").iloc[:0].to_parquet(tmp_path / "empty.parquet")
    with pytest.raises(CounterInputError, match="空です"):
        load_stage_script("counter").main([str(inputs / "households.parquet"), str(tmp_path / "empty.parquet"),
                                           *(str(tmp_path / k) for k in ("f", "g", "p", "m.json"))])
