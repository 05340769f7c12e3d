"""Validate and clean the monthly business energy export.

Every fault is either quarantined (the row leaves the data, with a reason) or flagged
(the value stays or is corrected/excluded, with a reason) — nothing is dropped silently.

Checks, in order:
1. row level: unreadable 年月 or empty 事業所ID → quarantine; an exact repeat of a business-month
   row → quarantine (``duplicate``), the first row is kept; rows for the same business and month
   with different values → all of them quarantined (the month becomes a missing month);
2. cell level: a non-numeric or non-finite value (``nan``, ``inf``) → flag ``invalid_value``
   (value excluded, never summed as 0);
3. electricity kWh/MWh unit slip: a positive value below ``median / unit_slip_ratio``
   whose ×1000 lies within ``[median / 5, median × 5]`` → flag ``unit_slip``, corrected ×1000;
4. meter reset: a negative value, or one above ``jump_factor`` × the 75th percentile of
   that business's positive values for the fuel → flag ``meter_reset``, value excluded
   (imputed later from the baseline);
5. missing month: a month of the study period with no row → flag ``missing_month``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.energy.params import Cleaning
from kogadx.energy.schema import ENERGY_HEADERS, FUEL_BY_KEY, FUEL_KEYS

FLAG_COLUMNS = ["business_id", "year_month", "fuel", "kind", "reason", "action",
                "source_row", "value_raw", "value_clean"]
QUARANTINE_COLUMNS = ["source_row", "business_id", "year_month", "kind", "reason", "raw"]
_YM_PATTERNS = (
    re.compile(r"^\s*(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?\s*$"),
    re.compile(r"^\s*(\d{4})年\s*(\d{1,2})月\s*$"),
    re.compile(r"^\s*(\d{4})(\d{2})\s*$"),
)


@dataclass(frozen=True)
class CleanResult:
    """Cleaned long table plus everything that was caught.

    energy: business_id, year_month, operating_days, fuel, unit, value_raw, value, status
            (``ok`` / ``corrected`` / ``excluded`` / ``missing``), one row per business ×
            month × fuel the business uses (missing months included, value NaN).
    flags: FLAG_COLUMNS. quarantine: QUARANTINE_COLUMNS (raw row as JSON-like text).
    """

    energy: pd.DataFrame
    flags: pd.DataFrame
    quarantine: pd.DataFrame


def parse_year_month(text: object) -> str | None:
    """'2021/04', '2021-04', '2021年4月', '202104' → '2021-04'; anything else → None."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    if isinstance(text, pd.Timestamp):
        return text.strftime("%Y-%m")
    for pattern in _YM_PATTERNS:
        match = pattern.match(str(text))
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12:
                return f"{year:04d}-{month:02d}"
    return None


def canonicalize_energy(raw: pd.DataFrame, source: str = "business_energy") -> pd.DataFrame:
    """Rename Japanese headers to canonical ones; raise naming the missing column."""
    frame = raw.rename(columns=ENERGY_HEADERS)
    for column in ("business_id", "year_month"):
        if column not in frame.columns:
            header = next(k for k, v in ENERGY_HEADERS.items() if v == column)
            raise ValueError(f"{source}: 必須列 {header} ({column}) がありません")
    if not any(f in frame.columns for f in FUEL_KEYS):
        raise ValueError(f"{source}: エネルギー使用量の列が一つもありません")
    return frame


