"""Scoring a rolling-origin backtest: in-service errors, interval calibration per hour band,
and paired model comparisons over origins.

Only ``scored`` rows count (closed steps are known zeros, see :mod:`kogadx.demand.backtest`).
Point metrics: WAPE, MAE, RMSE, bias, Poisson deviance and RMSSE (M5; mean over series).
Intervals: coverage overall and per hour band, mean width and the interval score, on the
folds after the calibration warm-up. Comparisons: LightGBM against every other model, on
the per-origin sums of absolute errors — the WAPE difference with a moving-block bootstrap
95 % interval over origins, and the Diebold–Mariano test (HAC variance, Harvey et al. small-
sample correction).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kogadx.demand.metrics import interval_metrics, interval_score, point_metrics, rmsse

REFERENCE_MODEL = "lightgbm"


def _aggregate_by_day(part: pd.DataFrame) -> pd.DataFrame:
    """Sum actuals and forecasts over all series per calendar day (city × day)."""
    day = part["ds"].dt.floor("D")
    return part.groupby([part["fold"], day], sort=True)[["y", "yhat"]].sum().reset_index()


def interval_block(part: pd.DataFrame, coverage: float, labels: dict[int, tuple[str, str]]) -> dict[str, Any]:
    """Coverage, width and interval score of the rows with bounds, overall and per band."""
    ok = part["lower"].notna() & part["upper"].notna()
    rows = part[ok]
    block: dict[str, Any] = {"nominal": coverage, **interval_metrics(rows["y"], rows["lower"], rows["upper"]),
                             "interval_score": interval_score(rows["y"], rows["lower"], rows["upper"], coverage),
                             "folds": int(rows["fold"].nunique())}
    by_band: dict[str, dict[str, Any]] = {}
    for band, sub in rows.groupby("band", sort=True):
        metrics = interval_metrics(sub["y"], sub["lower"], sub["upper"])
        key, label = labels.get(int(band), (f"band{int(band)}", f"帯 {int(band)}"))
        by_band[key] = {"label": label, "coverage": metrics["coverage"], "n": metrics["n"]}
    block["by_band"] = by_band
    block["min_band_coverage"] = min((float(b["coverage"]) for b in by_band.values()), default=float("nan"))
    return block


def mean_rmsse(part: pd.DataFrame, scales: dict[str, float]) -> float:
    """RMSSE per series (M5 scale), averaged over series with equal weight."""
    values = [rmsse(sub["y"], sub["yhat"], scales.get(str(uid), float("nan")))
              for uid, sub in part.groupby("unique_id", sort=True, observed=True)]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def origin_losses(by_h: pd.DataFrame) -> pd.DataFrame:
    """Sum of absolute errors per fold (rows) and model (columns), plus ``_actual``."""
    frame = by_h.assign(ae=(by_h["y"] - by_h["yhat"]).abs())
    table = frame.pivot_table(index="fold", columns="model", values="ae", aggfunc="sum", observed=True)
    actual = frame[frame["model"] == frame["model"].iloc[0]].groupby("fold")["y"].sum()
    return table.assign(_actual=actual)


def block_bootstrap_indices(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Circular moving-block bootstrap (Politis & Romano 1992) of ``n`` origins, block length
    ``max(1, round(n^(1/3)))``: ``n_boot × n`` resampled origin indices."""
    block = max(1, round(n ** (1 / 3)))
    n_blocks = math.ceil(n / block)
    starts = rng.integers(0, n, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]) % n
    return idx.reshape(n_boot, -1)[:, :n]


