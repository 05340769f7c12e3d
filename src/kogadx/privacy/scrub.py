"""Free-text scrubbing for the ``scrub`` action (survey comments, notes): what people write.

Text is NFKC-normalised first (全角数字・＠ → 半角, half-width kana → full-width); the result
is NFKC text with personal details replaced by tags. Detection runs on a shadow copy in which
kanji digits (〇一二三四五六七八九, ○ and 零) read as 0–9, one character for one, so that
「〇九二 九四二 一二三四」 is found like '092 942 1234' while unmatched text keeps its kanji.

Replaced, in this priority (an earlier kind wins an overlap):

* e-mail addresses, also obfuscated — ``x(at)example.com``, ``x [at] example [dot] com``,
  ``x＠example.com``, ``x アットマーク example.com``, ``x★example.com`` → ＜メール＞;
* card-like digit runs (13–19 digits, grouped or not) → ＜カード番号＞; マイナンバー-like
  12-digit runs → ＜個人番号＞;
* phone numbers: a leading 0 (or +81) and exactly the digits of a Japanese number (10, or 11
  for 050/070/080/090/0800), with spaces, any hyphen or long-vowel dash, dots, の or
  parentheses (up to three characters) between digits; and a local number without area code (942-1234) right after a
  phone word (電話, TEL, 携帯, 連絡先, 番号) → ＜電話番号＞. Every phone-number shape is
  replaced, a business's number included: the scrubber cannot tell whose it is;
* postal codes after 〒 or 郵便番号 → ＜郵便番号＞; home addresses below the 町丁目: 番地, N番M号, 号室,
  the block numbers after N丁目 (「1丁目24-1」), and N-M-L right after a place name
  (「花見東3-5-12」) → ＜番地＞. **Rule**: the 町丁目 itself (「駅東一丁目」, 「3丁目の公園」)
  is kept — the pseudonymized tables keep it too (town_name) — and everything finer goes;
* names known from the register (full names with or without the space, kana full names,
  surnames of ≥ 2 characters; one-character surnames only before an honorific) → ＜氏名＞.
  Names not in the register are not found.

Kept on purpose: dates (2024-03-15, 令和6年3月15日), times (9:30, 9-17時), prices, counts,
ages, bus and platform numbers (3番のバス, 2番乗り場), a 丁目 without block numbers.
Digit runs are matched only when not part of a longer digit run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import jaconv
import numpy as np
import pandas as pd

from kogadx.privacy.pseudonym import map_codes

TAG_EMAIL = "＜メール＞"
TAG_CARD = "＜カード番号＞"
TAG_MY_NUMBER = "＜個人番号＞"
TAG_PHONE = "＜電話番号＞"
TAG_ADDRESS = "＜番地＞"
TAG_POSTAL = "＜郵便番号＞"
TAG_NAME = "＜氏名＞"

# Kanji digits → ASCII digits, one character for one (positions in the shadow = positions in the text).
_KANJI_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
_DASH = "\\-‐‑–—―−ーｰ~〜"
_SEP = r"[\s" + _DASH + r"]?"
_AT = (r"(?:\s*@\s*|\s*[★☆]\s*|\s*[(\[{<]\s*(?:at|アット|あっと)\s*[)\]}>]\s*|\s+at\s+"
       r"|\s*(?:アットマーク|アット|あっと)\s*)")
_DOT = r"(?:\.|\s*[(\[{<]\s*(?:dot|ドット|どっと)\s*[)\]}>]\s*|\s+dot\s+|\s*(?:ドット|どっと)\s*)"
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+" + _AT + r"[A-Za-z0-9\-]+(?:" + _DOT
                    + r"[A-Za-z0-9\-]+)*" + _DOT + r"[A-Za-z]{2,}(?![A-Za-z0-9])", re.IGNORECASE)
_CARD = re.compile(r"(?<![0-9])(?:[0-9]" + _SEP + r"){12,18}[0-9](?![0-9])")
_MY_NUMBER = re.compile(r"(?<![0-9])[0-9]{4}" + _SEP + r"[0-9]{4}" + _SEP + r"[0-9]{4}(?![0-9])")
# A phone candidate: digits with at most three separator characters between any two ('0 9 2 - 9 4 2').
_PHONE_SEP = r"[\s" + _DASH + r".・の()]"
_PHONE_CANDIDATE = re.compile(r"(?<![0-9])(?:\+81|0)(?:" + _PHONE_SEP + r"{0,3}[0-9])+")
_PHONE_WORD = re.compile(r"(?:電話|でんわ|TEL|PHONE|☎|携帯|自宅|連絡先|番号)[^0-9]{0,6}?(?<![0-9A-Za-z])"
                         r"([0-9]{2,4}" + _PHONE_SEP + r"{1,2}[0-9]{4})(?![0-9])", re.IGNORECASE)
_NUM = "[0-9十百]"
_POSTAL = re.compile(r"(?:〒|郵便番号[\s:は]*)\s*[0-9]{3}[" + _DASH + r"]?[0-9]{4}(?![0-9])")
_ADDRESS = re.compile(
    r"(?<=丁目)\s*" + _NUM + r"+(?:\s*(?:番地?|[" + _DASH + r"の])\s*の?\s*" + _NUM + r"+)*(?:\s*(?:番地|号室?|番))?"
    + r"|" + _NUM + r"+番地(?:\s*の?\s*" + _NUM + r"+)?(?:\s*号(?:室)?)?"
    + r"|" + _NUM + r"+番\s*" + _NUM + r"+号(?:室)?"
    + r"|" + _NUM + r"+号室"
    + r"|(?<=[\u3041-\u30ff\u4e00-\u9fff々ヶ])[0-9]{1,3}[" + _DASH + r"][0-9]{1,4}[" + _DASH
    + r"][0-9]{1,4}(?![0-9])"
)
_HONORIFICS = "(?=さん|様|さま|君|くん|ちゃん|氏|先生)"


def _phone_spans(shadow: str) -> Iterator[tuple[int, int]]:
    """Phone numbers: a candidate cut at exactly the digits of a Japanese number."""
    for match in _PHONE_CANDIDATE.finditer(shadow):
        text = match.group(0)
        international = text.startswith("+81")
        first = text[3:].lstrip() if international else text
        digits = re.sub(r"[^0-9]", "", first)
        national = digits if not international else "0" + digits
        wanted = 11 if re.match(r"0(?:[5789]0|800)", national) else 10
        wanted -= 1 if international else 0
        seen = 0
        offset = len(text) - len(first)
        for position, char in enumerate(first):
            if char.isdigit():
                seen += 1
                if seen == wanted:
                    end = match.start() + offset + position + 1
                    if end < len(shadow) and shadow[end].isdigit():
                        break
                    yield match.start(), end
                    break
    for match in _PHONE_WORD.finditer(shadow):
        yield match.start(1), match.end(1)


def _regex_spans(pattern: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    def spans(shadow: str) -> Iterator[tuple[int, int]]:
        for match in pattern.finditer(shadow):
            start, end = match.span()
            while start < end and shadow[start].isspace():
                start += 1
            if start < end:
                yield start, end
    return spans


_RULES: tuple[tuple[str, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    (TAG_EMAIL, _regex_spans(_EMAIL)),
    (TAG_CARD, _regex_spans(_CARD)),
    (TAG_MY_NUMBER, _regex_spans(_MY_NUMBER)),
    (TAG_PHONE, _phone_spans),
    (TAG_POSTAL, _regex_spans(_POSTAL)),
    (TAG_ADDRESS, _regex_spans(_ADDRESS)),
)


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
    """Scrub one text (see module docstring for the kinds, their order and the tags)."""
    text = unicodedata.normalize("NFKC", text)
    shadow = text.translate(_KANJI_DIGITS)
    taken: list[tuple[int, int, str]] = []
    for tag, find in _RULES:
        for start, end in find(shadow):
            if not any(start < e and s < end for s, e, _ in taken):
                taken.append((start, end, tag))
    for start, end, tag in sorted(taken, reverse=True):
        text = text[:start] + tag + text[end:]
    if names is not None:
        text = names.sub(text)
    return text


def scrub_series(values: pd.Series, names: NameMatcher | None = None) -> pd.Series:
    """Scrub every distinct text once; missing stays missing (string dtype, same index)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = [scrub_text(str(text), names) for text in uniques]
    return map_codes(codes, cleaned, values.index, values.name)


