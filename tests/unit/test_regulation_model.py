"""Keywords, embedded training data, classifier, grouped CV metrics."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from kogadx.regulation.dataset import load_training_data, training_data_bytes
from kogadx.regulation.evaluate import category_report, grouped_cross_validation, out_of_fold_scores
from kogadx.regulation.keywords import ALL_CATEGORIES, LABELLED_CATEGORIES, KeywordMatcher
from kogadx.regulation.model import fit_classifier, label_matrix, load_model, model_bytes, score_clauses
from kogadx.regulation.params import RegulationScanParams

SMALL = dataclasses.replace(RegulationScanParams(), hash_features_log2=14, cv_folds=3, max_chars=300)


@pytest.fixture(scope="module")
def training() -> pd.DataFrame:
    return load_training_data()


@pytest.fixture(scope="module")
def small_training(training) -> pd.DataFrame:
    """All labelled clauses, 600 negatives and 900 summaries (seeded) — fast but realistic."""
    rng = np.random.default_rng(0)
    clauses = training[training["source"] == "clause"]
    positives = clauses[clauses["labels"] != ""]
    negatives = clauses[clauses["labels"] == ""]
    negatives = negatives.iloc[np.sort(rng.choice(len(negatives), 600, replace=False))]
    summaries = training[training["source"] == "summary"]
    summaries = summaries.iloc[np.sort(rng.choice(len(summaries), 900, replace=False))]
    return pd.concat([positives, negatives, summaries], ignore_index=True)


def test_keyword_matcher_categories_patterns_and_fd():
    matcher = KeywordMatcher.default()
    found = matcher.match("事業者は、年２回以上、設備を点検し、その結果を記録した磁気ディスクを提出する。")
    assert "年２回" in found["定期検査"] and "点検" in found["定期検査"]
    assert found["FD等記録媒体"] == ["磁気ディスク"]
    assert matcher.match("この条例は、公布の日から施行する。") == {}
    flags = matcher.match_frame(pd.Series(["公衆の見やすい場所に掲示する", "使用料は無料とする"]))
    assert list(flags.columns) == list(ALL_CATEGORIES)
    assert flags.loc[0, "書面掲示"] and not flags.loc[1].any()


def test_embedded_training_data_is_compact_and_labelled(training):
    assert len(training_data_bytes()) < 2_000_000
    labels = {c for value in training["labels"] for c in value.split("|") if c}
    assert labels == set(LABELLED_CATEGORIES)
    clauses = training[training["source"] == "clause"]
    assert clauses["group"].nunique() == 15
    assert (clauses["labels"] != "").sum() > 150
    assert (training.loc[training["source"] == "summary", "labels"] != "").all()


def test_label_matrix_and_category_report_arithmetic():
    truth = label_matrix(pd.Series(["目視規制", "目視規制|往訪閲覧", "", "往訪閲覧"]))
    assert truth.shape == (4, 7) and truth[1].sum() == 2
    predicted = truth.copy()
    predicted[2, 0] = 1  # one false positive for 目視規制
    predicted[3, 6] = 0  # one false negative for 往訪閲覧
    report = category_report(truth, predicted)
    assert report["per_category"]["目視規制"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["per_category"]["往訪閲覧"]["recall"] == pytest.approx(0.5)
    assert report["per_category"]["書面掲示"]["support"] == 0


def test_classifier_direction_and_deterministic_artefact(small_training):
    model = fit_classifier(small_training, SMALL)
    clauses = pd.DataFrame(
        {
            "caption": ["（標識の掲示）", "（使用料）", "（書類の閲覧）"],
            "text": [
                "事業者は、その事業所の公衆の見やすい場所に、標識を掲示しなければならない。",
                "使用料の額は、別表のとおりとする。",
                "市長は、申請書の写しを事務所に備え置き、関係者の縦覧に供しなければならない。",
            ],
        }
    )
    scores = score_clauses(model, clauses, SMALL.max_chars)
    assert scores.shape == (3, 7) and ((scores >= 0) & (scores <= 1)).all().all()
    assert scores.loc[0, "書面掲示"] > scores.loc[1, "書面掲示"]
    assert scores.loc[2, "往訪閲覧"] > scores.loc[1, "往訪閲覧"]
    again = fit_classifier(small_training, SMALL)
    first, second = model_bytes(model), model_bytes(again)
    assert first == second
    pd.testing.assert_frame_equal(score_clauses(load_model(first), clauses, SMALL.max_chars), scores)


def test_grouped_cv_keeps_laws_apart_and_reports_both_methods(small_training, monkeypatch):
    import kogadx.regulation.evaluate as evaluate

    seen: list[tuple[set, set]] = []
    original = evaluate.fit_classifier

    def spy(train, params):
        seen.append(set(train["group"]))
        return original(train, params)

    monkeypatch.setattr(evaluate, "fit_classifier", spy)
    scores = out_of_fold_scores(small_training, SMALL)
    assert not np.isnan(scores).any()
    assert len(seen) == SMALL.cv_folds
    all_groups = set(small_training["group"])
    held_out = [all_groups - train_groups for train_groups in seen]
    assert all(h for h in held_out)
    assert set().union(*held_out) == all_groups  # every law is tested exactly when held out
    for i, a in enumerate(held_out):
        for b in held_out[i + 1:]:
            assert not a & b

    cv = grouped_cross_validation(small_training, SMALL)
    for population in ("clause", "summary"):
        for method in ("classifier", "keywords"):
            report = cv[population][method]
            assert set(report["per_category"]) == set(LABELLED_CATEGORIES)
            assert 0.0 <= report["macro_f1"] <= 1.0
