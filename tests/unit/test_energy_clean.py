"""Each fault kind in the monthly energy export is caught (quarantined or flagged with a reason)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.energy.clean import clean_monthly_energy, parse_year_month
from kogadx.rng import stream_rng
from kogadx.synth.energy import generate_business_energy, sinusoid_temperature
from kogadx.synth.params import EnergySynth


def _raw(n_months: int = 24) -> pd.DataFrame:
    """One business, steady electricity and seasonal city gas, raw Japanese headers, text values."""
    months = pd.period_range("2022-04", periods=n_months, freq="M")
    kwh = 10_000 + 2_000 * np.sin(np.arange(n_months))
    gas = 500 + 300 * np.cos(np.arange(n_months) * 2 * np.pi / 12)
    return pd.DataFrame({
        "事業所ID": "B0001", "年月": months.strftime("%Y/%m"), "稼働日数": "22",
        "電力使用量(kWh)": [str(int(v)) for v in kwh], "都市ガス(m3)": [str(int(v)) for v in gas],
    })


def test_clean_table_has_no_flags():
    result = clean_monthly_energy(_raw())
    assert result.flags.empty and result.quarantine.empty
    assert (result.energy["status"] == "ok").all()
    assert len(result.energy) == 24 * 2


def test_duplicate_row_is_quarantined_with_reason():
    raw = _raw()
    raw = pd.concat([raw.iloc[:5], raw.iloc[[4]], raw.iloc[5:]], ignore_index=True)
    raw.loc[len(raw)] = raw.loc[10].to_numpy()
    raw.loc[len(raw) - 1, "電力使用量(kWh)"] = "1"  # same key, different value
    result = clean_monthly_energy(raw)
    q = result.quarantine.set_index("source_row")
    # the exact repeat leaves; both rows of the conflicting month leave (#15: never one silently kept)
    assert set(q.index) == {5, 10, len(raw) - 1}
    assert (q["kind"] == "duplicate").all()
    assert "同じ事業所・年月・値" in q.at[5, "reason"] and "値の異なる行" in q.at[len(raw) - 1, "reason"]
    assert "値の異なる行" in q.at[10, "reason"]
    assert result.energy.groupby(["year_month", "fuel"]).size().max() == 1
    conflicted = str(raw.at[10, "年月"]).replace("/", "-")
    month = result.energy.loc[result.energy["year_month"] == conflicted]
    assert (month["status"] == "missing").all() and month["value"].isna().all()
    assert len(raw) == len(result.quarantine) + result.energy["source_row"].loc[lambda s: s >= 0].nunique()


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf"])
def test_non_finite_value_is_flagged_not_summed(text):
    raw = _raw()
    raw.at[3, "電力使用量(kWh)"] = text
    result = clean_monthly_energy(raw)
    row = result.energy.loc[(result.energy["source_row"] == 3) & (result.energy["fuel"] == "electricity")]
    assert row["status"].tolist() == ["excluded"] and row["value"].isna().all()
    assert (result.flags["kind"] == "invalid_value").sum() == 1


def test_unit_slip_is_flagged_and_corrected():
    raw = _raw()
    true_kwh = float(raw.at[7, "電力使用量(kWh)"])
    raw.at[7, "電力使用量(kWh)"] = f"{true_kwh / 1000:.3f}"
    result = clean_monthly_energy(raw)
    flag = result.flags.query("kind == 'unit_slip'")
    assert len(flag) == 1 and flag["source_row"].iloc[0] == 7
    assert "MWh" in flag["reason"].iloc[0] and flag["action"].iloc[0] == "corrected"
    row = result.energy.query("year_month == '2022-11' and fuel == 'electricity'").iloc[0]
    assert row["status"] == "corrected"
    assert row["value"] == pytest.approx(true_kwh)


@pytest.mark.parametrize("bad", ["-95000", "600000"])
def test_meter_reset_is_flagged_and_excluded(bad):
    raw = _raw()
    raw.at[3, "都市ガス(m3)"] = bad
    result = clean_monthly_energy(raw)
    flag = result.flags.query("kind == 'meter_reset'")
    assert len(flag) == 1 and flag["fuel"].iloc[0] == "city_gas" and flag["source_row"].iloc[0] == 3
    assert "メーター" in flag["reason"].iloc[0]
    row = result.energy.query("year_month == '2022-07' and fuel == 'city_gas'").iloc[0]
    assert row["status"] == "excluded" and np.isnan(row["value"])


def test_missing_month_is_flagged():
    raw = _raw().drop(index=[10, 11]).reset_index(drop=True)
    result = clean_monthly_energy(raw, period=("2022-04", "2024-04"))
    missing = result.flags.query("kind == 'missing_month'")
    assert sorted(missing["year_month"]) == ["2023-02", "2023-03", "2024-04"]
    assert (result.energy.query("status == 'missing'").groupby("year_month").size() == 2).all()


def test_invalid_value_and_bad_key():
    raw = _raw()
    raw.at[2, "電力使用量(kWh)"] = "abc"
    raw.at[4, "年月"] = "令和"
    result = clean_monthly_energy(raw)
    assert result.flags.query("kind == 'invalid_value'")["source_row"].tolist() == [2]
    assert result.quarantine["source_row"].tolist() == [4]
    assert "年月" in result.quarantine["reason"].iloc[0]


def test_parse_year_month_formats():
    assert parse_year_month("2021/4") == "2021-04"
    assert parse_year_month("2021年12月") == "2021-12"
    assert parse_year_month("202103") == "2021-03"
    assert parse_year_month("2021-13") is None


def test_every_injected_fault_is_caught_on_synthetic_data():
    weather = sinusoid_temperature(stream_rng(3, "weather"), "2021-04-01", "2025-03-31")
    towns = pd.DataFrame({"town_code": [f"40223{i:06d}" for i in range(5)], "lon": np.linspace(130.45, 130.55, 5)})
    _, energy, truth = generate_business_energy(stream_rng(3, "energy"), towns, weather,
                                                EnergySynth(n_businesses=20, fault_rate=0.02))
    result = clean_monthly_energy(energy, period=("2021-04", "2025-03"))
    faults = truth.faults
    assert set(faults["kind"]) == {"missing_month", "unit_slip", "meter_reset", "duplicate"}
    caught = set(zip(result.flags["business_id"], result.flags["year_month"], result.flags["kind"], strict=True))
    caught |= set(zip(result.quarantine["business_id"], result.quarantine["year_month"],
                      result.quarantine["kind"], strict=True))
    expected = set(zip(faults["business_id"], faults["year_month"], faults["kind"], strict=True))
    assert expected <= caught
    # duplicates are quarantined at the very rows the truth names
    dup_rows = set(faults.loc[faults["kind"] == "duplicate", "row"])
    assert dup_rows == set(result.quarantine.loc[result.quarantine["kind"] == "duplicate", "source_row"])
    assert not (caught - expected), "no false alarms on clean rows"
