"""Grouped cross-validation across laws: classifier vs keyword matching alone.

Folds are ``GroupKFold`` over ``group`` (the LawId), so no law is in both train and test.
Out-of-fold predictions are pooled and scored per category on two populations:

* ``clause`` — paragraphs (項) of the 15 e-Gov files; the realistic task (most clauses are
  negative). Few positives per category: read ``support`` before the figures.
* ``summary`` — the 工程表's own summaries (all positive for some category): category
  assignment, well powered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from kogadx.regulation.keywords import LABELLED_CATEGORIES, KeywordMatcher
from kogadx.regulation.model import (
    decision_to_score,
    fit_classifier,
    label_matrix,
    model_input,
)
from kogadx.regulation.params import RegulationScanParams


def out_of_fold_scores(training: pd.DataFrame, config: RegulationScanParams = RegulationScanParams()) -> np.ndarray:
    """(n, 7) out-of-fold scores; each row scored by a model that never saw its law."""
    groups = training["group"].to_numpy()
    scores = np.full((len(training), len(LABELLED_CATEGORIES)), np.nan)
    folds = GroupKFold(n_splits=config.cv_folds)
    for train_idx, test_idx in folds.split(training, groups=groups):
        model = fit_classifier(training.iloc[train_idx], config)
        test = training.iloc[test_idx]
        scores[test_idx] = decision_to_score(model.decision_function(model_input(test, config.max_chars)))
    return scores


def keyword_predictions(training: pd.DataFrame, max_chars: int) -> np.ndarray:
    """(n, 7) 0/1: does any keyword of the category occur (same text the classifier sees)."""
    flags = KeywordMatcher.default().match_frame(model_input(training, max_chars))
    return flags[list(LABELLED_CATEGORIES)].to_numpy().astype(np.int8)


def category_report(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None = None) -> dict[str, Any]:
    """Per-category precision / recall / F1 / support (+ average precision), and macro F1."""
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, average=None, labels=list(range(truth.shape[1])), zero_division=0
    )
    report: dict[str, Any] = {"per_category": {}}
    for j, category in enumerate(LABELLED_CATEGORIES):
        entry = {
            "precision": round(float(precision[j]), 4),
            "recall": round(float(recall[j]), 4),
            "f1": round(float(f1[j]), 4),
            "support": int(support[j]),
            "predicted": int(predicted[:, j].sum()),
        }
        if scores is not None and truth[:, j].any():
            entry["average_precision"] = round(float(average_precision_score(truth[:, j], scores[:, j])), 4)
        report["per_category"][category] = entry
    report["macro_f1"] = round(float(np.mean(f1)), 4)
    any_true, any_pred = truth.any(axis=1), predicted.any(axis=1)
    p, r, f, _ = precision_recall_fscore_support(any_true, any_pred, average="binary", zero_division=0)
    report["any_category"] = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4)}
    return report


def grouped_cross_validation(training: pd.DataFrame,
                             config: RegulationScanParams = RegulationScanParams()) -> dict[str, Any]:
    """Classifier vs keywords on ``clause`` and ``summary`` rows; returns a JSON-ready dict."""
    truth = label_matrix(training["labels"])
    scores = out_of_fold_scores(training, config)
    classifier = (scores >= config.threshold).astype(np.int8)
    keywords = keyword_predictions(training, config.max_chars)
    result: dict[str, Any] = {
        "folds": config.cv_folds,
        "groups": int(training["group"].nunique()),
        "threshold": float(config.threshold),
    }
    for population in ("clause", "summary"):
        mask = (training["source"] == population).to_numpy()
        if not mask.any():
            continue
        result[population] = {
            "rows": int(mask.sum()),
            "positive_rows": int(truth[mask].any(axis=1).sum()),
            "classifier": category_report(truth[mask], classifier[mask], scores[mask]),
            "keywords": category_report(truth[mask], keywords[mask]),
        }
    return result


def comparison_table(cv: Mapping[str, Any]) -> pd.DataFrame:
    """Long table population × category × method with precision / recall / F1 / support."""
    rows = []
    for population in ("clause", "summary"):
        if population not in cv:
            continue
        for method in ("classifier", "keywords"):
            for category, entry in cv[population][method]["per_category"].items():
                rows.append({"population": population, "method": method, "category": category, **entry})
    return pd.DataFrame(rows)
