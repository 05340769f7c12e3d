"""Validate and normalise one raw table against its contract; quarantine what fails.

Row accounting is part of the result: rows_in == rows_out + rows_quarantined, always.
Reasons and messages name the file, line and column, never a cell value (the quarantine
file, in the secure zone, holds the raw record itself).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.errors as pa_errors

from kogadx.compute import PANDAS, Engine
from kogadx.ingest.contracts import (
    CHECK_REASONS,
    CONTRACTS,
    EXTRA_PREFIX,
    NUMBER_LIMIT,
    Column,
    TableContract,
    schema_for,
)
from kogadx.ingest.normalise import TownMatcher, normalise_series, parse_japanese_date
from kogadx.io import ExportSource, FrameSpill, FrameStream, InputFileError, TextTable

DATE_ORDERS = ("ymd", "dmy", "mdy")
# Private-use code points and C1 controls: CP932 外字 and stray bytes (0x80, 0xA0, 0xFD–0xFF)
# decode to these; a register cannot trust them.
_PRIVATE_USE = "[\ue000-\uf8ff\x80-\x9f]"  # the characters themselves (no escapes for the regex engine)


@dataclass(frozen=True)
class Rules:
    """Rules that depend on the export, from params ``ingest``: the export's reference date
    (no date after it; ages at it), the order of day and month in slash dates (``ymd``:
    only unambiguous year-first dates and 和暦), and what to do with extra columns."""

    reference_date: dt.date | None = None
    date_order: str = "ymd"
    extra_columns: str = "keep"  # keep (under EXTRA_PREFIX) | refuse


@dataclass
class IngestResult:
    """One table, checked: the kept rows as partitions (``valid_parts``, in file order; the
    Parquet writer takes them one by one), the quarantine (line, columns, reasons, then the raw
    record), the row accounting and, for the checks across tables, the key and reference
    columns of the kept rows (``keys``, index: record position in the file)."""

    table: str
    valid_parts: FrameStream
    quarantine: pd.DataFrame
    rows_in: int
    keys: pd.DataFrame
    reason_counts: dict[str, int] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def valid(self) -> pd.DataFrame:
        """The kept rows as one frame (small tables and tests; the stage writes the partitions)."""
        parts = list(self.valid_parts.produce())
        return (parts[0] if len(parts) == 1 else pd.concat(parts)).reset_index(drop=True)

    @property
    def rows_out(self) -> int:
        return self.rows_in - len(self.quarantine)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    def summary(self) -> dict[str, object]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_quarantined": self.rows_quarantined,
            "reasons": dict(sorted(self.reason_counts.items())),
            "extra_columns": list(self.extra_columns),
        }


class _Reasons:
    """Collects (column, reason) per row position; a row may fail several ways."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[tuple[str, str]]] = {}

    def add(self, index: int, column: str, reason: str) -> None:
        self.by_row.setdefault(int(index), []).append((column, reason))

    def add_many(self, index: pd.Index | np.ndarray, column: str, reason: str) -> None:
        for i in index:
            self.add(int(i), column, reason)

    def extend(self, other: _Reasons) -> None:
        """Add the reasons of ``other`` after the ones already held for each row."""
        for index, items in other.by_row.items():
            self.by_row.setdefault(index, []).extend(items)

    def __contains__(self, index: int) -> bool:
        return int(index) in self.by_row


def check_headers(raw: pd.DataFrame, contract: TableContract, source: str) -> None:
    """Stop with a message naming the file and every missing column — and only the count
    of the columns found: a header-less export's first row is a person's record."""
    missing = [h for h in contract.raw_headers if h not in raw.columns]
    if not missing:
        return
    found = sum(h in raw.columns for h in contract.raw_headers)
    hint = " 1 行目が見出し行でない (見出しなしの出力) 可能性があります。" if found == 0 else ""
    raise InputFileError(
        f"{source}: 1 行目: 必須の列がありません: {', '.join(missing)} "
        f"(テーブル {contract.table}; 見出し {len(raw.columns)} 列のうち契約の列は {found} 列).{hint}"
    )


def extra_columns(raw: pd.DataFrame, contract: TableContract, source: str, rules: Rules) -> list[str]:
    """Raw headers outside the contract; refused when ``rules.extra_columns`` is refuse."""
    extras = [str(c) for c in raw.columns if c not in contract.raw_headers]
    if extras and rules.extra_columns == "refuse":
        raise InputFileError(f"{source}: 1 行目: データ契約にない列があります: {', '.join(extras)} "
                             f"(テーブル {contract.table}; params の ingest.extra_columns が refuse)")
    return extras


