"""The ``regulation_scan`` stage: grouped CV at a review budget, fit, scan a corpus, review list.

:func:`run_regulation_scan` is pure (the corpus as bytes, the city's label set and typed params
in, :class:`kogadx.stage.StageOutputs` out); ``pipelines/regulation_scan.py`` reads the corpus
folder and the label set and writes the outputs. :func:`scan_corpus` is the scan alone, shared
with ``kogadx regulation scan``; :func:`training_set` the training rows shared with ``learn``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kogadx.params import as_dict
from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.evaluate import (
    category_table,
    curve_table,
    fit_and_cross_validate,
    grouped_cross_validation,
)
from kogadx.regulation.features import corpus_model_frame, training_model_frame
from kogadx.regulation.keywords import ALL_CATEGORIES, LABELLED_CATEGORIES
from kogadx.regulation.learning import city_training_rows, empty_labels, label_summary
from kogadx.regulation.loaders import read_corpus
from kogadx.regulation.model import RegulationRanker, fit_ranker, hash_blocks, load_model
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.review import build_review_list, review_summary, review_workbook
from kogadx.stage import BytesFile, StageOutputs, TrackedRun

MODEL_FILE = "classifier.joblib"
log = logging.getLogger("kogadx.regulation_scan")


@dataclass(frozen=True)
class RegulationScanInputs:
    """The corpus to scan as ``{path inside the folder: bytes}`` (e-Gov law XML, 例規集 HTML,
    text; see :func:`kogadx.io.read_folder`), the folder's name for messages, the labelled
    training set (None = the set embedded in the package, :func:`load_training_data`), the
    city's label set (:func:`kogadx.regulation.learning.read_labels`; None = no decision yet)
    and the files the folder reader refused (path inside the folder → reason)."""

    corpus: Mapping[str, bytes]
    corpus_name: str = "コーパス"
    training: pd.DataFrame | None = None
    city_labels: pd.DataFrame | None = None
    refused: Mapping[str, str] = field(default_factory=dict)


@dataclass
class CorpusScan:
    """Clauses read from a corpus, their scores (n, 8), the review list and the files skipped."""

    clauses: pd.DataFrame
    scores: np.ndarray
    review: pd.DataFrame
    summary: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)


def training_set(embedded: pd.DataFrame | None, city_labels: pd.DataFrame | None) -> pd.DataFrame:
    """The embedded labelled rows followed by the city's decisions (``source = "city"``)."""
    base = load_training_data() if embedded is None else embedded
    city = city_training_rows(empty_labels() if city_labels is None else city_labels)
    return pd.concat([base, city], ignore_index=True) if len(city) else base.reset_index(drop=True)


def train(training: pd.DataFrame, config: RegulationScanParams) -> tuple[RegulationRanker, pd.DataFrame, dict]:
    """Hash the training rows once, fit the final ranker; returns ranker, model frame, blocks."""
    frame = training_model_frame(training, config.max_chars)
    blocks = hash_blocks(frame, config)
    return fit_ranker(training, blocks, config), frame, blocks


def scan_corpus(files: Mapping[str, bytes], model: RegulationRanker,
                config: RegulationScanParams = RegulationScanParams(), source: str = "コーパス",
                refused: Mapping[str, str] | None = None) -> CorpusScan:
    """Split every law XML / 例規 HTML / text of ``files`` into clauses and rank them.

    A file that cannot be parsed, and every file in ``refused`` (by the folder reader), is
    skipped and listed in ``skipped``; the scan goes on (see :func:`read_corpus`).
    """
    load = read_corpus(files, source, include_supplementary=config.include_supplementary, refused=refused)
    clauses = load.clauses
    if clauses.empty:
        scores = np.zeros((0, 1 + len(LABELLED_CATEGORIES)))
    else:
        scores = model.scores(corpus_model_frame(clauses, config.max_chars))
    review = build_review_list(clauses, scores, config.budget, config.threshold, model.calibrated)
    return CorpusScan(clauses, scores, review, review_summary(review, clauses), load.skipped)


