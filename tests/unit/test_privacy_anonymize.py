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


def test_household_size_as_sensitive_and_age_capped_at_10_year_bands():
    """#19: 世帯人員 derived before household_id is dropped; l ≥ 2 on it; age never coarser than 10 years."""
    frame = _people(900, seed=4)
    frame["household_id"] = [f"h{i // 2 if i < 300 else i}" for i in range(len(frame))]  # 150 pairs, 600 alone
    params = AnonymizeParams(quasi_identifiers=[*QI, "relationship"], derive=["household_size"],
                             sensitive="household_size", k=5, l=2, max_suppression=0.05, max_levels={"age": 2},
                             keep_columns=[*QI, "relationship", "household_size"])
    result = anonymize_table(frame, default_hierarchies(), params)
    released, report = result.table, result.report
    assert set(released["household_size"]) <= {"1人", "2人"} and "household_id" not in released
    assert measure(released, [*QI, "relationship"], "household_size")["l"] >= 2
    assert report["levels"]["age"] <= 2
    assert report["age_band_10y_or_narrower_share"] == pytest.approx((released["age"] != "90+").mean())
    assert report["generalisation"]["age"] in {"各歳", "5歳階級", "10歳階級"}
    assert sum(report["suppressed_by_age_20y"].values()) == report["records_suppressed"]


@pytest.mark.parametrize(("text", "width"), [("42", 1), ("35-39", 5), ("30-39", 10), ("90+", float("inf"))])
def test_band_width(text, width):
    from kogadx.privacy.anonymize import band_width

    assert band_width(text) == width
