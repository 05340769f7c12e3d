"""Grouped cross-validation across laws: the ranker vs the DOMAIN keyword ranker, at a review budget.

Folds are ``GroupKFold`` over ``group`` (the LawId), so no law is in both train and test; the
ranker's calibration is fitted inside each training fold (nested, :func:`fit_ranker`); the
keyword lists are frozen (DOMAIN.md §4) and never see a label. Out-of-fold scores are pooled
over the clause rows (paragraphs of the 15 e-Gov files: the realistic population, ~2.5 %
positive) and read as staff would read a ranked list:

* recall at ``budget`` (share of clauses read) with a bootstrap interval over laws;
* the recall-at-budget curve of the ranker and of the keyword ranker (count of distinct DOMAIN
  keywords in the clause; ties taken at their expected value);
* precision at k; per category (ranked by its own score) with its support;
* reliability of the calibrated probability (Brier score, binned observed vs predicted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.model_selection import GroupKFold

from kogadx.parallel import ordered_map, worker_count
from kogadx.progress import steps
from kogadx.regulation.keywords import LABELLED_CATEGORIES, KeywordMatcher
from kogadx.regulation.model import TARGETS, fit_ranker, model_bytes, take_rows, target_matrix
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.ranking import (
    average_precision,
    bootstrap_over_groups,
    calibration_bins,
    precision_at_k,
    recall_at_budget,
    recall_curve,
)
from kogadx.rng import stream_rng

CURVE_BUDGETS = (0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 0.50, 1.0)
METHOD_JA = {"model": "判定モデル", "keywords": "キーワード (DOMAIN の一覧)"}


def keyword_scores(texts: pd.Series) -> np.ndarray:
    """(n, 8) keyword-ranker scores: column 0 = distinct DOMAIN keywords found over the seven
    labelled categories; columns 1.. = distinct keywords of each category."""
    matcher = KeywordMatcher.default()
    rows = []
    for text in texts.fillna(""):
        found = matcher.match(str(text))
        per = [len(found.get(c, ())) for c in LABELLED_CATEGORIES]
        rows.append([sum(per), *per])
    return np.array(rows, dtype=np.float64).reshape(len(texts), len(TARGETS))


# The columns fit_ranker reads: only these travel to the worker processes (not the clause texts).
FIT_COLUMNS = ["source", "group", "labels"]


def out_of_fold_scores(training: pd.DataFrame, blocks: Mapping[str, sp.csr_matrix],
                       config: RegulationScanParams = RegulationScanParams()) -> np.ndarray:
    """(n, 8) out-of-fold scores (``any`` calibrated); each row scored by a ranker that never saw its law."""
    return _fits(training, blocks, config, final=False)[1]


def fit_and_cross_validate(training: pd.DataFrame, blocks: Mapping[str, sp.csr_matrix],
                           config: RegulationScanParams = RegulationScanParams()) -> tuple[bytes, np.ndarray]:
    """The ranker fitted on every row, as :func:`~kogadx.regulation.model.model_bytes`, and the
    (n, 8) out-of-fold scores (:func:`out_of_fold_scores`).

    The final fit and the ``cv_folds`` fold fits are independent and deterministic (seeded
    solver, same rows): they run side by side in ``KOGADX_WORKERS`` processes
    (:func:`kogadx.parallel.ordered_map`), results in task order, so neither the model nor the
    scores depend on the number of processes. The model comes back as the bytes its own process
    wrote: a pickle round trip keeps every value but not which objects are shared, and the
    file must be the same bytes whichever process fitted it.
    """
    return _fits(training, blocks, config, final=True)


def _fits(training: pd.DataFrame, blocks: Mapping[str, sp.csr_matrix], config: RegulationScanParams,
          final: bool) -> tuple[Any, np.ndarray]:
    groups = training["group"].astype(str).to_numpy()
    scores = np.full((len(training), len(TARGETS)), np.nan)
    rows = training[FIT_COLUMNS]
    folds = list(GroupKFold(n_splits=config.cv_folds).split(training, groups=groups))
    tasks: list[tuple[Any, ...]] = [(rows, dict(blocks), train_idx, test_idx, config) for train_idx, test_idx in folds]
    if final:
        tasks.insert(0, (rows, dict(blocks), None, None, config))
    done = iter(ordered_map(_fit_task, tasks, worker_count()))
    model = next(done) if final else None
    for (_, test_idx), fold_scores in zip(folds, steps(done, desc="アナログ規制 交差検証", total=len(folds),
                                                             unit="分割"), strict=True):
        scores[test_idx] = fold_scores
    return model, scores


def _fit_task(rows: pd.DataFrame, blocks: dict[str, sp.csr_matrix], train_idx: np.ndarray | None,
              test_idx: np.ndarray | None, config: RegulationScanParams) -> Any:
    """One fit, in a worker process or this one: the final ranker's bytes (no indices), or a
    fold's out-of-fold scores (fit on ``train_idx``, score ``test_idx``)."""
    if train_idx is None or test_idx is None:
        return model_bytes(fit_ranker(rows, {k: _own_arrays(v) for k, v in blocks.items()}, config))
    ranker = fit_ranker(rows.iloc[train_idx], take_rows(blocks, train_idx), config)
    return ranker.scores_from_blocks(take_rows(blocks, test_idx))


