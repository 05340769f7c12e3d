"""The clause ranker: character + word n-grams + neighbouring paragraphs → calibrated probabilities.

Features (:mod:`kogadx.regulation.features` gives the three text columns):

* character 1–3-grams of caption + text (hashed, TF-IDF within each fit);
* word 1–2-grams of the same text, split by MeCab (fugashi + unidic-lite);
* character n-grams of the neighbouring paragraphs, weighted by ``context_weight``;
* the DOMAIN.md §4 keyword-family flags (frozen lists, :mod:`kogadx.regulation.keywords`).

``features`` selects the blocks ("char", "char_word", "char_word_context"; chosen by grouped
CV in ``benchmarks/regulation_eval.py``). One linear SVM per target: ``any`` (the
clause is an analog regulation of some category — the ranking staff read) and each of the seven
categories (which category to suggest).

Calibration: the 工程表 summaries are all positive and weighted, so raw scores are not
probabilities of the clause population. A Platt scaling per target is fitted on out-of-fold
decision values of the clause rows only, from grouped folds *inside* the training data
(``calibration_folds``), so a probability of 0.3 means about 30 % of such clauses are analog
regulations — measured, not assumed (the CV reports the reliability bins and Brier score).
Only ``any`` is calibrated; category scores only order the categories of a clause.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.svm import LinearSVC

from kogadx.regulation.keywords import ALL_CATEGORIES, LABELLED_CATEGORIES, KeywordMatcher
from kogadx.regulation.params import RegulationScanParams

ANY = "any"
TARGETS: tuple[str, ...] = (ANY, *LABELLED_CATEGORIES)
CALIBRATION_SOURCES = ("clause", "city")  # rows whose class balance is the real one


def keyword_features(texts: Any, weight: float = 0.5) -> sp.csr_matrix:
    """Sparse (n, 8) matrix: ``weight`` where a category's DOMAIN keywords occur in the text."""
    series = pd.Series(np.asarray(texts).ravel(), dtype="string").fillna("")
    flags = KeywordMatcher.default().match_frame(series)[list(ALL_CATEGORIES)].to_numpy()
    return sp.csr_matrix(flags.astype(np.float64) * weight)


def _hashing(analyzer: str, ngram_range: tuple[int, int], n_features: int) -> HashingVectorizer:
    options: dict[str, Any] = {"analyzer": analyzer, "ngram_range": ngram_range, "n_features": n_features,
                               "alternate_sign": False, "norm": None, "dtype": np.float64}
    if analyzer == "word":  # words are already split by MeCab: keep every token, case as written
        options.update(token_pattern=r"\S+", lowercase=False)
    return HashingVectorizer(**options)


def block_weights(config: RegulationScanParams) -> dict[str, float]:
    """The feature blocks of ``config.features`` and the weight of each."""
    weights = {"char": 1.0}
    if config.features in ("char_word", "char_word_context"):
        weights["words"] = 1.0
    if config.features == "char_word_context":
        weights["context"] = float(config.context_weight)
    return weights


def hash_blocks(frame: pd.DataFrame, config: RegulationScanParams = RegulationScanParams()) -> dict[str, sp.csr_matrix]:
    """Hashed n-gram counts per block + keyword flags; stateless (no fit), so the grouped CV
    hashes every row once and each fold only fits its TF-IDF weights and regressions."""
    n = 2**config.hash_features_log2
    chars = (config.ngram_min, config.ngram_max)
    weights = block_weights(config)
    blocks = {"char": _hashing("char", chars, n).transform(frame["main"])}
    if "words" in weights:
        blocks["words"] = _hashing("word", (1, config.word_ngram_max), n).transform(frame["words"])
    if "context" in weights:
        # Bigrams only: the neighbours say what the clause is about, and unigram/trigram counts
        # of two whole paragraphs would triple the fit time for little.
        blocks["context"] = _hashing("char", (2, 2), n).transform(frame["context"])
    blocks["keywords"] = keyword_features(frame["main"], float(config.keyword_feature_weight))
    return {k: sp.csr_matrix(v) for k, v in blocks.items()}


def take_rows(blocks: dict[str, sp.csr_matrix], rows: np.ndarray) -> dict[str, sp.csr_matrix]:
    """The same blocks for a subset of rows (positions or a boolean mask)."""
    return {k: v[rows] for k, v in blocks.items()}


def target_matrix(labels: pd.Series) -> np.ndarray:
    """``"目視規制|往訪閲覧"`` strings → (n, 8) 0/1 matrix: ``any`` then ``LABELLED_CATEGORIES``."""
    sets = [set(filter(None, str(value).split("|"))) for value in labels.fillna("")]
    return np.array([[bool(s)] + [c in s for c in LABELLED_CATEGORIES] for s in sets], dtype=np.int8)


def label_matrix(labels: pd.Series) -> np.ndarray:
    """(n, 7) 0/1 matrix of the categories alone."""
    return target_matrix(labels)[:, 1:]


@dataclass
class _Constant:
    """Stand-in for a target with one class in the training rows (decision ±10)."""

    value: float

    def decision_function(self, x: Any) -> np.ndarray:
        return np.full(x.shape[0], self.value)