def ingest_table(
    raw: pd.DataFrame,
    contract: TableContract,
    towns: dict[str, str] | None = None,
    source: str = "<memory>",
    rules: Rules | None = None,
    lines: np.ndarray | None = None,
    field_counts: Mapping[int, int] | None = None,
    engine: Engine = PANDAS,
) -> IngestResult:
    """Normalise and validate ``raw`` (all-text columns with the export's headers).

    ``towns`` maps town name → town_code (from the small-area file); needed when the
    contract derives a town from an address. Columns not in the contract are kept under
    ``EXTRA_PREFIX + raw header`` (never under a name the contract or ingest uses) or refused,
    as ``rules.extra_columns`` says; the privacy stage drops them unless its policy names
    them. ``lines``: file line of each record (default: position + 2); ``field_counts``:
    records whose field count differs from the header's (quarantined). ``source`` names the
    file in messages. ``engine`` runs the record-by-record checks (:class:`RowChecks`) partition by
    partition (pandas or Dask, :mod:`kogadx.compute`); see :func:`check_table`.
    """
    table = TextTable(raw.reset_index(drop=True), "", source, source, lines, field_counts)
    return ingest_text_table(table, contract, towns, rules, engine)


def ingest_text_table(table: TextTable | ExportSource, contract: TableContract, towns: dict[str, str] | None = None,
                      rules: Rules | None = None, engine: Engine = PANDAS) -> IngestResult:
    """:func:`check_table` then :meth:`CheckedTable.result` (no references across tables)."""
    return check_table(table, contract, towns, rules, engine).result()


def referenced_columns(table: str) -> list[str]:
    """Columns of ``table`` that other tables' references point at."""
    return sorted({other_column for contract in CONTRACTS.values()
                   for _, other, other_column in contract.references if other == table})


def check_table(source: TextTable | ExportSource, contract: TableContract, towns: dict[str, str] | None = None,
                rules: Rules | None = None, engine: Engine = PANDAS,
                nonempty: bool = False) -> CheckedTable:
    """One table checked partition by partition (``engine.params.partition_rows`` records each,
    whichever the engine), never held whole (issue #25).

    Each partition is read with its file lines, checked record by record (:class:`RowChecks`,
    in this process or on a Dask worker) and set aside (:class:`kogadx.io.FrameSpill`: on disk
    for an export, in memory for a table already read); what stays in memory for the whole
    table is one hash per record and the key and reference columns. The checks across records
    run on those: exact copies (the hash finds candidates; the two records, fetched back,
    decide), keys shared by different records. A header-only table in ``nonempty`` stops the stage.
    """
    rules = rules or Rules()
    if rules.date_order not in DATE_ORDERS:
        raise InputFileError(f"ingest.date_order は {'/'.join(DATE_ORDERS)} のいずれかです")
    parts = iter(source.parts(engine.params.partition_rows))
    first = next(parts)
    if nonempty and first.frame.empty:
        raise InputFileError(f"{source.source}: 見出し行だけでレコードがありません "
                             f"(テーブル {contract.table} は必須です)")
    check_headers(first.frame, contract, source.source)
    extras = extra_columns(first.frame, contract, source.source, rules)
    on_disk = isinstance(source, ExportSource)
    checked = CheckedTable(contract, source.source, extras, list(first.frame.columns),
                           raw=FrameSpill(on_disk=on_disk), frames=FrameSpill(on_disk=on_disk))
    width = len(first.frame.columns)
    schema_reasons = _Reasons()
    line_parts: list[np.ndarray] = []
    hashes: list[pd.Series] = []
    keys: list[pd.DataFrame] = []
    needed = list(dict.fromkeys([*(c for k in (contract.key, *contract.unique) for c in k),
                                 *(c for c, _, _ in contract.references), *referenced_columns(contract.table)]))

    def frames() -> Iterator[pd.DataFrame]:
        for part in itertools.chain([first], parts):
            checked.starts.append(int(part.frame.index[0]) if len(part.frame) else checked.rows_in)
            checked.rows_in += len(part.frame)
            line_parts.append(np.asarray(part.lines, dtype=np.int64))
            for position, count in (part.field_counts or {}).items():
                checked.reasons.add(position, "", f"列の数が見出しと違います ({count} 列; 見出しは {width} 列)")
            checked.raw.append(part.frame)
            yield part.frame

    for rows in engine.map_stream(frames(), RowChecks(contract, towns or {}, rules, tuple(extras))):
        # row order, then check order within a row: as one pass over the table
        checked.reasons.extend(rows.reasons)
        schema_reasons.extend(rows.schema_reasons)
        hashes.append(rows.hashes)
        keys.append(rows.frame[needed])
        checked.frames.append(rows.frame)
    checked.lines = np.concatenate(line_parts)
    checked.keys = pd.concat(keys) if len(keys) > 1 else keys[0]
    all_hashes = pd.concat(hashes) if len(hashes) > 1 else hashes[0]
    del keys, hashes
    copies = _mark_duplicate_rows(all_hashes, checked.reasons, checked.lines, checked.rows_at)
    checked.reasons.extend(schema_reasons)
    for key in (contract.key, *contract.unique):
        if key:
            _mark_conflicting_keys(checked.keys, contract, key, checked.reasons, checked.lines, copies)
    return checked


