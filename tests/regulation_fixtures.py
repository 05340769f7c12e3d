"""Small stand-ins for the regulation_scan stage's outputs (metrics and review rows)."""

from __future__ import annotations

import pandas as pd

from kogadx.regulation.keywords import ALL_CATEGORIES, FD_CATEGORY


def _block(precision: float, recall: float, f1: float, support: int = 10) -> dict:
    return {"precision": precision, "recall": recall, "f1": f1, "support": support, "predicted": 5}


def regulation_metrics() -> dict:
    per = {c: _block(0.4, 0.5, 0.44) for c in ALL_CATEGORIES if c != FD_CATEGORY}
    per["実地監査"] = _block(0.0, 0.0, 0.0, support=1)
    kw = {c: _block(0.05, 0.9, 0.09) for c in per}
    clause = {"classifier": {"any_category": {"precision": 0.29, "recall": 0.6, "f1": 0.39}, "per_category": per,
                             "macro_f1": 0.32},
              "keywords": {"any_category": {"precision": 0.06, "recall": 0.85, "f1": 0.12}, "per_category": kw,
                           "macro_f1": 0.17},
              "positive_rows": 218, "rows": 8651}
    return {"categories": [c for c in ALL_CATEGORIES if c != FD_CATEGORY],
            "cv": {"clause": clause, "folds": 5, "groups": 1374, "threshold": 0.5},
            "scan": {"by_category": {"目視規制": 3, "常駐専任": 1, FD_CATEGORY: 1, "実地監査": 0},
                     "candidate_clauses": 4, "candidate_rows": 5, "clauses": 40, "files": 2},
            "training": {"clause_rows": 8651, "laws": 1374, "rows": 16171, "summary_rows": 7520}}


def candidates() -> pd.DataFrame:
    rows = [("A条例", "第2条第1項", "立入検査をさせる", "目視規制", "立入", 0.81, "(立入検査)"),
            ("A条例", "第3条第1項", "管理者を常駐させる", "常駐専任", "常駐", 0.55, "(常駐)"),
            ("B規則", "第9条第1項", "フレキシブルディスクで提出", FD_CATEGORY, "フレキシブルディスク", 1.0, "(提出)"),
            ("B規則", "第1条第1項", "目視により確認", "目視規制", "", 0.93, "(確認)")]
    frame = pd.DataFrame(rows, columns=["法令名", "条項", "条文", "類型", "該当キーワード", "スコア", "見出し"])
    frame["デジタル代替案"] = "代替"
    frame["ファイル"] = "x.html"
    return frame[["法令名", "条項", "条文", "類型", "該当キーワード", "スコア", "デジタル代替案", "見出し", "ファイル"]]
