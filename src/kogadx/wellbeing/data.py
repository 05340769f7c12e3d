"""Standardise the survey and register inputs the stage receives.

The pseudonymized survey may keep the raw Japanese headers (幸福度, 医療・福祉 …) or use the
English keys of :mod:`kogadx.wellbeing.categories`; age may be exact (``age``/年齢) or
generalised to a band (``age_band``/年齢階級, e.g. "20-24", "20～24歳", "90以上").
Every check names the source, the row and the column of the first offending value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kogadx.errors import UserFacingError
from kogadx.wellbeing.categories import CATEGORIES, ITEM_SCALE, OVERALL_ITEMS, OVERALL_SCALE
from kogadx.wellbeing.districts import assign_districts

SEXES = ("男", "女")
ADULT_AGE = (18, 90)  # survey population: ages 18–89 (half-open interval, years)

_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "住民票コード", "resident_code", "仮ID", "pseudonym_id"),
    "age": ("age", "年齢"),
    "age_band": ("age_band", "年齢階級", "年齢区分"),
    "sex": ("sex", "性別"),
    "town_code": ("town_code", "町丁目コード"),
    "town_name": ("town_name", "町丁目"),
    **{key: (key, label) for key, label in OVERALL_ITEMS.items()},
    **{c.key: (c.key, c.name_ja) for c in CATEGORIES},
}

_BAND = re.compile(r"(\d+)\D*?(\d+)?\D*$")


class SurveyDataError(UserFacingError, ValueError):
    """An input table the well-being stage cannot use; the message names row and column."""


def _rename(frame: pd.DataFrame) -> pd.DataFrame:
    mapping: dict[str, str] = {}
    for canonical, names in _ALIASES.items():
        for name in names:
            if name in frame.columns and canonical not in mapping.values():
                mapping[name] = canonical
                break
    return frame.rename(columns=mapping)


def _first_bad(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0])


def _numeric(frame: pd.DataFrame, column: str, source: str, bounds: tuple[int, int]) -> pd.Series:
    raw = frame[column]
    values = pd.to_numeric(raw.astype("string").str.strip().replace("", pd.NA), errors="coerce")
    unparsable = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
    if unparsable.any():
        row = _first_bad(unparsable)
        raise SurveyDataError(f"{source}: {row} 行目の列 '{column}' が数値ではありません: {raw.iloc[row]!r}")
    out_of_range = values.notna() & ((values < bounds[0]) | (values > bounds[1]))
    if out_of_range.any():
        row = _first_bad(out_of_range)
        raise SurveyDataError(
            f"{source}: {row} 行目の列 '{column}' が範囲 {bounds[0]}–{bounds[1]} の外です: {values.iloc[row]}"
        )
    return values.astype("float64")


def parse_age_band(bands: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Lower bound and exclusive upper bound (years) of age-band labels.

    "20-24" → (20, 25); "20～24歳" → (20, 25); "20代" → (20, 30); "90以上" / "90+" → (90, 100).
    """
    lower = np.empty(len(bands), dtype="float64")
    upper = np.empty(len(bands), dtype="float64")
    for i, label in enumerate(bands.astype("string").fillna("")):
        match = _BAND.search(str(label))
        if not match:
            raise SurveyDataError(f"年齢階級 {i} 行目を解釈できません: {label!r}")
        lo = int(match.group(1))
        if match.group(2):
            hi = int(match.group(2)) + 1
        else:
            hi = lo + 10 if "代" in str(label) else 100
        if hi <= lo:
            raise SurveyDataError(f"年齢階級 {i} 行目の上限が下限以下です: {label!r}")
        lower[i], upper[i] = lo, hi
    return lower, upper


