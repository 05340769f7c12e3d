"""CalTRACK 2.0 billing (monthly) baselines and ASHRAE Guideline 14 savings uncertainty.

The method follows the CalTRACK billing methods as implemented by OpenEEmeter
(``eemeter.caltrack.usage_per_day.fit_caltrack_usage_per_day_model`` with
``use_billing_presets=True``; now LF Energy OpenDSM). It is re-implemented here because
neither ``opendsm`` 1.2.7 (requires pandas < 3) nor ``eemeter`` 4.x (numba, nlopt, scikit-fda,
built for pandas 2) fits this project's locked environment (pandas 3.1). Per period
(a calendar month here; any billing period in :func:`period_degree_days`):

- the dependent variable is the mean use per day, the weights the days in the period
  (weighted least squares, CalTRACK 3.4.2);
- HDD/CDD are the period means of the daily degree days max(0, T_bp − T_day) and
  max(0, T_day − T_bp) for every balance point of a grid (CalTRACK 3.2.2.1: the grid is a
  parameter; candidate pairs keep heating ≤ cooling);
- a candidate with a degree-day term needs ≥ ``min_total_degree_days`` degree days in the
  baseline (CalTRACK 3.2.2.2.2, 20 °F·day ≈ 11 °C·day);
- a candidate qualifies when every coefficient is ≥ 0 and each degree-day coefficient has
  p < ``max_p_value`` (0.1, CalTRACK 3.4.3.2);
- among intercept-only, HDD-only, CDD-only and HDD+CDD qualified candidates the one with the
  highest adjusted R² is selected (CalTRACK 3.4.3.3).

Savings and their uncertainty follow ASHRAE Guideline 14-2014 Annex B (monthly data):
savings S = Σ (ŷ − y) over the m reporting months, and the half-width of its interval

    ΔS = t(1 − α/2, n − p) · 1.26 · CV · Ŷ_rep · sqrt((n / n′) · (1 + 2 / n) / m),
    n′ = n · (1 − ρ) / (1 + ρ),

with CV the baseline CV(RMSE) of the monthly totals, Ŷ_rep the predicted reporting-period use
and ρ the lag-1 autocorrelation of the baseline residuals (clipped at 0). p counts the balance
points a model searched as parameters (3P/5P change-point count,
:attr:`BillingFit.n_params_change_point`), both in CV(RMSE) = sqrt(SSE / (n − p)) / ȳ and in t.
OpenEEmeter (``eemeter/derivatives.py``, ``_compute_fsu_error``; source: openeemeter/eemeter on
GitHub) uses the same expression with t at n − p, but replaces 1.26 by a polynomial in m (1.31
at m = 12 for billing data), writes (1 + 2/n′) and counts only the degree-day coefficients in p
(``usage_per_day.py``: 2 for HDD+CDD, 0 for intercept-only): with n = 12 and a searched 5P
model that count gives intervals that cover the planted savings of the synthetic world too
rarely. t is taken at n − p (as eemeter and Guideline 14's B-28 implementations do), not at
n′ − p: with ρ clipped at 0, n′ = n for most meters here anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

MODEL_TYPES = ("intercept_only", "hdd_only", "cdd_only", "hdd_cdd")
FSU_MONTHLY_CONSTANT = 1.26  # ASHRAE Guideline 14-2014 Annex B, monthly data
# Adjusted R² is rounded before the arg-max so that a BLAS-level difference in the 15th digit
# cannot pick a different balance point on another CPU.
R2_DIGITS = 9


@dataclass(frozen=True)
class CaltrackConfig:
    """Grid and qualification rules (defaults: CalTRACK 2.0 billing presets, in °C)."""

    heating_grid: tuple[float, ...] = tuple(np.arange(5.0, 22.01, 0.5).round(1))
    cooling_grid: tuple[float, ...] = tuple(np.arange(14.0, 30.01, 0.5).round(1))
    min_total_degree_days: float = 20 * 5 / 9
    max_p_value: float = 0.1
    fit_cooling: bool = True


@dataclass(frozen=True)
class BillingFit:
    """The selected model: type, balance points (°C, NaN when absent), coefficients per day."""

    model_type: str
    heating_bp: float
    cooling_bp: float
    intercept: float
    beta_hdd: float
    beta_cdd: float
    r2_adj: float
    n_params: int
    candidates_qualified: int
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def n_params_change_point(self) -> int:
        """Parameters counted for the uncertainty: the coefficients plus each balance point
        searched on the baseline (an HDD model is a 3-parameter change-point model, HDD+CDD a
        5-parameter one — the 3P/4P/5P count of ASHRAE RP-1050 and Guideline 14). The
        balance-point search fits the baseline noise too; leaving it out of n − p makes
        CV(RMSE) and t too small (measured: benchmarks/co2_caltrack.py)."""
        return self.n_params + int(np.isfinite(self.heating_bp)) + int(np.isfinite(self.cooling_bp))

    def predict_per_day(self, hdd: np.ndarray, cdd: np.ndarray) -> np.ndarray:
        """Use per day from the period means of HDD/CDD at this model's balance points."""
        out = np.full(len(hdd), self.intercept, dtype=float)
        if self.model_type in ("hdd_only", "hdd_cdd"):
            out = out + self.beta_hdd * hdd
        if self.model_type in ("cdd_only", "hdd_cdd"):
            out = out + self.beta_cdd * cdd
        return out


