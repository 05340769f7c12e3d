"""Leak guard: search files for canary values (pure: the files come in as bytes).

The caller lists and reads the files (the tests' helper ``tests/leak_guard.py`` walks the
shareable folders) and hands them over as :class:`ScannedFile`; this module decodes and
matches. Two kinds of search per file:

* **bytes** — each canary (and its NFKC and full-width-digit forms) encoded as UTF-8,
  CP932, UTF-16-LE and UTF-16-BE, searched in the raw file bytes (catches pickles,
  uncompressed binaries, logs, any text format);
* **normalised text** — the file decoded into text by type, then NFKC + katakana→hiragana
  + lower case with all whitespace removed; digit canaries are also searched with
  hyphens/spaces between digits removed ('090-1234-5678' == '09012345678' == '０９０ １２３４ ５６７８').
  Decoders: Parquet (every column's values), SQLite (every table's rows, e.g. mlflow.db;
  a WAL file beside it is searched as its own file),
  JSON / ipynb (parsed, so \\uXXXX escapes are undone), HTML/XML/SVG (entities undone),
  gzip (decompressed), any other file decoded as UTF-8 / CP932 / UTF-16 text.

Not covered: text rendered into images (PNG/JPEG pixels — only their bytes, e.g. tEXt
chunks, are searched), and compressed streams inside PDF or ZIP files (bytes only).
Canaries should be distinctive (≥ 4 characters after normalisation); shorter ones raise.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

import jaconv

BYTE_ENCODINGS = ("utf-8", "cp932", "utf-16-le", "utf-16-be")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico"}
_WHITESPACE = re.compile(r"\s+")
_DIGIT_SEPARATORS = re.compile(r"(?<=[0-9])[\-‐‑–—―−ー\s]+(?=[0-9])")
MIN_CANARY_LENGTH = 4


@dataclass(frozen=True)
class Canary:
    """A planted value; ``kind`` is e.g. 'name', 'kana', 'phone', 'my_number', 'address'."""

    kind: str
    value: str


@dataclass(frozen=True)
class ScannedFile:
    """One file to search: its path (named in hits; its suffix picks the decoder) and its bytes."""

    path: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class LeakHit:
    """One canary found in one file. ``form`` says which search found it."""

    path: str
    canary_index: int
    kind: str
    form: str


def normalise_text(text: str) -> str:
    """NFKC, katakana → hiragana, lower case, whitespace removed."""
    return _WHITESPACE.sub("", jaconv.kata2hira(unicodedata.normalize("NFKC", text)).lower())


def join_digits(text: str) -> str:
    """NFKC text with hyphens/spaces between digits removed."""
    return _DIGIT_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


# Katakana → hiragana and whitespace deleted in one str.translate (jaconv per character is slow
# for the hundreds of thousands of register values the stage indexes).
_SEARCH_TABLE: dict[int, int | None] = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_SEARCH_TABLE.update({ord(c): None for c in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"})


def search_form(text: str) -> str:
    """The form personal values are searched in: NFKC, digits joined, katakana → hiragana,
    lower case, all whitespace removed ('092 949 7610' and '０９２-９４９-７６１０' read the same)."""
    return _DIGIT_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).translate(_SEARCH_TABLE).lower()


# A needle shorter than this (after search_form) is not searched inside longer strings:
# two-character names (林一) or short codes would turn up in ordinary text by chance.
MIN_SUBSTRING_LENGTH = 4
# All-digit needles need more: a 4–7 digit household or member number sits inside every longer
# code by chance (a town code 40223001234 holds 1234). Phones (10–11 digits), 個人番号 (12) and
# 住民票コード (11) are all longer.
MIN_DIGIT_SUBSTRING_LENGTH = 8


class SubstringIndex:
    """Find any of many personal values (needles) inside longer strings.

    Needles and haystacks are compared in :func:`search_form`. Needles are bucketed by their
    first :data:`MIN_SUBSTRING_LENGTH` characters, so a haystack costs one dict lookup per
    character position (no regex over hundreds of thousands of alternatives). Holds the
    needles in memory only; :meth:`count_hits` returns counts, never values.
    """

    def __init__(self, needles: Iterable[str] = (), min_length: int = MIN_SUBSTRING_LENGTH) -> None:
        self.min_length = min_length
        self._buckets: dict[str, set[str]] = {}
        self.add(needles)

    def add(self, needles: Iterable[str]) -> None:
        for needle in needles:
            form = search_form(needle)
            if len(form) >= self.min_length and not (form.isdigit() and len(form) < MIN_DIGIT_SUBSTRING_LENGTH):
                self._buckets.setdefault(form[: self.min_length], set()).add(form)

    def __len__(self) -> int:
        return sum(len(b) for b in self._buckets.values())

    def contains_any(self, text: str) -> bool:
        """True when the text holds one of the needles (as a substring, in search form)."""
        form = search_form(text)
        width = self.min_length
        for start in range(len(form) - width + 1):
            bucket = self._buckets.get(form[start:start + width])
            if bucket and any(form.startswith(needle, start) for needle in bucket):
                return True
        return False

    def count_hits(self, texts: Iterable[str]) -> int:
        """How many of the texts hold a needle."""
        if not self._buckets:
            return 0
        return sum(1 for text in texts if self.contains_any(text))


@dataclass(frozen=True)
class _Needles:
    byte_forms: tuple[bytes, ...]
    text_form: str
    digit_form: str | None


def _needles(value: str) -> _Needles:
    forms = {value, unicodedata.normalize("NFKC", value)}
    forms |= {jaconv.h2z(f, kana=False, digit=True, ascii=True) for f in list(forms)}
    byte_forms: set[bytes] = set()
    for form in forms:
        for encoding in BYTE_ENCODINGS:
            try:
                byte_forms.add(form.encode(encoding))
            except UnicodeEncodeError:
                continue
    text_form = normalise_text(value)
    if len(text_form) < MIN_CANARY_LENGTH:
        raise ValueError(f"カナリア値が短すぎます ({len(text_form)} 文字)。{MIN_CANARY_LENGTH} 文字以上にしてください")
    only_digits = re.fullmatch(r"[0-9\-‐‑–—―−ー\s]+", unicodedata.normalize("NFKC", value))
    digit_form = re.sub(r"[^0-9]", "", join_digits(value)) if only_digits else None
    return _Needles(tuple(sorted(byte_forms)), text_form, digit_form)


def _decode_bytes(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="ignore")
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="ignore")


def _parquet_text(raw: bytes) -> str:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(raw))
    parts = [" ".join(table.schema.names)]
    for name in table.column_names:
        column = table.column(name).to_pandas()
        parts.append("\n".join(_value_text(v) for v in column.tolist()))
    return "\n".join(parts)


def _value_text(value: object) -> str:
    if isinstance(value, bytes):
        return _decode_bytes(value)
    return "" if value is None else str(value)


def _sqlite_text(raw: bytes) -> str:
    parts: list[str] = []
    if raw[18:20] == b"\x02\x02":
        # A WAL-mode file cannot be opened from memory; its pages read the same as a rollback-journal file's.
        raw = raw[:18] + b"\x01\x01" + raw[20:]
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(raw)
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            for row in connection.execute(f"SELECT * FROM {quoted}"):
                parts.append("\t".join(_value_text(v) for v in row))
    finally:
        connection.close()
    return "\n".join(parts)


def _json_text(raw: bytes) -> str:
    text = _decode_bytes(raw)
    try:
        return text + "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def file_text(path: str, raw: bytes) -> str:
    """The searchable text of a file by its type ('' for images); ``path`` gives the suffix."""
    suffix = PurePath(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return ""
    if suffix == ".parquet" or raw[:4] == b"PAR1":
        return _parquet_text(raw)
    if raw.startswith(b"SQLite format 3\x00"):
        return _sqlite_text(raw)
    if suffix == ".gz":
        inner = gzip.decompress(raw)
        return _decode_bytes(inner)
    if suffix in (".json", ".ipynb", ".geojson"):
        return _json_text(raw)
    text = _decode_bytes(raw)
    if suffix in (".html", ".htm", ".xml", ".svg"):
        text = text + "\n" + html.unescape(text)
    return text


def find_leaks(files: Iterable[ScannedFile], canaries: Sequence[Canary | str]) -> list[LeakHit]:
    """Search the files for the canaries; one hit per (file, canary).

    Returns the hits (empty list = no leak). Hits name the canary by index and kind,
    not by value, so a failing test's message does not spread the value further.
    """
    items = [c if isinstance(c, Canary) else Canary("value", c) for c in canaries]
    needles = [_needles(c.value) for c in items]
    hits: list[LeakHit] = []
    for file in files:
        raw = file.data
        text = file_text(file.path, raw)
        normalised = normalise_text(text) if text else ""
        digits = re.sub(r"[^0-9]+", " ", join_digits(text)) if text else ""
        digit_runs = f" {digits} "
        for index, (canary, needle) in enumerate(zip(items, needles, strict=True)):
            form = None
            if any(b in raw for b in needle.byte_forms):
                form = "bytes"
            elif needle.text_form in normalised:
                form = "normalised_text"
            elif needle.digit_form and needle.digit_form in digit_runs:
                form = "digits"
            if form:
                hits.append(LeakHit(file.path, index, canary.kind, form))
    return hits