def _own_arrays(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The same matrix on fresh arrays of numpy's own dtype objects. Arrays that came through a
    pickle (a worker process) carry copies of their dtype, and a fitted TF-IDF keeps its input's
    dtype: the model file would then spell the dtype out again where this process writes a
    back-reference, i.e. different bytes for the same model."""
    def own(a: np.ndarray) -> np.ndarray:
        return a.astype(a.dtype.type)

    return sp.csr_matrix((own(matrix.data), own(matrix.indices), own(matrix.indptr)), shape=matrix.shape)


def ranking_report(scores: np.ndarray, truth: np.ndarray, groups: np.ndarray, config: RegulationScanParams,
                   rng: np.random.Generator) -> dict[str, Any]:
    """Recall at budget (+ interval), curve, precision at k, per category, for one ranker."""
    any_truth = truth[:, 0].astype(bool)
    report: dict[str, Any] = {
        "recall_at_budget": recall_at_budget(scores[:, 0], any_truth, config.budget),
        "recall_interval": bootstrap_over_groups(scores[:, 0], any_truth, groups, config.budget,
                                                 config.bootstrap_reps, rng),
        "curve": dict(zip([f"{b:g}" for b in CURVE_BUDGETS], recall_curve(scores[:, 0], any_truth, CURVE_BUDGETS),
                          strict=True)),
        "precision_at": {str(k): precision_at_k(scores[:, 0], any_truth, k) for k in config.precision_at},
        "average_precision": average_precision(scores[:, 0], any_truth),
        "per_category": {},
    }
    for j, category in enumerate(LABELLED_CATEGORIES, start=1):
        positive = truth[:, j].astype(bool)
        report["per_category"][category] = {
            "support": int(positive.sum()),
            "recall_at_budget": recall_at_budget(scores[:, j], positive, config.budget),
            "average_precision": average_precision(scores[:, j], positive),
        }
    return report


def grouped_cross_validation(training: pd.DataFrame, blocks: Mapping[str, sp.csr_matrix],
                             config: RegulationScanParams = RegulationScanParams(),
                             keyword_texts: pd.Series | None = None,
                             scores: np.ndarray | None = None) -> dict[str, Any]:
    """Ranker vs keywords on the clause rows; JSON-ready dict (floats unrounded; the writer rounds).

    ``keyword_texts`` is the text the keyword ranker reads (caption + clause, same as the model).
    ``scores``: the out-of-fold scores when already computed (:func:`fit_and_cross_validate`).
    """
    truth = target_matrix(training["labels"])
    if scores is None:
        scores = out_of_fold_scores(training, blocks, config)
    mask = (training["source"] == "clause").to_numpy()
    groups = training["group"].astype(str).to_numpy()[mask]
    texts = (training["caption"].fillna("") + "\n" + training["text"].fillna("")) if keyword_texts is None \
        else keyword_texts
    kw = keyword_scores(texts[mask])
    rng_model = stream_rng(config.seed, "regulation.bootstrap.model")
    rng_kw = stream_rng(config.seed, "regulation.bootstrap.keywords")
    n = int(mask.sum())
    probability = scores[mask, 0]
    flagged = probability >= config.threshold
    positive = truth[mask, 0].astype(bool)
    return {
        "folds": config.cv_folds,
        "groups": int(training["group"].nunique()),
        "laws_with_clauses": int(len(np.unique(groups))),
        "clauses": n,
        "positive_clauses": int(positive.sum()),
        "budget": float(config.budget),
        "clauses_read_at_budget": int(np.ceil(round(config.budget * n, 9))),
        "model": ranking_report(scores[mask], truth[mask], groups, config, rng_model),
        "keywords": ranking_report(kw, truth[mask], groups, config, rng_kw),
        "calibration": calibration_bins(probability, positive),
        "at_threshold": {
            "threshold": float(config.threshold),
            "flagged": int(flagged.sum()),
            "precision": float(positive[flagged].mean()) if flagged.any() else float("nan"),
            "recall": float(flagged[positive].mean()) if positive.any() else float("nan"),
        },
        "keywords_any_hit": {
            "flagged": int((kw[:, 0] > 0).sum()),
            "precision": float(positive[kw[:, 0] > 0].mean()) if (kw[:, 0] > 0).any() else float("nan"),
            "recall": float((kw[:, 0] > 0)[positive].mean()) if positive.any() else float("nan"),
        },
    }


def curve_table(cv: Mapping[str, Any]) -> pd.DataFrame:
    """Long table budget × method → recall (the headline series for ``dvc plots``)."""
    rows = [{"budget": float(b), "method": METHOD_JA[m], "recall": float(r)}
            for m in ("model", "keywords") for b, r in cv[m]["curve"].items()]
    return pd.DataFrame(rows, columns=["budget", "method", "recall"])


def category_table(cv: Mapping[str, Any]) -> pd.DataFrame:
    """Per category: support and recall at budget of the ranker and of keywords."""
    rows = [{"category": c, "support": int(cv["model"]["per_category"][c]["support"]),
             "model_recall": float(cv["model"]["per_category"][c]["recall_at_budget"]),
             "keyword_recall": float(cv["keywords"]["per_category"][c]["recall_at_budget"])}
            for c in LABELLED_CATEGORIES]
    return pd.DataFrame(rows, columns=["category", "support", "model_recall", "keyword_recall"])