@dataclass
class CheckedRows:
    """What :class:`RowChecks` gives for one partition: the normalised, parsed rows (index of
    the raw table), the reasons found, by row (schema reasons apart: they come after the
    duplicate check, as in one pass), and each row's content hash (for the exact-copy check)."""

    frame: pd.DataFrame
    reasons: _Reasons
    schema_reasons: _Reasons
    hashes: pd.Series


@dataclass
class CheckedTable:
    """A table after :func:`check_table`: its partitions set aside (raw and normalised), the
    reasons by record position, file lines, and the key and reference columns of every record.
    :meth:`result` makes the quarantine and the kept partitions, with the orphans of the
    references across tables when given."""

    contract: TableContract
    source: str
    extras: list[str]
    raw_columns: list[str]
    raw: FrameSpill
    frames: FrameSpill
    reasons: _Reasons = field(default_factory=_Reasons)
    rows_in: int = 0
    starts: list[int] = field(default_factory=list)  # position of each partition's first record
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    keys: pd.DataFrame = field(default_factory=pd.DataFrame)

    def _partition_of(self, position: int) -> int:
        return int(np.searchsorted(np.asarray(self.starts), position, side="right")) - 1

    def rows_at(self, positions: list[int]) -> dict[int, pd.Series]:
        """The normalised records at ``positions`` (each partition fetched back once)."""
        rows: dict[int, pd.Series] = {}
        by_part: dict[int, list[int]] = {}
        for position in positions:
            by_part.setdefault(self._partition_of(position), []).append(position)
        for number, members in sorted(by_part.items()):
            frame = self.frames[number]
            rows.update({p: frame.loc[p] for p in members})
        return rows

    def kept_keys(self) -> pd.DataFrame:
        """Key and reference columns of the records without a reason (before the references)."""
        return self.keys.drop(index=sorted(self.reasons.by_row))

    def result(self, kept: Mapping[str, pd.DataFrame] | None = None) -> IngestResult:
        """Quarantine rows (file line, columns, reasons, the raw record) in file order, then the
        records whose references do not exist among ``kept`` (table → its :meth:`kept_keys`),
        and the kept partitions. Rows in = rows out + rows quarantined."""
        orphans = _orphans(self.kept_keys(), self.contract, kept) if kept is not None else {}
        bad_index = sorted(self.reasons.by_row)
        counts: Counter[str] = Counter()
        wanted = sorted([*bad_index, *orphans])
        raw_rows = self._raw_records(wanted)
        records = []
        for index in bad_index:
            items = self.reasons.by_row[index]
            for column, reason in dict.fromkeys(items):
                counts[f"{column or '行'}: {_reason_kind(reason)}"] += 1
            records.append({
                "line": int(self.lines[index]),
                "column": "; ".join(dict.fromkeys(c for c, _ in items if c)),
                "reason": "; ".join(dict.fromkeys(r for _, r in items)),
                **raw_rows[index],
            })
        columns = ["line", "column", "reason", *self.raw_columns]
        quarantine = pd.DataFrame(records, columns=columns)
        if orphans:
            extra = []
            for index, items in sorted(orphans.items()):
                for column, reason in items:
                    counts[f"{column}: {reason}"] += 1
                extra.append({"line": int(self.lines[index]), "column": "; ".join(c for c, _ in items),
                              "reason": "; ".join(r for _, r in items), **raw_rows[index]})
            quarantine = pd.concat([quarantine, pd.DataFrame(extra, columns=columns)],
                                   ignore_index=True).sort_values("line", kind="stable").reset_index(drop=True)
        dropped = set(wanted)
        rows_out = self.rows_in - len(quarantine)
        result = IngestResult(self.contract.table, FrameStream(lambda: self._kept_parts(dropped, rows_out), rows_out),
                              quarantine, self.rows_in, self.keys.drop(index=wanted), dict(counts), self.extras)
        if result.rows_out + result.rows_quarantined != self.rows_in or len(dropped) != len(quarantine):
            raise AssertionError(f"{self.source}: 行数が合いません ({self.rows_in} ≠ {result.rows_out} + "
                                 f"{result.rows_quarantined})")  # pragma: no cover - invariant
        return result

    def _raw_records(self, positions: list[int]) -> dict[int, dict[str, object]]:
        records: dict[int, dict[str, object]] = {}
        by_part: dict[int, list[int]] = {}
        for position in positions:
            by_part.setdefault(self._partition_of(position), []).append(position)
        for number, members in sorted(by_part.items()):
            frame = self.raw[number]
            records.update({p: frame.loc[p].to_dict() for p in members})
        return records

    def _kept_parts(self, dropped: set[int], rows_out: int) -> Iterator[pd.DataFrame]:
        # rows_out is rows_in − quarantined by construction; counting what is actually handed to
        # the writer is the check that the kept partitions agree with it.
        written = 0
        for number in range(len(self.frames)):
            frame = self.frames[number]
            kept = frame[~frame.index.isin(dropped)] if dropped else frame
            written += len(kept)
            yield kept
        if written != rows_out:
            raise AssertionError(f"{self.source}: 書き出した行数 {written} が残す行数 {rows_out} と合いません")


