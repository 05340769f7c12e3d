"""Synthetic Fukuoka weather and the JMA download CSV layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.io import InputFileError
from kogadx.rng import stream_rng
from kogadx.synth.weather import CLIMATE_NORMALS_FUKUOKA, generate_hourly_weather
from kogadx.weather import WEATHER_COLUMNS, parse_jma_csv, read_weather, to_jma_csv, weather_by_hour_start


@pytest.fixture(scope="module")
def three_years() -> pd.DataFrame:
    return generate_hourly_weather(stream_rng(7, "weather"), "2021-01-01", "2023-12-31")


def test_shape_and_jma_time_convention() -> None:
    w = generate_hourly_weather(stream_rng(1, "weather"), "2024-02-27", "2024-03-01")
    assert list(w.columns) == WEATHER_COLUMNS
    assert len(w) == 4 * 24
    assert w["time"].dtype == "datetime64[us]"
    assert w["time"].iloc[0] == pd.Timestamp("2024-02-27 01:00")
    assert w["time"].iloc[-1] == pd.Timestamp("2024-03-02 00:00")  # 24:00 of the last day
    assert (w["time"].diff().dropna() == pd.Timedelta(hours=1)).all()
    assert not w.drop(columns="wind_direction").isna().any().any()
    assert (w["precipitation_mm"] >= 0).all() and ((w["precipitation_mm"] * 2) % 1 == 0).all()
    assert w["relative_humidity_pct"].between(0, 100).all()
    assert w["sunshine_h"].between(0, 1).all()
    assert (weather_by_hour_start(w)["time"].iloc[0]) == pd.Timestamp("2024-02-27 00:00")


def test_follows_fukuoka_climatology(three_years: pd.DataFrame) -> None:
    w = three_years
    monthly_t = w.groupby(w["time"].dt.month)["temperature_c"].mean()
    normals = np.asarray(CLIMATE_NORMALS_FUKUOKA["mean_temperature_c"])
    assert np.abs(monthly_t.to_numpy() - normals).max() < 2.5
    years = w["time"].dt.year.nunique()
    monthly_p = w.groupby(w["time"].dt.month)["precipitation_mm"].sum() / years
    # Rainy season (Jun–Jul) wetter than winter (Dec–Jan), as in the normals.
    assert monthly_p[[6, 7]].sum() > 1.8 * monthly_p[[12, 1]].sum()
    annual = monthly_p.sum()
    normal = sum(CLIMATE_NORMALS_FUKUOKA["precipitation_mm"])
    assert 0.7 * normal < annual < 1.3 * normal


def test_daily_cycle_ar1_anomalies_and_wet_spells(three_years: pd.DataFrame) -> None:
    w = three_years
    by_hour = w.groupby(w["time"].dt.hour)["temperature_c"].mean()
    assert by_hour[14] - by_hour[6] > 4.0
    daily = w.set_index("time")["temperature_c"].resample("D").mean()
    anomaly = daily - daily.rolling(31, center=True, min_periods=10).mean()
    assert anomaly.autocorr(1) > 0.4  # persistent day-to-day anomalies
    wet = (w["precipitation_mm"] > 0).to_numpy()
    p_wet = wet.mean()
    p_wet_after_wet = wet[1:][wet[:-1]].mean()
    assert p_wet_after_wet > 3 * p_wet  # rain comes in spells, not isolated hours


def test_same_seed_same_series_other_seed_differs() -> None:
    a = generate_hourly_weather(stream_rng(3, "weather"), "2023-06-01", "2023-06-20")
    b = generate_hourly_weather(stream_rng(3, "weather"), "2023-06-01", "2023-06-20")
    c = generate_hourly_weather(stream_rng(4, "weather"), "2023-06-01", "2023-06-20")
    pd.testing.assert_frame_equal(a, b)
    assert not a["temperature_c"].equals(c["temperature_c"])


def test_jma_csv_round_trip_and_layout() -> None:
    w = generate_hourly_weather(stream_rng(2, "weather"), "2023-07-01", "2023-07-10")
    raw = to_jma_csv(w)
    text = raw.decode("cp932")
    lines = text.split("\r\n")
    assert lines[0].startswith("ダウンロードした時刻：")
    assert lines[1] == ""
    assert lines[2].split(",")[:2] == ["", "福岡"]
    assert lines[3].startswith("年月日時,降水量(mm),降水量(mm),降水量(mm),降水量(mm),気温(℃)")
    assert lines[5].startswith(",,現象なし情報,品質情報,均質番号,,品質情報,均質番号")
    assert lines[6].startswith("2023/7/1 1:00:00,")
    assert "2023/7/11 0:00:00," in text  # 24:00 written as 00:00 of the next day
    back = parse_jma_csv(raw)
    pd.testing.assert_frame_equal(back, w)
    assert to_jma_csv(w) == raw


# A file written by hand after the real download layout (staffed station, two elements,
# plus a temperature-only file); includes a missing hour (品質情報 1, empty value).
REAL_LAYOUT_MULTI = (
    "ダウンロードした時刻：2024/10/02 09:15:42\r\n"
    "\r\n"
    ",福岡,福岡,福岡,福岡,福岡,福岡,福岡\r\n"
    "年月日時,気温(℃),気温(℃),気温(℃),降水量(mm),降水量(mm),降水量(mm),降水量(mm)\r\n"
    ",,品質情報,均質番号,,現象なし情報,品質情報,均質番号\r\n"
    "2024/9/30 22:00:00,24.1,8,1,0,1,8,1\r\n"
    "2024/9/30 23:00:00,,1,1,1.5,0,8,1\r\n"
    "2024/10/1 0:00:00,23.6,8,1,3,0,8,1\r\n"
)
REAL_LAYOUT_TEMP_ONLY = (
    "ダウンロードした時刻：2026/07/20 12:31:33\r\n"
    "\r\n"
    ",福岡,福岡,福岡\r\n"
    "年月日時,気温(℃),気温(℃),気温(℃)\r\n"
    ",,品質情報,均質番号\r\n"
    "2016/1/1 1:00:00,5.2,8,1\r\n"
    "2016/1/1 2:00:00,4.9,5,1\r\n"
)


def test_parses_hand_written_real_layout(tmp_path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(REAL_LAYOUT_MULTI.encode("cp932"))
    frame = read_weather(path)
    assert list(frame.columns) == ["time", "temperature_c", "precipitation_mm"]
    assert frame["time"].tolist() == [pd.Timestamp("2024-09-30 22:00"), pd.Timestamp("2024-09-30 23:00"),
                                      pd.Timestamp("2024-10-01 00:00")]
    assert frame["temperature_c"].iloc[0] == pytest.approx(24.1)
    assert np.isnan(frame["temperature_c"].iloc[1])  # quality 1 = missing
    assert frame["precipitation_mm"].tolist() == [0.0, 1.5, 3.0]
    only_temp = tmp_path / "temp.csv"
    only_temp.write_bytes(REAL_LAYOUT_TEMP_ONLY.encode("cp932"))
    t = read_weather(only_temp)
    assert t["temperature_c"].tolist() == [5.2, 4.9]


def test_bad_jma_files_name_file_and_row(tmp_path) -> None:
    no_header = tmp_path / "no_header.csv"
    no_header.write_bytes("時刻,気温\r\n2024/1/1 1:00:00,3.0\r\n".encode("cp932"))
    with pytest.raises(InputFileError, match="no_header.csv"):
        read_weather(no_header)
    bad_time = tmp_path / "bad_time.csv"
    bad_time.write_bytes(REAL_LAYOUT_MULTI.replace("2024/9/30 23:00:00", "9月30日").encode("cp932"))
    with pytest.raises(InputFileError, match=r"bad_time.csv: 行 7 列 年月日時"):
        read_weather(bad_time)
    bad_value = tmp_path / "bad_value.csv"
    bad_value.write_bytes(REAL_LAYOUT_MULTI.replace(",24.1,", ",abc,").encode("cp932"))
    with pytest.raises(InputFileError, match=r"行 6 列 気温"):
        read_weather(bad_value)
