"""Weighted district estimates, Kish n_eff and empirical-Bayes shrinkage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kogadx.rng import stream_rng
from kogadx.wellbeing.indicators import CITY, district_estimates, shrink_to_city_mean, weighted_mean_ci


def test_equal_weights_give_the_classical_t_interval():
    x = stream_rng(1, "ind").normal(5, 2, 40)
    out = weighted_mean_ci(x, np.full(40, 3.0))
    low, high = stats.t.interval(0.95, df=39, loc=x.mean(), scale=stats.sem(x))
    assert out["n_eff"] == pytest.approx(40)
    assert out["ci_low"] == pytest.approx(low)
    assert out["ci_high"] == pytest.approx(high)


def test_unequal_weights_reduce_effective_n_and_widen_interval():
    rng = stream_rng(2, "ind")
    x = rng.normal(5, 2, 200)
    w = rng.lognormal(0, 1, 200)
    out = weighted_mean_ci(x, w)
    assert out["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert out["n_eff"] < 200
    flat = weighted_mean_ci(x, np.ones(200))
    assert out["ci_high"] - out["ci_low"] > flat["ci_high"] - flat["ci_low"]


def test_missing_answers_are_skipped():
    out = weighted_mean_ci(np.array([1.0, np.nan, 3.0]), np.ones(3))
    assert out["n"] == 2 and out["mean"] == pytest.approx(2.0)


def _frame(sizes: dict[str, int], means: dict[str, float], seed: int = 4) -> pd.DataFrame:
    rng = stream_rng(seed, "ind-frame")
    parts = [pd.DataFrame({"district": d, "happiness": rng.normal(means[d], 1.5, n)}) for d, n in sizes.items()]
    return pd.concat(parts, ignore_index=True)


def test_small_districts_shrink_more_toward_city_mean():
    sizes = {"A": 400, "B": 300, "C": 250, "D": 8, "E": 5}
    means = {"A": 6.0, "B": 6.8, "C": 5.5, "D": 8.0, "E": 4.0}
    frame = _frame(sizes, means)
    est = shrink_to_city_mean(district_estimates(frame, np.ones(len(frame)), ["happiness"]))
    by = est.set_index("district")
    assert by.loc["D", "shrinkage"] > by.loc["A", "shrinkage"]
    assert by.loc["E", "shrinkage"] > by.loc["B", "shrinkage"]
    city = by.loc[CITY, "mean"]
    for d in sizes:
        # Shrunk estimate lies between the direct estimate and the city mean.
        lo, hi = sorted([by.loc[d, "mean"], city])
        assert lo - 1e-12 <= by.loc[d, "mean_eb"] <= hi + 1e-12
    assert by.loc["A", "tau2"] > 0


def test_no_between_district_variance_means_full_shrinkage():
    sizes = {d: 60 for d in "ABCDEF"}
    frame = _frame(sizes, {d: 6.0 for d in sizes}, seed=11)
    # Make the district means exactly equal: all between-district spread is removed.
    frame["happiness"] = frame["happiness"] - frame.groupby("district")["happiness"].transform("mean") + 6.0
    est = shrink_to_city_mean(district_estimates(frame, np.ones(len(frame)), ["happiness"]))
    rows = est[est["district"] != CITY]
    assert (rows["tau2"] == 0).all()
    assert np.allclose(rows["mean_eb"], est.loc[est["district"] == CITY, "mean"].iloc[0])


def test_district_without_respondents_is_listed_with_city_mean():
    frame = _frame({"A": 50, "B": 50, "C": 40}, {"A": 5, "B": 6, "C": 7})
    direct = district_estimates(frame, np.ones(len(frame)), ["happiness"], districts=["A", "B", "C", "Z"])
    est = shrink_to_city_mean(direct)
    z = est.set_index("district").loc["Z"]
    assert z["n"] == 0 and np.isnan(z["mean"])
    assert z["mean_eb"] == pytest.approx(est.set_index("district").loc[CITY, "mean"])
