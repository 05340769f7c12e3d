"""Split-conformal prediction intervals for count forecasts, calibrated on backtest residuals.

Score of a held-out point: ``|y − ŷ| / sqrt(max(ŷ, 1))`` — residuals scaled like a
Poisson standard deviation, so one quantile gives narrow intervals at quiet hours and
wide ones at busy hours. The interval is ``ŷ ± q·sqrt(max(ŷ, 1))`` clipped at 0, where
``q`` is the finite-sample conformal quantile ``ceil((n + 1)(1 − α)) / n`` of the scores.
In a rolling backtest a fold is calibrated only on the folds before it (sequential
conformal), so its coverage is measured on data the calibration never saw.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SCALE_FLOOR = 1.0


def conformity_scores(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Scaled absolute residuals ``|y − ŷ| / sqrt(max(ŷ, 1))``."""
    a = np.asarray(actual, dtype="float64")
    f = np.clip(np.asarray(forecast, dtype="float64"), 0.0, None)
    return np.abs(a - f) / np.sqrt(np.maximum(f, SCALE_FLOOR))


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The finite-sample conformal quantile of ``scores`` for the target ``coverage``."""
    scores = np.sort(np.asarray(scores, dtype="float64")[~np.isnan(scores)])
    n = scores.size
    if n == 0:
        return float("nan")
    rank = min(n, math.ceil((n + 1) * coverage))
    return float(scores[rank - 1])


def apply_interval(forecast: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds ``ŷ ± q·sqrt(max(ŷ, 1))``, lower clipped at 0 (counts)."""
    f = np.clip(np.asarray(forecast, dtype="float64"), 0.0, None)
    half = q * np.sqrt(np.maximum(f, SCALE_FLOOR))
    return np.clip(f - half, 0.0, None), f + half


def sequential_conformal(predictions: pd.DataFrame, coverage: float) -> pd.DataFrame:
    """Add ``lower`` / ``upper`` to backtest predictions, each fold calibrated on earlier folds.

    ``predictions`` needs columns ``model``, ``horizon``, ``fold``, ``y``, ``yhat``. The
    first fold of each (model, horizon) gets NaN bounds (nothing earlier to calibrate on).
    """
    out = predictions.copy()
    out["lower"] = np.nan
    out["upper"] = np.nan
    for _, part in out.groupby(["model", "horizon"], sort=True):
        folds = sorted(part["fold"].unique())
        for i, fold in enumerate(folds[1:], start=1):
            calib = part[part["fold"].isin(folds[:i])]
            q = conformal_quantile(conformity_scores(calib["y"], calib["yhat"]), coverage)
            rows = part.index[part["fold"] == fold]
            lo, hi = apply_interval(out.loc[rows, "yhat"].to_numpy(), q)
            out.loc[rows, "lower"] = lo
            out.loc[rows, "upper"] = hi
    return out