def band_labels(edges: Sequence[int]) -> list[str]:
    """Labels of raking age bands from edges, e.g. [18, 30, 40] → ['18-29', '30-39']."""
    return [f"{lo}-{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:], strict=False)]


def to_raking_band(lower: np.ndarray, edges: Sequence[int]) -> pd.Series:
    """Raking age band of each person from the lower bound of their age (or age band)."""
    labels = band_labels(edges)
    clipped = np.maximum(lower, edges[0])
    idx = np.searchsorted(np.asarray(edges), clipped, side="right") - 1
    valid = (idx >= 0) & (idx < len(labels))
    values = [labels[i] if ok else None for i, ok in zip(idx, valid, strict=True)]
    return pd.Series(pd.Categorical(values, categories=labels))


def _age_bounds(frame: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray]:
    if "age" in frame.columns:
        age = _numeric(frame, "age", source, (0, 130))
        if age.isna().any():
            raise SurveyDataError(f"{source}: {_first_bad(age.isna())} 行目の列 'age' が空です")
        return age.to_numpy(), age.to_numpy() + 1
    if "age_band" in frame.columns:
        return parse_age_band(frame["age_band"])
    raise SurveyDataError(f"{source}: 年齢の列 (age / 年齢 / age_band / 年齢階級) がありません")


def _town_and_district(frame: pd.DataFrame, towns: pd.DataFrame, source: str) -> pd.DataFrame:
    towns = assign_districts(towns)
    if "town_code" in frame.columns:
        key, lookup = "town_code", towns.set_index("town_code")["district"]
    elif "town_name" in frame.columns:
        key, lookup = "town_name", towns.set_index("town_name")["district"]
    else:
        raise SurveyDataError(f"{source}: 町丁目の列 (town_code / 町丁目コード / 町丁目) がありません")
    keys = frame[key].astype("string")
    district = keys.map(lookup.to_dict())
    unknown = district.isna()
    if unknown.any():
        row = _first_bad(unknown)
        raise SurveyDataError(f"{source}: {row} 行目の列 '{key}' が町丁目テーブルにありません: {keys.iloc[row]!r}")
    frame = frame.copy()
    frame["district"] = district.astype("string").to_numpy()
    return frame


def _check_sex(frame: pd.DataFrame, source: str) -> None:
    if "sex" not in frame.columns:
        raise SurveyDataError(f"{source}: 性別の列 (sex / 性別) がありません")
    bad = ~frame["sex"].astype("string").isin(SEXES).fillna(False)
    if bad.any():
        row = _first_bad(bad)
        raise SurveyDataError(f"{source}: {row} 行目の列 'sex' は 男/女 のみです: {frame['sex'].iloc[row]!r}")


def standardize_survey(
    survey: pd.DataFrame, towns: pd.DataFrame, age_edges: Sequence[int], source: str = "survey"
) -> pd.DataFrame:
    """Canonical respondent table: district, raking age band, sex and numeric answers.

    Returns columns ``person_id`` (if given), ``district``, ``age_group`` (raking band,
    categorical), ``age_lower``, ``sex``, ``happiness``, ``life_satisfaction`` and the 24
    category keys (float, NaN = no answer). Respondents outside ages 18–89 are an error.
    """
    frame = _rename(survey.reset_index(drop=True))
    required = [*OVERALL_ITEMS, *(c.key for c in CATEGORIES)]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SurveyDataError(f"{source}: 設問の列がありません: {missing}")
    _check_sex(frame, source)
    lower, upper = _age_bounds(frame, source)
    outside = (upper <= ADULT_AGE[0]) | (lower >= ADULT_AGE[1])
    if outside.any():
        raise SurveyDataError(f"{source}: {int(np.flatnonzero(outside)[0])} 行目の年齢が調査対象 (18–89歳) の外です")
    frame = _town_and_district(frame, towns, source)
    out = pd.DataFrame(
        {
            "district": frame["district"],
            "age_group": to_raking_band(lower, age_edges),
            "age_lower": lower,
            "sex": frame["sex"].astype("string"),
        }
    )
    if "person_id" in frame.columns:
        out.insert(0, "person_id", frame["person_id"].astype("string"))
    for key in OVERALL_ITEMS:
        out[key] = _numeric(frame, key, source, OVERALL_SCALE)
    for cat in CATEGORIES:
        out[cat.key] = _numeric(frame, cat.key, source, ITEM_SCALE)
    return out


def standardize_register(
    register: pd.DataFrame, towns: pd.DataFrame, age_edges: Sequence[int], source: str = "residents"
) -> pd.DataFrame:
    """Register rows (all ages) with ``district``, ``age_lower``/``age_upper``, ``sex`` and
    ``adult_fraction`` / ``age_group`` for the survey population (18–89).

    With banded ages, ``adult_fraction`` is the share of a band inside 18–89 assuming ages
    are uniform within the band (so "15-19" counts 0.4 of a person as adult).
    """
    frame = _rename(register.reset_index(drop=True))
    _check_sex(frame, source)
    lower, upper = _age_bounds(frame, source)
    frame = _town_and_district(frame, towns, source)
    overlap = np.clip(np.minimum(upper, ADULT_AGE[1]) - np.maximum(lower, ADULT_AGE[0]), 0, None)
    return pd.DataFrame(
        {
            "district": frame["district"],
            "town_code": frame["town_code"].astype("string") if "town_code" in frame.columns else pd.NA,
            "sex": frame["sex"].astype("string"),
            "age_lower": lower,
            "age_upper": upper,
            "adult_fraction": overlap / (upper - lower),
            "age_group": to_raking_band(np.maximum(lower, ADULT_AGE[0]), age_edges),
        }
    )
