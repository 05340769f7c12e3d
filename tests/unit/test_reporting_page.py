"""Unit tests for kogadx.reporting: font subset, self-containment check, provenance, findings."""

from __future__ import annotations

import pandas as pd
import pytest

from kogadx.reporting.blocks import fmt_pct, summary_block, table_block
from kogadx.reporting.findings import co2_findings, privacy_findings
from kogadx.reporting.fonts import embedded_font_codepoints
from kogadx.reporting.page import assemble_page, external_references
from kogadx.reporting.provenance import data_hashes, params_hash
from kogadx.reporting.render import strip_non_display_outputs


def test_assembled_page_embeds_a_font_covering_its_text():
    page = assemble_page("古賀市の報告", "<p>のるーと古賀・幸福度・排出量 ①</p>", "<footer>出典</footer>")
    covered = embedded_font_codepoints(page)
    for char in "古賀市の報告のるーと・幸福度排出量①出典ABCxyz0189":
        assert ord(char) in covered, char
    assert ord("\u9f98") not in covered  # a character the page does not use is not embedded
    assert len(page) < 200_000


def test_external_references_found_and_local_ones_allowed():
    assert external_references('<img src="data:image/png;base64,AAAA"><a href="#s1">x</a>') == []
    for bad in ('<img src="https://tile.example/1.png">', "<a href='//cdn.example/x'>x</a>",
                '<div style="background:url(http://x/y.png)"></div>', "<script>alert(1)</script>",
                '<link rel="stylesheet" href="s.css">', "<style>@import 'x.css';</style>"):
        assert external_references(bad), bad


def test_params_hash_depends_only_on_named_sections():
    a = {"co2": {"fiscal_year": 2022}, "wellbeing": {"level": 0.95}}
    b = {"co2": {"fiscal_year": 2018}, "wellbeing": {"level": 0.95}}
    c = {"co2": {"fiscal_year": 2022}, "wellbeing": {"level": 0.9}}
    assert params_hash(a, ["co2"]) != params_hash(b, ["co2"])
    assert params_hash(a, ["co2"]) == params_hash(c, ["co2"])
    assert params_hash(a, ["co2", "absent"])[0] == ("co2",)


def test_data_hashes_cover_files_in_folders(tmp_path):
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "a.png").write_bytes(b"a")
    (tmp_path / "m.json").write_text("{}", encoding="utf-8")
    rows = dict(data_hashes([tmp_path / "figs", tmp_path / "m.json", tmp_path / "missing.json"], tmp_path))
    assert set(rows) == {"figs/a.png", "m.json"}
    assert rows["figs/a.png"].startswith("ca978112")  # sha256(b"a")


def test_blocks_escape_values_from_data():
    html = table_block(pd.DataFrame({"name": ["<b>x</b>"], "v": [0.5]}), {"name": "名前", "v": "割合"}, {"v": fmt_pct})
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "50.0%" in html
    assert "<li>a &amp; b</li>" in summary_block("要点", ["a & b"])


def _co2(total: float, fy: int) -> dict:
    return {"latest_fiscal_year": fy, "city_t_co2_latest_fy": total, "n_businesses": 10,
            "city_scope1_t_co2_latest_fy": total / 2, "city_scope2_t_co2_latest_fy": total / 2,
            "fiscal_year_factors": fy, "scenario_city_reduction_t_co2": 10.0, "scenario_city_reduction_share": 0.1,
            "baseline": {"businesses_pass_g14_share": 0.9}, "estimated_share_of_t_co2": 0.01}


def test_co2_findings_follow_the_metrics():
    yoy = pd.DataFrame({"fiscal_year": [2021, 2024], "t_co2": [100.0, 90.0], "t_co2_normalised": [100.0, 80.0]})
    sectors = pd.DataFrame({"sector_name": ["飲食店", "医療業"], "t_co2": [30.0, 70.0]})
    first = co2_findings(_co2(52264.5, 2022), yoy, sectors)
    second = co2_findings(_co2(48000.0, 2018), yoy, sectors)
    assert 3 <= len(first) <= 6
    assert "52,264 t-CO2" in first[0] and "2022 年度" in first[0] and "2021年度実績" in first[0]
    assert "48,000 t-CO2" in second[0] and "2018 年度" in second[0]
    # #18: the sum of the businesses is never called the city's total
    assert "対象事業所の合計" in first[0] and "市全体の排出量ではありません" in first[0]
    assert not any("市全体で" in line for line in first + second)
    assert "20.0% 減って" in first[1]
    assert "「医療業」" in first[2] and "70.0%" in first[2]


