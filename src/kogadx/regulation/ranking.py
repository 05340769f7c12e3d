"""Metrics of a ranked review list: what staff find when they read the top of it.

* **recall at a review budget** — the share of truly analog clauses among the top ``budget``
  share of all clauses ranked by score (staff read the top 10 % → they find this share);
* **precision at k** — the share of analog clauses among the first ``k`` of the list;
* **bootstrap interval over laws** — laws (the unit of the grouped CV) resampled with
  replacement, the metric recomputed; the 2.5 / 97.5 percentiles.

Ties (a keyword count gives many equal scores) are counted at their expected value under a
random order within the tie: a tie straddling the budget contributes its positives pro rata.
So a ranker earns nothing from the order rows happen to be stored in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def budget_size(n: int, budget: float) -> int:
    """Clauses read at ``budget`` (share of ``n``): rounded up, at least 1 when n > 0."""
    return min(n, max(1 if n else 0, math.ceil(round(budget * n, 9))))


def found_in_top(scores: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Expected number of positives among the top ``k`` (ties at the cut taken pro rata)."""
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(truth, dtype=bool)
    if k <= 0 or len(scores) == 0:
        return 0.0
    if k >= len(scores):
        return float(truth.sum())
    cut = np.sort(scores)[::-1][k - 1]
    above = scores > cut
    tie = scores == cut
    slots = k - int(above.sum())
    return float(truth[above].sum() + truth[tie].sum() * slots / tie.sum())


def recall_at_budget(scores: np.ndarray, truth: np.ndarray, budget: float) -> float:
    """Share of positives in the top ``budget`` share of rows; NaN when there is no positive."""
    truth = np.asarray(truth, dtype=bool)
    if not truth.any():
        return float("nan")
    return found_in_top(scores, truth, budget_size(len(truth), budget)) / float(truth.sum())


def precision_at_k(scores: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Share of positives among the first ``k`` rows of the ranking."""
    k = min(int(k), len(truth))
    return found_in_top(scores, truth, k) / k if k else float("nan")


def recall_curve(scores: np.ndarray, truth: np.ndarray, budgets: Sequence[float]) -> list[float]:
    """:func:`recall_at_budget` at each budget."""
    return [recall_at_budget(scores, truth, b) for b in budgets]


def bootstrap_over_groups(scores: np.ndarray, truth: np.ndarray, groups: np.ndarray, budget: float,
                          reps: int, rng: np.random.Generator, level: float = 0.95) -> dict[str, float]:
    """Percentile interval of recall at ``budget``, laws resampled with replacement.

    Each replicate draws as many laws as there are, takes all their clauses (a law drawn twice
    counts twice) and ranks the pooled clauses. Replicates without a positive are skipped.
    """
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(truth, dtype=bool)
    labels, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    members = [np.flatnonzero(codes == g) for g in range(len(labels))]
    values = []
    for _ in range(int(reps)):
        drawn = rng.integers(0, len(labels), size=len(labels))
        idx = np.concatenate([members[g] for g in drawn])
        value = recall_at_budget(scores[idx], truth[idx], budget)
        if not math.isnan(value):
            values.append(value)
    if not values:
        return {"low": float("nan"), "high": float("nan"), "reps": 0}
    alpha = (1 - level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return {"low": float(low), "high": float(high), "reps": len(values)}


def calibration_bins(probability: np.ndarray, truth: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Reliability of probabilities: per equal-width bin, mean predicted vs observed rate;
    the Brier score and the expected calibration error (weighted |predicted − observed|)."""
    probability = np.asarray(probability, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        mask = which == b
        if not mask.any():
            continue
        predicted, observed = float(probability[mask].mean()), float(truth[mask].mean())
        ece += mask.mean() * abs(predicted - observed)
        rows.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "n": int(mask.sum()),
                     "predicted": predicted, "observed": observed})
    brier = float(np.mean((probability - truth) ** 2)) if len(truth) else float("nan")
    return {"brier": brier, "ece": float(ece), "bins": rows}


def average_precision(scores: np.ndarray, truth: np.ndarray) -> float:
    """Area under the precision-recall curve (sklearn); NaN without a positive."""
    from sklearn.metrics import average_precision_score

    truth = np.asarray(truth, dtype=bool)
    if not truth.any():
        return float("nan")
    return float(average_precision_score(truth, np.asarray(scores, dtype=np.float64)))
