"""Generalisation methods for the ``generalise`` action (row-wise, chunk-safe).

Each method is ``f(values, options, context) -> Series`` with the same index. ``context``
carries run-wide, non-personal inputs: ``reference_date`` (the register date, for ages)
and ``towns`` (town_name → 11-digit town_code, for addresses).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from kogadx.privacy.pseudonym import map_codes


def age_at_reference(values: pd.Series, options: Mapping[str, Any], context: Mapping[str, Any]) -> pd.Series:
    """Age in completed years at ``reference_date`` (birth dates; 'Int64', missing stays NA).

    A person born on 29 February turns a year older on 1 March in non-leap years
    (pandas compares month-day tuples), which matches 年齢計算ニ関スル法律 for all but
    the day itself; good enough for statistics.
    """
    reference = pd.Timestamp(options.get("reference_date") or context["reference_date"])
    births = pd.to_datetime(values, errors="coerce")
    years = reference.year - births.dt.year
    before_birthday = (births.dt.month > reference.month) | (
        (births.dt.month == reference.month) & (births.dt.day > reference.day)
    )
    age = years - before_birthday.astype("Int64")
    return age.astype("Int64").rename(values.name)


def age_band(values: pd.Series, options: Mapping[str, Any], context: Mapping[str, Any]) -> pd.Series:
    """Age band text like '35-39' (width ``width`` years, default 5); ages ≥ ``top_code`` → '90+'.

    Input may be birth dates (age computed at the reference date) or ages in years.
    """
    width = int(options.get("width", 5))
    top = int(options.get("top_code", 90))
    if pd.api.types.is_datetime64_any_dtype(values) or options.get("from_birth_date", False):
        ages = age_at_reference(values, options, context)
    else:
        ages = pd.to_numeric(values, errors="coerce").astype("Int64")
    low = (ages // width) * width
    text = low.astype("string") + "-" + (low + width - 1).astype("string")
    text = text.mask(ages >= top, f"{top}+")
    return text.astype("string").rename(values.name)


def floor_minute(values: pd.Series, options: Mapping[str, Any], context: Mapping[str, Any]) -> pd.Series:
    """Timestamps floored to the minute (seconds dropped; timezone kept)."""
    return pd.to_datetime(values, errors="coerce").dt.floor("min").rename(values.name)


def year_month(values: pd.Series, options: Mapping[str, Any], context: Mapping[str, Any]) -> pd.Series:
    """Dates reduced to 'YYYY-MM' text."""
    return pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m").astype("string").rename(values.name)


_BLOCK_TAIL = re.compile(r"[0-9].*$")


def address_to_town_code(values: pd.Series, options: Mapping[str, Any], context: Mapping[str, Any]) -> pd.Series:
    """Full address → 11-digit 町丁目 code (KEY_CODE), by the longest town name it contains.

    ``context['towns']`` maps town_name (e.g. '花鶴丘一丁目') → town_code. The address is
    NFKC-normalised and cut before the first digit (番地・号), so '…花鶴丘一丁目12番3号'
    matches '花鶴丘一丁目'. Unmatched addresses become NA (counted in the audit).
    """
    towns: Mapping[str, str] = context.get("towns") or {}
    if not towns:
        raise ValueError("address_to_town_code には町丁目表 (town_name → town_code) が必要です")
    names = sorted(towns, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(unicodedata.normalize("NFKC", n)) for n in names))
    normalised_towns = {unicodedata.normalize("NFKC", n): code for n, code in towns.items()}
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped: list[str | None] = []
    for address in uniques:
        head = _BLOCK_TAIL.sub("", unicodedata.normalize("NFKC", str(address)))
        match = pattern.search(head)
        mapped.append(normalised_towns[match.group(0)] if match else None)
    return map_codes(codes, mapped, values.index, values.name)


METHODS: dict[str, Callable[[pd.Series, Mapping[str, Any], Mapping[str, Any]], pd.Series]] = {
    "age_at_reference": age_at_reference,
    "age_band": age_band,
    "floor_minute": floor_minute,
    "year_month": year_month,
    "address_to_town_code": address_to_town_code,
}