def _to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numbers, invalid mask): blanks become NaN and are not invalid."""
    text = values.astype("string").str.replace(",", "", regex=False).str.strip()
    blank = text.isna() | (text == "")
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").astype(float)
    # "nan" / "inf" parse as floats but are not readings: treat them like unreadable text.
    numbers = numbers.where(np.isfinite(numbers))
    invalid = numbers.isna() & ~blank
    return numbers, invalid


def clean_monthly_energy(
    raw: pd.DataFrame,
    period: tuple[str, str] | None = None,
    config: Cleaning = Cleaning(),
    source: str = "business_energy",
) -> CleanResult:
    """Clean a monthly energy export (raw Japanese headers or canonical columns).

    ``period`` = (first, last) "YYYY-MM" of the study; default: the table's own range.
    ``source_row`` in flags/quarantine is the 0-based row position in ``raw``.
    """
    frame = canonicalize_energy(raw, source).reset_index(drop=True)
    frame["source_row"] = np.arange(len(frame))
    frame["business_id"] = frame["business_id"].astype("string").str.strip()
    frame["year_month"] = [parse_year_month(v) for v in frame["year_month"]]
    raw_text = frame.astype("string").fillna("")
    fuels = [f for f in FUEL_KEYS if f in frame.columns]
    frame, quarantine = _quarantine_rows(frame, fuels, raw_text)

    flags: list[dict] = []
    if "operating_days" in frame.columns:
        frame["operating_days"], bad_days = _to_number(frame["operating_days"])
        for row in frame.index[bad_days]:
            flags.append(_flag(frame, row, "operating_days", "invalid_value",
                               "稼働日数が数値ではありません", "excluded", raw_text.at[row, "operating_days"], np.nan))
    else:
        frame["operating_days"] = np.nan

    long = _long_by_fuel(frame, fuels, raw_text)
    flags += _check_values(long, config)
    long, missing_flags = _add_missing_months(long, period)
    flags.extend(missing_flags)
    energy = long.drop(columns=["invalid", "raw_text"]).sort_values(
        ["business_id", "year_month", "fuel"]).reset_index(drop=True)
    flags_df = pd.DataFrame(flags, columns=FLAG_COLUMNS)
    flags_df = flags_df.sort_values(["kind", "business_id", "year_month", "fuel"]).reset_index(drop=True)
    quarantine_df = (pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS)
                     .sort_values("source_row").reset_index(drop=True))
    return CleanResult(energy=energy, flags=flags_df, quarantine=quarantine_df)


def _quarantine_rows(frame: pd.DataFrame, fuels: list[str], raw_text: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Rows without a business or month, and repeated business × month rows (the first is kept)."""
    quarantine = []
    bad_key = frame["business_id"].isna() | (frame["business_id"] == "") | frame["year_month"].isna()
    for row in frame.index[bad_key]:
        reason = "事業所IDが空です" if not frame.at[row, "business_id"] else "年月が解釈できません"
        quarantine.append(_q(raw_text, row, "invalid_key", reason))
    frame = frame.loc[~bad_key]
    value_cols = [c for c in ["operating_days", "production_t", *fuels] if c in frame.columns]
    # An exact repeat keeps its first row; rows for the same business-month that disagree are
    # all quarantined (which one is right cannot be told, and summing them would double-count).
    exact = frame.duplicated(["business_id", "year_month", *value_cols], keep="first")
    distinct = frame.loc[~exact]
    conflict_keys = distinct.loc[distinct.duplicated(["business_id", "year_month"], keep=False),
                                 ["business_id", "year_month"]]
    conflict = frame.set_index(["business_id", "year_month"]).index.isin(
        pd.MultiIndex.from_frame(conflict_keys)) if len(conflict_keys) else np.zeros(len(frame), bool)
    dup = exact.to_numpy() | conflict
    for row, is_exact in zip(frame.index[dup], exact.to_numpy()[dup], strict=True):
        reason = ("重複行: 同じ事業所・年月・値の行が先にあります (先の行を採用)" if is_exact
                  else "重複行: 同じ事業所・年月で値の異なる行があります (どれも採用せず、その月は欠測扱い)")
        quarantine.append(_q(raw_text, row, "duplicate", reason))
    return frame.loc[~dup].copy(), quarantine


def _long_by_fuel(frame: pd.DataFrame, fuels: list[str], raw_text: pd.DataFrame) -> pd.DataFrame:
    """One row per business × month × fuel the business uses at all (or has text it cannot read)."""
    long_parts = []
    for fuel in fuels:
        values, invalid = _to_number(frame[fuel])
        part = pd.DataFrame({
            "business_id": frame["business_id"], "year_month": frame["year_month"],
            "operating_days": frame["operating_days"], "fuel": fuel, "unit": FUEL_BY_KEY[fuel].unit,
            "value_raw": values, "source_row": frame["source_row"], "invalid": invalid,
            "raw_text": raw_text.loc[frame.index, fuel],
        })
        long_parts.append(part)
    long = pd.concat(long_parts, ignore_index=True)
    uses = long.groupby(["business_id", "fuel"])["value_raw"].transform(lambda s: s.notna().any()) | long["invalid"]
    long = long.loc[uses].reset_index(drop=True)
    long["value"] = long["value_raw"]
    long["status"] = "ok"
    return long


