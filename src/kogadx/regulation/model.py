"""Clause classifier: character n-gram TF-IDF + keyword flags → one linear SVM per category.

Japanese has no spaces, so words are not tokenised; character 1–3-grams are hashed
(stateless, so cross-validation folds need no vocabulary refit) and TF-IDF weighted within
each fit. The category keyword flags of :mod:`kogadx.regulation.keywords` are appended as
extra features, so the model can learn how far to trust each keyword family.

Scores are ``1 / (1 + exp(-decision))`` of each SVM: 0.5 is the decision boundary. They rank
clauses; they are not calibrated probabilities.
"""

from __future__ import annotations

import io
from typing import Any

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from kogadx.regulation.keywords import ALL_CATEGORIES, LABELLED_CATEGORIES, KeywordMatcher
from kogadx.regulation.params import RegulationScanParams


def model_input(frame: pd.DataFrame, max_chars: int) -> pd.Series:
    """Caption + newline + clause text, cut to ``max_chars`` characters (long tables add noise)."""
    caption = frame["caption"].fillna("") if "caption" in frame else ""
    return (caption + "\n" + frame["text"].fillna("")).str.slice(0, max_chars)


def keyword_features(texts: Any, weight: float = 0.5) -> sp.csr_matrix:
    """Sparse (n, 8) matrix: ``weight`` where a category's keywords occur in the text, else 0."""
    series = pd.Series(list(texts), dtype="string").fillna("")
    flags = KeywordMatcher.default().match_frame(series)[list(ALL_CATEGORIES)].to_numpy()
    return sp.csr_matrix(flags.astype(np.float64) * weight)


def build_classifier(config: RegulationScanParams = RegulationScanParams()) -> Pipeline:
    """Unfitted pipeline: texts in → (n, 7) decision values for ``LABELLED_CATEGORIES``."""
    text_features = make_pipeline(
        HashingVectorizer(
            analyzer="char",
            ngram_range=(config.ngram_min, config.ngram_max),
            n_features=2**config.hash_features_log2,
            alternate_sign=False,
            norm=None,
            dtype=np.float64,
        ),
        TfidfTransformer(sublinear_tf=True),
    )
    features = FeatureUnion(
        [
            ("char_tfidf", text_features),
            (
                "keywords",
                FunctionTransformer(
                    keyword_features,
                    kw_args={"weight": float(config.keyword_feature_weight)},
                    accept_sparse=True,
                ),
            ),
        ]
    )
    # max_iter above the default 1000: the rare categories converge slowly on 500k features.
    svm = LinearSVC(C=float(config.svm_c), class_weight="balanced", max_iter=5000, random_state=config.seed)
    return Pipeline([("features", features), ("svm", OneVsRestClassifier(svm))])


def label_matrix(labels: pd.Series) -> np.ndarray:
    """``"目視規制|往訪閲覧"`` strings → (n, 7) 0/1 matrix in ``LABELLED_CATEGORIES`` order."""
    sets = [set(filter(None, str(value).split("|"))) for value in labels.fillna("")]
    return np.array([[c in s for c in LABELLED_CATEGORIES] for s in sets], dtype=np.int8)


def fit_classifier(training: pd.DataFrame, config: RegulationScanParams = RegulationScanParams()) -> Pipeline:
    """Fit on the training frame (columns caption, text, labels, source)."""
    rows = training if config.use_summaries else training[training["source"] == "clause"]
    model = build_classifier(config)
    model.fit(model_input(rows, config.max_chars), label_matrix(rows["labels"]))
    return model


def decision_to_score(decision: np.ndarray) -> np.ndarray:
    """Logistic squashing of SVM margins to (0, 1); 0.5 = margin 0 (the decision boundary)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(decision, dtype=np.float64)))


def score_clauses(model: Pipeline, clauses: pd.DataFrame, max_chars: int) -> pd.DataFrame:
    """(n, 7) frame of scores in [0, 1] per labelled category, index aligned with ``clauses``."""
    if clauses.empty:
        return pd.DataFrame(columns=list(LABELLED_CATEGORIES), index=clauses.index, dtype=float)
    decision = model.decision_function(model_input(clauses, max_chars))
    return pd.DataFrame(decision_to_score(decision), columns=list(LABELLED_CATEGORIES), index=clauses.index)


def model_bytes(model: Pipeline) -> bytes:
    """joblib dump, protocol and zlib level fixed (deterministic; hashed coefs are mostly zeros)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, protocol=5, compress=("zlib", 3))
    return buffer.getvalue()


def load_model(data: bytes) -> Pipeline:
    """A model from the bytes of :func:`model_bytes` (joblib: only load files you produced)."""
    return joblib.load(io.BytesIO(data))
