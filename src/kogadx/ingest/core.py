"""Validate and normalise one raw table against its contract; quarantine what fails.

Row accounting is part of the result: rows_in == rows_out + rows_quarantined, always.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pandera.errors as pa_errors

from kogadx.ingest.contracts import CHECK_REASONS, Column, TableContract, schema_for
from kogadx.ingest.normalise import TownMatcher, normalise_series, parse_japanese_date
from kogadx.io import InputFileError

HEADER_LINES = 1


@dataclass
class IngestResult:
    table: str
    valid: pd.DataFrame
    quarantine: pd.DataFrame  # line, column, reason, then the raw record
    rows_in: int
    raw_valid: pd.DataFrame  # the raw records of the kept rows (same order)
    lines: pd.Series  # file line of each kept row
    reason_counts: dict[str, int] = field(default_factory=dict)

    def raw_of(self, index: int) -> dict[str, object]:
        return self.raw_valid.iloc[index].to_dict()

    @property
    def rows_out(self) -> int:
        return len(self.valid)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    def summary(self) -> dict[str, object]:
        return {
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_quarantined": self.rows_quarantined,
            "reasons": dict(sorted(self.reason_counts.items())),
        }


class _Reasons:
    """Collects (column, reason) per row index; a row may fail several ways."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[tuple[str, str]]] = {}

    def add(self, index: int, column: str, reason: str) -> None:
        self.by_row.setdefault(int(index), []).append((column, reason))

    def __contains__(self, index: int) -> bool:
        return int(index) in self.by_row


def check_headers(raw: pd.DataFrame, contract: TableContract, source: str) -> None:
    """Stop with a message naming the file and every missing column."""
    missing = [h for h in contract.raw_headers if h not in raw.columns]
    if missing:
        raise InputFileError(
            f"{source}: 必須の列がありません: {', '.join(missing)} "
            f"(テーブル {contract.table}; 見つかった列: {', '.join(map(str, raw.columns))})"
        )


def ingest_table(
    raw: pd.DataFrame,
    contract: TableContract,
    towns: dict[str, str] | None = None,
    source: str = "<memory>",
) -> IngestResult:
    """Normalise and validate ``raw`` (all-text columns with the export's headers).

    ``towns`` maps town name → town_code (from the small-area file); needed when the
    contract derives a town from an address. Columns not in the contract are passed
    through under their raw header so that nothing is dropped silently (the privacy stage
    then refuses them until a policy line exists). ``source`` names the file in messages.
    """
    check_headers(raw, contract, source)
    reasons = _Reasons()
    frame = _normalised(raw, contract)
    # Types that need parsing: a failed parse is a reason, not a guess.
    for col in contract.columns:
        if col.kind in _PARSERS:
            frame[col.name] = _PARSERS[col.kind](frame, col, reasons)
    if contract.town_from:
        _derive_town(frame, contract, contract.town_from, towns or {}, reasons)
    _mark_duplicate_rows(frame, reasons)
    _validate_with_schema(frame, contract, reasons)
    if contract.key:
        _mark_duplicate_keys(frame, contract, reasons)
    return _split(raw, frame, contract, reasons, source)


def _normalised(raw: pd.DataFrame, contract: TableContract) -> pd.DataFrame:
    """Every column as normalised text: the contract's under canonical names, extras as they are."""
    frame = pd.DataFrame(index=raw.index)
    for col in contract.columns:
        frame[col.name] = normalise_series(raw[col.raw].astype(str))
    extras = [c for c in raw.columns if c not in contract.raw_headers]
    for extra in extras:
        frame[extra] = normalise_series(raw[extra].astype(str))
    return frame


