import datetime as dt

import pandas as pd
import pytest

from kogadx.ingest.normalise import TownMatcher, chome_to_kanji, normalise_series, normalise_text, parse_japanese_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１２番３号", "12番3号"),
        ("　山田　　太郎 ", "山田 太郎"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
        ("ＡＢＣ－１", "ABC-1"),
        ("", ""),
        ("コーヒー", "コーヒー"),  # the long-vowel mark is not a hyphen
    ],
)
def test_normalise_text(raw, expected):
    assert normalise_text(raw) == expected


def test_normalise_series_maps_each_value():
    series = pd.Series(["１", "１", " a "])
    assert normalise_series(series).tolist() == ["1", "1", "a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昭和43年5月2日", dt.date(1968, 5, 2)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("昭和６４年１月７日", dt.date(1989, 1, 7)),
        ("1968/05/02", dt.date(1968, 5, 2)),
        ("1968-5-2", dt.date(1968, 5, 2)),
    ],
)
def test_parse_japanese_date_valid(text, expected):
    assert parse_japanese_date(text) == (expected, "")


@pytest.mark.parametrize("text", ["平成31年2月30日", "昭和64年3月1日", "令和2年13月1日", "2023-02-29", "きのう", ""])
def test_parse_japanese_date_rejects_with_reason(text):
    value, reason = parse_japanese_date(text)
    assert value is None
    assert reason


def test_chome_to_kanji():
    assert chome_to_kanji("花鶴丘1丁目2番") == "花鶴丘一丁目2番"
    assert chome_to_kanji("天神7丁目") == "天神七丁目"
    assert chome_to_kanji("薦野123番地") == "薦野123番地"


def test_town_matcher_prefers_longest_name():
    matcher = TownMatcher({"青柳": "A", "青柳町": "B", "花鶴丘一丁目": "C"})
    assert matcher.town_of("福岡県古賀市青柳町12番地") == ("青柳町", "B")
    assert matcher.town_of("古賀市青柳5番地") == ("青柳", "A")
    assert matcher.town_of("福岡県古賀市花鶴丘1丁目3番4号") == ("花鶴丘一丁目", "C")
    assert matcher.town_of("福岡県古賀市幻町一丁目1番") is None