@dataclass(frozen=True)
class RowChecks:
    """The record-by-record part of :func:`ingest_table`, on any row partition of the raw table
    (a picklable partition function for :meth:`kogadx.compute.Engine.map_partitions`):
    private-use characters, normalisation, parsing, dates, the contract's row rules, the town
    from the address, and the schema's element checks. A row's result does not depend on the
    partition it is in."""

    contract: TableContract
    towns: dict[str, str]
    rules: Rules
    extras: tuple[str, ...]

    def __call__(self, raw: pd.DataFrame) -> CheckedRows:
        reasons = _Reasons()
        _mark_private_use(raw, reasons)
        frame = _normalised(raw, self.contract, list(self.extras))
        # Types that need parsing: a failed parse is a reason, not a guess.
        for col in self.contract.columns:
            if col.kind in _PARSERS:
                frame[col.name] = _PARSERS[col.kind](frame, col, reasons, self.rules)
        _check_dates(frame, self.contract, reasons, self.rules)
        for rule in self.contract.row_rules:
            reasons.add_many(frame.index[rule.bad(frame)], ", ".join(rule.columns), rule.reason)
        if self.contract.town_from:
            _derive_town(frame, self.contract, self.contract.town_from, self.towns, reasons)
        schema_reasons = _Reasons()
        _validate_with_schema(frame, self.contract, schema_reasons)
        return CheckedRows(frame, reasons, schema_reasons, pd.util.hash_pandas_object(frame, index=False))


def _mark_private_use(raw: pd.DataFrame, reasons: _Reasons) -> None:
    """外字 / invalid bytes decoded to private-use characters: the row is not trustworthy."""
    for column in raw.columns:
        values = raw[column].astype(str)
        bad = values.str.contains(_PRIVATE_USE, regex=True)
        reasons.add_many(values.index[bad], str(column), "文字コード不正 (外字など私用領域の文字)")


def _normalised(raw: pd.DataFrame, contract: TableContract, extras: list[str]) -> pd.DataFrame:
    """Every column as normalised text: the contract's under canonical names, extras under
    the reserved prefix (so that no raw header can land on a checked column)."""
    frame = pd.DataFrame(index=raw.index)
    for col in contract.columns:
        frame[col.name] = normalise_series(raw[col.raw].astype(str))
    for extra in extras:
        frame[f"{EXTRA_PREFIX}{extra}"] = normalise_series(raw[extra].astype(str))
    return frame


