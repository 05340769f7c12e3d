"""Stage co2 on a tiny synthetic city (20 businesses) in tmp_path."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kogadx.io import write_parquet
from kogadx.rng import stream_rng
from kogadx.synth.energy import generate_business_energy, sinusoid_temperature
from kogadx.synth.params import EnergySynth
from tests.helpers import differing_outputs, outputs_under_blas_variants

CO2_PARAMS = yaml.safe_load("""
co2:
  period: {start: "2021-04", end: "2025-03"}
  fiscal_year: 2023
  electricity_basis: basic
  fuel_basis: auto
  degree_days: {base_cooling_c: 22.0, base_heating_c: 14.0}
  cleaning: {unit_slip_ratio: 100.0, jump_factor: 8.0}
  baseline: {min_months: 24, holdout_months: 12, cv_max: 0.15, nmbe_max: 0.05, anomaly_sigma: 3.0}
  mv: {baseline_months: 12, reporting_months: 12, default_baseline_start: "2021-04"}
  forecast: {horizon_months: 12, z: 1.96}
  scenarios:
    lighting_share_of_electricity: 0.2
    led_retrofit_share: 0.5
    led_saving_fraction: 0.5
    led_capex_yen_per_annual_kwh: 150
    pv_kw_per_100m2_floor: 5.0
    pv_max_kw: 200
    pv_yield_kwh_per_kw_yr: 1100
    pv_self_consumption: 0.8
    pv_capex_yen_per_kw: 250000
    fuel_switch_from: [kerosene, a_heavy_oil]
    fuel_switch_share: 0.5
    heat_content_gj_per_unit: {kerosene: 0.0367, a_heavy_oil: 0.0391}
    boiler_efficiency: 0.85
    heat_pump_cop: 3.0
    heat_pump_full_load_hours: 1500
    heat_pump_capex_yen_per_kw: 150000
    renewable_menu_share: 0.3
    renewable_menu_factor_t_per_kwh: 0.0
    renewable_premium_yen_per_kwh: 2.0
    prices_yen: {electricity: 27.0, city_gas: 150.0, lpg: 400.0, kerosene: 110.0, gasoline: 170.0, diesel: 150.0,
                 a_heavy_oil: 100.0}
  figures: {example_business_id: null}