def test_privacy_findings_count_by_appi_item():
    col = lambda action, appi: {"action": action, "appi": appi}  # noqa: E731
    audit = {"tables": {"t": {"columns": [col("delete", "item1"), col("delete", "item3"), col("pseudonym", "item2")],
                              "deleted_columns_surviving": [], "raw_value_survivals": {}}},
             "passed": False, "key": {"demo_key": False},
             "pseudonym": {"algorithm": "HMAC-SHA256", "bits": 64, "persons_observed": 5,
                           "collision_probability_observed": 1e-18}}
    anon = {"rows_released": 5, "k": 5, "k_target": 5, "l": 2, "l_target": 2, "records_suppressed": 0,
            "sensitive": "household_size"}
    text = privacy_findings(audit, anon)
    assert "2 列を削除" in text[0] and "第1号 1 列" in text[0] and "第3号 1 列" in text[0]
    assert "不合格" in text[1]
    assert "household_size" in text[2] and "公開用ではなく" in text[2]  # #19: never called publishable
    assert len(text) == 4  # no demo-key sentence when the key is real
    tier = {"max_p": 4, "student_share_unique_at_max_p": 0.25, "student_riders_at_max_p": 8}
    assert "25.0%" in privacy_findings(audit, anon, tier)[4]


def test_only_rich_outputs_reach_the_page():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="warning"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "<Figure>"}, execution_count=1),
                    nbformat.v4.new_output("display_data", data={"text/html": "<p>表</p>", "text/plain": "x"})]
    nb.cells = [cell]
    kept = strip_non_display_outputs(nb).cells[0].outputs
    assert [list(o.data) for o in kept] == [["text/html"]]


@pytest.mark.parametrize("share,text", [(0.0, "0.0%"), (0.1234, "12.3%"), (float("nan"), "—")])
def test_fmt_pct(share, text):
    assert fmt_pct(share) == text


def test_glossary_lists_only_terms_on_the_page_in_reading_order():
    from kogadx.reporting.page import glossary_block

    box = glossary_block("<p>WAPE は 12% で、季節ナイーブより小さい</p><img alt=\"CalTRACK\">",
                         {"季節ナイーブ": "一週間前と同じ", "WAPE": "外れの割合", "CalTRACK": "手順",
                          "オラクル": "理想"})
    assert box.index("<dt>WAPE</dt>") < box.index("<dt>季節ナイーブ</dt>")
    assert "オラクル" not in box and "CalTRACK" not in box  # absent, or only inside an image's alt
    assert glossary_block("<p>用語なし</p>", {"WAPE": "外れの割合"}) == ""


def test_every_shared_glossary_entry_is_plain_japanese_text():
    from kogadx.reporting.page import load_glossary

    glossary = load_glossary()
    assert len(glossary) >= 20
    for term, text in glossary.items():
        assert len(text) >= 15 and any("\u3040" <= ch <= "\u30ff" for ch in text), term


def test_footer_says_dirty_in_words_and_drops_the_regeneration_promise():
    from kogadx.reporting.page import footer_html
    from kogadx.reporting.provenance import Provenance

    clean = footer_html(Provenance("abc123", "2026-11-26", ("co2",), "f" * 64, department="経営戦略課",
                                   version="第2版", data_date="2025-03-31"))
    dirty = footer_html(Provenance("abc123-dirty", "2026-11-26", ("co2",), "f" * 64))
    assert "-dirty" not in dirty and "未コミットの変更" in dirty and "同じ文書が再生成されます" not in dirty
    assert "同じ文書が再生成されます" in clean and "経営戦略課" in clean and "2025-03-31" in clean


def test_synthetic_input_reads_ingests_verdict(tmp_path):
    import json

    from kogadx.reporting.provenance import synthetic_input

    assert synthetic_input(tmp_path) is False  # no metrics: never labelled synthetic by default
    (tmp_path / "ingest.json").write_text(json.dumps({"synthetic_demo": True}), encoding="utf-8")
    assert synthetic_input(tmp_path) is True
    (tmp_path / "ingest.json").write_text(json.dumps({"synthetic_demo": False}), encoding="utf-8")
    assert synthetic_input(tmp_path) is False