def _parse_date(frame: pd.DataFrame, col: Column, reasons: _Reasons) -> pd.Series:
    """和暦 or Western dates → datetime64[ms]; an impossible or unreadable date is a reason."""
    parsed = frame[col.name].map(lambda v: parse_japanese_date(v) if v else (None, ""))
    for index, (value, why) in parsed.items():
        if why:
            reasons.add(index, col.raw, why)
        elif value is None and col.required:
            reasons.add(index, col.raw, "値が空です")
    return pd.to_datetime(parsed.map(lambda p: p[0]), errors="coerce").astype("datetime64[ms]")


def _parse_datetime(frame: pd.DataFrame, col: Column, reasons: _Reasons) -> pd.Series:
    converted = pd.to_datetime(frame[col.name].replace("", None), errors="coerce", format="mixed")
    bad = converted.isna() & (frame[col.name] != "")
    for index in frame.index[bad | (converted.isna() & col.required)]:
        reasons.add(index, col.raw, "日時として読めません" if frame.at[index, col.name] else "値が空です")
    return converted.astype("datetime64[ms]")


def _parse_number(frame: pd.DataFrame, col: Column, reasons: _Reasons) -> pd.Series:
    """Numbers with thousands separators; an ``int`` column must hold whole numbers."""
    converted = pd.to_numeric(frame[col.name].str.replace(",", "", regex=False).replace("", None), errors="coerce")
    bad = converted.isna() & (frame[col.name] != "")
    for index in frame.index[bad | (converted.isna() & col.required)]:
        reasons.add(index, col.raw, "数値として読めません" if frame.at[index, col.name] else "値が空です")
    if col.kind == "float":
        return converted.astype("float64")
    whole = converted.dropna()
    for index in whole.index[whole != whole.round()]:
        reasons.add(index, col.raw, "整数ではありません")
    return converted.round().astype("Int64")


_PARSERS: dict[str, Callable[[pd.DataFrame, Column, _Reasons], pd.Series]] = {
    "date": _parse_date, "datetime": _parse_datetime, "int": _parse_number, "float": _parse_number,
}


def _mark_duplicate_rows(frame: pd.DataFrame, reasons: _Reasons) -> None:
    """Exact duplicates of an earlier record (after normalisation) are quarantined."""
    duplicated = frame.astype(str).duplicated(keep="first")
    if not duplicated.any():
        return
    first_line: dict[tuple, int] = {}
    keys = frame.astype(str).apply(tuple, axis=1)
    for index, key in keys.items():
        first_line.setdefault(key, index)
    for index in frame.index[duplicated]:
        reasons.add(index, "", f"重複行です ({first_line[keys[index]] + HEADER_LINES + 1} 行目と同一)")


def _mark_duplicate_keys(frame: pd.DataFrame, contract: TableContract, reasons: _Reasons) -> None:
    """A key already taken by an earlier kept row is quarantined."""
    candidates = frame.index[[i not in reasons for i in frame.index]]
    dup_key = frame.loc[candidates, list(contract.key)].duplicated(keep="first")
    for index in dup_key.index[dup_key]:
        raw_names = ", ".join(contract.column(k).raw for k in contract.key)
        reasons.add(index, raw_names, "キーが他の行と重複しています")


def _split(raw: pd.DataFrame, frame: pd.DataFrame, contract: TableContract, reasons: _Reasons,
           source: str) -> IngestResult:
    """Kept rows and quarantine rows (file line, columns, reasons, the raw record)."""
    bad_index = sorted(reasons.by_row)
    counts: Counter[str] = Counter()
    records = []
    for index in bad_index:
        items = reasons.by_row[index]
        for column, reason in items:
            counts[f"{column or '行'}: {_reason_kind(reason)}"] += 1
        records.append(
            {
                "line": index + HEADER_LINES + 1,
                "column": "; ".join(dict.fromkeys(c for c, _ in items if c)),
                "reason": "; ".join(dict.fromkeys(r for _, r in items)),
                **raw.loc[index].to_dict(),
            }
        )
    quarantine = pd.DataFrame(records, columns=["line", "column", "reason", *raw.columns])
    valid = frame.drop(index=bad_index).reset_index(drop=True)
    raw_valid = raw.drop(index=bad_index).reset_index(drop=True)
    lines = pd.Series(raw.index.drop(bad_index) + HEADER_LINES + 1)
    rows_in = len(raw)
    result = IngestResult(contract.table, valid, quarantine, rows_in, raw_valid, lines, dict(counts))
    if result.rows_out + result.rows_quarantined != rows_in:  # pragma: no cover - invariant
        raise AssertionError(f"{source}: 行数が合いません ({rows_in} ≠ {result.rows_out} + {result.rows_quarantined})")
    return result