@dataclass
class RegulationRanker:
    """Fitted TF-IDF weights per block, one linear model per target, the Platt calibration.

    ``platt`` is (8, 2): slope and intercept on the decision value. Only ``any`` (the ranking
    staff read) is calibrated (``calibrated``); the seven category scores rank categories and
    are not probabilities."""

    config: RegulationScanParams
    idf: dict[str, TfidfTransformer]
    models: list[Any]
    platt: np.ndarray = field(default_factory=lambda: np.tile([1.0, 0.0], (len(TARGETS), 1)))
    calibrated: bool = False

    def matrix(self, blocks: dict[str, sp.csr_matrix]) -> sp.csr_matrix:
        weights = block_weights(self.config)
        parts = [self.idf[k].transform(blocks[k]) * w for k, w in weights.items()]
        return sp.hstack([*parts, blocks["keywords"]], format="csr")

    def decision_from_blocks(self, blocks: dict[str, sp.csr_matrix]) -> np.ndarray:
        """(n, 8) raw decision values."""
        x = self.matrix(blocks)
        return np.column_stack([m.decision_function(x) for m in self.models])

    def scores_from_blocks(self, blocks: dict[str, sp.csr_matrix]) -> np.ndarray:
        """(n, 8): calibrated probability for ``any``, logistic of the margin for categories."""
        return platt_transform(self.decision_from_blocks(blocks), self.platt)

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        """:meth:`scores_from_blocks` of a :data:`~kogadx.regulation.features.MODEL_COLUMNS` frame."""
        return self.scores_from_blocks(hash_blocks(frame, self.config))


def platt_transform(decision: np.ndarray, platt: np.ndarray) -> np.ndarray:
    """Logistic of ``slope * decision + intercept`` per column."""
    z = np.asarray(decision, dtype=np.float64) * platt[:, 0] + platt[:, 1]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def sample_weights(training: pd.DataFrame, config: RegulationScanParams) -> np.ndarray:
    """1 per labelled clause, ``summary_weight`` per 工程表 summary, ``city_weight`` per city decision."""
    source = training["source"].to_numpy()
    return np.where(source == "summary", config.summary_weight,
                    np.where(source == "city", config.city_weight, 1.0)).astype(np.float64)


def _fit_base(blocks: dict[str, sp.csr_matrix], targets: np.ndarray, weights: np.ndarray,
              config: RegulationScanParams, n_targets: int | None = None) -> RegulationRanker:
    idf = {k: TfidfTransformer(sublinear_tf=True).fit(blocks[k]) for k in block_weights(config)}
    ranker = RegulationRanker(config, idf, [])
    x = ranker.matrix(blocks)
    for j in range(targets.shape[1] if n_targets is None else n_targets):
        y = targets[:, j]
        if y.min() == y.max():
            ranker.models.append(_Constant(10.0 if y.max() else -10.0))
            continue
        # Linear SVM: a tenth of a logistic regression's fit time on ~10^6 hashed features; the
        # Platt step below turns its margin into a probability.
        svm = LinearSVC(C=float(config.c), max_iter=5000, random_state=config.seed)
        ranker.models.append(svm.fit(x, y, sample_weight=weights))
    return ranker


def _platt(decision: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(1, 2) slope/intercept (identity when one class)."""
    if truth.min() == truth.max():
        return np.array([[1.0, 0.0]])
    fit = LogisticRegression(C=1e4, solver="lbfgs").fit(decision.reshape(-1, 1), truth)
    return np.array([[float(fit.coef_[0, 0]), float(fit.intercept_[0])]])


def fit_ranker(training: pd.DataFrame, blocks: dict[str, sp.csr_matrix],
               config: RegulationScanParams = RegulationScanParams(), calibrate: bool = True) -> RegulationRanker:
    """Fit on ``training`` (columns source, group, labels) whose hashed features are ``blocks``
    (same rows; :func:`hash_blocks` of :func:`kogadx.regulation.features.training_model_frame`).

    With ``calibrate``, the Platt scaling of ``any`` is fitted on out-of-fold decisions of the
    clause rows from ``calibration_folds`` grouped folds *inside* these rows (nested: never on
    rows scored later).
    """
    keep = np.ones(len(training), dtype=bool) if config.use_summaries else (training["source"] != "summary").to_numpy()
    rows, rows_blocks = training[keep], take_rows(blocks, keep)
    targets = target_matrix(rows["labels"])
    weights = sample_weights(rows, config)
    ranker = _fit_base(rows_blocks, targets, weights, config)
    if not calibrate:
        return ranker
    calib = rows["source"].isin(CALIBRATION_SOURCES).to_numpy()
    groups = rows["group"].astype(str).to_numpy()
    calib_idx = np.flatnonzero(calib)
    one_class = targets[calib_idx, 0].min() == targets[calib_idx, 0].max()
    if len(np.unique(groups[calib_idx])) < config.calibration_folds or one_class:
        return ranker
    decision = np.full(len(rows), np.nan)
    for _, held in GroupKFold(n_splits=config.calibration_folds).split(calib_idx, groups=groups[calib_idx]):
        held_rows = calib_idx[held]
        train = ~np.isin(groups, np.unique(groups[held_rows]))
        inner = _fit_base(take_rows(rows_blocks, train), targets[train], weights[train], config, n_targets=1)
        decision[held_rows] = inner.decision_from_blocks(take_rows(rows_blocks, held_rows))[:, 0]
    ranker.platt[0] = _platt(decision[calib_idx], targets[calib_idx, 0])[0]
    ranker.calibrated = True
    return ranker


def model_bytes(model: RegulationRanker) -> bytes:
    """joblib dump, protocol and zlib level fixed (deterministic; hashed coefs are mostly zeros)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, protocol=5, compress=("zlib", 3))
    return buffer.getvalue()


def load_model(data: bytes) -> RegulationRanker:
    """A model from the bytes of :func:`model_bytes` (joblib: only load files you produced)."""
    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, RegulationRanker):
        raise TypeError(type(model).__name__)
    return model
