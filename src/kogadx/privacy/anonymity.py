"""k-anonymity and (distinct) l-diversity measurement.

Definitions follow pyCANON (IFCA): equivalence classes are the groups of rows with equal
quasi-identifier values; k = size of the smallest class; l = the smallest number of
distinct sensitive values in a class (minimum over the sensitive attributes).
One difference, on the safe side: rows with a missing QI value form their own class
(pandas ``dropna=False``), where pyCANON's groupby drops them. On data without missing QI
values (e.g. the Adult files, which use '?') the results are identical.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kogadx.privacy.policy import column_label


def _as_list(columns: str | Sequence[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = [column_label(c, i) for i, c in enumerate(frame.columns)]
        raise KeyError(f"{role} の列 {missing} がデータにありません (列: {shown})")


def class_sizes(frame: pd.DataFrame, quasi_identifiers: str | Sequence[str]) -> pd.Series:
    """Size of every equivalence class (one entry per distinct QI combination)."""
    qi = _as_list(quasi_identifiers)
    _check_columns(frame, qi, "準識別子")
    return frame.groupby(qi, dropna=False, observed=True, sort=False).size()


def k_anonymity(frame: pd.DataFrame, quasi_identifiers: str | Sequence[str]) -> int:
    """k: the size of the smallest equivalence class (0 for an empty table)."""
    sizes = class_sizes(frame, quasi_identifiers)
    return int(sizes.min()) if len(sizes) else 0


def l_diversity(
    frame: pd.DataFrame, quasi_identifiers: str | Sequence[str], sensitive: str | Sequence[str]
) -> int:
    """Distinct l: min over classes (and sensitive attributes) of distinct sensitive values."""
    qi, sa = _as_list(quasi_identifiers), _as_list(sensitive)
    _check_columns(frame, qi, "準識別子")
    _check_columns(frame, sa, "機微属性")
    if frame.empty:
        return 0
    distinct = frame.groupby(qi, dropna=False, observed=True, sort=False)[sa].nunique(dropna=False)
    return int(distinct.min().min())


def measure(
    frame: pd.DataFrame,
    quasi_identifiers: str | Sequence[str],
    sensitive: str | Sequence[str] | None = None,
) -> dict[str, int | None]:
    """{k, l, n_classes, n_rows} for a table (l is None without a sensitive attribute)."""
    sizes = class_sizes(frame, quasi_identifiers)
    return {
        "k": int(sizes.min()) if len(sizes) else 0,
        "l": l_diversity(frame, quasi_identifiers, sensitive) if sensitive else None,
        "n_classes": int(len(sizes)),
        "n_rows": int(len(frame)),
    }