def daily_mean_temperature(weather: pd.DataFrame) -> pd.Series:
    """Daily mean °C from hourly (or daily) ``time``, ``temperature_c``; days with no reading absent."""
    frame = pd.DataFrame({"time": pd.to_datetime(weather["time"]),
                          "t": pd.to_numeric(weather["temperature_c"], errors="coerce")}).dropna()
    frame = frame.loc[np.isfinite(frame["t"])]
    return frame.groupby(frame["time"].dt.floor("D"))["t"].mean()


def monthly_weather_coverage(daily: pd.Series) -> pd.Series:
    """Share of each calendar month's days with a temperature, indexed "YYYY-MM"."""
    if daily.empty:
        return pd.Series(dtype=float)
    months = pd.period_range(daily.index.min().to_period("M"), daily.index.max().to_period("M"), freq="M")
    counts = daily.groupby(daily.index.to_period("M")).size().reindex(months, fill_value=0)
    share = counts / months.days_in_month
    share.index = months.strftime("%Y-%m")
    return share.astype(float)


def period_degree_days(daily: pd.Series, labels: pd.Series, grid: tuple[float, ...],
                       heating: bool) -> pd.DataFrame:
    """Mean degree days per day of each period (rows: label) for each balance point (columns).

    ``labels`` maps each day of ``daily`` to its period; days without a label are ignored.
    """
    temps = daily.to_numpy(float)[:, None]
    bps = np.asarray(grid, dtype=float)[None, :]
    dd = np.clip(bps - temps, 0, None) if heating else np.clip(temps - bps, 0, None)
    frame = pd.DataFrame(dd, columns=list(grid), index=daily.index)
    lab = labels.reindex(daily.index)
    return frame.loc[lab.notna()].groupby(lab.dropna()).mean()


