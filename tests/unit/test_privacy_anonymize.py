"""Anonymized release: targets reached, rare records suppressed, top-coding, linking codes dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.privacy.anonymity import measure
from kogadx.privacy.anonymize import anonymize_table, default_hierarchies, generalise_level
from kogadx.privacy.params import AnonymizeParams

QI = ["age", "sex", "town_code"]
KEEP = ["age", "sex", "town_code", "relationship"]


def _people(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "person_id": [f"{i:016x}" for i in range(n)],
        "age": rng.integers(0, 100, n),
        "sex": rng.choice(["男", "女"], n),
        "town_code": rng.choice(["40223001001", "40223001002", "40223002001", "40223003002"], n),
        "relationship": rng.choice(["世帯主", "妻", "子", "父", "孫"], n),
    })


def test_targets_reached_and_linking_codes_dropped():
    frame = _people(800)
    params = AnonymizeParams(quasi_identifiers=QI, k=5, l=2, sensitive="relationship", max_suppression=0.05,
                             keep_columns=KEEP)
    result = anonymize_table(frame, default_hierarchies(), params)
    released, report = result.table, result.report
    assert list(released.columns) == KEEP
    check = measure(released, QI, "relationship")
    assert check["k"] >= 5 and check["l"] >= 2
    assert report["k"] == check["k"] and report["l"] == check["l"]
    assert report["records_suppressed"] == len(frame) - len(released)
    assert report["records_suppressed"] <= 0.05 * len(frame)
    assert measure(frame, QI, "relationship")["k"] < 5  # the raw table was not k-anonymous


def test_top_coding_and_levels():
    spec = default_hierarchies()["age"]
    ages = pd.Series([3, 37, 89, 90, 101])
    assert generalise_level(ages, spec, 0).tolist() == ["3", "37", "89", "90+", "90+"]
    assert generalise_level(ages, spec, 1).tolist() == ["0-4", "35-39", "85-89", "90+", "90+"]
    assert generalise_level(ages, spec, 4).tolist() == ["*"] * 5
    towns = pd.Series(["40223001002"])
    assert generalise_level(towns, default_hierarchies()["town_code"], 1).tolist() == ["402230010"]


def test_rare_record_is_suppressed_not_generalised_away():
    frame = _people(2000, seed=1)
    frame.loc[0, "age"] = 104  # a peculiar description (特異な記述): only centenarian
    params = AnonymizeParams(quasi_identifiers=["age"], k=10, max_suppression=0.01, keep_columns=["age"])
    result = anonymize_table(frame, default_hierarchies(), params)
    assert "104" not in set(result.table["age"])
    assert result.report["k"] >= 10


def test_infeasible_targets_raise():
    frame = _people(20)
    with pytest.raises(ValueError, match="k=50"):
        anonymize_table(frame, default_hierarchies(), AnonymizeParams(quasi_identifiers=QI, k=50, keep_columns=KEEP))
