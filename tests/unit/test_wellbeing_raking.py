"""Raking weights: margins reproduced, trimming, empty cells, bad cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.rng import stream_rng
from kogadx.wellbeing.params import RakingParams
from kogadx.wellbeing.raking import margin_errors, population_margins, rake


def _population_and_biased_sample(seed: int = 3, n_pop: int = 20_000, n_sample: int = 1_500):
    rng = stream_rng(seed, "raking-test")
    pop = pd.DataFrame(
        {
            "age_group": rng.choice(["18-39", "40-64", "65-89"], n_pop, p=[0.35, 0.4, 0.25]),
            "sex": rng.choice(["男", "女"], n_pop),
            "district": rng.choice(list("ABCDEFGH"), n_pop, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03]),
        }
    )
    # Older people and district A respond more: the sample is biased on every margin.
    p = np.where(pop["age_group"] == "65-89", 3.0, 1.0) * np.where(pop["district"] == "A", 2.0, 1.0)
    idx = rng.choice(n_pop, n_sample, replace=False, p=p / p.sum())
    return pop, pop.iloc[idx].reset_index(drop=True)


def test_raking_reproduces_margins_within_half_a_point():
    pop, sample = _population_and_biased_sample()
    margins = [["age_group", "sex"], ["district"]]
    targets = population_margins(pop, margins)
    before = margin_errors(sample, np.ones(len(sample)), targets)
    assert before["error_pp"].abs().max() > 2.0  # the sample really is biased
    result = rake(sample, targets, RakingParams(tol=1e-8))
    assert result.converged
    assert result.max_margin_error_pp < 0.5
    assert result.max_margin_error_pp < 1e-4
    # Weights sum to the population total, so they read as "people represented".
    assert result.weights.sum() == pytest.approx(len(pop), rel=1e-9)
    # Weighted counts equal population counts cell by cell.
    weighted = pd.Series(result.weights).groupby(sample["district"].to_numpy()).sum()
    assert np.allclose(weighted.sort_index().to_numpy(), targets[("district",)].to_numpy(), rtol=1e-6)


def test_trimming_bounds_weights_and_keeps_margins():
    pop, sample = _population_and_biased_sample(seed=5)
    targets = population_margins(pop, [["age_group"], ["district"]])
    untrimmed = rake(sample, targets, RakingParams(trim_ratio=None))
    ratio = untrimmed.weights.max() / untrimmed.weights.mean()
    cap = 0.8 * ratio
    trimmed = rake(sample, targets, RakingParams(trim_ratio=(0.3, cap)), max_trim_rounds=50)
    assert trimmed.trim_rounds >= 1
    assert trimmed.weights.max() / trimmed.weights.mean() < ratio
    assert trimmed.max_margin_error_pp < 0.5


def test_population_cells_without_respondents_are_dropped_and_reported():
    pop, sample = _population_and_biased_sample(seed=7)
    sample = sample[sample["district"] != "H"].reset_index(drop=True)
    targets = population_margins(pop, [["age_group", "sex"], ["district"]])
    result = rake(sample, targets)
    assert result.dropped_cells == ["district=H"]
    assert result.converged
    assert result.max_margin_error_pp < 0.5
    assert "H" not in set(result.margin_errors["cell"])


def test_respondent_in_a_cell_the_population_lacks_is_an_error():
    pop, sample = _population_and_biased_sample(seed=9)
    sample.loc[0, "district"] = "Z"
    with pytest.raises(ValueError, match="Z"):
        rake(sample, population_margins(pop, [["district"]]))


def test_fractional_register_counts_are_used_as_weights():
    register = pd.DataFrame({"g": ["a", "a", "b"], "frac": [1.0, 0.5, 1.0]})
    totals = population_margins(register, [["g"]], weight_column="frac")[("g",)]
    assert totals.to_dict() == {"a": 1.5, "b": 1.0}
