"""The analog-regulation report's tables and sentences follow metrics/regulation.json and the workbook."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from kogadx.regulation.keywords import ALL_CATEGORIES
from kogadx.regulation.review import review_workbook
from kogadx.reporting import regulation as reg
from tests.regulation_fixtures import candidates, regulation_metrics


def test_findings_read_the_numbers():
    text = " ".join(reg.regulation_findings(regulation_metrics(), candidates()))
    assert "2 件の例規・法令ファイルの 40 条項" in text and "候補を 4 条項 (類型との組で 5 件" in text
    assert "目視規制 3 件、常駐専任 1 件、FD等記録媒体 1 件です" in text
    # the FD rule's score 1.0 is not "the most likely": the model's best is B規則 第1条 (0.93)
    assert "「B規則」第1条第1項 (目視規制、スコア 0.93)" in text
    assert "記録媒体 (FD 等) を指定する規定は 1 件" in text
    assert "29%" in text and "60%" in text and "6% と 85%" in text and "1,374 法令" in text
    changed = copy.deepcopy(regulation_metrics())
    changed["scan"].update(candidate_rows=4, clauses=41)
    text = " ".join(reg.regulation_findings(changed, candidates()))
    assert "41 条項" in text and "類型との組" not in text


def test_category_table_lists_every_category_with_zero_counts():
    table = reg.category_table(regulation_metrics()["scan"]).set_index("category")
    assert list(table.index) == list(ALL_CATEGORIES)
    assert table.loc["目視規制", "n"] == 3 and table.loc["書面掲示", "n"] == 0
    assert all(table["explain"].str.len() > 0) and all(table["alternative"].str.len() > 0)


def test_accuracy_table_and_note_name_the_weak_categories():
    m = regulation_metrics()
    table = reg.accuracy_table(m["cv"]).set_index("category")
    assert table.loc["実地監査", "support"] == 1 and table.loc["目視規制", "kw_recall"] == pytest.approx(0.9)
    assert table.loc["どれかの類型に該当", "precision"] == pytest.approx(0.29)
    note = reg.accuracy_note(m["cv"])
    assert "実地監査 (正解 1 条項)" in note and "目視規制 (正解" not in note
    assert "29% が該当" in note and "見落としは増えます" in note


def test_top_candidates_by_score_and_workbook_round_trip(tmp_path):
    top = reg.top_candidates(candidates(), 2)
    assert list(top["スコア"]) == [1.0, 0.93]
    path = tmp_path / "r.xlsx"
    path.write_bytes(review_workbook(candidates(), pd.DataFrame({"類型": ["目視規制"], "候補件数": [2]})))
    back = reg.read_candidates(path)
    assert list(back["条項"]) == list(candidates()["条項"]) and back.loc[0, "法令名"] == "A条例"
