"""Point-forecast error metrics for counts: WAPE, MAE, RMSE, bias, Poisson deviance.

Units: MAE and RMSE in counts per step (requests per hour for the Koga panel); WAPE,
bias and coverage are fractions (0.21 = 21 %); Poisson deviance is the mean unit deviance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance, root_mean_squared_error

# Poisson deviance needs a strictly positive prediction; a forecast of 0 becomes this.
DEVIANCE_FLOOR = 1e-6


def point_metrics(actual: np.ndarray | pd.Series, forecast: np.ndarray | pd.Series) -> dict[str, float]:
    """WAPE, MAE, RMSE, relative bias and mean Poisson deviance of ``forecast`` vs ``actual``.

    WAPE = sum|f − a| / sum a. Bias = (sum f − sum a) / sum a (positive: over-forecast).
    Forecasts are clipped at 0 first (statistical models can go negative on counts).
    Returns NaN for WAPE and bias when the actuals sum to 0.
    """
    a = np.asarray(actual, dtype="float64")
    f = np.clip(np.asarray(forecast, dtype="float64"), 0.0, None)
    if a.shape != f.shape or a.size == 0:
        raise ValueError(f"実績と予測の長さが一致しないか空です ({a.shape} / {f.shape})")
    total = a.sum()
    return {
        "wape": float(np.abs(f - a).sum() / total) if total > 0 else float("nan"),
        "mae": float(mean_absolute_error(a, f)),
        "rmse": float(root_mean_squared_error(a, f)),
        "bias": float((f.sum() - total) / total) if total > 0 else float("nan"),
        "poisson_deviance": float(mean_poisson_deviance(a, np.maximum(f, DEVIANCE_FLOOR))),
        "n": int(a.size),
    }


def interval_metrics(
    actual: np.ndarray | pd.Series, lower: np.ndarray | pd.Series, upper: np.ndarray | pd.Series
) -> dict[str, float]:
    """Share of actuals inside [lower, upper] and the mean interval width (counts)."""
    a = np.asarray(actual, dtype="float64")
    lo = np.asarray(lower, dtype="float64")
    hi = np.asarray(upper, dtype="float64")
    ok = ~np.isnan(lo) & ~np.isnan(hi)
    if not ok.any():
        return {"coverage": float("nan"), "mean_width": float("nan"), "n": 0}
    inside = (a[ok] >= lo[ok]) & (a[ok] <= hi[ok])
    return {
        "coverage": float(inside.mean()),
        "mean_width": float((hi[ok] - lo[ok]).mean()),
        "n": int(ok.sum()),
    }


def interval_score(actual: np.ndarray | pd.Series, lower: np.ndarray | pd.Series,
                   upper: np.ndarray | pd.Series, coverage: float) -> float:
    """Mean interval score of central ``coverage`` intervals (lower is better).

    IS_α(l, u; y) = (u − l) + (2/α)(l − y)·1{y < l} + (2/α)(y − u)·1{y > u}, α = 1 − coverage
    (Gneiting & Raftery 2007, "Strictly proper scoring rules, prediction, and estimation",
    JASA 102(477), eq. 43). Units: counts.
    """
    a = np.asarray(actual, dtype="float64")
    lo = np.asarray(lower, dtype="float64")
    hi = np.asarray(upper, dtype="float64")
    alpha = 1.0 - coverage
    score = (hi - lo) + (2 / alpha) * np.clip(lo - a, 0, None) + (2 / alpha) * np.clip(a - hi, 0, None)
    return float(np.nanmean(score)) if np.isfinite(score).any() else float("nan")


def rmsse(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Root mean squared scaled error (M5): sqrt(mean((y − ŷ)²) / scale), where ``scale`` is
    the mean squared one-step difference of the series' training history."""
    a = np.asarray(actual, dtype="float64")
    f = np.clip(np.asarray(forecast, dtype="float64"), 0.0, None)
    if a.size == 0 or not scale > 0:
        return float("nan")
    return float(np.sqrt(np.mean((a - f) ** 2) / scale))
