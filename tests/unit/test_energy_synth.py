"""Synthetic business energy generator: raw shape, determinism, truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.energy.schema import FUELS
from kogadx.rng import stream_rng
from kogadx.synth.energy import generate_business_energy, operating_day_counts, sinusoid_temperature
from kogadx.synth.params import EnergySynth


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return sinusoid_temperature(stream_rng(5, "weather"), "2021-04-01", "2025-03-31")


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    return pd.DataFrame({"town_code": [f"40223{i:06d}" for i in range(10)], "lon": np.linspace(130.45, 130.55, 10),
                         "population": np.arange(10) * 100 + 200})


def test_raw_tables_and_truth(weather, towns):
    businesses, energy, truth = generate_business_energy(stream_rng(5, "energy"), towns, weather,
                                                         EnergySynth(n_businesses=30))
    assert list(businesses.columns) == ["事業所ID", "事業所名", "業種コード", "業種名", "従業員数", "延床面積",
                                        "町丁目コード", "担当者氏名", "電話番号", "メールアドレス",
                                        "電力供給事業者", "電力メニュー", "対策実施月"]
    coef = truth.coefficients
    # each business its own balance points, inside the documented ranges
    assert coef["heating_bp_c"].between(10, 18).all() and coef["cooling_bp_c"].between(18, 26).all()
    assert coef.groupby("business_id")["heating_bp_c"].first().nunique() == coef["business_id"].nunique()
    # measures: the month in the master, the planted saving in the truth
    measured = businesses.loc[businesses["対策実施月"] != "", ["事業所ID", "対策実施月"]]
    retro = truth.retrofits.set_index("business_id")
    assert set(measured["事業所ID"]) == set(retro.index) and len(retro) > 0
    for rec in measured.itertuples(index=False):
        assert retro.at[rec[0], "intervention_month"] == rec[1].replace("/", "-")
    assert (retro["true_savings"] > 0).all() and retro["saving_fraction"].between(0.08, 0.25).all()
    assert businesses["事業所ID"].is_unique and len(businesses) == 30
    assert businesses["町丁目コード"].isin(towns["town_code"]).all()
    assert businesses["担当者氏名"].str.contains(" ").all() and businesses["メールアドレス"].str.contains("@").all()
    for header in ["事業所ID", "年月", "稼働日数", *(f.header for f in FUELS)]:
        assert header in energy.columns
    assert energy.map(lambda v: isinstance(v, str)).all().all()  # raw export: text only
    assert set(truth.coefficients["fuel"]) <= {f.key for f in FUELS}
    assert (truth.coefficients.query("fuel == 'electricity'")["cdd_coef"] > 0).all()
    assert (truth.coefficients.query("fuel in ['gasoline', 'diesel']")[["cdd_coef", "hdd_coef"]] == 0).all().all()
    logistics = businesses.loc[businesses["業種コード"] == "44", "町丁目コード"]
    east = set(towns.loc[towns["lon"] >= towns["lon"].median(), "town_code"])
    assert logistics.isin(east).mean() >= 0.5 if len(logistics) else True


def test_same_seed_same_output(weather, towns):
    a = generate_business_energy(stream_rng(9, "energy"), towns, weather, EnergySynth(n_businesses=8))
    b = generate_business_energy(stream_rng(9, "energy"), towns, weather, EnergySynth(n_businesses=8))
    c = generate_business_energy(stream_rng(10, "energy"), towns, weather, EnergySynth(n_businesses=8))
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    pd.testing.assert_frame_equal(a[2].faults, b[2].faults)
    assert not a[0]["担当者氏名"].equals(c[0]["担当者氏名"])


def test_fault_rate_zero_gives_a_complete_clean_table(weather, towns):
    _, energy, truth = generate_business_energy(stream_rng(1, "energy"), towns, weather,
                                                EnergySynth(n_businesses=5, fault_rate=0.0))
    assert truth.faults.empty
    assert len(energy) == 5 * 48
    assert not energy.duplicated(["事業所ID", "年月"]).any()


def test_operating_days_follow_holidays():
    months = pd.period_range("2024-05", "2024-05", freq="M")
    # May 2024 has 23 weekdays; Golden Week holidays on weekdays: Fri 3rd, Mon 6th (substitute)
    assert operating_day_counts(months, "weekday")[0] == 21
    assert operating_day_counts(months, "six_day")[0] == 21 + 4 - 1  # + Saturdays, less Sat 4th
    assert operating_day_counts(months, "all_days")[0] == 31