def _check_values(long: pd.DataFrame, config: Cleaning) -> list[dict]:
    """Flag (and correct or exclude, in place) unreadable values, kWh/MWh slips and meter resets."""
    flags: list[dict] = []
    for idx in long.index[long["invalid"]]:
        long.at[idx, "status"] = "excluded"
        flags.append(_lflag(long, idx, "invalid_value", "数値として読めません", "excluded", long.at[idx, "raw_text"]))

    positive = long["value_raw"].where(long["value_raw"] > 0)
    grouped = positive.groupby([long["business_id"], long["fuel"]])
    median = grouped.transform("median")
    p75 = grouped.transform(lambda s: s.quantile(0.75))

    slip = ((long["fuel"] == "electricity") & (long["value_raw"] > 0)
            & (long["value_raw"] < median / config.unit_slip_ratio)
            & (long["value_raw"] * 1000 >= median / 5) & (long["value_raw"] * 1000 <= median * 5))
    for idx in long.index[slip]:
        long.at[idx, "value"] = long.at[idx, "value_raw"] * 1000
        long.at[idx, "status"] = "corrected"
        flags.append(_lflag(long, idx, "unit_slip",
                            f"値が同事業所の中央値 ({median[idx]:.0f} kWh) の1/1000程度: MWh 入力とみなし1000倍に補正",
                            "corrected", long.at[idx, "raw_text"]))
    negative = long["value_raw"] < 0
    jump = long["value_raw"] > config.jump_factor * p75
    for idx in long.index[negative | jump]:
        long.at[idx, "value"] = np.nan
        long.at[idx, "status"] = "excluded"
        reason = ("負の使用量: メーター交換・リセットの疑い" if negative[idx]
                  else f"使用量が同事業所の75%点 ({p75[idx]:.0f}) の{config.jump_factor:g}倍超: "
                       "メーターリセット・累積値入力の疑い")
        flags.append(_lflag(long, idx, "meter_reset", reason, "excluded", long.at[idx, "raw_text"]))
    return flags


def _add_missing_months(long: pd.DataFrame, period: tuple[str, str] | None) -> tuple[pd.DataFrame, list[dict]]:
    first, last = period if period else (long["year_month"].min(), long["year_month"].max())
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m")
    long = long.loc[long["year_month"].isin(months)]
    present = long[["business_id", "year_month"]].drop_duplicates()
    full = pd.MultiIndex.from_product([sorted(long["business_id"].unique()), months],
                                      names=["business_id", "year_month"]).to_frame(index=False)
    absent = full.merge(present, how="left", indicator=True)
    absent = absent.loc[absent["_merge"] == "left_only", ["business_id", "year_month"]]
    flags = [{"business_id": r.business_id, "year_month": r.year_month, "fuel": "", "kind": "missing_month",
              "reason": "この月の行がありません (欠測月)", "action": "imputed", "source_row": -1,
              "value_raw": "", "value_clean": np.nan} for r in absent.itertuples()]
    fuels = long[["business_id", "fuel", "unit"]].drop_duplicates()
    filler = absent.merge(fuels, on="business_id")
    filler = filler.assign(operating_days=np.nan, value_raw=np.nan, value=np.nan, status="missing",
                           source_row=-1, invalid=False, raw_text="")
    return pd.concat([long, filler], ignore_index=True), flags


def _q(raw_text: pd.DataFrame, row: int, kind: str, reason: str) -> dict:
    rec = raw_text.loc[row]
    raw = "; ".join(f"{k}={v}" for k, v in rec.items() if k != "source_row")
    return {"source_row": int(rec["source_row"]), "business_id": rec.get("business_id", ""),
            "year_month": rec.get("year_month", ""), "kind": kind, "reason": reason, "raw": raw}


def _flag(frame: pd.DataFrame, row: int, fuel: str, kind: str, reason: str, action: str,
          value_raw: str, value_clean: float) -> dict:
    return {"business_id": frame.at[row, "business_id"], "year_month": frame.at[row, "year_month"],
            "fuel": fuel, "kind": kind, "reason": reason, "action": action,
            "source_row": int(frame.at[row, "source_row"]), "value_raw": str(value_raw),
            "value_clean": value_clean}


def _lflag(long: pd.DataFrame, idx: int, kind: str, reason: str, action: str, value_raw: str) -> dict:
    return {"business_id": long.at[idx, "business_id"], "year_month": long.at[idx, "year_month"],
            "fuel": long.at[idx, "fuel"], "kind": kind, "reason": reason, "action": action,
            "source_row": int(long.at[idx, "source_row"]), "value_raw": str(value_raw),
            "value_clean": float(long.at[idx, "value"])}
