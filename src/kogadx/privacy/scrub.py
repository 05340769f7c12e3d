"""Free-text scrubbing for the ``scrub`` action (survey comments, notes).

Text is NFKC-normalised first (全角数字 → 半角, half-width kana → full-width), then
replaced, in this order: e-mail addresses → ＜メール＞; card-like digit runs (13–19
digits, optionally grouped by spaces/hyphens) → ＜カード番号＞; マイナンバー-like 12-digit
runs → ＜個人番号＞; phone numbers → ＜電話番号＞; names known from the register
(full names with or without the space, kana full names, surnames of ≥ 2 characters)
→ ＜氏名＞. Digit runs are matched only when not part of a longer digit run.

Surnames of one character (林, 森 …) are replaced only before an honorific
(さん, 様, 君, ちゃん, 氏, 先生) — replacing them everywhere would destroy the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import jaconv
import numpy as np
import pandas as pd

from kogadx.privacy.pseudonym import map_codes

TAG_EMAIL = "＜メール＞"
TAG_CARD = "＜カード番号＞"
TAG_MY_NUMBER = "＜個人番号＞"
TAG_PHONE = "＜電話番号＞"
TAG_NAME = "＜氏名＞"

_SEP = r"[\s\-‐‑–—―−ー]?"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![0-9])(?:[0-9]" + _SEP + r"){12,18}[0-9](?![0-9])")
_MY_NUMBER = re.compile(r"(?<![0-9])[0-9]{4}" + _SEP + r"[0-9]{4}" + _SEP + r"[0-9]{4}(?![0-9])")
_PHONE = re.compile(
    r"(?<![0-9])(?:\+81" + _SEP + r"|0)[0-9]{1,4}" + r"(?:" + _SEP + r"|\(|\)|\)\s?)" + r"[0-9]{1,4}"
    + _SEP + r"[0-9]{3,4}(?![0-9])"
    + r"|(?<![0-9])0[0-9]{9,10}(?![0-9])"
)
_HONORIFICS = "(?=さん|様|さま|君|くん|ちゃん|氏|先生)"


@dataclass(frozen=True)
class NameMatcher:
    """A compiled matcher for register names (built once per run, reused per chunk)."""

    pattern: re.Pattern[str] | None

    def sub(self, text: str) -> str:
        return self.pattern.sub(TAG_NAME, text) if self.pattern is not None else text


def build_name_matcher(full_names: Iterable[str] = (), kana_names: Iterable[str] = ()) -> NameMatcher:
    """Compile the register's names ('姓 名' form) into one longest-first regex.

    Adds each full name without space and with any whitespace, the kana name likewise
    (katakana and hiragana), surnames of ≥ 2 characters, one-character surnames only
    before an honorific.
    """
    literals: set[str] = set()
    single: set[str] = set()
    for raw in list(full_names) + list(kana_names):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            continue
        name = unicodedata.normalize("NFKC", str(raw)).strip()
        if not name:
            continue
        parts = name.split()
        variants = {name, "".join(parts)}
        variants |= {jaconv.kata2hira(v) for v in variants}
        literals |= {v for v in variants if len(v) >= 2}
        if len(parts) >= 2:
            surname = parts[0]
            (literals if len(surname) >= 2 else single).add(surname)
    alternatives = []
    if literals:
        # Full names with flexible whitespace between surname and given name.
        ordered = sorted(literals, key=lambda s: (-len(s), s))
        alternatives.append("|".join(re.escape(v).replace(r"\ ", r"\s*") for v in ordered))
    if single:
        alternatives.append("(?:" + "|".join(re.escape(v) for v in sorted(single)) + ")" + _HONORIFICS)
    if not alternatives:
        return NameMatcher(None)
    return NameMatcher(re.compile("|".join(f"(?:{a})" for a in alternatives)))


def scrub_text(text: str, names: NameMatcher | None = None) -> str:
    """Scrub one text (see module docstring for the order and tags)."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub(TAG_EMAIL, text)
    text = _CARD.sub(TAG_CARD, text)
    text = _MY_NUMBER.sub(TAG_MY_NUMBER, text)
    text = _PHONE.sub(TAG_PHONE, text)
    if names is not None:
        text = names.sub(text)
    return text


def scrub_series(values: pd.Series, names: NameMatcher | None = None) -> pd.Series:
    """Scrub every distinct text once; missing stays missing (string dtype, same index)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = [scrub_text(str(text), names) for text in uniques]
    return map_codes(codes, cleaned, values.index, values.name)
