"""The Koga release as written (data/anonymized/residents.parquet), checked from the file alone.

Issue #19 target: k ≥ 5 on the released quasi-identifiers, l ≥ 2 distinct 世帯人員 per class,
age in bands of 10 years or narrower for ≥ 95 % of released records, ≤ 5 % of the register
suppressed. Recomputed here with pandas (not with kogadx.privacy) on the tiny project's
`dvc repro` and, when it is checked out, on this repository's own output.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
QI = ["age", "sex", "town_code", "relationship"]


def _width(text: str) -> float:
    if text == "*" or text.endswith("+"):
        return math.inf
    low, _, high = text.partition("-")
    return int(high) - int(low) + 1 if high else 1


def release_figures(project: Path) -> dict[str, float]:
    released = pd.read_parquet(project / "data/anonymized/residents.parquet")
    register = pd.read_parquet(project / "data/pseudonymized/residents.parquet", columns=["person_id"])
    classes = released.groupby(QI, dropna=False)
    return {
        "k": int(classes.size().min()),
        "l": int(classes["household_size"].nunique(dropna=False).min()),
        "age_10y_share": float((released["age"].map(_width) <= 10).mean()),
        "suppressed_share": 1 - len(released) / len(register),
        "columns": list(released.columns),
    }


def _check(figures: dict) -> None:
    assert figures["k"] >= 5
    assert figures["l"] >= 2
    assert figures["age_10y_share"] >= 0.95
    assert 0 <= figures["suppressed_share"] <= 0.05
    assert not {"person_id", "household_id"} & set(figures["columns"])


def test_release_in_the_tiny_project(tiny_project):
    project, _ = tiny_project
    _check(release_figures(project))


@pytest.mark.skipif(not (ROOT / "data/anonymized/residents.parquet").is_file(), reason="DVC 出力がありません")
def test_release_of_this_checkout():
    _check(release_figures(ROOT))