_YMD = (r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})", "ymd")
_DMY = r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})"
_MDY = r"(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})[-/.](?P<y>\d{4})"
_TIME = r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<F>\d{1,3})0*)?)?)?"
_ZONE = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*(?:Z|[+-]\d{2}:?\d{2})$")
_DAY_FIRST_OR_MONTH_FIRST = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
AMBIGUOUS = "日付の日と月の順序が決められません (ingest.date_order で形式を指定してください)"


def _date_pattern(order: str, with_time: bool) -> str:
    body = {"ymd": _YMD[0], "dmy": _DMY, "mdy": _MDY}[order]
    return f"^{body}{_TIME if with_time else ''}$"


def _parse_parts(text: pd.Series, rules: Rules, with_time: bool) -> pd.Series:
    """Dates (and times) of ``text`` by explicit patterns: year first always; day first or
    month first only as ``rules.date_order`` names. NaT where no pattern matches or the date
    does not exist."""
    parts = text.str.extract(_date_pattern("ymd", with_time))
    if rules.date_order != "ymd":
        other = text.str.extract(_date_pattern(rules.date_order, with_time))
        parts = parts.where(parts["y"].notna(), other[parts.columns])
    for column in ("H", "M", "S", "F"):
        if column not in parts:
            parts[column] = np.nan
    # Milliseconds (outputs are datetime64[ms]): ".5" is 500 ms; finer digits must be zeros.
    parts["F"] = parts["F"].str.ljust(3, "0")
    numbers = parts[["y", "m", "d", "H", "M", "S", "F"]].apply(pd.to_numeric, errors="coerce")
    numbers[["H", "M", "S", "F"]] = numbers[["H", "M", "S", "F"]].fillna(0)
    numbers.columns = ["year", "month", "day", "hour", "minute", "second", "ms"]
    # pandas rolls 25:00 over to the next day: a clock time out of range is no time.
    valid = numbers.notna().all(axis=1) & (numbers["hour"] < 24) & (numbers["minute"] < 60) & (numbers["second"] < 60)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ms]")
    if valid.any():
        result[valid] = pd.to_datetime(numbers[valid].astype("int64"), errors="coerce").astype("datetime64[ms]")
    return result


def _unparsed_reason(value: str, rules: Rules, kind: str) -> str:
    """Why ``value`` gave no date: a time zone, an ambiguous order, a date that does not
    exist, or no known format (the value itself is never part of the reason)."""
    with_time = kind == "datetime"
    if _ZONE.search(value):
        return "タイムゾーン付きの日時は受け付けません (現地時刻で出力してください)"
    accepted = [_date_pattern("ymd", with_time)]
    if rules.date_order != "ymd":
        accepted.append(_date_pattern(rules.date_order, with_time))
    if any(re.match(p, value) for p in accepted):
        return "存在しない日付です"
    if rules.date_order == "ymd" and _DAY_FIRST_OR_MONTH_FIRST.match(value):
        return AMBIGUOUS
    return "日時として読めません" if with_time else "日付として読めません"


def _parse_date(frame: pd.DataFrame, col: Column, reasons: _Reasons, rules: Rules) -> pd.Series:
    """和暦 or Western dates → datetime64[ms]; an impossible, ambiguous or unreadable date is
    a reason."""
    text = frame[col.name]
    parsed = text.map(lambda v: parse_japanese_date(v) if v else (None, ""))
    values = pd.to_datetime(parsed.map(lambda p: p[0]), errors="coerce").astype("datetime64[ms]")
    failed = parsed.map(lambda p: bool(p[1]))
    if rules.date_order != "ymd" and failed.any():
        other = _parse_parts(text[failed], rules, with_time=False)
        values[other.index] = other
        failed &= values.isna()
    for index in text.index[failed]:
        why = parsed[index][1].split(":")[0]
        value = text[index]
        if "存在しない" not in why:
            why = _unparsed_reason(value, rules, "date")
        reasons.add(index, col.raw, why)
    if col.required:
        reasons.add_many(text.index[text == ""], col.raw, "値が空です")
    return values


def _parse_datetime(frame: pd.DataFrame, col: Column, reasons: _Reasons, rules: Rules) -> pd.Series:
    """Date and time (seconds optional) by explicit patterns; a time zone suffix, an ambiguous
    day/month order or an impossible date is a reason."""
    text = frame[col.name]
    values = _parse_parts(text, rules, with_time=True)
    for index in text.index[values.isna() & (text != "")]:
        reasons.add(index, col.raw, _unparsed_reason(text[index], rules, "datetime"))
    if col.required:
        reasons.add_many(text.index[text == ""], col.raw, "値が空です")
    return values


