"""Fay–Herriot EBLUP and its Prasad–Rao MSE against a published example, and the variance smoother.

Reference: the fresh-milk expenditure data (Arora & Lahiri 1997; R package ``sae``, data
``milk``: 43 small areas, direct estimate yi, its standard deviation SD, four major areas),
fitted with ``sae::eblupFH(yi ~ as.factor(MajorArea), SD^2, method = "REML")`` and
``sae::mseFH``. The expected figures are those the ``samplics`` test suite checks its
``EblupAreaModel`` against (tests/sae/test_eblup_area_model.py in samplics-team/samplics:
fixed effects 0.9681890, 0.1327801, 0.2269462, −0.2413011 and per-area EBLUPs and MSEs).
"""

from __future__ import annotations

import numpy as np
import pytest

from kogadx.wellbeing.sae import fay_herriot, smoothed_variance

# major area, small area, direct estimate yi, SD (sae::milk)
MILK = """
1,1,1.099,0.163 1,2,1.075,0.08 1,3,1.105,0.083 1,4,0.628,0.109 1,5,0.753,0.119 1,6,0.981,0.141
1,7,1.257,0.202 2,8,1.095,0.127 2,9,1.405,0.168 2,10,1.356,0.178 2,11,0.615,0.1 2,12,1.46,0.201
2,13,1.338,0.148 2,14,0.854,0.143 3,15,1.176,0.149 3,16,1.111,0.145 3,17,1.257,0.135 3,18,1.43,0.172
3,19,1.278,0.137 3,20,1.292,0.163 3,21,1.002,0.125 3,22,1.183,0.247 3,23,1.044,0.14 3,24,1.267,0.171
3,25,1.193,0.106 4,26,0.791,0.121 4,27,0.795,0.121 4,28,0.759,0.259 4,29,0.796,0.106 4,30,0.565,0.089
4,31,0.886,0.225 4,32,0.952,0.205 4,33,0.807,0.119 4,34,0.582,0.067 4,35,0.684,0.106 4,36,0.787,0.126
4,37,0.44,0.092 4,38,0.759,0.132 4,39,0.77,0.1 4,40,0.8,0.113 4,41,0.756,0.083 4,42,0.865,0.121
4,43,0.64,0.129
"""


@pytest.fixture(scope="module")
def milk():
    rows = np.array([[float(v) for v in item.split(",")] for item in MILK.split()])
    major = rows[:, 0].astype(int)
    x = np.column_stack([np.ones(len(rows)), major == 2, major == 3, major == 4]).astype(float)
    return rows[:, 2], rows[:, 3] ** 2, x


def test_fay_herriot_reml_matches_sae_on_the_milk_data(milk):
    y, psi, x = milk
    fit = fay_herriot(y, psi, x, tol=1e-8)
    assert fit.converged
    np.testing.assert_allclose(fit.beta, [0.9681890, 0.1327801, 0.2269462, -0.2413011], atol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.beta_cov)), [0.06936208, 0.10300072, 0.09232981, 0.08161707],
                               atol=1e-4)
    np.testing.assert_allclose(fit.estimate[:6], [1.0219703, 1.0476018, 1.0679513, 0.7608170, 0.8461574, 0.9743727],
                               atol=1e-4)
    np.testing.assert_allclose(fit.estimate[-3:], [0.7481164, 0.8040773, 0.6810870], atol=1e-4)
    np.testing.assert_allclose(fit.mse[:6], [0.013460220, 0.005372876, 0.005701990, 0.008541740, 0.009579594,
                                             0.011670632], atol=2e-6)
    np.testing.assert_allclose(fit.mse[-3:], [0.005484860, 0.009205133, 0.009903626], atol=2e-6)


def test_area_without_direct_estimate_gets_the_synthetic_estimate(milk):
    y, psi, x = milk
    y = y.copy()
    y[0] = np.nan
    fit = fay_herriot(y, psi, x)
    assert fit.gamma[0] == 0
    assert fit.estimate[0] == pytest.approx(float(x[0] @ fit.beta))
    assert fit.mse[0] > fit.sigma2_u  # model variance plus the uncertainty of β and A
    assert np.all(fit.mse[1:] < psi[1:])  # every sampled area gains over its direct estimate


def test_no_between_area_variance_means_full_shrinkage():
    rng = np.random.default_rng(3)
    psi = np.full(40, 0.04)
    y = 2.0 + rng.normal(0, 0.2, 40) * 0.05  # far less spread than the sampling noise
    fit = fay_herriot(y, psi, np.ones((40, 1)))
    assert fit.sigma2_u == 0.0
    np.testing.assert_allclose(fit.estimate, np.full(40, y.mean()), atol=1e-12)


def test_too_few_areas_for_the_covariates_is_an_error():
    with pytest.raises(ValueError, match="説明変数"):
        fay_herriot(np.array([1.0, 2.0]), np.array([0.1, 0.1]), np.ones((2, 2)))


def test_smoothed_variance_follows_one_over_n_with_the_bootstrap_design_effect():
    n = np.array([5, 10, 40, 80, 200])
    sd = np.full(5, 2.0)
    var_boot = 1.5 * sd**2 / n  # design effect 1.5 everywhere
    var_boot[0] = 10.0  # a wild small-district bootstrap variance does not move the others
    psi = smoothed_variance(var_boot, sd, n, min_n=20)
    np.testing.assert_allclose(psi, 1.5 * 4.0 / n)


def test_adjusted_reml_keeps_the_district_variance_positive():
    """Where REML gives A = 0 (every area pulled fully onto the regression), the adjusted
    likelihood (Li & Lahiri 2010) keeps A > 0, so the MSE still carries the model variance."""
    rng = np.random.default_rng(3)
    psi = np.full(40, 0.04)
    y = 2.0 + rng.normal(0, 0.2, 40) * 0.05
    reml = fay_herriot(y, psi, np.ones((40, 1)))
    adjusted = fay_herriot(y, psi, np.ones((40, 1)), method="adjusted_reml")
    assert reml.sigma2_u == 0.0 and adjusted.sigma2_u > 0.0
    assert np.all(adjusted.mse > reml.mse)
    assert np.all((adjusted.gamma > 0) & (adjusted.gamma < 1))
