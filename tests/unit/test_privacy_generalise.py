"""Generalisation methods: age, bands with top-coding, address → town_code, minute."""

from __future__ import annotations

import pandas as pd

from kogadx.privacy.generalise import address_to_town_code, age_at_reference, age_band, floor_minute, year_month

CTX = {"reference_date": "2024-02-29",
       "towns": {"花鶴丘一丁目": "40223001001", "花鶴丘二丁目": "40223001002", "日吉一丁目": "40223002001"}}


def test_age_at_reference_counts_birthdays():
    births = pd.Series(pd.to_datetime(["1992-02-29", "1990-03-01", "2000-02-28", None]))
    ages = age_at_reference(births, {}, CTX)
    assert ages.iloc[:3].tolist() == [32, 33, 24]
    assert pd.isna(ages.iloc[3])


def test_age_band_top_codes():
    ages = pd.Series([0, 4, 5, 37, 89, 90, 104])
    bands = age_band(ages, {"width": 5, "top_code": 90}, CTX).tolist()
    assert bands == ["0-4", "0-4", "5-9", "35-39", "85-89", "90+", "90+"]


def test_address_to_town_code_longest_match():
    addresses = pd.Series(["福岡県古賀市花鶴丘二丁目12番3号", "福岡県古賀市日吉一丁目1-2",
                           "福岡県福岡市中央区天神1丁目"])
    codes = address_to_town_code(addresses, {}, CTX)
    assert codes.iloc[:2].tolist() == ["40223001002", "40223002001"]
    assert pd.isna(codes.iloc[2])


def test_minute_and_month():
    stamps = pd.Series(pd.to_datetime(["2024-02-29 10:15:59", "2024-03-01 00:00:01"]))
    assert floor_minute(stamps, {}, CTX).dt.second.eq(0).all()
    assert floor_minute(stamps, {}, CTX).iloc[0] == pd.Timestamp("2024-02-29 10:15")
    assert year_month(stamps, {}, CTX).tolist() == ["2024-02", "2024-03"]
