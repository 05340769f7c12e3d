"""Small stand-ins for the regulation_scan stage's outputs (metrics and the ranked review list)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kogadx.regulation.keywords import FD_CATEGORY, LABELLED_CATEGORIES
from kogadx.regulation.review import build_review_list


def _ranker(recall: float, low: float, high: float, per: dict) -> dict:
    return {"recall_at_budget": recall, "recall_interval": {"low": low, "high": high, "reps": 1000},
            "curve": {"0.01": recall / 4, "0.1": recall, "0.5": min(1.0, recall + 0.2), "1": 1.0},
            "precision_at": {"10": 0.5, "50": 0.4, "100": 0.3}, "average_precision": 0.28, "per_category": per}


def regulation_metrics() -> dict:
    per = {c: {"support": 20, "recall_at_budget": 0.95, "average_precision": 0.5} for c in LABELLED_CATEGORIES}
    per["実地監査"] = {"support": 1, "recall_at_budget": 1.0, "average_precision": 1.0}
    per["目視規制"] = {"support": 66, "recall_at_budget": 0.79, "average_precision": 0.3}
    kw = {c: {"support": v["support"], "recall_at_budget": 0.5, "average_precision": 0.1} for c, v in per.items()}
    cv = {"folds": 5, "groups": 1374, "laws_with_clauses": 15, "clauses": 8651, "positive_clauses": 218, "budget": 0.1,
          "clauses_read_at_budget": 866, "model": _ranker(0.70, 0.58, 0.81, per),
          "keywords": _ranker(0.54, 0.46, 0.62, kw),
          "calibration": {"brier": 0.021, "ece": 0.005,
                          "bins": [{"bin": "0.0-0.1", "n": 8000, "predicted": 0.01, "observed": 0.012},
                                   {"bin": "0.5-0.6", "n": 20, "predicted": 0.55, "observed": 0.5}]},
          "at_threshold": {"threshold": 0.5, "flagged": 30, "precision": 0.5, "recall": 0.1},
          "keywords_any_hit": {"flagged": 2119, "precision": 0.08, "recall": 0.8}}
    return {"categories": list(LABELLED_CATEGORIES), "cv": cv, "calibrated": True,
            "city_labels": {"rounds": 0, "decisions": 0, "clauses": 0, "該当": 0, "非該当": 0, "保留": 0},
            "scan": {"by_category": {"目視規制": 1, "常駐専任": 0, FD_CATEGORY: 1}, "clauses": 40, "files": 2,
                     "clauses_in_budget": 4, "expected_analog_in_budget": 2.1, "files_skipped": 0},
            "training": {"clause_rows": 8651, "laws": 15, "rows": 16171, "summary_rows": 7520, "city_rows": 0}}


def candidates() -> pd.DataFrame:
    clauses = pd.DataFrame({
        "source_file": ["a.html", "a.html", "b.txt", "b.txt"], "law_title": ["A条例", "A条例", "B規則", "B規則"],
        "clause_ref": ["第2条第1項", "第3条第1項", "第9条第1項", "第1条第1項"],
        "caption": ["(立入検査)", "(常駐)", "(提出)", "(確認)"],
        "text": ["立入検査をさせる", "管理者を常駐させる", "フレキシブルディスクで提出", "目視により確認"]})
    scores = np.full((4, 1 + len(LABELLED_CATEGORIES)), 0.05)
    scores[:, 0] = [0.81, 0.55, 0.2, 0.93]
    scores[0, 1], scores[3, 1], scores[1, 5] = 0.9, 0.95, 0.7  # 目視規制, 目視規制, 常駐専任
    return build_review_list(clauses, scores, budget=0.25, threshold=0.5)


