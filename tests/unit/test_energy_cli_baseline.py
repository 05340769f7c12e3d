"""`kogadx co2 baseline`: per business × fuel model, balance points, CV(RMSE), NMBE, FSU and
savings; a short baseline, a weather gap and an unknown supplier give a status and a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kogadx.energy.cli import app
from kogadx.rng import stream_rng
from kogadx.synth.energy import sinusoid_temperature


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline")
    weather = sinusoid_temperature(stream_rng(4, "weather"), "2021-04-01", "2023-03-31")
    weather.assign(time=weather["time"].dt.strftime("%Y-%m-%d %H:%M")).to_csv(root / "weather.csv", index=False)
    gap = weather.loc[~weather["time"].dt.strftime("%Y-%m").eq("2021-08")]
    gap.assign(time=gap["time"].dt.strftime("%Y-%m-%d %H:%M")).to_csv(root / "weather_gap.csv", index=False)
    daily = weather.groupby(weather["time"].dt.to_period("M"))["temperature_c"].mean()
    months = daily.index
    rng = np.random.default_rng(0)
    cool = np.clip(daily.to_numpy() - 20, 0, None) * months.days_in_month
    rows = []
    for business, start in (("B0001", 0), ("B0002", 18)):  # B0002: data from 2022-10 only
        for i, m in enumerate(months[start:], start=start):
            kwh = (300 * m.days_in_month + 400 * cool[i]) * (1 + rng.normal(0, 0.02))
            rows.append({"事業所ID": business, "年月": m.strftime("%Y/%m"), "電力使用量(kWh)": f"{kwh:.0f}"})
    pd.DataFrame(rows).to_csv(root / "energy.csv", index=False)
    pd.DataFrame({"事業所ID": ["B0001", "B0002"], "電力供給事業者": ["九州電力", "どこかの新電力"],
                  "電力メニュー": ["B", ""], "対策実施月": ["", ""]}).to_csv(root / "businesses.csv", index=False)
    return root


def _run(files, weather="weather.csv"):
    out = files / f"out_{weather}"
    result = CliRunner().invoke(app, ["baseline", "--energy", str(files / "energy.csv"),
                                      "--weather", str(files / weather), "--out", str(out),
                                      "--businesses", str(files / "businesses.csv")])
    return result, out


def test_baseline_writes_models_and_statuses(files):
    result, out = _run(files)
    assert result.exit_code == 0, result.output
    models = pd.read_csv(out / "baseline_models.csv", encoding="utf-8-sig").set_index("事業所ID")
    a, b = models.loc["B0001"], models.loc["B0002"]
    assert a["状態"] == "fitted" and a["モデル"] in ("cdd_only", "hdd_cdd")
    assert abs(a["冷房バランス点(℃)"] - 20) <= 2
    for column in ("CV(RMSE)", "NMBE", "FSU(区間幅/削減量)", "削減量", "削減量下限(90%)"):
        assert np.isfinite(a[column])
    # fewer than 12 baseline months: a status and a reason, not a crash or a silent fit
    assert b["状態"] == "insufficient_baseline" and "有効な月が 0 か月" in b["理由"]
    assert "B0002" in result.output and "insufficient_baseline" in result.output


def test_weather_gap_and_unknown_supplier_are_reported(files):
    result, out = _run(files, "weather_gap.csv")
    assert result.exit_code == 0, result.output
    models = pd.read_csv(out / "baseline_models.csv", encoding="utf-8-sig").set_index("事業所ID")
    # the 2021-08 gap leaves 11 of 12 baseline months (≥ 90 %): still fitted, on 11 months
    assert models.at["B0001", "ベースライン月数"] == 11
    # B0001's reporting FY2022 has no sourced factor: avoided t-CO2 empty with the reason
    assert np.isnan(models.at["B0001", "回避排出量(t-CO2,基礎)"])
    assert "2022 年度の電力の基礎排出係数がありません" in models.at["B0001", "排出係数の状態"]
    assert "回避排出量を計算できません" in result.output


def test_unreadable_inputs_are_clear_errors(files, tmp_path):
    result = CliRunner().invoke(app, ["baseline", "--energy", str(tmp_path / "none.csv"), "--weather",
                                      str(files / "weather.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "エネルギー使用量のファイルがありません" in result.output
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(app, ["baseline", "--energy", str(files / "energy.csv"), "--weather",
                                      str(files / "weather.csv"), "--out", str(tmp_path / "file")])
    assert result.exit_code == 2 and "出力先がファイルです" in result.output
