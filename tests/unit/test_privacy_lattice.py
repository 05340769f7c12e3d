"""Optimal lattice search: the brute-force optimum on a small lattice; ARX's Adult optimum (if ../shared)."""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kogadx.privacy.lattice import Problem, hierarchy_from_levels, hierarchy_from_table, optimal_generalisation

ARX = Path(os.environ.get("KOGADX_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared")) / (
    "benchmarks/adult_anonymization/arx")
ADULT_QI = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation",
            "salary-class"]


def _small(seed: int = 3, n: int = 400):
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 80, n)
    town = rng.integers(0, 12, n)
    sex = rng.choice(["m", "f"], n)
    star = np.full(n, "*")
    hierarchies = [
        hierarchy_from_levels("age", [age.astype(str), (age // 10 * 10).astype(str), (age // 40 * 40).astype(str),
                                      star]),
        hierarchy_from_levels("town", [town.astype(str), (town // 4).astype(str), star]),
        hierarchy_from_levels("sex", [sex, star]),
    ]
    return hierarchies, rng.integers(0, 3, n)


@pytest.mark.parametrize("metric", ["entropy_monotonic", "entropy", "loss", "discernibility"])
def test_search_finds_the_exhaustive_optimum(metric):
    hierarchies, sensitive = _small()
    limit = int(0.05 * len(sensitive))
    kwargs = {"k": 5, "max_suppressed": limit, "metric": metric, "sensitive": sensitive, "l_target": 2,
              "weights": {"age": 2.0}}
    found = optimal_generalisation(hierarchies, **kwargs)
    problem = Problem(hierarchies, **kwargs)
    scored = {node: problem.score(node) for node in itertools.product(*(range(h.height + 1) for h in hierarchies))}
    feasible = {node: float(s[3].sum()) for node, s in scored.items() if s[0]}
    assert found is not None and 0 < len(feasible) < len(scored)  # the constraint bites
    best = min(feasible.values())
    assert found.loss == pytest.approx(best, rel=1e-12)
    assert found.levels == min((n for n, v in feasible.items() if v <= best + 1e-9), key=lambda n: (sum(n), n))
    assert found.suppressed <= limit
    assert found.nodes_checked < len(scored) or metric == "discernibility"


def test_max_levels_caps_the_search():
    hierarchies, sensitive = _small()
    capped = optimal_generalisation(hierarchies, k=5, max_suppressed=20, metric="entropy", max_levels={"age": 1})
    assert capped is not None and capped.levels[0] <= 1


def test_unknown_metric_and_missing_hierarchy_value_are_refused():
    hierarchies, _ = _small()
    with pytest.raises(ValueError, match="有用性指標"):
        optimal_generalisation(hierarchies, k=5, max_suppressed=0, metric="precision")
    table = pd.DataFrame({0: ["a"], 1: ["*"]})
    with pytest.raises(ValueError, match="1 行") as error:
        hierarchy_from_table("x", pd.Series(["a", "secret-value"]), table)
    assert "secret-value" not in str(error.value)


@pytest.mark.skipif(not ARX.is_dir(), reason="../shared (ARX の Adult データ) がありません")
def test_arx_adult_optimum_at_k5():
    """ARX TestAnonymizationKAnonymity case 0: [1,0,1,1,3,2,2,0,1], 255,559.85 (full search: benchmark)."""
    frame = pd.read_csv(ARX / "adult.csv", sep=";", dtype=str)
    assert list(frame.columns) == ADULT_QI
    hierarchies = [hierarchy_from_table(c, frame[c], pd.read_csv(ARX / f"adult_hierarchy_{c}.csv", sep=";",
                                                                 header=None, dtype=str)) for c in ADULT_QI]
    problem = Problem(hierarchies, k=5, max_suppressed=math.floor(0.04 * len(frame)), metric="entropy_monotonic")
    arx = (1, 0, 1, 1, 3, 2, 2, 0, 1)
    feasible, _, _, by_qi = problem.score(arx)
    assert feasible
    assert float(by_qi.sum()) == pytest.approx(255559.85455731067, rel=1e-9)
    # every direct specialisation (one QI one level finer) is infeasible: the node is a minimal solution
    for j in range(len(arx)):
        if arx[j]:
            finer = tuple(v - (i == j) for i, v in enumerate(arx))
            assert not problem.score(finer)[0]