def _wls_batch(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WLS for a batch of designs x (B, n, k): (coefficients (B, k), p-values (B, k), adjusted R² (B,))."""
    sw = np.sqrt(w)[None, :, None]
    xw, yw = x * sw, (y * np.sqrt(w))[None, :]
    xtx = np.einsum("bni,bnj->bij", xw, xw)
    xty = np.einsum("bni,bn->bi", xw, yw)
    n, k = x.shape[1], x.shape[2]
    ok = np.abs(np.linalg.det(xtx)) > 1e-12 * np.abs(xtx).max(axis=(1, 2)) ** k
    xtx_safe = np.where(ok[:, None, None], xtx, np.eye(k)[None])
    beta = np.linalg.solve(xtx_safe, xty[..., None])[..., 0]
    resid = yw - np.einsum("bni,bi->bn", xw, beta)
    dof = max(n - k, 1)
    sigma2 = np.sum(resid**2, axis=1) / dof
    cov_diag = np.diagonal(np.linalg.inv(xtx_safe), axis1=1, axis2=2) * sigma2[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = beta / np.sqrt(np.clip(cov_diag, 1e-300, None))
    pval = 2 * stats.t.sf(np.abs(tval), dof)
    ybar = np.sum(w * y) / np.sum(w)
    sst = np.sum(w * (y - ybar) ** 2)
    r2 = 1 - np.sum(resid**2, axis=1) / sst if sst > 0 else np.zeros(len(beta))
    r2_adj = 1 - (1 - r2) * (n - 1) / dof
    r2_adj = np.where(ok, r2_adj, -np.inf)
    return beta, pval, r2_adj


def fit_billing_model(use_per_day: np.ndarray, days: np.ndarray, hdd: pd.DataFrame, cdd: pd.DataFrame,
                      config: CaltrackConfig = CaltrackConfig()) -> BillingFit:
    """Select the CalTRACK billing model for one meter (rows aligned: one per baseline period).

    ``hdd`` / ``cdd``: period-mean degree days per day, one column per balance point.
    """
    y = np.asarray(use_per_day, float)
    w = np.asarray(days, float)
    n = len(y)
    ones = np.ones(n)
    mean = float(np.sum(w * y) / np.sum(w))
    hmat, cmat = hdd.to_numpy(float), cdd.to_numpy(float)
    h_bps, c_bps = hdd.columns.to_numpy(float), cdd.columns.to_numpy(float)
    h_cols = np.flatnonzero(w @ hmat >= config.min_total_degree_days)
    c_cols = np.flatnonzero(w @ cmat >= config.min_total_degree_days) if config.fit_cooling else np.array([], int)
    hi, ci = np.meshgrid(h_cols, c_cols, indexing="ij")
    keep = h_bps[hi] <= c_bps[ci]
    hi, ci = hi[keep], ci[keep]
    batches = [
        ("hdd_only", h_cols, np.full(len(h_cols), -1), [hmat[:, h_cols]]),
        ("cdd_only", np.full(len(c_cols), -1), c_cols, [cmat[:, c_cols]]),
        ("hdd_cdd", hi, ci, [hmat[:, hi], cmat[:, ci]]),
    ]
    best = BillingFit("intercept_only", np.nan, np.nan, mean, 0.0, 0.0, 0.0, 1, 1)
    best_r2, qualified = 0.0, 1  # the intercept-only model always qualifies, adjusted R² 0
    for kind, h_idx, c_idx, columns in batches:
        if not len(h_idx):
            continue
        x = np.stack([np.broadcast_to(ones[:, None], columns[0].shape), *columns], axis=-1)
        beta, pval, r2 = _wls_batch(np.moveaxis(x, 1, 0), y, w)
        ok = np.isfinite(r2) & np.all(beta >= 0, axis=1) & np.all(pval[:, 1:] < config.max_p_value, axis=1)
        qualified += int(ok.sum())
        if not ok.any():
            continue
        score = np.where(ok, np.round(r2, R2_DIGITS), -np.inf)
        k = int(np.argmax(score))  # first of equal scores: the lowest balance points
        if score[k] > best_r2:
            best_r2 = float(score[k])
            b = beta[k]
            bh = float(b[1]) if kind in ("hdd_only", "hdd_cdd") else 0.0
            bc = float(b[-1]) if kind in ("cdd_only", "hdd_cdd") else 0.0
            hbp = float(h_bps[h_idx[k]]) if h_idx[k] >= 0 else np.nan
            cbp = float(c_bps[c_idx[k]]) if c_idx[k] >= 0 else np.nan
            best = BillingFit(kind, hbp, cbp, float(b[0]), bh, bc, float(r2[k]), len(b), 0)
    return BillingFit(best.model_type, best.heating_bp, best.cooling_bp, best.intercept, best.beta_hdd,
                      best.beta_cdd, best.r2_adj, best.n_params, qualified)


def degree_days_at(fit: BillingFit, hdd: pd.DataFrame, cdd: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The period-mean HDD and CDD at the fit's balance points (zeros where the model has none)."""
    n = len(hdd)
    h = hdd[fit.heating_bp].to_numpy(float) if np.isfinite(fit.heating_bp) else np.zeros(n)
    c = cdd[fit.cooling_bp].to_numpy(float) if np.isfinite(fit.cooling_bp) else np.zeros(n)
    return h, c


def lag1_autocorrelation(resid: np.ndarray) -> float:
    """Lag-1 autocorrelation of the residuals in time order (0 for fewer than 3)."""
    if len(resid) < 3:
        return 0.0
    r = resid - resid.mean()
    denom = float(np.sum(r**2))
    return float(np.sum(r[1:] * r[:-1]) / denom) if denom > 0 else 0.0


def savings_uncertainty(cv: float, n: int, n_params: int, rho: float, predicted_total: float, m: int,
                        level: float = 0.90) -> tuple[float, float]:
    """(ΔS, n′): half-width of the savings interval at ``level`` (Guideline 14 Annex B, monthly)."""
    rho = min(max(rho, 0.0), 0.99)
    n_eff = n * (1 - rho) / (1 + rho)
    t = float(stats.t.ppf(1 - (1 - level) / 2, max(n - n_params, 1)))
    half = t * FSU_MONTHLY_CONSTANT * cv * predicted_total * np.sqrt((n / n_eff) * (1 + 2 / n) / max(m, 1))
    return float(half), float(n_eff)
