"""Area-level small-area estimation: the Fay–Herriot model, its EBLUP and MSE.

Model (Fay & Herriot 1979; Rao & Molina 2015, ch. 6): direct estimate y_d = θ_d + e_d,
e_d ~ N(0, ψ_d) with ψ_d treated as known, θ_d = x_d'β + u_d, u_d ~ N(0, A).
- A by REML, Fisher scoring from A = median(ψ), as R ``sae::eblupFH`` does;
- EBLUP θ̃_d = γ_d y_d + (1 − γ_d) x_d'β̂, γ_d = A / (A + ψ_d);
- MSE by Prasad–Rao (as ``sae::mseFH`` for REML): g1 + g2 + 2 g3 with
  g1 = γ_d ψ_d, g2 = (1 − γ_d)² x_d'(X'V⁻¹X)⁻¹x_d, g3 = ψ_d² / (A + ψ_d)³ · 2 / Σ(A + ψ_d)⁻².
- Areas without a direct estimate get the synthetic x_d'β̂ with MSE A + x_d'(X'V⁻¹X)⁻¹x_d
  + Var(Â).
Checked against the published ``sae``/``samplics`` results on the milk data
(tests/unit/test_wellbeing_sae.py). Hand-written because the model is forty lines of
linear algebra and the only Python package with it (``samplics``) brings polars and
statsmodels along; see :mod:`kogadx.wellbeing.replicates`.

Smoothed sampling variances: ψ_d from a generalised variance function
ψ_d = deff · σ²_pooled / n_d, with deff the median ratio of the bootstrap variance to the
simple-random-sampling variance over districts with enough respondents. The bootstrap
variance of a district of ten people is itself too noisy to be taken as known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FayHerriotFit:
    """A fitted Fay–Herriot model: per area the EBLUP and its MSE, and the model's parameters."""

    estimate: np.ndarray
    mse: np.ndarray
    gamma: np.ndarray  # weight of the direct estimate (0 for areas without one)
    beta: np.ndarray
    beta_cov: np.ndarray
    sigma2_u: float
    iterations: int
    converged: bool


def fay_herriot(
    y: np.ndarray, psi: np.ndarray, x: np.ndarray, tol: float = 1e-10, max_iter: int = 200,
    method: str = "reml",
) -> FayHerriotFit:
    """Fit the FH model on areas with a direct estimate (finite ``y`` and ``psi`` > 0) and
    predict every row of ``x`` (m × p, with the intercept column if wanted). ``tol`` is tight
    by default: A to ~1e-10 keeps the six written digits the same under any BLAS.

    ``method``: ``reml``, or ``adjusted_reml`` (Li & Lahiri 2010: the REML likelihood times
    A, as ``emdi::fh(method = "reml", …)``'s "amrl" option), whose estimate of A is always
    positive. With thirty districts plain REML often returns A = 0, which shrinks every
    district fully onto the regression and leaves the Prasad–Rao MSE far too small.
    """
    if method not in ("reml", "adjusted_reml"):
        raise ValueError(f"method は reml か adjusted_reml です: {method!r}")
    y, psi, x = np.asarray(y, float), np.asarray(psi, float), np.asarray(x, float)
    obs = np.isfinite(y) & np.isfinite(psi) & (psi > 0)
    yo, po, xo = y[obs], psi[obs], x[obs]
    m, p = xo.shape
    if m <= p:
        raise ValueError(f"直接推定のある地区 ({m}) が説明変数の数 ({p}) 以下のためモデルを当てはめられません")
    if method == "adjusted_reml":
        a, iterations, converged = _adjusted_reml(yo, po, xo, tol, max_iter)
    else:
        a, iterations, converged = _reml_fisher(yo, po, xo, tol, max_iter)
    a = max(a, 0.0)
    v_inv = 1.0 / (a + po)
    xtvx = xo.T @ (xo * v_inv[:, None])
    beta_cov = np.linalg.inv(xtvx)
    beta = beta_cov @ (xo.T @ (v_inv * yo))
    var_a = 2.0 / float(np.sum(v_inv**2))
    synthetic = x @ beta
    lev = np.einsum("ij,jk,ik->i", x, beta_cov, x)
    gamma = np.zeros(len(y))
    gamma[obs] = a / (a + po)
    estimate = synthetic.copy()
    estimate[obs] = synthetic[obs] + gamma[obs] * (yo - synthetic[obs])
    mse = a + lev + var_a  # areas without a direct estimate
    g1 = gamma[obs] * po
    g2 = (1.0 - gamma[obs]) ** 2 * lev[obs]
    g3 = po**2 / (a + po) ** 3 * var_a
    mse[obs] = g1 + g2 + 2.0 * g3
    return FayHerriotFit(estimate=estimate, mse=mse, gamma=gamma, beta=beta, beta_cov=beta_cov, sigma2_u=a,
                         iterations=iterations, converged=converged)


