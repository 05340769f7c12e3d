"""k-anonymity / l-diversity measurement equals pyCANON (and its recorded Adult values)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pycanon import anonymity as pycanon

from kogadx.privacy.anonymity import k_anonymity, l_diversity, measure

PYCANON_QI = ["age", "education", "occupation", "relationship", "sex", "native-country"]
# REFERENCE_VALUES.md (recomputed with the pycanon QI/SA): file -> (rows, classes, k, l)
REFERENCE = {
    "adult_anonymized_3.csv": (18_203, 2_837, 3, 1),
    "adult_anonymized_10.csv": (7_303, 462, 10, 1),
    "adult_k20_anonymized_l2.csv": (1_627, 59, 20, 2),
    "adult_k10_anonymized_l2.csv": (4_975, 313, 10, 2),
}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_adult_files_match_pycanon(shared_dir, name):
    frame = pd.read_csv(shared_dir / "benchmarks" / "adult_anonymization" / "pycanon" / name)
    ours = measure(frame, PYCANON_QI, "salary-class")
    assert ours["k"] == pycanon.k_anonymity(frame, PYCANON_QI)
    assert ours["l"] == pycanon.l_diversity(frame, PYCANON_QI, ["salary-class"])
    assert (ours["n_rows"], ours["n_classes"], ours["k"], ours["l"]) == REFERENCE[name]


def test_random_tables_match_pycanon():
    rng = np.random.default_rng(3)
    for _ in range(5):
        n = int(rng.integers(30, 200))
        frame = pd.DataFrame({
            "a": rng.integers(0, 3, n), "b": rng.choice(["x", "y"], n),
            "s1": rng.integers(0, 4, n), "s2": rng.choice(list("pqrs"), n),
        })
        assert k_anonymity(frame, ["a", "b"]) == pycanon.k_anonymity(frame, ["a", "b"])
        assert l_diversity(frame, ["a", "b"], ["s1", "s2"]) == pycanon.l_diversity(frame, ["a", "b"], ["s1", "s2"])


def test_missing_column_named():
    with pytest.raises(KeyError, match="zzz"):
        measure(pd.DataFrame({"a": [1]}), ["zzz"])