def test_profile_figure_counts_agree_with_the_summary_table():
    """Figure 1-1's n per district is the table's 回答者 (the 天神 255 vs 263 mismatch): the item with
    the most answers (255) must not replace the district's respondents (263)."""
    from kogadx.wellbeing.figures import district_profile_chart

    rows = []
    for district, n_item in (("市全体", 2000), ("天神", 255)):
        for item, n in (("a", n_item), ("b", n_item - 10)):
            rows.append({"district": district, "indicator": item, "mean": 3.0, "mean_eb": 3.1, "ci_low_eb": 2.9,
                         "ci_high_eb": 3.3, "n": n})
    fig = district_profile_chart(pd.DataFrame(rows), ["天神"], ["a", "b"], {"a": "A", "b": "B"},
                                 respondents={"天神": 263})
    assert fig.axes[0].get_title() == "天神（n=263）"


def test_wellbeing_decision_page_counts_small_districts_once():
    """The options table and the uncertainty sentence count the same districts (withheld ones too)."""
    from kogadx.reporting.findings import wellbeing_decision, wellbeing_options

    summary = pd.DataFrame({"district": list("ABCD"), "n": [5, 20, 29, 40],
                            "withheld": [True, False, False, False],
                            "happiness_ci_low_eb": [None, 6.5, 7.1, 6.0],
                            "happiness_ci_high_eb": [None, 7.2, 7.5, 6.8]})
    metrics = {"happiness": {"city_mean_weighted": 6.9, "city_ci_low": 6.8, "city_ci_high": 7.0}}
    options = wellbeing_options(summary, min_n=30, response_rate=0.5)
    assert "3 地区" in options.loc[1, "option"]
    assert "36 件" in options.loc[1, "needs"] and "72 通" in options.loc[1, "needs"]
    decision = wellbeing_decision(metrics, summary, 0.95, min_n=30)
    assert "30 人未満の地区が 3 あり" in decision["uncertainty"]
    assert "3 地区のうち 1 地区は区間が市全体の値を含みます" in decision["finding"]


def test_norute_decision_page_costs_each_fleet_from_the_grid():
    from kogadx.reporting.findings import norute_decision, norute_options

    def row(n, served, p95, per_hour):
        # wait_p95_min (all bookings, reservations' lateness included) is not the ride-now p95
        return {"demand_factor": 1.0, "n_vehicles": n, "served_rate": served, "ride_now_wait_mean_min": 3.0,
                "ride_now_wait_p95_min": p95, "wait_p95_min": 1.0, "rides_per_vehicle_hour": per_hour}

    dispatch = {"grid": {"rows": [row(4, 1.0, 6.0, 2.0), row(2, 0.96, 20.0, 4.0), row(3, 0.97, 12.0, 2.5),
                                  {**row(3, 0.5, 40.0, 9.0), "demand_factor": 6.0}]}}
    options = norute_options(dispatch, cost_per_vehicle_hour_yen=4000, fare_yen=200)
    assert options["n_vehicles"].tolist() == [2, 3, 4]  # demand ×1 only, by fleet
    assert options.set_index("n_vehicles").loc[4, "cost_per_ride"] == 2000  # 4,000 円/h ÷ 2 rides/h
    decision = norute_decision(options, 4, 4000, 200)
    assert "約 1,800 円" in decision["finding"]  # today's 4 vans: 2,000 − 200
    assert "最少の台数は 3 台" in decision["finding"] and "約 1,400 円" in decision["finding"]


def test_counter_decision_page_names_the_cheapest_scenario_from_the_table():
    from kogadx.reporting.findings import counter_decision, counter_options

    scenarios = pd.DataFrame({"scenario": ["オンライン 0 %", "オンライン 60 %"], "staff_hours": [145.0, 116.0],
                              "max_counters": [5, 4], "p90_wait_min": [4.0, 5.3],
                              "past_counters_p90_wait_min": [18.0, 6.0]})
    options = counter_options(scenarios, households=580)
    assert options["staff_min_per_household"].round(1).tolist() == [15.0, 12.0]
    finding = counter_decision({"wait_target_min": 15}, options)["finding"]
    assert "延べ 145 人時 (最大 5 窓口)" in finding and "「オンライン 60 %」の 116 人時" in finding
    assert "12.0 分" in finding