def _reml_fisher(y: np.ndarray, psi: np.ndarray, x: np.ndarray, tol: float,
                 max_iter: int) -> tuple[float, int, bool]:
    """REML by Fisher scoring from A = median(ψ), stepping no lower than zero (as sae::eblupFH)."""
    a = float(np.median(psi))
    for iterations in range(1, max_iter + 1):
        proj = _projection(a, psi, x)
        py = proj @ y
        score = -0.5 * np.trace(proj) + 0.5 * float(py @ py)
        info = 0.5 * float(np.sum(proj * proj.T))
        a_new = max(a + score / info, 0.0)  # a variance: a step below zero stops at zero
        if abs(a_new - a) <= tol * max(a, 1e-12):
            return a_new, iterations, True
        a = a_new
    return a, max_iter, False


def _adjusted_reml(y: np.ndarray, psi: np.ndarray, x: np.ndarray, tol: float,
                   max_iter: int) -> tuple[float, int, bool]:
    """Maximise the REML log-likelihood plus log A over log A (bounded, deterministic)."""
    from scipy.optimize import minimize_scalar

    def negative(log_a: float) -> float:
        a = float(np.exp(log_a))
        v_inv = 1.0 / (a + psi)
        xtvx = x.T @ (x * v_inv[:, None])
        py = _projection(a, psi, x) @ y
        return -(-0.5 * float(np.sum(np.log(a + psi))) - 0.5 * float(np.linalg.slogdet(xtvx)[1])
                 - 0.5 * float(y @ py) + log_a)

    scale = float(np.var(y)) + float(np.max(psi))
    result = minimize_scalar(negative, bounds=(np.log(scale * 1e-8), np.log(scale * 10.0)), method="bounded",
                             options={"xatol": tol, "maxiter": max_iter})
    # Polish with Fisher steps on the adjusted score (information + 1/A²): Brent stops at a
    # relative ~1e-8, which lets the sixth written digit differ between BLAS builds.
    a = float(np.exp(result.x))
    for _ in range(20):
        proj = _projection(a, psi, x)
        py = proj @ y
        score = -0.5 * np.trace(proj) + 0.5 * float(py @ py) + 1.0 / a
        info = 0.5 * float(np.sum(proj * proj.T)) + 1.0 / a**2
        step = score / info
        if not np.isfinite(step) or a + step <= 0:
            break
        a += step
        if abs(step) <= 1e-14 * a:
            break
    return a, int(result.nfev), bool(result.success)


def _projection(a: float, psi: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P = V⁻¹ − V⁻¹X(X'V⁻¹X)⁻¹X'V⁻¹ for V = diag(A + ψ)."""
    v_inv = 1.0 / (a + psi)
    vx = x * v_inv[:, None]
    return np.diag(v_inv) - vx @ np.linalg.solve(x.T @ vx, vx.T)


def smoothed_variance(var_boot: np.ndarray, sd: np.ndarray, n: np.ndarray, min_n: int = 20) -> np.ndarray:
    """Generalised variance function ψ_d = deff · σ²_pooled / n_d (NaN where n_d < 2).

    ``deff``: median of var_boot / (sd² / n) over districts with n ≥ ``min_n`` (all districts
    with a variance if none); σ²_pooled: the n-weighted mean of the district variances.
    """
    var_boot, sd, n = np.asarray(var_boot, float), np.asarray(sd, float), np.asarray(n, float)
    ok = (n >= 2) & np.isfinite(sd) & np.isfinite(var_boot) & (sd > 0)
    big = ok & (n >= min_n)
    use = big if big.any() else ok
    if not use.any():
        return np.full(len(n), np.nan)
    deff = float(np.median(var_boot[use] / (sd[use] ** 2 / n[use])))
    sigma2 = float(np.average(sd[ok] ** 2, weights=n[ok]))
    return np.where(n >= 2, deff * sigma2 / np.maximum(n, 1.0), np.nan)
