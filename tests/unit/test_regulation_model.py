"""Frozen keywords, embedded training data, ranking metrics at a budget, the ranker and its grouped CV."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from kogadx.regulation.dataset import load_training_data, training_data_bytes
from kogadx.regulation.evaluate import grouped_cross_validation, keyword_scores, out_of_fold_scores
from kogadx.regulation.features import tokenize, training_model_frame
from kogadx.regulation.keywords import ALL_CATEGORIES, KEYWORDS, LABELLED_CATEGORIES, KeywordMatcher
from kogadx.regulation.model import fit_ranker, hash_blocks, load_model, model_bytes, target_matrix
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.ranking import (
    bootstrap_over_groups,
    budget_size,
    calibration_bins,
    precision_at_k,
    recall_at_budget,
)

TINY = dataclasses.replace(RegulationScanParams(), hash_features_log2=12, cv_folds=3, calibration_folds=2,
                           max_chars=200, bootstrap_reps=50)

POSITIVE = {"書面掲示": "事業者は、事業所の見やすい場所に標識を掲示しなければならない。",
            "往訪閲覧": "市長は、台帳を事務所に備え置き、一般の閲覧に供しなければならない。",
            "定期検査": "管理者は、毎年一回以上、設備を定期に点検しなければならない。"}
NEGATIVE = ["使用料の額は、別表のとおりとする。", "この条例は、公布の日から施行する。",
            "委員の任期は、二年とする。", "審議会の庶務は、総務課において処理する。"]


def tiny_training(laws: int = 6) -> pd.DataFrame:
    """Each law: one clause per category above and four neutral clauses; plus 工程表-like summaries."""
    rows = []
    for law in range(laws):
        for category, text in POSITIVE.items():
            rows.append(("clause", f"L{law}", f"第{law}号法", "", f"（第{law}条）", text, category))
        for text in NEGATIVE:
            rows.append(("clause", f"L{law}", f"第{law}号法", "", "", text, ""))
    for category, text in POSITIVE.items():
        rows.append(("summary", f"S-{category}", "要約", "", "", text[:12], category))
    return pd.DataFrame(rows, columns=["source", "group", "law_title", "clause_ref", "caption", "text", "labels"])


def test_keywords_are_the_frozen_domain_list(shared_dir):
    """The keyword lists are DOMAIN.md §4 as written (not tuned on labels: they are also the baseline)."""
    domain = (shared_dir / "reference" / "DOMAIN.md").read_text(encoding="utf-8")
    table = domain[domain.index("## 4."):domain.index("## 5.")]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", table, flags=re.M)[1:]  # after the header row
    listed = [tuple(k.strip() for k in words.split(",") if "○" not in k) for _, words in rows]
    assert listed == [KEYWORDS[c] for c in ALL_CATEGORIES]


def test_keyword_matcher_categories_count_pattern_and_scores():
    matcher = KeywordMatcher.default()
    found = matcher.match("事業者は、年２回以上、設備を点検し、その結果を記録した磁気ディスクを提出する。")
    assert "年２回" in found["定期検査"] and "点検" in found["定期検査"]
    assert found["FD等記録媒体"] == ["磁気ディスク"]
    assert matcher.match("この条例は、公布の日から施行する。") == {}
    scores = keyword_scores(pd.Series(["掲示場に掲示し、閲覧に供する", "使用料は無料とする"]))
    assert scores[0, 0] == 2 and scores[1, 0] == 0  # 掲示 (書面掲示) + 閲覧 (往訪閲覧); 掲示場 is not a DOMAIN word


def test_embedded_training_data_is_compact_and_labelled():
    training = load_training_data()
    assert len(training_data_bytes()) < 2_000_000
    assert {c for v in training["labels"] for c in v.split("|") if c} == set(LABELLED_CATEGORIES)
    assert training.loc[training["source"] == "clause", "group"].nunique() == 15


def test_recall_at_budget_counts_ties_at_their_expected_value():
    truth = np.array([1, 0, 0, 1, 0, 0, 0, 0, 0, 1], dtype=bool)
    perfect = truth.astype(float)
    assert budget_size(10, 0.3) == 3 and budget_size(10, 0.25) == 3 and budget_size(0, 0.1) == 0
    assert recall_at_budget(perfect, truth, 0.3) == 1.0
    assert recall_at_budget(perfect, truth, 0.1) == pytest.approx(1 / 3)
    flat = np.zeros(10)  # all tied: reading 30 % finds 30 % on average, whatever the stored order
    assert recall_at_budget(flat, truth, 0.3) == pytest.approx(0.3)
    assert recall_at_budget(flat[::-1], truth[::-1], 0.3) == pytest.approx(0.3)
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0.1])  # 1 above, tie of 4 for 2 slots holding 1 positive
    assert recall_at_budget(scores, truth, 0.3) == pytest.approx((1 + 1 * 2 / 4) / 3)
    assert precision_at_k(scores, truth, 1) == 1.0 and np.isnan(recall_at_budget(scores, np.zeros(10, bool), 0.1))


def test_bootstrap_over_laws_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(12), 20)
    truth = rng.random(240) < 0.1
    scores = truth * 0.5 + rng.random(240)
    estimate = recall_at_budget(scores, truth, 0.2)
    first = bootstrap_over_groups(scores, truth, groups, 0.2, 200, np.random.default_rng(1))
    second = bootstrap_over_groups(scores, truth, groups, 0.2, 200, np.random.default_rng(1))
    assert first == second and first["low"] <= estimate <= first["high"] and first["low"] < first["high"]
    bins = calibration_bins(np.array([0.05, 0.05, 0.95, 0.95]), np.array([0, 0, 1, 1]))
    assert bins["ece"] == pytest.approx(0.05) and [b["n"] for b in bins["bins"]] == [2, 2]


def test_tokenizer_splits_japanese_words():
    words = tokenize(pd.Series(["台帳を閲覧に供する"])).iloc[0].split()
    assert "閲覧" in words and "台帳" in words


def test_ranker_direction_calibration_and_deterministic_artefact():
    training = tiny_training()
    frame = training_model_frame(training, TINY.max_chars)
    blocks = hash_blocks(frame, TINY)
    model = fit_ranker(training, blocks, TINY)
    assert model.calibrated and model.platt[0, 0] != 1.0
    scores = model.scores_from_blocks(blocks)
    truth = target_matrix(training["labels"])
    clause = (training["source"] == "clause").to_numpy()
    assert scores[clause & (truth[:, 0] == 1), 0].min() > scores[clause & (truth[:, 0] == 0), 0].max()
    assert model_bytes(model) == model_bytes(fit_ranker(training, blocks, TINY))
    np.testing.assert_allclose(load_model(model_bytes(model)).scores_from_blocks(blocks), scores)


def test_grouped_cv_keeps_laws_apart_and_calibration_stays_inside_training(monkeypatch):
    import kogadx.regulation.evaluate as evaluate
    import kogadx.regulation.model as model

    training = tiny_training()
    frame = training_model_frame(training, TINY.max_chars)
    blocks = hash_blocks(frame, TINY)
    outer: list[set] = []
    inner: list[set] = []
    original_fit, original_base = evaluate.fit_ranker, model._fit_base

    def spy_fit(train, train_blocks, config, calibrate=True):
        outer.append(set(train["group"]))
        return original_fit(train, train_blocks, config, calibrate)

    def spy_base(train_blocks, targets, weights, config, n_targets=None):
        inner.append(train_blocks["char"].shape[0])
        return original_base(train_blocks, targets, weights, config, n_targets)

    monkeypatch.setattr(evaluate, "fit_ranker", spy_fit)
    monkeypatch.setattr(model, "_fit_base", spy_base)
    scores = out_of_fold_scores(training, blocks, TINY)
    assert not np.isnan(scores).any() and len(outer) == TINY.cv_folds
    groups = set(training["group"])
    held_out = [groups - seen for seen in outer]
    assert set().union(*held_out) == groups and sum(len(h) for h in held_out) == len(groups)
    # nested: per outer fold one full fit + calibration_folds smaller fits, all within the fold's rows
    assert len(inner) == TINY.cv_folds * (1 + TINY.calibration_folds)
    cv = grouped_cross_validation(training, blocks, TINY)
    assert cv["model"]["recall_at_budget"] > cv["keywords"]["recall_at_budget"] - 1e-9
    assert set(cv["model"]["per_category"]) == set(LABELLED_CATEGORIES)
    assert cv["model"]["per_category"]["書面掲示"]["support"] == 6 and cv["positive_clauses"] == 18


def test_final_fit_and_folds_in_two_processes_give_the_same_bytes(monkeypatch):
    """The final ranker and the fold scores fitted side by side in worker processes: the model
    file is the bytes a fit in this process writes, and the scores are the same (#25)."""
    from kogadx.regulation.evaluate import fit_and_cross_validate

    training = tiny_training()
    blocks = hash_blocks(training_model_frame(training, TINY.max_chars), TINY)
    monkeypatch.setenv("KOGADX_WORKERS", "1")
    one_bytes, one_scores = fit_and_cross_validate(training, blocks, TINY)
    monkeypatch.setenv("KOGADX_WORKERS", "2")
    two_bytes, two_scores = fit_and_cross_validate(training, blocks, TINY)
    assert one_bytes == model_bytes(fit_ranker(training, blocks, TINY))
    assert two_bytes == one_bytes
    np.testing.assert_array_equal(two_scores, one_scores)
    np.testing.assert_array_equal(one_scores, out_of_fold_scores(training, blocks, TINY))
