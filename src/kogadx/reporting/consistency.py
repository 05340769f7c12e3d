"""Checks run while a report renders: a figure and the table beside it must say the same.

A figure is drawn by an upstream stage and the table by the report template, each from its own
copy of the data; when one of them changes alone (the well-being profile once showed 天神 with
255 respondents beside a table with 263) the report must fail, not go out with two numbers.
"""

from __future__ import annotations

import math

import pandas as pd

from kogadx.errors import UserFacingError


class ReportConsistencyError(UserFacingError):
    """A figure and its table (or a sentence and its metric) disagree; names both and the key."""


def check_agree(figure: pd.Series, table: pd.Series, figure_name: str, table_name: str, what: str,
                rel_tol: float = 1e-6) -> None:
    """Every key of ``figure`` must be in ``table`` with the same value (relative tolerance).

    ``figure`` / ``table``: values indexed by the key a reader sees (a district, a fiscal year).
    """
    problems = []
    for key, value in figure.items():
        if key not in table.index:
            problems.append(f"{key} は{table_name}にありません")
            continue
        other = table.loc[key]
        if not math.isclose(float(value), float(other), rel_tol=rel_tol, abs_tol=1e-9):
            problems.append(f"{key} の{what}が{figure_name}では {value:g}、{table_name}では {other:g}")
    if problems:
        raise ReportConsistencyError(f"{figure_name}と{table_name}が食い違っています: " + "; ".join(problems[:5]))
