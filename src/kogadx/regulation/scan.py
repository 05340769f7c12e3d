"""The ``regulation_scan`` stage as one function: evaluate, fit, scan a folder, build the list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.evaluate import grouped_cross_validation
from kogadx.regulation.keywords import LABELLED_CATEGORIES
from kogadx.regulation.loaders import load_corpus
from kogadx.regulation.model import DEFAULT_PARAMS, fit_classifier, score_clauses
from kogadx.regulation.review import build_review_list, review_summary


@dataclass
class FolderScan:
    """Clauses read from a folder, their category scores and the review list."""

    clauses: pd.DataFrame
    scores: pd.DataFrame
    review: pd.DataFrame
    summary: pd.DataFrame


@dataclass
class RegulationScanResult:
    """Everything the stage writes: model, CV metrics, and the scan of the corpus folder."""

    model: Pipeline
    cv: dict[str, Any]
    scan: FolderScan
    metrics: dict[str, Any]


def resolve_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``DEFAULT_PARAMS`` overridden by the given section; unknown keys are an error."""
    merged = dict(DEFAULT_PARAMS)
    unknown = set(params or {}) - set(DEFAULT_PARAMS)
    if unknown:
        raise KeyError(f"regulation_scan: 未知のパラメータ: {', '.join(sorted(unknown))}")
    merged.update(params or {})
    return merged


def scan_folder(folder: str | Path, model: Pipeline, params: Mapping[str, Any]) -> FolderScan:
    """Load every law XML / 例規 HTML / text file under ``folder`` and rank candidate clauses."""
    params = resolve_params(params)
    clauses = load_corpus(folder, include_supplementary=bool(params["include_supplementary"]))
    scores = score_clauses(model, clauses, int(params["max_chars"]))
    review = build_review_list(clauses, scores, float(params["threshold"]))
    return FolderScan(clauses, scores, review, review_summary(review, clauses))


def run_regulation_scan(
    corpus_dir: str | Path,
    params: Mapping[str, Any] | None = None,
    training: pd.DataFrame | None = None,
) -> RegulationScanResult:
    """Grouped CV (classifier vs keywords), fit on all labelled rows, scan ``corpus_dir``.

    ``training`` defaults to the embedded labelled set (:func:`load_training_data`).
    """
    params = resolve_params(params)
    training = load_training_data() if training is None else training
    cv = grouped_cross_validation(training, params)
    model = fit_classifier(training, params)
    scan = scan_folder(corpus_dir, model, params)
    metrics = {
        "cv": cv,
        "training": {
            "rows": len(training),
            "clause_rows": int((training["source"] == "clause").sum()),
            "summary_rows": int((training["source"] == "summary").sum()),
            "laws": int(training["group"].nunique()),
        },
        "scan": {
            "files": int(scan.clauses["source_file"].nunique()),
            "clauses": len(scan.clauses),
            "candidate_rows": len(scan.review),
            "candidate_clauses": int(scan.review[["ファイル", "条項"]].drop_duplicates().shape[0]),
            "by_category": {c: int(n) for c, n in zip(scan.summary["類型"], scan.summary["候補件数"], strict=True)},
        },
        "categories": list(LABELLED_CATEGORIES),
    }
    return RegulationScanResult(model=model, cv=cv, scan=scan, metrics=metrics)


def headline_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Flat numeric summary for MLflow: macro F1 per method/population and per-category P/R."""
    flat: dict[str, float] = {}
    cv = metrics["cv"]
    for population in ("clause", "summary"):
        if population not in cv:
            continue
        for method in ("classifier", "keywords"):
            report = cv[population][method]
            flat[f"{population}.{method}.macro_f1"] = report["macro_f1"]
            for category, entry in report["per_category"].items():
                flat[f"{population}.{method}.{category}.precision"] = entry["precision"]
                flat[f"{population}.{method}.{category}.recall"] = entry["recall"]
                flat[f"{population}.{method}.{category}.f1"] = entry["f1"]
    flat["scan.candidate_rows"] = metrics["scan"]["candidate_rows"]
    flat["scan.clauses"] = metrics["scan"]["clauses"]
    return flat
