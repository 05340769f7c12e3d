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
