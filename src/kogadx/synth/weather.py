"""Synthetic hourly weather for Koga from Fukuoka climatology, and the JMA download CSV layout.

Climatology: 気象庁 平年値 福岡 (47807) 1991–2020, monthly means — APPROXIMATE values
rounded from the public normals table, used only to give the synthetic series a plausible
seasonal shape. Nothing here is an observation.

Time convention (JMA): ``time`` is the observation time in JST (naive datetime), i.e. the END
of the hourly interval. Precipitation and sunshine at ``time`` are totals over
``(time - 1 h, time]``; temperature, wind and humidity are values at ``time``. A day
therefore runs 01:00 … 24:00, and JMA writes 24:00 as 00:00 of the next day.
Use :func:`weather_by_hour_start` to key the series by the start of the hour instead.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from kogadx.io import InputFileError

# --- Reference table: 気象庁 平年値 福岡 1991–2020 (approximate, rounded) --------------------
# Index 0 = January. Used as climatology targets, not as observations.
CLIMATE_NORMALS_FUKUOKA = {
    "source": "気象庁 平年値 福岡 1991–2020 (概数)",
    "mean_temperature_c": (6.9, 7.8, 10.8, 15.4, 19.9, 23.3, 27.4, 28.4, 24.7, 19.6, 14.2, 9.1),
    "precipitation_mm": (74, 70, 104, 118, 134, 254, 278, 210, 175, 95, 91, 68),
    # days with >= 1 mm (approximate)
    "wet_days": (10.9, 10.0, 10.8, 10.2, 9.3, 12.2, 11.6, 10.0, 9.8, 6.9, 8.9, 9.9),
    "relative_humidity_pct": (63, 63, 64, 65, 68, 75, 76, 73, 72, 67, 66, 64),
    "wind_speed_ms": (3.2, 3.1, 3.2, 3.1, 2.9, 2.8, 3.0, 2.8, 2.9, 2.8, 2.9, 3.1),
    # daily temperature range (max - min), °C, approximate
    "diurnal_range_c": (6.5, 7.0, 7.5, 8.0, 8.0, 6.5, 6.5, 7.0, 7.0, 8.0, 7.5, 6.5),
}

STATION_NAME = "福岡"
COMPASS_16 = ("北", "北北東", "北東", "東北東", "東", "東南東", "南東", "南南東",
              "南", "南南西", "南西", "西南西", "西", "西北西", "北西", "北北西")

WEATHER_COLUMNS = [
    "time",
    "temperature_c",
    "precipitation_mm",
    "wind_speed_ms",
    "wind_direction",
    "sunshine_h",
    "relative_humidity_pct",
]

# JMA element name -> (canonical value column, has 現象なし情報 column at staffed stations)
_JMA_ELEMENTS = {
    "降水量(mm)": ("precipitation_mm", True),
    "気温(℃)": ("temperature_c", False),
    "風速(m/s)": ("wind_speed_ms", False),
    "日照時間(時間)": ("sunshine_h", True),
    "相対湿度(％)": ("relative_humidity_pct", False),
}
_GOOD_QUALITY = {"8", "5", "4"}  # normal, quasi-normal, insufficient data (value present)


def _monthly_interp(values: tuple[float, ...], day_of_year: np.ndarray, year_days: np.ndarray) -> np.ndarray:
    """Smoothly interpolate monthly normals (placed mid-month) to each day, cyclically."""
    mids = (np.arange(12) + 0.5) / 12.0
    pos = (day_of_year - 0.5) / year_days
    xs = np.concatenate([mids - 1, mids, mids + 1])
    ys = np.tile(np.asarray(values, dtype=float), 3)
    return np.interp(pos, xs, ys)


def generate_hourly_weather(
    rng: np.random.Generator,
    start: str,
    end: str,
    *,
    temperature_ar1: float = 0.75,
    temperature_anomaly_sd_c: float = 2.2,
    wet_persistence: float = 0.55,
    spell_hours_mean: float = 7.0,
) -> pd.DataFrame:
    """Hourly synthetic weather for the days ``start`` … ``end`` (inclusive, JST).

    Model (all parameters are assumptions, not fitted):
    - temperature: monthly normal (smoothly interpolated) + diurnal cycle (min ~06:00,
      max ~14:00, amplitude from the normal daily range) + AR(1) day-to-day anomaly
      (``temperature_ar1``, stationary sd ``temperature_anomaly_sd_c`` °C) + small hourly noise;
      wet days are cooler by day and have a smaller range;
    - rain: wet/dry days from a two-state Markov chain whose stationary wet fraction equals
      the normal number of wet days and whose persistence P(wet|wet) - P(wet|dry) is
      ``wet_persistence``; a wet day holds one rain spell (mean ``spell_hours_mean`` h) with a
      gamma daily total matching the monthly normal; hourly totals rounded to 0.5 mm as JMA reports;
    - humidity, wind speed/direction and sunshine follow the normals with noise.

    Returns columns ``WEATHER_COLUMNS``; ``time`` is datetime64[us] (JST, naive), the JMA
    observation time (end of the hour), from ``start`` 01:00 to ``end``+1 day 00:00.
    Units: °C, mm/h, m/s, 16-point compass, hours (0–1), %.
    """
    days = pd.date_range(start, end, freq="D")
    if len(days) == 0:
        raise ValueError(f"weather: empty period {start} … {end}")
    n_days = len(days)
    norms = CLIMATE_NORMALS_FUKUOKA
    doy = days.day_of_year.to_numpy()
    year_days = np.where(days.is_leap_year, 366, 365)
    month_days = days.days_in_month.to_numpy()
    month_idx = days.month.to_numpy() - 1

    t_norm = _monthly_interp(norms["mean_temperature_c"], doy, year_days)
    rng_c = _monthly_interp(norms["diurnal_range_c"], doy, year_days)
    rh_norm = _monthly_interp(norms["relative_humidity_pct"], doy, year_days)
    wind_norm = _monthly_interp(norms["wind_speed_ms"], doy, year_days)
    wet_frac = np.asarray(norms["wet_days"])[month_idx] / month_days
    mean_wet_total = np.asarray(norms["precipitation_mm"])[month_idx] / np.asarray(norms["wet_days"])[month_idx]

    # Day-level draws, in a fixed order so that the stream is reproducible.
    innov = rng.normal(0.0, temperature_anomaly_sd_c * np.sqrt(1 - temperature_ar1**2), n_days)
    wet_u = rng.random(n_days)
    totals = rng.gamma(0.8, 1.0, n_days)  # shape 0.8: many light, some heavy days
    spell_len = np.clip(rng.poisson(spell_hours_mean - 1, n_days) + 1, 1, 23)
    spell_start = rng.integers(0, 24, n_days)
    day_wind = rng.lognormal(0.0, 0.25, n_days)
    wind_dir_day = rng.integers(0, 16, n_days)

    anomaly = np.empty(n_days)
    wet = np.zeros(n_days, dtype=bool)
    prev_a, prev_wet = 0.0, False
    for i in range(n_days):
        prev_a = temperature_ar1 * prev_a + innov[i]
        anomaly[i] = prev_a
        # P(wet|dry)=p*(1-r), P(wet|wet)=p+r*(1-p): stationary wet fraction p, persistence r.
        p = wet_frac[i]
        p_wet = p + wet_persistence * (1 - p) if prev_wet else p * (1 - wet_persistence)
        prev_wet = bool(wet_u[i] < p_wet)
        wet[i] = prev_wet

    hours = np.arange(24)  # hour index h: interval (h, h+1], observation time h+1
    obs_hour = hours + 1
    n_hours = n_days * 24
    # Diurnal shape: piecewise-linear through anchors, minimum at 06:00, maximum at 14:00,
    # scaled so that max - min = 1 (multiplied by the daily range below).
    diurnal = np.interp(obs_hour, [0, 6, 14, 24], [-0.3, -0.5, 0.5, -0.3])
    diurnal = diurnal - diurnal.mean()  # keep the daily mean on the normal
    day_range = rng_c * np.where(wet, 0.55, 1.0)
    temp = (
        (t_norm + anomaly + wet_frac - np.where(wet, 1.0, 0.0))[:, None]  # wet days cooler, mean kept
        + day_range[:, None] * diurnal[None, :]
        + rng.normal(0.0, 0.3, (n_days, 24))
    )

    precip = np.zeros((n_days, 24))
    spell_weights = rng.dirichlet(np.ones(23) * 1.5, n_days)
    for i in np.flatnonzero(wet):
        total = max(1.0, totals[i] / 0.8 * mean_wet_total[i])
        length = int(spell_len[i])
        idx = (spell_start[i] + np.arange(length)) % 24
        w = spell_weights[i, :length]
        precip[i, idx] = total * w / w.sum()
    precip = np.round(precip * 2) / 2  # JMA hourly precipitation resolution 0.5 mm

    sun_hours = (obs_hour >= 7) & (obs_hour <= 18)
    sun_base = np.where(sun_hours, np.clip(np.sin((obs_hour - 6) / 13 * np.pi), 0, 1), 0.0)
    cloud = rng.random((n_days, 24))
    sunshine = sun_base[None, :] * np.where(wet[:, None], 0.15, 0.75) > cloud * 0.9
    sunshine = np.where(sunshine, np.round(np.clip(sun_base[None, :] + rng.normal(0, 0.1, (n_days, 24)), 0, 1), 1), 0.0)
    sunshine = np.where(precip > 0, 0.0, sunshine)

    rh = rh_norm[:, None] - 12 * diurnal[None, :] + (np.where(wet, 10.0, 0.0) - 10.0 * wet_frac)[:, None] + rng.normal(0, 4, (n_days, 24))
    rh = np.where(precip > 0, np.maximum(rh, 85), rh)
    rh = np.clip(np.round(rh), 15, 100)

    wind = wind_norm[:, None] * day_wind[:, None] * (1 + 0.25 * diurnal[None, :]) * rng.lognormal(0, 0.2, (n_days, 24))
    wind = np.round(np.clip(wind, 0.0, 20.0), 1)
    wind_dir_idx = (wind_dir_day[:, None] + rng.integers(-1, 2, (n_days, 24))) % 16
    wind_dir = np.where(wind < 0.3, "静穏", np.asarray(COMPASS_16)[wind_dir_idx])

    times = pd.date_range(days[0] + pd.Timedelta(hours=1), periods=n_hours, freq="h").as_unit("us")
    return pd.DataFrame(
        {
            "time": times,
            "temperature_c": np.round(temp.ravel(), 1),
            "precipitation_mm": precip.ravel(),
            "wind_speed_ms": wind.ravel(),
            "wind_direction": pd.array(wind_dir.ravel(), dtype="string"),
            "sunshine_h": sunshine.ravel(),
            "relative_humidity_pct": rh.ravel(),
        }
    )[WEATHER_COLUMNS]


def weather_by_hour_start(weather: pd.DataFrame) -> pd.DataFrame:
    """Re-key a JMA-convention series by the START of each hour (``time`` - 1 h).

    The row for hour start ``t`` then holds the precipitation that fell in ``[t, t+1 h)``
    and the temperature observed at ``t+1 h``.
    """
    shifted = weather.copy()
    shifted["time"] = shifted["time"] - pd.Timedelta(hours=1)
    return shifted


# --- JMA 過去の気象データ・ダウンロード CSV layout -----------------------------------------------

def _jma_time_text(ts: pd.Timestamp) -> str:
    # JMA writes non-padded month/day/hour: "2022/10/1 1:00:00"; 24:00 appears as 0:00 next day.
    return f"{ts.year}/{ts.month}/{ts.day} {ts.hour}:{ts.minute:02d}:{ts.second:02d}"


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def to_jma_csv(
    weather: pd.DataFrame,
    path_or_buffer: str | Path | IO[bytes],
    *,
    station: str = STATION_NAME,
    downloaded_at: str | None = None,
) -> None:
    """Write ``weather`` in the layout of JMA's 過去の気象データ・ダウンロード hourly CSV.

    CP932, CRLF, header block: ``ダウンロードした時刻：…``, a blank line, the station row, the
    element row (年月日時, 降水量(mm) ×4, 気温(℃) ×3, 風速(m/s) ×5, 日照時間(時間) ×4,
    相対湿度(％) ×3), the sub-label row (風向), the flag row (現象なし情報, 品質情報, 均質番号)
    — the staffed-station layout. ``downloaded_at`` defaults to the day after the last
    observation at 12:00:00 so the bytes depend only on the data.
    """
    missing = [c for c in WEATHER_COLUMNS if c not in weather.columns]
    if missing:
        raise ValueError(f"to_jma_csv: weather に列がありません: {missing}")
    if downloaded_at is None:
        last = pd.Timestamp(weather["time"].max()).normalize() + pd.Timedelta(days=1, hours=12)
        downloaded_at = last.strftime("%Y/%m/%d %H:%M:%S")
    items = (["降水量(mm)"] * 4 + ["気温(℃)"] * 3 + ["風速(m/s)"] * 5 + ["日照時間(時間)"] * 4
             + ["相対湿度(％)"] * 3)
    sub = [""] * 9 + ["風向", "風向"] + [""] * 8
    flags = ([""] + ["", "現象なし情報", "品質情報", "均質番号", "", "品質情報", "均質番号",
              "", "品質情報", "", "品質情報", "均質番号", "", "現象なし情報", "品質情報", "均質番号",
              "", "品質情報", "均質番号"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(f"ダウンロードした時刻：{downloaded_at}\r\n\r\n")
    writer.writerow([""] + [station] * len(items))
    writer.writerow(["年月日時"] + items)
    writer.writerow([""] + sub)
    writer.writerow(flags)
    for row in weather[WEATHER_COLUMNS].itertuples(index=False):
        p, s = float(row.precipitation_mm), float(row.sunshine_h)
        writer.writerow([
            _jma_time_text(pd.Timestamp(row.time)),
            _fmt(p), "1" if p == 0 else "0", "8", "1",
            _fmt(float(row.temperature_c)), "8", "1",
            _fmt(float(row.wind_speed_ms)), "8", str(row.wind_direction), "8", "1",
            _fmt(s), "1" if s == 0 else "0", "8", "1",
            _fmt(float(row.relative_humidity_pct)), "8", "1",
        ])
    data = out.getvalue().encode("cp932")
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)
    else:
        Path(path_or_buffer).parent.mkdir(parents=True, exist_ok=True)
        Path(path_or_buffer).write_bytes(data)


def read_jma_csv(path_or_buffer: str | Path | IO[bytes]) -> pd.DataFrame:
    """Parse a JMA 過去の気象データ hourly CSV (any subset of the elements above) to columns.

    The header rows are parsed, not counted: the element row starts with 年月日時, the rows
    after it up to the first timestamp are sub-label / flag rows. For each element the value
    column is the one with no sub-label and no flag label; values whose 品質情報 is not 8/5/4
    become NaN. Elements absent from the file are absent from the result. ``time`` is the
    observation time (end of hour, JST naive, datetime64[us]).

    Raises :class:`kogadx.io.InputFileError` naming the file, row and column on bad input.
    """
    name = str(getattr(path_or_buffer, "name", path_or_buffer))
    raw = path_or_buffer.read() if hasattr(path_or_buffer, "read") else Path(path_or_buffer).read_bytes()
    text = None
    for enc in ("cp932", "utf-8-sig"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise InputFileError(f"{name}: CP932 / UTF-8 として読めません")
    rows = list(csv.reader(io.StringIO(text)))
    item_row = next((i for i, r in enumerate(rows) if r and r[0].strip() == "年月日時"), None)
    if item_row is None:
        raise InputFileError(f"{name}: 気象庁CSVの見出し行 (年月日時) がありません")
    items = rows[item_row]
    first_data = item_row + 1
    while first_data < len(rows) and (not rows[first_data] or not rows[first_data][0].strip()):
        first_data += 1
    label_rows = rows[item_row + 1:first_data]
    n_cols = len(items)

    def label(col: int) -> str:
        return "/".join(r[col].strip() for r in label_rows if col < len(r) and r[col].strip())

    value_cols: dict[str, int] = {}
    quality_cols: dict[str, int] = {}
    direction_col = direction_q = None
    for col in range(1, n_cols):
        item = items[col].strip().replace("%", "％")
        lab = label(col)
        if item == "風速(m/s)" and lab.startswith("風向"):
            if lab == "風向":
                direction_col = col
            elif "品質情報" in lab:
                direction_q = col
            continue
        if item not in _JMA_ELEMENTS:
            continue
        canonical = _JMA_ELEMENTS[item][0]
        if lab == "" and canonical not in value_cols:
            value_cols[canonical] = col
        elif lab == "品質情報" and canonical not in quality_cols:
            quality_cols[canonical] = col
    if not value_cols:
        raise InputFileError(f"{name}: 既知の要素 (気温・降水量など) の列がありません (行 {item_row + 1})")

    data = [r for r in rows[first_data:] if r and any(c.strip() for c in r)]
    result: dict[str, object] = {}
    times = []
    for offset, r in enumerate(data):
        line = first_data + offset + 1
        if len(r) < n_cols:
            raise InputFileError(f"{name}: 行 {line}: 列数 {len(r)} が見出し ({n_cols}) より少ない")
        try:
            times.append(datetime.strptime(r[0].strip(), "%Y/%m/%d %H:%M:%S"))
        except ValueError as exc:
            raise InputFileError(f"{name}: 行 {line} 列 年月日時: 日時として読めません: {r[0]!r}") from exc
    result["time"] = pd.to_datetime(pd.Series(times, dtype="datetime64[us]")).astype("datetime64[us]")
    for canonical, col in value_cols.items():
        values = np.full(len(data), np.nan)
        qcol = quality_cols.get(canonical)
        for k, r in enumerate(data):
            cell = r[col].strip()
            if qcol is not None and r[qcol].strip() not in _GOOD_QUALITY:
                continue
            if cell == "" or cell in ("--", "///", "×"):
                continue
            try:
                values[k] = float(cell.rstrip(")]").replace(" ", ""))
            except ValueError as exc:
                raise InputFileError(
                    f"{name}: 行 {first_data + k + 1} 列 {items[col]}: 数値として読めません: {cell!r}"
                ) from exc
        result[canonical] = values
    if direction_col is not None:
        dirs = []
        for r in data:
            ok = direction_q is None or r[direction_q].strip() in _GOOD_QUALITY
            dirs.append(r[direction_col].strip() if ok and r[direction_col].strip() else pd.NA)
        result["wind_direction"] = pd.array(dirs, dtype="string")
    frame = pd.DataFrame(result)
    ordered = [c for c in WEATHER_COLUMNS if c in frame.columns]
    return frame[ordered]
