"""The ``regulation_scan`` stage: grouped CV, fit on every labelled row, scan a corpus, review list.

:func:`run_regulation_scan` is pure (the corpus as bytes and typed params in,
:class:`kogadx.stage.StageOutputs` out); ``pipelines/regulation_scan.py`` reads the corpus
folder and writes the outputs. :func:`scan_corpus` is the scan alone, shared with
``kogadx regulation scan``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from kogadx.params import as_dict
from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.evaluate import grouped_cross_validation
from kogadx.regulation.keywords import LABELLED_CATEGORIES
from kogadx.regulation.loaders import read_corpus
from kogadx.regulation.model import fit_classifier, model_bytes, score_clauses
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.review import build_review_list, review_summary, review_workbook
from kogadx.stage import BytesFile, StageOutputs, TrackedRun

MODEL_FILE = "classifier.joblib"
log = logging.getLogger("kogadx.regulation_scan")
METHOD_JA = {"classifier": "分類器", "keywords": "キーワードのみ"}


@dataclass(frozen=True)
class RegulationScanInputs:
    """The corpus to scan as ``{path inside the folder: bytes}`` (e-Gov law XML, 例規集 HTML,
    text; see :func:`kogadx.io.read_folder`), the folder's name for messages, the labelled
    training set (None = the set embedded in the package, :func:`load_training_data`) and the
    files the folder reader refused (path inside the folder → reason; they are reported and
    counted as skipped)."""

    corpus: Mapping[str, bytes]
    corpus_name: str = "コーパス"
    training: pd.DataFrame | None = None
    refused: Mapping[str, str] = field(default_factory=dict)


@dataclass
class CorpusScan:
    """Clauses read from a corpus, their category scores, the review list and the files
    skipped (name as the user knows it → reason)."""

    clauses: pd.DataFrame
    scores: pd.DataFrame
    review: pd.DataFrame
    summary: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)


def scan_corpus(files: Mapping[str, bytes], model: Pipeline, config: RegulationScanParams = RegulationScanParams(),
                source: str = "コーパス", refused: Mapping[str, str] | None = None) -> CorpusScan:
    """Split every law XML / 例規 HTML / text of ``files`` into clauses and rank candidate clauses.

    A file that cannot be parsed, and every file in ``refused`` (by the folder reader), is
    skipped and listed in ``skipped``; the scan goes on (see :func:`read_corpus`).
    """
    load = read_corpus(files, source, include_supplementary=config.include_supplementary, refused=refused)
    clauses = load.clauses
    scores = score_clauses(model, clauses, config.max_chars)
    review = build_review_list(clauses, scores, config.threshold)
    return CorpusScan(clauses, scores, review, review_summary(review, clauses), load.skipped)


def run_regulation_scan(inputs: RegulationScanInputs, params: RegulationScanParams) -> StageOutputs:
    """Grouped CV (classifier vs keywords), fit on all labelled rows, scan the corpus.

    Outputs: the model (``model/classifier.joblib``), the staff workbook (``review``), the
    per-category precision/recall of the clause CV (``plots/clause_cv_by_category.csv``),
    the metrics and one MLflow run.
    """
    training = load_training_data() if inputs.training is None else inputs.training
    cv = grouped_cross_validation(training, params)
    model = fit_classifier(training, params)
    scan = scan_corpus(inputs.corpus, model, params, inputs.corpus_name, inputs.refused)
    for name, reason in scan.skipped.items():
        log.warning("%s: %s (読み飛ばしました)", name, reason)
    metrics = scan_metrics(cv, training, scan)
    run = TrackedRun("regulation", "clause_classifier", params=as_dict(params), metrics=headline_metrics(metrics),
                     artifacts={"metrics": None, "review": None, "model": "model"})
    clause = cv["clause"]
    skipped = f"; 読み飛ばしたファイル {len(scan.skipped)} 件" if scan.skipped else ""
    return StageOutputs(
        files={f"model/{MODEL_FILE}": BytesFile(model_bytes(model)),
               "review": BytesFile(review_workbook(scan.review, scan.summary, scan.skipped))},
        plots={"plots/clause_cv_by_category.csv": cv_by_category(cv)},
        metrics=metrics,
        runs=[run],
        summary=f"regulation_scan: 条項CV macro F1 分類器 {clause['classifier']['macro_f1']:.3f} / "
                f"キーワード {clause['keywords']['macro_f1']:.3f}; 見直し候補 {len(scan.review)} 件 "
                f"({len(scan.clauses)} 条項中){skipped}",
    )


def scan_metrics(cv: dict[str, Any], training: pd.DataFrame, scan: CorpusScan) -> dict[str, Any]:
    """The stage's metrics: the grouped CV, the training set's size, what the scan found."""
    return {
        "cv": cv,
        "training": {
            "rows": len(training),
            "clause_rows": int((training["source"] == "clause").sum()),
            "summary_rows": int((training["source"] == "summary").sum()),
            "laws": int(training["group"].nunique()),
        },
        "scan": {
            "files": int(scan.clauses["source_file"].nunique()),
            "files_skipped": len(scan.skipped),
            "clauses": len(scan.clauses),
            "candidate_rows": len(scan.review),
            "candidate_clauses": int(scan.review[["ファイル", "条項"]].drop_duplicates().shape[0]),
            "by_category": {c: int(n) for c, n in zip(scan.summary["類型"], scan.summary["候補件数"], strict=True)},
        },
        "categories": list(LABELLED_CATEGORIES),
    }


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


def cv_by_category(cv: Mapping[str, Any]) -> pd.DataFrame:
    """The headline series for ``dvc plots``: precision / recall / F1 per category of the
    classifier and of keywords alone, on the clauses of the grouped CV (``label`` = 類型・方法)."""
    rows = [{"label": f"{category}・{METHOD_JA[method]}", "category": category, "method": METHOD_JA[method],
             "precision": float(entry["precision"]), "recall": float(entry["recall"]), "f1": float(entry["f1"]),
             "support": int(entry["support"])}
            for category in LABELLED_CATEGORIES for method in ("classifier", "keywords")
            for entry in [cv["clause"][method]["per_category"][category]]]
    return pd.DataFrame(rows, columns=["label", "category", "method", "precision", "recall", "f1", "support"])
