"""Driver models: recovery of the synthetic truth, permutation importance, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression

from kogadx.rng import stream_rng
from kogadx.synth.params import SurveySynth
from kogadx.synth.survey import generate_survey, toy_register, toy_towns
from kogadx.wellbeing.categories import CATEGORY_KEYS
from kogadx.wellbeing.data import standardize_survey
from kogadx.wellbeing.drivers import cv_summary, fit_drivers, permutation_drop_r2
from kogadx.wellbeing.params import DriverParams

EDGES = [18, 30, 40, 50, 60, 70, 80, 90]


@pytest.fixture(scope="module")
def fitted():
    towns = toy_towns()
    register = toy_register(stream_rng(42, "register"), towns, 9_000)
    raw, truth = generate_survey(stream_rng(42, "survey"), register, towns, SurveySynth(n_target=2_000))
    respondents = standardize_survey(raw, towns, EDGES)
    result = fit_drivers(
        respondents[list(CATEGORY_KEYS)], respondents["happiness"], seed=42,
        config=DriverParams(n_bootstrap=60, n_bootstrap_lgbm=3, cv_folds=3, lgbm={"n_estimators": 80}),
    )
    return respondents, truth, result


def test_five_strongest_true_effects_are_among_seven_most_important(fitted):
    respondents, truth, result = fitted
    assert 1_700 < len(respondents) < 2_300
    strongest = set(truth.effects.sort_values("rank")["item"].head(5))
    top7 = set(result.importances.sort_values("rank_linear")["item"].head(7))
    assert strongest <= top7


def test_bootstrap_intervals_cover_estimates_and_separate_zero_effects(fitted):
    _, truth, result = fitted
    imp = result.importances.set_index("item")
    assert (imp["coef_ci_low"] <= imp["coef_std"]).all() and (imp["coef_std"] <= imp["coef_ci_high"]).all()
    strongest = truth.effects.sort_values("rank")["item"].head(5)
    assert (imp.loc[strongest, "coef_ci_low"] > 0).all()
    zero = truth.effects.loc[truth.effects["effect_per_point"] == 0, "item"]
    # Most truly-zero effects have an interval that includes zero.
    covers = (imp.loc[zero, "coef_ci_low"] <= 0) & (imp.loc[zero, "coef_ci_high"] >= 0)
    assert covers.mean() >= 0.6


def test_both_models_are_cross_validated(fitted):
    _, _, result = fitted
    summary = cv_summary(result.cv_scores)
    assert set(summary) == {"linear_ridge", "lightgbm"}
    assert len(result.cv_scores) == 6
    for scores in summary.values():
        assert 0.2 < scores["r2_mean"] < 0.95
    # The truth is linear, so the linear model is not beaten by much.
    assert summary["linear_ridge"]["r2_mean"] > summary["lightgbm"]["r2_mean"] - 0.05
    assert result.importances["perm_importance"].max() > 0


def test_batched_permutation_importance_matches_sklearn():
    rng = stream_rng(3, "perm")
    x = rng.normal(size=(400, 4))
    y = x @ np.array([2.0, 1.0, 0.0, 0.5]) + rng.normal(size=400)
    model = LinearRegression().fit(x, y)
    ours = permutation_drop_r2(model, x, y, np.random.default_rng(0), n_repeats=30)
    ref = permutation_importance(model, x, y, scoring="r2", n_repeats=30, random_state=0).importances_mean
    assert np.allclose(ours, ref, atol=0.05)
    assert np.argmax(ours) == 0 and abs(ours[2]) < 0.02


def test_grouped_cv_and_too_few_rows():
    rng = stream_rng(4, "drivers-small")
    items = pd.DataFrame(rng.integers(1, 6, size=(120, 3)).astype(float), columns=["a", "b", "c"])
    y = pd.Series(3 + items["a"] + rng.normal(size=120))
    groups = pd.Series(np.repeat(list("ABCDEF"), 20))
    res = fit_drivers(items, y, seed=1, groups=groups,
                      config=DriverParams(cv="group", n_bootstrap=5, n_bootstrap_lgbm=2, cv_folds=3,
                                          lgbm={"n_estimators": 20}))
    assert res.cv_scores["fold"].nunique() == 3
    assert res.importances.sort_values("rank_linear")["item"].iloc[0] == "a"
    with pytest.raises(ValueError, match="少なすぎ"):
        fit_drivers(items.head(5), y.head(5), seed=1, config=DriverParams(n_bootstrap=5, n_bootstrap_lgbm=2))