def diebold_mariano(diff: np.ndarray) -> tuple[float, float]:
    """Diebold–Mariano statistic and two-sided p-value for a loss difference series.

    HAC (Newey–West, Bartlett) variance with lag ``floor(n^(1/3))``, the Harvey, Leybourne &
    Newbold (1997) small-sample factor and a t distribution with n − 1 degrees of freedom
    (Diebold & Mariano 1995, J. Business & Economic Statistics 13(3)).
    """
    d = np.asarray(diff, dtype="float64")
    n = d.size
    if n < 3:
        return float("nan"), float("nan")
    dc = d - d.mean()
    lag = int(n ** (1 / 3))
    var = float(np.dot(dc, dc) / n)
    for k in range(1, lag + 1):
        var += 2 * (1 - k / (lag + 1)) * float(np.dot(dc[k:], dc[:-k]) / n)
    if var <= 0:
        return float("nan"), float("nan")
    stat = float(d.mean() / math.sqrt(var / n)) * math.sqrt((n - 1) / n)
    return stat, float(2 * stats.t.sf(abs(stat), df=n - 1))


def paired_comparisons(by_h: pd.DataFrame, seed: int, n_boot: int = 2000,
                       reference: str = REFERENCE_MODEL) -> dict[str, Any]:
    """``reference`` against each other model: WAPE difference (reference − other; negative
    = reference better), its 95 % block-bootstrap interval over origins and the DM test."""
    losses = origin_losses(by_h)
    if reference not in losses.columns:
        return {}
    rng = np.random.default_rng(seed)
    idx = block_bootstrap_indices(len(losses), n_boot, rng)
    actual = losses["_actual"].to_numpy(dtype="float64")
    ref = losses[reference].to_numpy(dtype="float64")
    out = {}
    for other in losses.columns:
        if other in (reference, "_actual"):
            continue
        oth = losses[other].to_numpy(dtype="float64")
        diff = (ref.sum() - oth.sum()) / actual.sum()
        boot = (ref[idx].sum(axis=1) - oth[idx].sum(axis=1)) / actual[idx].sum(axis=1)
        lo, hi = np.quantile(boot, [0.025, 0.975])
        stat, p = diebold_mariano((ref - oth) / np.maximum(actual, 1e-12))
        out[str(other)] = {"wape_diff": float(diff), "ci95_low": float(lo), "ci95_high": float(hi),
                           "excludes_zero": bool(hi < 0 or lo > 0), "dm_stat": stat, "dm_pvalue": p,
                           "origins": len(losses)}
    return out


def summarize(predictions: pd.DataFrame, coverage: float, scales: dict[str, float] | None = None,
              labels: dict[int, tuple[str, str]] | None = None) -> dict[str, Any]:
    """Metrics per horizon and model on the scored rows.

    Keys: ``h<horizon>`` → model → ``by_series_step`` (point metrics + ``rmsse``),
    ``total_by_day``, ``interval`` (coverage overall and ``by_band``, width, interval score).
    """
    scales = scales or {}
    labels = labels or {}
    summary: dict[str, Any] = {}
    for horizon, by_h in scored_rows(predictions).groupby("horizon", sort=True):
        block: dict[str, Any] = {}
        for model, part in by_h.groupby("model", sort=True):
            point = point_metrics(part["y"], part["yhat"])
            point["rmsse"] = mean_rmsse(part, scales)
            block[str(model)] = {
                "by_series_step": point,
                "total_by_day": point_metrics(*_aggregate_by_day(part)[["y", "yhat"]].to_numpy().T),
                "interval": interval_block(part, coverage, labels),
            }
        summary[f"h{int(horizon)}"] = block
    return summary


def compare_models(predictions: pd.DataFrame, seed: int, n_boot: int = 2000,
                   reference: str = REFERENCE_MODEL) -> dict[str, Any]:
    """Paired comparisons of ``reference`` with every other model, per horizon (``h<h>``)."""
    return {f"h{int(h)}": paired_comparisons(by_h, seed + int(h), n_boot, reference)
            for h, by_h in scored_rows(predictions).groupby("horizon", sort=True)}


def scored_rows(predictions: pd.DataFrame) -> pd.DataFrame:
    """The rows that count (in service); all rows when there is no ``scored`` column."""
    return predictions[predictions["scored"]] if "scored" in predictions else predictions
