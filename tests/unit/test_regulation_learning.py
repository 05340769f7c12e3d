"""The review loop: a reviewed workbook → the city's label set → training rows; bad workbooks refused."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from kogadx.io import InputFileError
from kogadx.regulation.learning import (
    LABEL_COLUMNS,
    append_round,
    city_training_rows,
    empty_labels,
    label_summary,
    labels_csv,
    read_decisions,
    read_labels,
)
from kogadx.regulation.review import REVIEW_COLUMNS, REVIEW_SHEET, build_review_list, review_summary, review_workbook
from tests.unit.test_regulation_review import clauses, scores


def workbook_bytes() -> bytes:
    review = build_review_list(clauses(), scores(), budget=0.25, threshold=0.5)
    return review_workbook(review, review_summary(review, clauses()))


def fill(data: bytes, edits: dict[tuple[int, str], object], drop_sheet: bool = False) -> bytes:
    """Set cells of the review sheet (row number as in Excel, column by header) like a reviewer would."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook[REVIEW_SHEET]
    for (row, column), value in edits.items():
        sheet.cell(row=row, column=REVIEW_COLUMNS.index(column) + 1).value = value
    if drop_sheet:
        workbook.remove(sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


REVIEWED = {(2, "判定"): "該当", (2, "見直し方針"): "デジタル化して見直す", (3, "判定"): "非該当",
            (4, "判定"): "保留", (4, "類型"): "FD等記録媒体"}


def test_every_filled_decision_is_read_and_none_dropped():
    decisions = read_decisions(fill(workbook_bytes(), REVIEWED))
    assert decisions.rows == 4 and len(decisions.frame) == 3 and decisions.undecided == 1
    assert decisions.frame["decision"].tolist() == ["該当", "非該当", "保留"]
    first = decisions.frame.iloc[0]
    assert first["category"] == "書面掲示" and first["policy"] == "デジタル化して見直す"
    assert first["clause_id"] == "a.html#第2条第1項"


@pytest.mark.parametrize(("edits", "drop", "message"), [
    ({(3, "判定"): "たぶん該当"}, False, "シート「見直し候補」の 3 行目: 判定は"),
    ({(3, "判定"): "非該当", (3, "条項ID"): "a.html#第9条第1項"}, False,
     "シート「見直し候補」の 3 行目: 条項ID または条文"),
    ({(2, "判定"): "該当", (2, "類型"): "その他"}, False, "シート「見直し候補」の 2 行目: 類型は一覧"),
    ({(2, "判定"): "該当", (2, "類型"): None}, False, "シート「見直し候補」の 2 行目: 判定が「該当」のときは類型"),
    ({}, True, "シート「見直し候補」がありません"),
])
def test_bad_workbooks_are_refused_naming_sheet_and_row(edits, drop, message):
    with pytest.raises(InputFileError, match=message):
        read_decisions(fill(workbook_bytes(), edits, drop_sheet=drop), "review.xlsx")


def test_a_missing_column_and_a_non_workbook_are_refused():
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes()))
    workbook[REVIEW_SHEET].delete_cols(REVIEW_COLUMNS.index("照合キー") + 1)
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(InputFileError, match="1 行目に列がありません: 照合キー"):
        read_decisions(out.getvalue())
    with pytest.raises(InputFileError, match="Excel ブック"):
        read_decisions(b"not a workbook")


def test_rounds_append_and_the_latest_decision_per_clause_trains():
    first = read_decisions(fill(workbook_bytes(), REVIEWED)).frame
    labels = append_round(empty_labels(), first)
    second = read_decisions(fill(workbook_bytes(), {(2, "判定"): "非該当"})).frame  # changed mind on a.html#第2条
    labels = append_round(read_labels(labels_csv(labels)), second)  # through the CSV, as on disk
    assert labels["round"].tolist() == [1, 1, 1, 2] and list(labels.columns) == LABEL_COLUMNS
    assert label_summary(labels) == {"rounds": 2, "decisions": 4, "clauses": 3, "該当": 1, "非該当": 2, "保留": 1}
    rows = city_training_rows(labels)
    assert len(rows) == 2 and (rows["labels"] == "").all()  # 保留 kept in the set, not trained on
    assert rows["source"].eq("city").all() and rows["group"].str.startswith("city:").all()
    with pytest.raises(InputFileError, match="2 行目: round"):
        read_labels(labels_csv(labels).replace(b"\n1,", b"\nx,", 1))


def test_learn_round_trips_a_reviewed_workbook_and_the_next_scan_ranks_with_it(tmp_path, monkeypatch):
    """CLI: learn appends the decisions, retrains, and the retrained ranker scores the judged clause higher."""
    from typer.testing import CliRunner

    import kogadx.regulation.stage as stage
    from kogadx.cli import app
    from kogadx.regulation.model import load_model
    from tests.unit.test_regulation_model import TINY, tiny_training

    monkeypatch.setattr(stage, "load_training_data", tiny_training)
    monkeypatch.setattr("kogadx.regulation.cli._stage_params", lambda: TINY)
    text = "駐車場の利用者は、料金所で係員に利用券を提示しなければならない。"
    frame = pd.DataFrame({"source_file": ["p.txt"] * 2, "law_title": ["試験市駐車場条例"] * 2,
                          "clause_ref": ["第4条第1項", "第5条第1項"], "caption": ["", ""],
                          "text": [text, "駐車場の名称は、別表のとおりとする。"]})
    review = build_review_list(frame, np.full((2, 8), 0.2), budget=0.5, threshold=0.5)
    book = tmp_path / "review.xlsx"
    row = review.index[review["条文"] == text][0] + 2
    book.write_bytes(fill(review_workbook(review, review_summary(review, frame)),
                          {(row, "判定"): "該当", (row, "類型"): "目視規制", (5 - row, "判定"): "非該当"}))
    labels, model_path = tmp_path / "labels.csv", tmp_path / "model.joblib"
    before = stage.train(stage.training_set(None, None), TINY)[0]
    result = CliRunner().invoke(app, ["regulation", "learn", str(book), "--labels", str(labels),
                                      "--model-out", str(model_path)])
    assert result.exit_code == 0, result.output
    assert "判定 2 件 (該当 1・非該当 1・保留 0)" in result.output and "第 1 回" in result.output
    saved = read_labels(labels.read_bytes())
    assert saved["clause_id"].tolist() == review["条項ID"].tolist() and saved["round"].eq(1).all()
    assert saved.loc[saved["decision"] == "該当", "text"].tolist() == [text]
    after = load_model(model_path.read_bytes())
    probe = pd.DataFrame({"main": ["\n" + text], "words": [" ".join(text)], "context": [""]})
    assert after.scores(probe)[0, 1] > before.scores(probe)[0, 1]  # 目視規制 learned from the city's decision
    again = CliRunner().invoke(app, ["regulation", "learn", str(book), "--labels", str(labels), "--no-retrain"])
    assert again.exit_code == 0 and read_labels(labels.read_bytes())["round"].tolist() == [1, 1, 2, 2]
