"""Apply a table policy to one chunk of rows (pure; no I/O, no state but the key).

:func:`pseudonymize_frame` is the partition-level transform: it can run on a pandas
chunk, a pyarrow record batch converted to pandas, or a Dask partition, and gives the
same result for a row whichever chunk it is in. :class:`ColumnStats` are merged across
chunks for the audit; they hold only counts and 64-bit hashes of values (in memory),
never the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kogadx.privacy.generalise import METHODS
from kogadx.privacy.leaks import SubstringIndex
from kogadx.privacy.policy import TablePolicy
from kogadx.privacy.pseudonym import pseudonymize_series
from kogadx.privacy.scrub import NameMatcher, scrub_series

# Raw values shorter than this are not checked for survival in other columns
# (short codes such as '1' collide with counts by chance).
MIN_SURVIVAL_CHECK_LENGTH = 6


class HashSet:
    """Distinct 64-bit value hashes, kept as numpy arrays (compact for 10M rows)."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._size = 0

    def add(self, hashes: np.ndarray) -> None:
        self._parts.append(hashes)
        self._size += len(hashes)
        if len(self._parts) > 16:
            self._compact()

    def _compact(self) -> None:
        merged = pd.unique(np.concatenate(self._parts)) if self._parts else np.empty(0, np.uint64)
        self._parts = [merged]
        self._size = len(merged)

    def __len__(self) -> int:
        self._compact()
        return self._size

    def update(self, other: HashSet) -> None:
        """Add the hashes of ``other`` (a partition's)."""
        for part in other._parts:
            self.add(part)


@dataclass
class ColumnStats:
    """Counts for one source column across chunks (hash sets stay in memory only)."""

    rows: int = 0
    missing_before: int = 0
    missing_after: int = 0
    hashes_before: HashSet = field(default_factory=HashSet)
    hashes_after: HashSet = field(default_factory=HashSet)

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "missing_before": self.missing_before,
            "missing_after": self.missing_after,
            "distinct_before": len(self.hashes_before),
            "distinct_after": len(self.hashes_after),
        }


@dataclass
class TableStats:
    """Per-table stats: column stats, rows, and raw-value survival hits (counts only)."""

    rows: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    survival_hits: dict[str, int] = field(default_factory=dict)
    substring_hits: dict[str, int] = field(default_factory=dict)

    def update(self, other: TableStats) -> None:
        """Add the counts of ``other`` (a partition's, in row order) to these."""
        self.rows += other.rows
        for name, theirs in other.columns.items():
            mine = self.columns.setdefault(name, ColumnStats())
            mine.rows += theirs.rows
            mine.missing_before += theirs.missing_before
            mine.missing_after += theirs.missing_after
            mine.hashes_before.update(theirs.hashes_before)
            mine.hashes_after.update(theirs.hashes_after)
        for hits, their_hits in ((self.survival_hits, other.survival_hits),
                                 (self.substring_hits, other.substring_hits)):
            for column, count in their_hits.items():
                hits[column] = hits.get(column, 0) + count


@dataclass(frozen=True)
class PseudonymizePartition:
    """:func:`pseudonymize_frame` as a partition function (picklable, for
    :meth:`kogadx.compute.Engine.map_partitions`): the partition's frame and its own counts."""

    policy: TablePolicy
    context: TransformContext

    def __call__(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, TableStats]:
        stats = TableStats()
        return pseudonymize_frame(frame, self.policy, self.context, stats), stats


@dataclass(frozen=True)
class TransformContext:
    """Run-wide inputs for a chunk: the key, pseudonym length, generalisation context."""

    key: bytes
    hex_length: int
    generalise: Mapping[str, Any] = field(default_factory=dict)
    names: NameMatcher | None = None
    collect_stats: bool = True


def _value_hashes(values: pd.Series) -> np.ndarray:
    present = values.dropna()
    if present.empty:
        return np.empty(0, dtype=np.uint64)
    return pd.unique(pd.util.hash_pandas_object(present, index=False).to_numpy())


def _survival_texts(values: pd.Series) -> pa.Array:
    """Stripped text of string/integer values with at least MIN_SURVIVAL_CHECK_LENGTH characters.

    Computed in Arrow (no Python object per row). Dates and floats are skipped: they never
    equal an identifier's text.
    """
    array = _column_text(values)
    text = pc.utf8_trim_whitespace(array)
    long_enough = pc.fill_null(pc.greater_equal(pc.utf8_length(text), MIN_SURVIVAL_CHECK_LENGTH), False)
    return pc.unique(text.filter(long_enough))