""")


def _load_stage(project_root):
    spec = importlib.util.spec_from_file_location("co2_stage", project_root / "pipelines" / "co2.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def stage_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(CO2_PARAMS, allow_unicode=True), encoding="utf-8")
    weather = sinusoid_temperature(stream_rng(2, "weather"), "2021-04-01", "2025-03-31")
    towns = pd.DataFrame({"town_code": [f"40223{i:06d}" for i in range(6)], "lon": np.linspace(130.45, 130.55, 6)})
    businesses, energy, _ = generate_business_energy(stream_rng(2, "energy"), towns, weather,
                                                     EnergySynth(n_businesses=20, fault_rate=0.01))
    canaries = set(businesses["担当者氏名"]) | set(businesses["電話番号"]) | set(businesses["メールアドレス"])
    pseudo = tmp_path / "data" / "pseudonymized"
    # the privacy stage deletes the contact columns; the stage must not need them
    write_parquet(businesses.drop(columns=["担当者氏名", "電話番号", "メールアドレス"]), pseudo / "businesses.parquet")
    write_parquet(energy, pseudo / "business_energy.parquet")
    write_parquet(weather, tmp_path / "data" / "raw" / "weather_hourly.parquet")
    return tmp_path, canaries


FACTORS = Path(__file__).resolve().parents[2] / "src" / "kogadx" / "energy" / "emission_factors.csv"


def _argv(root: Path, suffix: str) -> list[str]:
    pseudo = root / "data" / "pseudonymized"
    return [str(pseudo / "businesses.parquet"), str(pseudo / "business_energy.parquet"),
            str(root / "data" / "raw" / "weather_hourly.parquet"), str(FACTORS),
            str(root / f"features{suffix}"), str(root / f"figures{suffix}"), str(root / f"plots{suffix}"),
            str(root / f"metrics{suffix}.json")]


def _run(stage, root, suffix):
    stage.main(_argv(root, suffix))
    return root / f"features{suffix}", root / f"figures{suffix}", root / f"metrics{suffix}.json"


def test_co2_stage_end_to_end(stage_inputs, project_root):
    root, canaries = stage_inputs
    stage = _load_stage(project_root)
    out, figs, metrics_path = _run(stage, root, "_a")
    expected = {"emissions", "baseline_models", "baseline_predictions", "forecast", "scenarios", "scenarios_city",
                "flags", "quarantine", "weather_normalised_yoy", "emissions_by_sector", "intensity", "mv_models",
                "mv_monthly", "emission_factor_status", "scenarios_city_adjusted", "caltrack_models",
                "caltrack_predictions"}
    assert expected <= {p.stem for p in out.glob("*.parquet")}
    # sums only: a single business's own chart could identify it in this shareable folder
    assert {p.stem for p in figs.glob("*.png")} == {"city_monthly_emissions", "city_weather_normalised_yoy",
                                                    "city_scenario_waterfall"}
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    assert metrics["n_businesses"] == 20
    assert metrics["baseline"]["models_pass_g14_share"] >= 0.6
    assert metrics["faults"]["duplicate_quarantined"] > 0 and metrics["faults"]["unit_slip"] > 0
    mv = pd.read_parquet(out / "mv_models.parquet")
    assert mv["status"].notna().all() and (mv["reason"].notna() | (mv["status"] == "fitted")).all()
    assert set(mv["model_type"].dropna()) <= {"intercept_only", "hdd_only", "cdd_only", "hdd_cdd"}
    assert ((mv["savings_lower"] <= mv["savings"]) | mv["savings"].isna()).all()
    emissions = pd.read_parquet(out / "emissions.parquet")
    # a business whose supplier has no factor: NaN with a reason, never 0 and never another year's
    missing = emissions["factor_status"] == "missing"
    assert emissions.loc[missing, "t_co2"].isna().all()
    assert emissions.loc[missing, "factor_reason"].str.contains("2023 年度の電力").all()
    counted = emissions.loc[~emissions["business_id"].isin(emissions.loc[missing, "business_id"])]
    assert counted["t_co2"].notna().all() and (counted["t_co2"] >= 0).all()
    assert metrics["n_businesses_counted"] + metrics["n_businesses_without_factor"] == 20
    assert metrics["city_t_co2_latest_fy"] == pytest.approx(
        counted.loc[counted["fiscal_year"] == metrics["latest_fiscal_year"], "t_co2"].sum())
    # the renewable menu is credited under the adjusted factor only
    basic = pd.read_parquet(out / "scenarios_city.parquet").set_index("step")
    adjusted = pd.read_parquet(out / "scenarios_city_adjusted.parquet").set_index("step")
    assert basic.at["renewable_menu", "t_co2"] == 0 and adjusted.at["renewable_menu", "t_co2"] < 0
    assert set(emissions["scope"]) == {1, 2}
    # nothing personal in the shareable outputs
    for path in out.glob("*.parquet"):
        frame = pd.read_parquet(path).astype(str)
        assert not frame.isin(canaries).any().any(), path.name
    # same inputs + params → byte-identical tables and figures
    out_b, figs_b, metrics_b = _run(stage, root, "_b")
    for path in out.glob("*.parquet"):
        assert path.read_bytes() == (out_b / path.name).read_bytes(), path.name
    for path in figs.glob("*.png"):
        assert path.read_bytes() == (figs_b / path.name).read_bytes(), path.name
    assert metrics_path.read_bytes() == metrics_b.read_bytes()
    _assert_mlflow_run()


def _assert_mlflow_run():
    import mlflow

    runs = mlflow.search_runs(experiment_names=["co2"], output_format="list")
    assert runs, "a co2 run is logged"
    run = runs[0]
    assert run.data.tags["dvc_stage"] == "co2"
    assert "baseline.models_pass_g14_share" in run.data.metrics
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "baseline")]
    assert "baseline/mv_models.csv" in artifacts


def test_co2_outputs_are_the_same_bytes_whatever_the_blas(stage_inputs, project_root):
    """The least-squares baselines differ by BLAS kernel from the 11th digit on; the stage's
    stated precision (kogadx.energy.stage.FLOAT_DIGITS) must make every output identical."""
    root, _ = stage_inputs

    def outputs(tag: str) -> list[Path]:
        return [root / f"features_{tag}", root / f"plots_{tag}", root / f"metrics_{tag}.json"]

    runs = outputs_under_blas_variants(project_root / "pipelines" / "co2.py", lambda tag: _argv(root, f"_{tag}"),
                                       outputs)
    assert len(runs["default"]) > 15
    assert differing_outputs(runs) == {"other_cpu": []}
