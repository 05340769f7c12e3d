"""The analog-regulation report's tables and sentences follow metrics/regulation.json and the workbook."""

from __future__ import annotations

import copy

from kogadx.regulation.keywords import ALL_CATEGORIES
from kogadx.regulation.review import review_summary, review_workbook
from kogadx.reporting import regulation as reg
from tests.regulation_fixtures import candidates, regulation_metrics


def test_findings_say_what_to_read_first_recall_with_interval_rounds_and_weak_categories():
    text = " ".join(reg.regulation_findings(regulation_metrics(), candidates()))
    assert "2 件の例規の 40 条項" in text and "まず上位 4 条項 (全体の 10%" in text
    assert "最初の 3 条項は 「B規則」第1条第1項 (目視規制、確率 0.93)" in text  # rank order, probability named
    assert "該当する条項の 70% (95% 区間 58%〜81%)" in text and "キーワードの数で並べた場合は 54% (46%〜62%)" in text
    assert "目標の 90% には届いていません" in text and "15 法令 (8,651 条項、うち該当 218 条項)" in text
    assert "較正してあります" in text and "まだ学習していません" in text
    assert "目視規制 (正解 66 条項、上位 10% で 79%; 見落としが多めです)" in text
    assert "実地監査 (正解 1 条項" in text and "定期検査 (" not in text  # 20 examples, 95 %: not weak
    changed = copy.deepcopy(regulation_metrics())
    changed["calibrated"] = False
    changed["city_labels"] = {"rounds": 2, "decisions": 12, "clauses": 11, "該当": 5, "非該当": 6, "保留": 1}
    changed["cv"]["model"]["recall_at_budget"] = 0.92
    text = " ".join(reg.regulation_findings(changed, candidates()))
    assert "確率ではありません" in text and "2 回分 (12 件: 該当 5・非該当 6・保留 1)" in text
    assert "目標の 90% に届いています" in text


def test_category_table_lists_every_category_with_support_and_recall():
    table = reg.category_table(regulation_metrics()).set_index("category")
    assert list(table.index) == list(ALL_CATEGORIES)
    assert table.loc["目視規制", "support"] == 66 and table.loc["目視規制", "recall"] == 0.79
    assert table.loc["目視規制", "n"] == 1 and table.loc["書面掲示", "n"] == 0
    assert all(table["explain"].str.len() > 0) and all(table["alternative"].str.len() > 0)
    curve = reg.curve_table(regulation_metrics()["cv"])
    assert curve["budget"].tolist() == [0.01, 0.1, 0.5, 1.0] and curve["model"].iloc[1] == 0.70


def test_read_first_follows_the_rank_and_the_workbook_round_trips(tmp_path):
    review = candidates()
    path = tmp_path / "r.xlsx"
    path.write_bytes(review_workbook(review, review_summary(review, review)))
    back = reg.read_candidates(path)
    first = reg.read_first(back, 2)
    assert first["順位"].tolist() == [1, 2] and first["法令名"].tolist() == ["B規則", "A条例"]
    assert reg.score_column(back) == "確率" and back["上位の目安"].tolist()[0] == "○"


def test_decision_page_reads_as_many_clauses_as_the_scan_marks():
    """The options table's row at the budget names the same clause count as the scan's 上位の目安."""
    from kogadx.reporting.regulation import decision_options, regulation_decision

    curve = {"0.05": 0.5, "0.1": 0.7, "0.2": 0.8}
    metrics = {"cv": {"budget": 0.1, "model": {"curve": curve, "recall_at_budget": 0.7,
                                               "recall_interval": {"low": 0.6, "high": 0.8}},
                      "keywords": {"curve": curve, "recall_at_budget": 0.5}},
               "scan": {"files": 3, "clauses": 92, "clauses_in_budget": 10}, "city_labels": {"rounds": 2}}
    options = decision_options(metrics)
    assert options.set_index("share").loc[0.1, "read"] == metrics["scan"]["clauses_in_budget"]
    decision = regulation_decision(metrics)
    assert "上位 10% (10 条項)" in decision["finding"] and "2 回分を学習済み" in decision["uncertainty"]