def _parse_number(frame: pd.DataFrame, col: Column, reasons: _Reasons, rules: Rules) -> pd.Series:
    """Numbers with thousands separators; finite, within the column's range (and a sanity
    limit); an ``int`` column must hold whole numbers."""
    text = frame[col.name]
    converted = pd.to_numeric(text.str.replace(",", "", regex=False).replace("", None), errors="coerce")
    converted = converted.astype("float64")
    bad = converted.isna() & (text != "")
    reasons.add_many(text.index[bad], col.raw, "数値として読めません")
    if col.required:
        reasons.add_many(text.index[text == ""], col.raw, "値が空です")
    infinite = np.isinf(converted)
    reasons.add_many(text.index[infinite], col.raw, "有限の数値ではありません")
    finite = converted.where(~infinite)
    too_big = finite.abs() > NUMBER_LIMIT
    reasons.add_many(text.index[too_big], col.raw, "値が大きすぎます")
    low = col.min if col.min is not None else -np.inf
    high = col.max if col.max is not None else np.inf
    outside = (finite < low) | (finite > high)
    range_text = f"{'' if col.min is None else f'{col.min:g}'}〜{'' if col.max is None else f'{col.max:g}'}"
    reasons.add_many(text.index[outside & ~too_big], col.raw, f"値が範囲外です ({range_text})")
    finite = finite.where(~too_big)
    if col.kind == "float":
        return finite
    whole = finite.dropna()
    reasons.add_many(whole.index[whole != whole.round()], col.raw, "整数ではありません")
    return finite.round().astype("Int64")


_PARSERS: dict[str, Callable[[pd.DataFrame, Column, _Reasons, Rules], pd.Series]] = {
    "date": _parse_date, "datetime": _parse_datetime, "int": _parse_number, "float": _parse_number,
}


def _check_dates(frame: pd.DataFrame, contract: TableContract, reasons: _Reasons, rules: Rules) -> None:
    """No date after the export's reference date; a birth date gives an age of 0–120 there."""
    if rules.reference_date is None:
        return
    reference = pd.Timestamp(rules.reference_date)
    end_of_day = reference + pd.Timedelta(days=1)
    for col in contract.columns:
        if col.kind not in ("date", "datetime"):
            continue
        values = frame[col.name]
        reasons.add_many(frame.index[values >= end_of_day], col.raw,
                         f"基準日 ({rules.reference_date.isoformat()}) より後の日付です")
        if col.max_age is not None:
            oldest = reference - pd.DateOffset(years=col.max_age + 1)
            reasons.add_many(frame.index[(values <= oldest)], col.raw,
                             f"年齢が 0〜{col.max_age} 歳の範囲外です (基準日 {rules.reference_date.isoformat()})")


def _mark_duplicate_rows(hashes: pd.Series, reasons: _Reasons, lines: np.ndarray,
                         rows_at: Callable[[list[int]], Mapping[int, pd.Series]]) -> np.ndarray:
    """Exact duplicates of an earlier record (after normalisation) are quarantined; returns
    their positions (they do not count as key conflicts: same content). ``hashes``: one per
    record (index: position); ``rows_at`` fetches the candidate records and their originals."""
    candidates = hashes.duplicated(keep="first")
    if not candidates.any():
        return np.array([], dtype=np.int64)
    first_of: dict[int, int] = {}
    for index, value in hashes[hashes.duplicated(keep=False)].items():
        first_of.setdefault(int(value), int(index))
    pairs = [(int(index), first_of[int(hashes[index])]) for index in hashes.index[candidates]]
    rows = rows_at(sorted({p for pair in pairs for p in pair}))
    copies = []
    for index, first in pairs:
        # The hash found the candidate; equal content decides (a collision is not a copy).
        if rows[index].astype(str).equals(rows[first].astype(str)):
            reasons.add(index, "", f"重複行です ({int(lines[first])} 行目と同一)")
            copies.append(index)
    return np.asarray(copies, dtype=np.int64)