def run_regulation_scan(inputs: RegulationScanInputs, params: RegulationScanParams) -> StageOutputs:
    """Grouped CV (ranker vs keywords at the review budget), fit on every labelled row, scan.

    Outputs: the model (``model/classifier.joblib``), the staff workbook (``review``), the
    recall-at-budget curves and per-category recall (``plots/``), the metrics, one MLflow run.
    """
    labels = empty_labels() if inputs.city_labels is None else inputs.city_labels
    training = training_set(inputs.training, labels)
    frame = training_model_frame(training, params.max_chars)
    blocks = hash_blocks(frame, params)
    model_file, oof = fit_and_cross_validate(training, blocks, params)  # side by side in KOGADX_WORKERS processes
    model = load_model(model_file)
    cv = grouped_cross_validation(training, blocks, params, keyword_texts=frame["main"], scores=oof)
    scan = scan_corpus(inputs.corpus, model, params, inputs.corpus_name, inputs.refused)
    for name, reason in scan.skipped.items():
        log.warning("%s: %s (読み飛ばしました)", name, reason)
    metrics = scan_metrics(cv, training, scan, model, label_summary(labels))
    run = TrackedRun("regulation", "clause_ranker", params=as_dict(params), metrics=headline_metrics(metrics),
                     artifacts={"metrics": None, "review": None, "model": "model"})
    skipped = f"; 読み飛ばしたファイル {len(scan.skipped)} 件" if scan.skipped else ""
    model_cv, kw_cv = cv["model"], cv["keywords"]
    return StageOutputs(
        files={f"model/{MODEL_FILE}": BytesFile(model_file),
               "review": BytesFile(review_workbook(scan.review, scan.summary, scan.skipped))},
        plots={"plots/recall_at_budget.csv": curve_table(cv), "plots/category_recall.csv": category_table(cv)},
        metrics=metrics,
        runs=[run],
        summary=f"regulation_scan: 上位 {params.budget:.0%} を読んだときの再現率 (法令別CV) 判定モデル "
                f"{model_cv['recall_at_budget']:.1%} [{model_cv['recall_interval']['low']:.1%}–"
                f"{model_cv['recall_interval']['high']:.1%}] / キーワード {kw_cv['recall_at_budget']:.1%}; "
                f"{len(scan.clauses)} 条項を順位付け{skipped}",
    )


def scan_metrics(cv: dict[str, Any], training: pd.DataFrame, scan: CorpusScan, model: RegulationRanker,
                 city: Mapping[str, int]) -> dict[str, Any]:
    """The stage's metrics: the grouped CV, the training set, the city's rounds, the scan."""
    top = scan.review[scan.review["上位の目安"] == "○"]
    return {
        "cv": cv,
        "training": {
            "rows": len(training),
            "clause_rows": int((training["source"] == "clause").sum()),
            "summary_rows": int((training["source"] == "summary").sum()),
            "city_rows": int((training["source"] == "city").sum()),
            "laws": int(training.loc[training["source"] == "clause", "group"].nunique()),
        },
        "calibrated": bool(model.calibrated),
        "city_labels": dict(city),
        "scan": {
            "files": int(scan.clauses["source_file"].nunique()) if len(scan.clauses) else 0,
            "files_skipped": len(scan.skipped),
            "clauses": len(scan.clauses),
            "clauses_in_budget": len(top),
            "expected_analog_in_budget": float(top["確率"].sum()) if "確率" in top else None,
            "by_category": {c: int((top["類型"] == c).sum()) for c in ALL_CATEGORIES},
        },
        "categories": list(LABELLED_CATEGORIES),
    }


def headline_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Flat numeric summary for MLflow: recall at budget (+ interval), AP, per-category recall."""
    flat: dict[str, float] = {}
    cv = metrics["cv"]
    for method in ("model", "keywords"):
        report = cv[method]
        flat[f"{method}.recall_at_budget"] = report["recall_at_budget"]
        flat[f"{method}.recall_low"] = report["recall_interval"]["low"]
        flat[f"{method}.recall_high"] = report["recall_interval"]["high"]
        flat[f"{method}.average_precision"] = report["average_precision"]
        for category, entry in report["per_category"].items():
            flat[f"{method}.{category}.recall_at_budget"] = entry["recall_at_budget"]
    flat["calibration.brier"] = cv["calibration"]["brier"]
    flat["scan.clauses"] = metrics["scan"]["clauses"]
    flat["city.rounds"] = metrics["city_labels"]["rounds"]
    return {k: float(v) for k, v in flat.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