def detection_report(
    texts: Iterable[str], contains_pii: Iterable[int], kinds: Iterable[str], values: Iterable[str],
    names: NameMatcher | None = None,
) -> dict[str, object]:
    """Recall and false-positive rate of :func:`scrub_text` on a labelled corpus.

    A snippet with personal data counts as caught when every labelled value (``values``,
    ``|``-separated, as written) is gone from the output — not just when some tag appeared. A
    snippet without counts as a false positive when the output differs from the NFKC text.
    Returns the rates, counts by kind and the row numbers (0-based) missed or falsely scrubbed.
    """
    caught: dict[str, list[int]] = {}
    missed: list[int] = []
    false_positive: list[int] = []
    negatives = positives = 0
    for row, (text, label, kind, value) in enumerate(zip(texts, contains_pii, kinds, values, strict=True)):
        out = scrub_text(text, names)
        tally = caught.setdefault(kind, [0, 0])
        tally[1] += 1
        if int(label):
            positives += 1
            pieces = [unicodedata.normalize("NFKC", v) for v in str(value).split("|") if v]
            if pieces and all(p not in out for p in pieces):
                tally[0] += 1
            else:
                missed.append(row)
        else:
            negatives += 1
            if out != unicodedata.normalize("NFKC", text):
                false_positive.append(row)
            else:
                tally[0] += 1
    return {
        "snippets": positives + negatives,
        "with_personal_data": positives,
        "without": negatives,
        "recall": (positives - len(missed)) / positives if positives else 1.0,
        "false_positive_rate": len(false_positive) / negatives if negatives else 0.0,
        "by_kind_correct_of": {kind: f"{ok}/{n}" for kind, (ok, n) in sorted(caught.items())},
        "missed_rows": missed,
        "false_positive_rows": false_positive,
    }