def pseudonymize_frame(
    frame: pd.DataFrame,
    policy: TablePolicy,
    context: TransformContext,
    stats: TableStats | None = None,
) -> pd.DataFrame:
    """Return a new frame with the policy applied: deleted columns gone, others replaced.

    Raises :class:`~kogadx.privacy.policy.PolicyError` naming table and column when the
    data has a column without a policy. Output columns keep the input order (renamed by
    ``output``). If ``stats`` is given, counts are added to it.
    """
    policy.check_columns(frame.columns)
    out: dict[str, pd.Series] = {}
    protected_texts: list[pa.Array] = []
    needles = SubstringIndex()
    for column in frame.columns:
        rule = policy.rule_for(column)
        values = frame[column]
        if rule.action == "delete":
            result = None
        elif rule.action == "keep":
            result = values
        elif rule.action == "pseudonym":
            result = pseudonymize_series(values, context.key, rule.domain or column, context.hex_length)
        elif rule.action == "generalise":
            assert rule.method is not None  # parse_policy requires a method for generalise
            result = METHODS[rule.method](values, rule.options, context.generalise)
        elif rule.action == "scrub":
            result = scrub_series(values, context.names)
        else:  # validated in policy parsing; kept for safety
            raise ValueError(f"unknown action {rule.action!r}")
        if result is not None:
            assert rule.output is not None  # parse_policy names an output for every action but delete
            out[rule.output] = result.rename(rule.output)
        if stats is not None and context.collect_stats:
            col = stats.columns.setdefault(column, ColumnStats())
            col.rows += len(values)
            col.missing_before += int(values.isna().sum())
            col.hashes_before.add(_value_hashes(values))
            if result is not None:
                col.missing_after += int(result.isna().sum())
                col.hashes_after.add(_value_hashes(result))
        # Scrubbed text legitimately equals its input when it held nothing to scrub.
        if stats is not None and context.collect_stats and rule.appi != "not_personal" and rule.action != "scrub":
            protected_texts.append(_survival_texts(values))
            needles.add(_distinct_texts(values))
    result_frame = pd.DataFrame(out, index=frame.index)
    if stats is not None:
        stats.rows += len(frame)
        if context.collect_stats:
            _count_survivals(result_frame, protected_texts, stats)
            hashed = {r.output for r in policy.rules.values() if r.action == "pseudonym"}
            _count_substrings(result_frame.drop(columns=[c for c in result_frame.columns if c in hashed]),
                              needles, stats)
    return result_frame


def _distinct_texts(values: pd.Series) -> list[str]:
    """Distinct non-empty texts of a string/integer column (dates and floats: none)."""
    return [t for t in pc.unique(_column_text(values)).to_pylist() if t]


def _count_substrings(result: pd.DataFrame, needles: SubstringIndex, stats: TableStats) -> None:
    """Count output cells holding a protected raw value inside a longer text (name + address +
    phone pasted into one cell). Keyed pseudonyms are left out: hex digests, not text."""
    if not len(needles):
        return
    for column in result.columns:
        texts = pc.value_counts(_column_text(result[column]).drop_null())
        hits = sum(count.as_py() for text, count in zip(texts.field("values"), texts.field("counts"), strict=True)
                   if needles.contains_any(text.as_py()))
        if hits:
            stats.substring_hits[column] = stats.substring_hits.get(column, 0) + hits


def _count_survivals(result: pd.DataFrame, protected: list[pa.Array], stats: TableStats) -> None:
    """Count output cells whose whole (stripped) text equals a raw value of a protected column."""
    if not protected:
        return
    raw = pc.unique(pa.concat_arrays(protected))
    if len(raw) == 0:
        return
    for column in result.columns:
        texts = pc.utf8_trim_whitespace(_column_text(result[column]))
        hits = int(pc.sum(pc.is_in(texts, value_set=raw)).as_py() or 0)
        if hits:
            stats.survival_hits[column] = stats.survival_hits.get(column, 0) + hits


def _column_text(values: pd.Series) -> pa.Array:
    """Values of string/integer/object columns as an Arrow large_string array (else empty)."""
    if not (pd.api.types.is_string_dtype(values) or pd.api.types.is_integer_dtype(values)
            or pd.api.types.is_object_dtype(values)):
        return pa.array([], type=pa.large_string())
    try:
        return pc.cast(pa.array(values, from_pandas=True), pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pa.array(values.astype("string"), from_pandas=True).cast(pa.large_string())
