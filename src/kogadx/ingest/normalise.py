"""Normalisation of text from municipal systems: width, spaces, 和暦 dates, town names.

Pure functions on strings / Series. What cannot be normalised is returned as a reason, so
the caller can quarantine the record instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import jaconv
import pandas as pd
from japanera import EraDate

from kogadx.geo.reference import KANJI_DIGITS

_SPACES = re.compile(r"[\s\u3000]+")
_WAREKI = re.compile(r"^(?P<era>明治|大正|昭和|平成|令和)(?P<year>元|\d{1,2})年(?P<month>\d{1,2})月(?P<day>\d{1,2})日$")
_WESTERN = re.compile(r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?$")
_ARABIC_CHOME = re.compile(r"(\d+)丁目")
_DIGIT_TO_KANJI = {v: k for k, v in KANJI_DIGITS.items()}


def normalise_text(value: str) -> str:
    """全角英数 → 半角, 半角カナ → 全角, trim, collapse runs of spaces to one half-width space."""
    if not value:
        return ""
    text = jaconv.z2h(value, kana=False, ascii=True, digit=True)
    text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    text = text.replace("\u2212", "-")  # MINUS SIGN, which some systems emit for hyphens
    return _SPACES.sub(" ", text).strip()


def normalise_series(values: pd.Series) -> pd.Series:
    """``normalise_text`` over a Series, computing each distinct value once."""
    uniques = pd.unique(values)
    mapping = {u: normalise_text(u) for u in uniques}
    return values.map(mapping)


@lru_cache(maxsize=200_000)
def parse_japanese_date(text: str) -> tuple[dt.date | None, str]:
    """Parse '昭和43年5月2日', '令和元年5月1日', '1968/05/02' or '1968-05-02'.

    Returns (date, "") or (None, reason in Japanese). Impossible dates (平成31年2月30日,
    昭和64年3月1日 — 昭和 ended on 1989-01-07) give a reason, never a guess.
    """
    value = unicodedata.normalize("NFKC", text or "").replace(" ", "")
    if not value:
        return None, "日付が空です"
    match = _WAREKI.match(value)
    if match:
        try:
            found = EraDate.strptime(value, "%-K%-y年%-m月%-d日")
        except ValueError:
            return None, f"存在しない日付です: {value}"
        if not found:
            return None, f"存在しない日付です: {value}"
        day = found[0]
        return dt.date(day.year, day.month, day.day), ""
    match = _WESTERN.match(value)
    if match:
        try:
            return dt.date(int(match["year"]), int(match["month"]), int(match["day"])), ""
        except ValueError:
            return None, f"存在しない日付です: {value}"
    return None, f"日付として読めません: {value}"


def chome_to_kanji(address: str) -> str:
    """'花鶴丘1丁目' → '花鶴丘一丁目' so that addresses match the town table's names."""

    def repl(match: re.Match) -> str:
        number = int(match.group(1))
        if number <= 10:
            return f"{_DIGIT_TO_KANJI[number]}丁目"
        tens, ones = divmod(number, 10)
        prefix = "" if tens == 1 else _DIGIT_TO_KANJI[tens]
        return f"{prefix}十{_DIGIT_TO_KANJI.get(ones, '')}丁目"

    return _ARABIC_CHOME.sub(repl, address)


class TownMatcher:
    """Find the town (町丁目) named in an address, by longest prefix after the city name."""

    def __init__(self, town_names: dict[str, str], prefixes: tuple[str, ...] = ("福岡県", "古賀市")) -> None:
        """``town_names`` maps town name → town_code."""
        self.codes = dict(town_names)
        self.names = sorted(self.codes, key=len, reverse=True)
        self.prefixes = prefixes

    def in_city(self, address: str) -> bool:
        """True when the address names the city (after an optional prefecture): an address
        that starts with another municipality (鞍手郡小竹町…) or with a bare town name is not
        taken as the city's."""
        rest = chome_to_kanji(address.replace(" ", ""))
        for prefix in self.prefixes[:-1]:
            if rest.startswith(prefix):
                rest = rest[len(prefix):]
        return rest.startswith(self.prefixes[-1])

    def town_of(self, address: str) -> tuple[str, str] | None:
        """(town_name, town_code) for an address, or None if no known town starts it."""
        rest = chome_to_kanji(address.replace(" ", ""))
        for prefix in self.prefixes:
            if rest.startswith(prefix):
                rest = rest[len(prefix):]
        for name in self.names:
            if rest.startswith(name):
                return name, self.codes[name]
        return None
