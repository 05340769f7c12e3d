"""Degree days, Guideline 14 statistics, coefficient recovery, forecast and scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.energy.baseline import fill_with_baseline, fit_baselines, forecast_baselines, goodness_of_fit
from kogadx.energy.clean import clean_monthly_energy
from kogadx.energy.factors import load_emission_factors, select_emission_factors
from kogadx.energy.params import BaselineForecast, Scenarios
from kogadx.energy.scenarios import business_scenarios
from kogadx.energy.weather import degree_days
from kogadx.rng import stream_rng
from kogadx.synth.energy import generate_business_energy, sinusoid_temperature
from kogadx.synth.params import EnergySynth


def test_degree_days_constant_temperature():
    time = pd.date_range("2023-01-01", "2023-02-28 23:00", freq="h")
    temp = np.where(time.month == 1, 4.0, 25.0)
    dd = degree_days(pd.DataFrame({"time": time, "temperature_c": temp}), base_cooling=22.0, base_heating=14.0)
    assert dd["year_month"].tolist() == ["2023-01", "2023-02"]
    assert dd["hdd"].tolist() == pytest.approx([31 * 10.0, 0.0])
    assert dd["cdd"].tolist() == pytest.approx([0.0, 28 * 3.0])


def test_degree_days_sinusoid_is_fukuoka_like():
    dd = degree_days(sinusoid_temperature(stream_rng(0, "w"), "2022-01-01", "2022-12-31"))
    by_month = dd.set_index("year_month")
    assert by_month.loc["2022-08", "cdd"] > 100 and by_month.loc["2022-08", "hdd"] == 0
    assert by_month.loc["2022-01", "hdd"] > 150 and by_month.loc["2022-01", "cdd"] == 0
    assert 15 < by_month["mean_temp_c"].mean() < 19


def test_degree_days_rejects_gappy_month_and_trims_edges():
    time = pd.date_range("2023-01-01", "2023-04-01 00:00", freq="h")
    weather = pd.DataFrame({"time": time, "temperature_c": 10.0})
    assert degree_days(weather)["year_month"].tolist() == ["2023-01", "2023-02", "2023-03"]  # 1 h of April cut
    gappy = weather.loc[~((time.month == 2) & (time.day > 10))]
    with pytest.raises(ValueError, match="2023-02"):
        degree_days(gappy)


def test_guideline14_statistics_by_hand():
    y = np.array([10.0, 12.0, 14.0, 16.0, 18.0, 20.0])
    y_hat = np.array([11.0, 11.0, 15.0, 15.0, 19.0, 19.0])
    cv, nmbe = goodness_of_fit(y, y_hat, n_params=2)
    # residuals ±1 → SSE 6, n−p = 4, mean 15; bias Σ = 0
    assert cv == pytest.approx(np.sqrt(6 / 4) / 15)
    assert nmbe == pytest.approx(0.0)
    _, nmbe_biased = goodness_of_fit(y, y_hat - 1.0, n_params=2)
    assert nmbe_biased == pytest.approx(6 / (4 * 15))


@pytest.fixture(scope="module")
def synthetic():
    weather = sinusoid_temperature(stream_rng(11, "weather"), "2021-04-01", "2025-03-31")
    towns = pd.DataFrame({"town_code": [f"40223{i:06d}" for i in range(6)], "lon": np.linspace(130.45, 130.55, 6)})
    _, energy, truth = generate_business_energy(stream_rng(11, "energy"), towns, weather, EnergySynth(n_businesses=40))
    dd = degree_days(weather)
    clean = clean_monthly_energy(energy, period=("2021-04", "2025-03"))
    return dd, clean, truth, fit_baselines(clean.energy, dd)


def test_fill_forecast_and_anomalies(synthetic):
    dd, clean, _, result = synthetic
    filled = fill_with_baseline(clean.energy, result.predictions)
    gaps = filled.loc[filled["status"].isin(["missing", "excluded"])]
    assert len(gaps) > 0 and gaps["is_estimated"].all() and gaps["value_filled"].notna().all()
    forecast = forecast_baselines(result.models, result.predictions, dd, BaselineForecast(horizon_months=12))
    assert sorted(forecast["year_month"].unique())[0] == "2025-04" and forecast["year_month"].nunique() == 12
    assert (forecast["lower"] <= forecast["predicted"]).all() and (forecast["predicted"] <= forecast["upper"]).all()
    # linear model + normals averaged over the same four years: the forecast year equals the
    # mean of the four fitted years' predictions
    elec_fc = forecast.query("fuel == 'electricity'")["predicted"].sum()
    fitted_years = result.predictions.query("fuel == 'electricity'")["predicted"].sum() / 4
    assert elec_fc == pytest.approx(fitted_years, rel=1e-9)
    # a month pushed far off is flagged as an anomaly
    energy = clean.energy.copy()
    idx = energy.index[(energy["fuel"] == "electricity") & (energy["status"] == "ok")][30]
    energy.loc[idx, "value"] *= 3
    shocked = fit_baselines(energy, dd).predictions
    key = energy.loc[idx, ["business_id", "fuel", "year_month"]]
    hit = shocked[(shocked["business_id"] == key["business_id"]) & (shocked["fuel"] == key["fuel"])
                  & (shocked["year_month"] == key["year_month"])]
    assert hit["anomaly"].item()


def test_scenarios_arithmetic():
    factors = select_emission_factors(load_emission_factors(), 2023)
    annual = pd.DataFrame({"business_id": "B1", "fuel": ["electricity", "kerosene"], "amount": [100_000.0, 1_000.0]})
    businesses = pd.DataFrame({"business_id": ["B1"], "floor_area_m2": [400.0]})
    params = {
        "lighting_share_of_electricity": 0.2, "led_retrofit_share": 0.5, "led_saving_fraction": 0.5,
        "led_capex_yen_per_annual_kwh": 100, "pv_kw_per_100m2_floor": 5.0, "pv_max_kw": 10,
        "pv_yield_kwh_per_kw_yr": 1_000, "pv_self_consumption": 1.0, "pv_capex_yen_per_kw": 200_000,
        "fuel_switch_from": ["kerosene"], "fuel_switch_share": 1.0,
        "heat_content_gj_per_unit": {"kerosene": 0.036}, "boiler_efficiency": 1.0, "heat_pump_cop": 2.0,
        "heat_pump_full_load_hours": 1000, "heat_pump_capex_yen_per_kw": 100_000,
        "renewable_menu_share": 0.5, "renewable_menu_factor_t_per_kwh": 0.0, "renewable_premium_yen_per_kwh": 2.0,
        "prices_yen": {"electricity": 30.0, "kerosene": 100.0},
    }
    steps = business_scenarios(annual, businesses, factors, Scenarios(**params), "adjusted").set_index("step")
    ef = 0.000399
    assert steps.at["baseline", "t_co2"] == pytest.approx(100_000 * ef + 2.49)
    assert steps.at["led", "t_co2"] == pytest.approx(-5_000 * ef)            # 100k × 0.2 × 0.5 × 0.5
    assert steps.at["pv", "t_co2"] == pytest.approx(-10_000 * ef)            # min(20 kW, 10 kW) × 1000
    assert steps.at["pv", "capex_yen"] == pytest.approx(10 * 200_000)
    hp_kwh = 1_000 * 0.036 / 2.0 / 0.0036                                   # 5,000 kWh
    assert steps.at["fuel_switch", "t_co2"] == pytest.approx(-2.49 + hp_kwh * ef)
    assert steps.at["fuel_switch", "cost_yen_per_yr"] == pytest.approx(-100_000 + hp_kwh * 30)
    remaining = 100_000 - 5_000 - 10_000 + hp_kwh
    assert steps.at["renewable_menu", "t_co2"] == pytest.approx(-0.5 * remaining * ef)
    deltas = steps.loc[["led", "pv", "fuel_switch", "renewable_menu"], "t_co2"].sum()
    assert steps.at["after", "t_co2"] == pytest.approx(steps.at["baseline", "t_co2"] + deltas)
    # under the basic factor a menu earns no credit (only 調整後排出係数 credits menus)
    basic = business_scenarios(annual, businesses, factors, Scenarios(**params), "basic").set_index("step")
    assert basic.at["renewable_menu", "t_co2"] == 0.0
    assert basic.at["led", "t_co2"] == steps.at["led", "t_co2"]
