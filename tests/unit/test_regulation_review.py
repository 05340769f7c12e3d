"""Ranked review list and the Excel workbook: columns, budget mark, drop-downs, byte-identical."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd

from kogadx.regulation.keywords import DIGITAL_ALTERNATIVES
from kogadx.regulation.review import (
    DECISIONS,
    REVIEW_COLUMNS,
    REVIEW_SHEET,
    build_review_list,
    check_key,
    review_summary,
    review_workbook,
)


def clauses() -> pd.DataFrame:
    return pd.DataFrame({
        "source_file": ["a.html", "a.html", "b.xml", "b.xml"],
        "law_title": ["試験町公告式条例", "試験町公告式条例", "試験法", "試験法"],
        "clause_ref": ["第2条第1項", "第3条第1項", "第5条第2項", "第5条第2項"],
        "caption": ["(掲示)", "(使用料)", "（報告）", "（報告）"],
        "text": ["町長は、公告を役場前の掲示場に掲示しなければならない。", "使用料は無料とする。",
                 "報告は、フレキシブルディスクを提出して行うことができる。", "=1+1 と書かれた条文"],
    })


def scores() -> np.ndarray:
    s = np.full((4, 8), 0.1)
    s[0, 0], s[0, 4], s[0, 7] = 0.8, 0.9, 0.6  # any, 書面掲示, 往訪閲覧
    s[2, 0] = 0.3
    return s


def test_review_list_ranks_every_clause_marks_the_budget_and_suggests_categories():
    review = build_review_list(clauses(), scores(), budget=0.25, threshold=0.5)
    assert list(review.columns) == REVIEW_COLUMNS and len(review) == 4  # every clause, not only "candidates"
    assert review["順位"].tolist() == [1, 2, 3, 4] and review["上位の目安"].tolist() == ["○", "", "", ""]
    first = review.iloc[0]
    assert first["類型の候補"] == "書面掲示、往訪閲覧" and first["類型"] == "書面掲示" and first["判定"] == ""
    assert first["デジタル代替案"] == DIGITAL_ALTERNATIVES["書面掲示"] and first["該当キーワード"] == "掲示"
    fd = review[review["法令名"] == "試験法"].iloc[0]
    assert fd["類型の候補"].startswith("FD等記録媒体")  # rule: no labels exist for FD
    assert {"b.xml#第5条第2項", "b.xml#第5条第2項#2"} <= set(review["条項ID"])  # a repeated ref stays unique
    assert first["照合キー"] == check_key(first["条項ID"], first["条文"])
    summary = review_summary(review, clauses())
    assert dict(zip(summary["類型"], summary["上位の目安に入った条項"], strict=True))["書面掲示"] == 1
    uncalibrated = build_review_list(clauses(), scores(), budget=0.25, threshold=0.5, calibrated=False)
    assert "スコア" in uncalibrated.columns and "確率" not in uncalibrated.columns


def test_workbook_has_drop_downs_reads_back_and_is_byte_identical():
    review = build_review_list(clauses(), scores(), budget=0.25, threshold=0.5)
    data = review_workbook(review, review_summary(review, clauses()))
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook[REVIEW_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == REVIEW_COLUMNS and rows[1][3] == "試験町公告式条例"
    validations = {str(v.sqref).split(":")[0][0]: v for v in sheet.data_validations.dataValidation}
    letter = {c: openpyxl.utils.get_column_letter(REVIEW_COLUMNS.index(c) + 1) for c in ("判定", "類型", "見直し方針")}
    assert set(letter.values()) <= set(validations)
    assert validations[letter["判定"]].formula1 == '"' + ",".join(DECISIONS) + '"'
    decision = validations[letter["判定"]]
    assert decision.showErrorMessage and str(decision.sqref) == f"{letter['判定']}2:{letter['判定']}5"
    formula_cell = sheet.cell(row=[r[6] for r in rows].index("=1+1 と書かれた条文") + 1, column=7)
    assert formula_cell.data_type == "s"  # clause text never runs as a formula
    assert review_workbook(review, review_summary(review, clauses())) == data
