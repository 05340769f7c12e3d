"""Review list and the Excel workbook (read back with openpyxl, Japanese intact)."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from kogadx.regulation.keywords import DIGITAL_ALTERNATIVES, LABELLED_CATEGORIES
from kogadx.regulation.review import REVIEW_COLUMNS, build_review_list, review_summary, review_workbook


def _clauses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_file": ["a.html", "a.html", "b.xml"],
            "law_title": ["試験町公告式条例", "試験町公告式条例", "試験法"],
            "clause_ref": ["第2条第1項", "第3条第1項", "第5条第2項"],
            "caption": ["(掲示)", "(使用料)", "（報告）"],
            "text": [
                "町長は、公告を役場前の掲示場に掲示しなければならない。",
                "使用料は無料とする。",
                "報告は、フレキシブルディスクを提出して行うことができる。",
            ],
        }
    )


def _scores(clauses: pd.DataFrame) -> pd.DataFrame:
    scores = pd.DataFrame(0.1, index=clauses.index, columns=list(LABELLED_CATEGORIES))
    scores.loc[0, "書面掲示"] = 0.9
    scores.loc[0, "往訪閲覧"] = 0.6
    return scores


def test_review_list_rows_order_and_fd_rule():
    clauses = _clauses()
    review = build_review_list(clauses, _scores(clauses), threshold=0.5)
    assert list(review.columns) == REVIEW_COLUMNS
    assert review["類型"].tolist() == ["FD等記録媒体", "書面掲示", "往訪閲覧"]  # sorted by score
    posting = review[review["類型"] == "書面掲示"].iloc[0]
    assert posting["該当キーワード"] == "掲示、掲示場"
    assert posting["デジタル代替案"] == DIGITAL_ALTERNATIVES["書面掲示"]
    assert "使用料は無料とする。" not in review["条文"].tolist()
    summary = review_summary(review, clauses)
    assert dict(zip(summary["類型"], summary["候補件数"], strict=True))["書面掲示"] == 1


def test_workbook_reads_back_with_japanese_and_is_byte_identical():
    clauses = _clauses()
    review = build_review_list(clauses, _scores(clauses), threshold=0.5)
    summary = review_summary(review, clauses)
    data = review_workbook(review, summary)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["見直し候補", "類型別件数"]
    rows = list(workbook["見直し候補"].iter_rows(values_only=True))
    assert list(rows[0]) == REVIEW_COLUMNS
    assert rows[2][0] == "試験町公告式条例"
    assert rows[2][2] == "町長は、公告を役場前の掲示場に掲示しなければならない。"
    assert rows[2][6] == "ウェブサイト・電子掲示板への掲載（インターネット公表）"
    assert rows[2][5] == 0.9
    assert review_workbook(review, summary) == data