def enforce_references(result: IngestResult, contract: TableContract, kept: dict[str, pd.DataFrame]) -> IngestResult:
    """Move rows whose foreign keys do not exist in the referenced tables to quarantine."""
    if not contract.references:
        return result
    valid = result.valid
    orphan_reasons: dict[int, list[tuple[str, str]]] = {}
    for column, other_table, other_column in contract.references:
        if other_table not in kept:
            raise InputFileError(f"{contract.table}: 参照先のテーブル {other_table} が取り込まれていません")
        known = set(kept[other_table][other_column])
        raw_name = contract.column(column).raw
        for index in valid.index[~valid[column].isin(known)]:
            orphan_reasons.setdefault(int(index), []).append((raw_name, f"{other_table} に存在しない値です"))
    if not orphan_reasons:
        return result
    records = []
    counts = Counter(result.reason_counts)
    for index, items in sorted(orphan_reasons.items()):
        for column, reason in items:
            counts[f"{column}: {reason}"] += 1
        records.append({"line": int(result.lines.iloc[index]), "column": "; ".join(c for c, _ in items),
                        "reason": "; ".join(r for _, r in items), **result.raw_of(index)})
    quarantine = pd.concat([result.quarantine, pd.DataFrame(records, columns=result.quarantine.columns)],
                           ignore_index=True).sort_values("line", kind="stable").reset_index(drop=True)
    drop = list(orphan_reasons)
    return IngestResult(
        result.table,
        valid.drop(index=drop).reset_index(drop=True),
        quarantine,
        result.rows_in,
        result.raw_valid.drop(index=drop).reset_index(drop=True),
        result.lines.drop(index=drop).reset_index(drop=True),
        dict(counts),
    )


def _reason_kind(reason: str) -> str:
    """The reason without the offending value, for counts that may be shared."""
    return reason.split(":")[0].split(" (")[0]


def _derive_town(frame: pd.DataFrame, contract: TableContract, town_from: str, towns: dict[str, str],
                 reasons: _Reasons) -> None:
    """Town name and code from the address column ``town_from``; a given code must agree."""
    matcher = TownMatcher(towns)
    source_col = contract.column(town_from)
    found = frame[town_from].map(lambda a: matcher.town_of(a) if a else None)
    frame["town_name"] = found.map(lambda f: f[0] if f else "")
    derived = found.map(lambda f: f[1] if f else "")
    for index in frame.index[found.isna()]:
        address = frame.at[index, town_from]
        reasons.add(index, source_col.raw, f"住所の町丁目が町丁目表にありません: {address}")
    if contract.town_code_column:
        given = frame[contract.town_code_column]
        mismatch = (given != "") & (derived != "") & (given != derived)
        code_raw = contract.column(contract.town_code_column).raw
        for index in frame.index[mismatch]:
            reasons.add(index, code_raw, "町丁目コードが住所の町丁目と一致しません")
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
            raise InputFileError(f"{contract.table}: 列 {case.get('column')} の検証に失敗しました: "
                                 f"{case.get('check')}")
        check = str(case.get("check"))
        check_name = check.split("(")[0]
        reason = CHECK_REASONS.get(check_name, check_name)
        column = raw_of.get(str(case.get("column")), str(case.get("column")))
        reasons.add(int(index), column, reason)
