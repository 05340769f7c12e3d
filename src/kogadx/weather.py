"""The JMA hourly weather layout (気象庁 過去の気象データ・ダウンロード CSV) and its columns.

Time convention (JMA): ``time`` is the observation time in JST (naive datetime), i.e. the END
of the hourly interval. Precipitation and sunshine at ``time`` are totals over
``(time - 1 h, time]``; temperature, wind and humidity are values at ``time``. A day
therefore runs 01:00 … 24:00, and JMA writes 24:00 as 00:00 of the next day.
Use :func:`weather_by_hour_start` to key the series by the start of the hour instead.

Core module: the synthetic generator writes this layout, ingest and the features stage read
it. Parsing works on bytes; reading a file is :func:`kogadx.io.read_weather`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from kogadx.io import InputFileError

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
    *,
    station: str = STATION_NAME,
    downloaded_at: str | None = None,
) -> bytes:
    """``weather`` in the layout of JMA's 過去の気象データ・ダウンロード hourly CSV, as bytes.

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
    return out.getvalue().encode("cp932")


def parse_jma_csv(raw: bytes, name: str = "weather.csv") -> pd.DataFrame:
    """Parse a JMA 過去の気象データ hourly CSV (any subset of the elements above) to columns.

    The header rows are parsed, not counted: the element row starts with 年月日時, the rows
    after it up to the first timestamp are sub-label / flag rows. For each element the value
    column is the one with no sub-label and no flag label; values whose 品質情報 is not 8/5/4
    become NaN. Elements absent from the file are absent from the result. ``time`` is the
    observation time (end of hour, JST naive, datetime64[us]).

    ``name`` is the file name used in messages. Raises :class:`kogadx.io.InputFileError`
    naming the file, row and column on bad input.
    """
    rows = list(csv.reader(io.StringIO(_decode(raw, name))))
    item_row = next((i for i, r in enumerate(rows) if r and r[0].strip() == "年月日時"), None)
    if item_row is None:
        raise InputFileError(f"{name}: 気象庁CSVの見出し行 (年月日時) がありません")
    items = rows[item_row]
    first_data = item_row + 1
    while first_data < len(rows) and (not rows[first_data] or not rows[first_data][0].strip()):
        first_data += 1
    columns = _element_columns(items, rows[item_row + 1:first_data])
    if not columns.values:
        raise InputFileError(f"{name}: 既知の要素 (気温・降水量など) の列がありません (行 {item_row + 1})")
    data = [r for r in rows[first_data:] if r and any(c.strip() for c in r)]
    result: dict[str, object] = {"time": _parse_times(data, len(items), first_data, name)}
    for canonical, col in columns.values.items():
        result[canonical] = _parse_values(data, col, columns.quality.get(canonical), first_data,
                                          (name, items[col]))
    if columns.direction is not None:
        ok = [columns.direction_quality is None or r[columns.direction_quality].strip() in _GOOD_QUALITY
              for r in data]
        dirs = [r[columns.direction].strip() if good and r[columns.direction].strip() else pd.NA
                for r, good in zip(data, ok, strict=True)]
        result["wind_direction"] = pd.array(dirs, dtype="string")
    frame = pd.DataFrame(result)
    return frame[[c for c in WEATHER_COLUMNS if c in frame.columns]]


def _decode(raw: bytes, name: str) -> str:
    for encoding in ("cp932", "utf-8-sig"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{name}: CP932 / UTF-8 として読めません")


@dataclass
class _Columns:
    """Where each element's value and quality flag sit in a JMA file."""

    values: dict[str, int] = field(default_factory=dict)
    quality: dict[str, int] = field(default_factory=dict)
    direction: int | None = None
    direction_quality: int | None = None


def _element_columns(items: list[str], label_rows: list[list[str]]) -> _Columns:
    def label(col: int) -> str:
        return "/".join(r[col].strip() for r in label_rows if col < len(r) and r[col].strip())

    found = _Columns()
    for col in range(1, len(items)):
        item = items[col].strip().replace("%", "％")
        lab = label(col)
        if item == "風速(m/s)" and lab.startswith("風向"):
            if lab == "風向":
                found.direction = col
            elif "品質情報" in lab:
                found.direction_quality = col
        elif item in _JMA_ELEMENTS:
            canonical = _JMA_ELEMENTS[item][0]
            if lab == "":
                found.values.setdefault(canonical, col)
            elif lab == "品質情報":
                found.quality.setdefault(canonical, col)
    return found


def _parse_times(data: list[list[str]], n_cols: int, first_data: int, name: str) -> pd.Series:
    times = []
    for offset, r in enumerate(data):
        line = first_data + offset + 1
        if len(r) < n_cols:
            raise InputFileError(f"{name}: 行 {line}: 列数 {len(r)} が見出し ({n_cols}) より少ない")
        try:
            times.append(datetime.strptime(r[0].strip(), "%Y/%m/%d %H:%M:%S"))
        except ValueError as exc:
            raise InputFileError(f"{name}: 行 {line} 列 年月日時: 日時として読めません: {r[0]!r}") from exc
    return pd.to_datetime(pd.Series(times, dtype="datetime64[us]")).astype("datetime64[us]")


def _parse_values(data: list[list[str]], col: int, quality: int | None, first_data: int,
                  where: tuple[str, str]) -> np.ndarray:
    """One element's values; a missing or bad-quality cell is NaN, an unreadable one an error."""
    values = np.full(len(data), np.nan)
    for k, r in enumerate(data):
        cell = r[col].strip()
        if (quality is not None and r[quality].strip() not in _GOOD_QUALITY) or cell in ("", "--", "///", "×"):
            continue
        try:
            values[k] = float(cell.rstrip(")]").replace(" ", ""))
        except ValueError as exc:
            name, item = where
            raise InputFileError(f"{name}: 行 {first_data + k + 1} 列 {item}: 数値として読めません: {cell!r}") from exc
    return values


def read_weather(path: str | Path) -> pd.DataFrame:
    """Hourly weather from a JMA download CSV, a Parquet table (columns as :data:`WEATHER_COLUMNS`)
    or a plain CSV table whose header has ``time`` or ``year_month`` (read as text)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: 気象データのファイルがありません")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    raw = path.read_bytes()
    header = raw.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").strip().split(",")
    if "time" in header or "year_month" in header:
        from kogadx.io import read_text_table  # a plain table (time, temperature_c …) as text

        return read_text_table(path)[0]
    return parse_jma_csv(raw, str(path))