def _mark_conflicting_keys(frame: pd.DataFrame, contract: TableContract, key: tuple[str, ...],
                           reasons: _Reasons, lines: np.ndarray, copies: np.ndarray) -> None:
    """Records that share a key but differ in content: every one of them is quarantined
    (which one is right cannot be known), each naming the other lines. Blank keys are no key."""
    keys = frame[list(key)].drop(index=copies)  # the key columns only: no copy of the table
    keys = keys[(keys != "").all(axis=1)]
    shared = keys.duplicated(keep=False)
    if not shared.any():
        return
    raw_names = ", ".join(contract.column(k).raw for k in key)
    groups = keys[shared].groupby(list(key) if len(key) > 1 else key[0], sort=False).groups
    for members in groups.values():
        member_lines = [int(lines[i]) for i in members]
        for i in members:
            others = ", ".join(str(line) for line in member_lines if line != int(lines[i]))
            reasons.add(int(i), raw_names, f"キーが他の行と重複し内容が異なります ({others} 行目)")


def _orphans(valid: pd.DataFrame, contract: TableContract,
             kept: Mapping[str, pd.DataFrame]) -> dict[int, list[tuple[str, str]]]:
    """Kept records (key and reference columns, index: position) whose foreign keys do not
    exist among the kept records of the referenced tables: position → (column, reason)."""
    orphan_reasons: dict[int, list[tuple[str, str]]] = {}
    for column, other_table, other_column in contract.references:
        if other_table not in kept:
            raise InputFileError(f"{contract.table}: 参照先のテーブル {other_table} が取り込まれていません")
        known = kept[other_table][other_column].unique()
        raw_name = contract.column(column).raw
        for index in valid.index[~valid[column].isin(known)]:
            orphan_reasons.setdefault(int(index), []).append((raw_name, f"{other_table} に存在しない値です"))
    return dict(sorted(orphan_reasons.items()))


def _reason_kind(reason: str) -> str:
    """The reason without its detail, for counts that may be shared."""
    return reason.split(":")[0].split(" (")[0]


def _derive_town(frame: pd.DataFrame, contract: TableContract, town_from: str, towns: dict[str, str],
                 reasons: _Reasons) -> None:
    """Town name and code from the address column ``town_from`` (which must be in the city);
    a given code must agree."""
    matcher = TownMatcher(towns)
    source_col = contract.column(town_from)
    addresses = frame[town_from]
    in_city = addresses.map(lambda a: matcher.in_city(a) if a else True)
    found = addresses.map(lambda a: matcher.town_of(a) if a else None)
    found[~in_city] = None
    frame["town_name"] = found.map(lambda f: f[0] if f else "")
    derived = found.map(lambda f: f[1] if f else "")
    reasons.add_many(frame.index[~in_city], source_col.raw, "住所が古賀市ではありません (市区町村名を確認してください)")
    reasons.add_many(frame.index[found.isna() & in_city], source_col.raw, "住所の町丁目が町丁目表にありません")
    if contract.town_code_column:
        given = frame[contract.town_code_column]
        mismatch = (given != "") & (derived != "") & (given != derived)
        code_raw = contract.column(contract.town_code_column).raw
        reasons.add_many(frame.index[mismatch], code_raw, "町丁目コードが住所の町丁目と一致しません")
        frame[contract.town_code_column] = derived.where(derived != "", given)
    else:
        frame["town_code"] = derived


def _validate_with_schema(frame: pd.DataFrame, contract: TableContract, reasons: _Reasons) -> None:
    schema = schema_for(contract)
    try:
        schema.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as errors:
        _schema_reasons(errors.failure_cases, contract, reasons)


def _schema_reasons(cases: pd.DataFrame, contract: TableContract, reasons: _Reasons) -> None:
    """One reason per failed check and row, under the column's raw header."""
    raw_of = {c.name: c.raw for c in contract.columns}
    for _, case in cases.iterrows():
        index = case.get("index")
        if index is None or pd.isna(index):
            # A schema-level failure (e.g. wrong dtype) is a bug in ingest, not bad data.
            raise InputFileError(f"{contract.table}: 列 {raw_of.get(str(case.get('column')), '?')} の検証に"
                                 f"失敗しました ({str(case.get('check')).split('(')[0]})")
        check = str(case.get("check"))
        check_name = check.split("(")[0]
        reason = CHECK_REASONS.get(check_name, check_name)
        column = raw_of.get(str(case.get("column")), str(case.get("column")))
        reasons.add(int(index), column, reason)
