"""Analog-regulation ranker: feature choice by grouped CV, recall at a review budget, the review loop.

Run: .venv/bin/python benchmarks/regulation_eval.py
  → benchmarks/results/regulation_eval.json, regulation_recall_curve.png, regulation_learning_loop.png

1. Grouped CV across laws (GroupKFold over LawId, calibration nested in the training folds) of
   the three feature sets (char / char+word / char+word+context): recall when staff read the top
   10 % of clauses, with a bootstrap interval over laws; the DOMAIN keyword ranker beside them.
2. The review loop simulated on the Digital Agency's list: the clauses of the laws of one outer
   fold play the city's corpus (their 工程表 summaries are removed from training too); each round
   reviewers label the top 50 unreviewed clauses (the truth is the 工程表 label), the ranker is
   refitted with them (source "city"), and recall at the budget is measured after rounds 0…5:
   of the whole list staff would read (reviewed positives first) and of the unreviewed rest.
3. Wall time of the stage's steps on this machine.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from kogadx.io import read_folder_bytes, write_json
from kogadx.params import as_dict, load_params
from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.evaluate import grouped_cross_validation, keyword_scores
from kogadx.regulation.features import training_model_frame
from kogadx.regulation.loaders import CORPUS_SUFFIXES
from kogadx.regulation.model import _fit_base, hash_blocks, sample_weights, take_rows, target_matrix
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.ranking import recall_at_budget
from kogadx.regulation.stage import scan_corpus, train

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CORPUS = ROOT / "data" / "regulation" / "corpus"
ROUNDS, PER_ROUND = 5, 50


def compare_features(training: pd.DataFrame, params: RegulationScanParams) -> dict:
    out = {}
    for features in ("char", "char_word", "char_word_context"):
        config = dataclasses.replace(params, features=features)
        start = time.perf_counter()
        frame = training_model_frame(training, config.max_chars)
        blocks = hash_blocks(frame, config)
        cv = grouped_cross_validation(training, blocks, config, keyword_texts=frame["main"])
        out[features] = {"seconds": round(time.perf_counter() - start, 1), "cv": cv}
        m = cv["model"]
        print(f"{features}: recall@{config.budget:.0%} {m['recall_at_budget']:.3f} "
              f"[{m['recall_interval']['low']:.3f}, {m['recall_interval']['high']:.3f}] "
              f"AP {m['average_precision']:.3f} "
              f"brier {cv['calibration']['brier']:.4f} ({out[features]['seconds']} s)")
    return out


def simulate_review(training: pd.DataFrame, params: RegulationScanParams) -> dict:
    """Rounds 0…ROUNDS of reviewing the top PER_ROUND clauses, per outer fold of laws."""
    frame = training_model_frame(training, params.max_chars)
    blocks = hash_blocks(frame, params)
    truth = target_matrix(training["labels"])[:, 0].astype(bool)
    clause = (training["source"] == "clause").to_numpy()
    groups = training["group"].astype(str).to_numpy()
    clause_laws = np.unique(groups[clause])
    per_fold = []
    for _, city_law_idx in GroupKFold(n_splits=params.cv_folds).split(clause_laws, groups=clause_laws):
        city_laws = set(clause_laws[city_law_idx])
        city = np.flatnonzero(clause & np.isin(groups, list(city_laws)))
        base = np.flatnonzero(~np.isin(groups, list(city_laws)))  # their summaries left out too
        reviewed: list[int] = []
        full, rest, found = [], [], []
        for round_ in range(ROUNDS + 1):
            rows = np.concatenate([base, np.array(reviewed, dtype=int)])
            source = training["source"].to_numpy().copy()
            source[reviewed] = "city"
            weights = sample_weights(pd.DataFrame({"source": source[rows]}), params)
            ranker = _fit_base(take_rows(blocks, rows), target_matrix(training["labels"].iloc[rows]), weights, params,
                               n_targets=1)
            score = ranker.decision_from_blocks(take_rows(blocks, city))[:, 0]
            known = np.isin(city, reviewed)
            # the list staff read: reviewed positives first, reviewed negatives last, the rest by score
            listed = np.where(known, np.where(truth[city], np.inf, -np.inf), score)
            full.append(recall_at_budget(listed, truth[city], params.budget))
            rest.append(recall_at_budget(score[~known], truth[city][~known], params.budget)
                        if truth[city][~known].any() else float("nan"))
            found.append(float(truth[city][known].sum() / truth[city].sum()))
            if round_ < ROUNDS:
                order = [city[i] for i in np.argsort(-score, kind="stable") if not known[i]]
                reviewed.extend(order[:PER_ROUND])
        per_fold.append({"city_laws": sorted(city_laws), "clauses": len(city), "positives": int(truth[city].sum()),
                         "recall_full_list": full, "recall_unreviewed": rest, "found_by_review": found})
        print(f"  fold {len(per_fold)}: {len(city)} clauses, {int(truth[city].sum())} positive; "
              f"full-list recall {[round(v, 2) for v in full]}")
    # pool over folds: mean weighted by positives
    weights = np.array([f["positives"] for f in per_fold], dtype=float)
    pooled = {key: [float(np.average([f[key][r] for f in per_fold], weights=weights)) for r in range(ROUNDS + 1)]
              for key in ("recall_full_list", "found_by_review")}
    pooled["recall_unreviewed"] = [float(np.nanmean([f["recall_unreviewed"][r] for f in per_fold]))
                                   for r in range(ROUNDS + 1)]
    kw = keyword_scores(frame["main"])[:, 0]
    pooled["keywords_recall"] = float(np.average(
        [recall_at_budget(kw[np.flatnonzero(clause & np.isin(groups, f["city_laws"]))],
                          truth[np.flatnonzero(clause & np.isin(groups, f["city_laws"]))], params.budget)
         for f in per_fold], weights=weights))
    return {"rounds": ROUNDS, "per_round": PER_ROUND, "budget": params.budget, "pooled": pooled, "folds": per_fold}


def plot_curves(features: dict, chosen: str, path: Path) -> None:
    from kogadx.plotting import setup

    plt = setup()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    cv = features[chosen]["cv"]
    for method, label, style in (("model", "判定モデル", "-o"), ("keywords", "キーワード (DOMAIN の一覧)", "--s")):
        budgets = [float(b) for b in cv[method]["curve"]]
        ax.plot([b * 100 for b in budgets], [v * 100 for v in cv[method]["curve"].values()], style, label=label)
    ax.axvline(cv["budget"] * 100, color="grey", lw=0.8)
    ax.set_xlabel("読む条項の割合 (%、確率・キーワード数の高い順)")
    ax.set_ylabel("該当する条項のうち見つかる割合 (%)")
    ax.set_title("上位 X% を読んだときの再現率 (法令ごとの交差検証、15 法令)")
    ax.set_xscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_loop(sim: dict, path: Path) -> None:
    from kogadx.plotting import setup

    plt = setup()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rounds = list(range(sim["rounds"] + 1))
    pooled = sim["pooled"]
    ax.plot(rounds, [v * 100 for v in pooled["recall_full_list"]], "-o", label="リスト全体 (判定済みの該当を先頭に)")
    ax.plot(rounds, [v * 100 for v in pooled["recall_unreviewed"]], "-s", label="まだ判定していない条項だけ")
    ax.plot(rounds, [v * 100 for v in pooled["found_by_review"]], ":^", label="判定で見つかった該当 (累計)")
    ax.axhline(pooled["keywords_recall"] * 100, color="grey", ls="--", label="キーワードのみ (リスト全体)")
    ax.set_xlabel(f"判定の回数 (1 回 = 上位 {sim['per_round']} 条項を職員が判定)")
    ax.set_ylabel(f"上位 {sim['budget']:.0%} を読んだときの再現率 (%)")
    ax.set_title("職員の判定を学習に戻したときの再現率 (デジタル庁の見直しリストで模擬)")
    ax.set_ylim(0, 100)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    params = load_params(RegulationScanParams, ROOT / "params.yaml")
    training = load_training_data()
    timings = {}
    start = time.perf_counter()
    features = compare_features(training, params)
    timings["feature_comparison_s"] = time.perf_counter() - start
    start = time.perf_counter()
    model = train(training, params)[0]
    timings["final_fit_s"] = time.perf_counter() - start
    start = time.perf_counter()
    scan = scan_corpus(read_folder_bytes(CORPUS, CORPUS_SUFFIXES), model, params, str(CORPUS))
    timings["scan_default_corpus_s"] = time.perf_counter() - start
    start = time.perf_counter()
    sim = simulate_review(training, params)
    timings["review_simulation_s"] = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot_curves(features, params.features, RESULTS / "regulation_recall_curve.png")
    plot_loop(sim, RESULTS / "regulation_learning_loop.png")
    write_json(
        {
            "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                        "python": platform.python_version(), "note": "shared 2-core machine, 5 jobs at once"},
            "params": as_dict(params),
            "timings": {k: round(v, 1) for k, v in timings.items()},
            "feature_comparison": {k: {"seconds": v["seconds"],
                                       "recall_at_budget": v["cv"]["model"]["recall_at_budget"],
                                       "recall_interval": v["cv"]["model"]["recall_interval"],
                                       "average_precision": v["cv"]["model"]["average_precision"],
                                       "brier": v["cv"]["calibration"]["brier"]} for k, v in features.items()},
            "cv": features[params.features]["cv"],
            "review_simulation": sim,
            "scan": {"clauses": len(scan.clauses), "files": int(scan.clauses["source_file"].nunique())},
        },
        RESULTS / "regulation_eval.json",
    )
    print(f"→ {RESULTS / 'regulation_eval.json'}  timings {timings}")


if __name__ == "__main__":
    main()
