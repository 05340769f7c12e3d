"""Alt text reads the data behind a figure; figure/table agreement; the page-level alt check."""

from __future__ import annotations

import pandas as pd
import pytest

from kogadx.reporting import alt
from kogadx.reporting.consistency import ReportConsistencyError, check_agree
from kogadx.reporting.page import figure_alt_problems
from kogadx.wellbeing.compare import city_comparison, class_counts


def test_co2_monthly_names_the_largest_month_and_fuel() -> None:
    monthly = pd.DataFrame({"year_month": ["2023-04", "2023-04", "2024-01"], "fuel": ["electricity", "city_gas",
                                                                                     "electricity"],
                            "t_co2": [100.0, 50.0, 400.0]})
    text = alt.co2_monthly(monthly, {"electricity": "電力", "city_gas": "都市ガス"})
    assert "2024 年 1 月 の 400 t-CO2" in text and "2023 年 4 月 の 150 t-CO2" in text
    assert "91% を電力" in text  # 500 of 550
    monthly.loc[1, "t_co2"] = 900.0
    assert "2023 年 4 月 の 1,000 t-CO2" in alt.co2_monthly(monthly, {"electricity": "電力", "city_gas": "都市ガス"})


def test_waterfall_names_the_biggest_step_and_the_end_point() -> None:
    scen = pd.DataFrame({"order": [0, 1, 2, 3], "step": ["baseline", "led", "pv", "after"],
                         "label": ["現状", "LED化", "屋根置き太陽光", "対策後"],
                         "t_co2": [1000.0, -50.0, -300.0, 650.0]})
    text = alt.co2_waterfall(scen)
    assert "「屋根置き太陽光」の 300 t-CO2/年" in text and "650 t-CO2/年" in text


def test_wellbeing_map_counts_are_the_maps_classes() -> None:
    est = pd.DataFrame({"district": ["市全体", "A", "B", "C", "D"], "indicator": "happiness",
                        "n": [100, 20, 20, 20, 3], "mean": [6.0, 7.0, 6.0, 5.0, 9.0],
                        "mean_eb": [6.0, 7.0, 6.0, 5.0, 9.0], "ci_low_eb": [5.9, 6.5, 5.5, 4.5, 8.0],
                        "ci_high_eb": [6.1, 7.5, 6.5, 5.5, 9.5], "withheld": [False, False, False, False, True]})
    counts = class_counts(city_comparison(est, "happiness"))
    assert counts == {"higher": 1, "holds": 1, "lower": 1, "withheld": 1}
    text = alt.wellbeing_map(counts, "幸福度")
    assert "高い地区は 1、市全体の値を含む地区は 1、低い地区は 1、回答が少なく非表示の地区は 1" in text
    assert "順位ではありません" in text


def test_dispatch_grid_alt_counts_cells_below_95_percent() -> None:
    rows = [{"demand_factor": f, "n_vehicles": n, "served_rate": s}
            for f, n, s in [(1.0, 4, 1.0), (3.0, 4, 0.97), (6.0, 4, 0.946), (6.0, 2, 0.80)]]
    text = alt.dispatch_figure("grid", {"grid": {"rows": rows}})
    assert "95% を下回る組み合わせは 2" in text and "需要 6 倍・2 台の 80.0%" in text


def test_check_agree_names_the_key_and_both_values() -> None:
    table = pd.Series({"天神": 263, "花鶴丘": 40})
    check_agree(pd.Series({"天神": 263}), table, "図 1-1", "表 1-1", "回答者数")
    with pytest.raises(ReportConsistencyError, match="天神 の回答者数が図 1-1では 255、表 1-1では 263"):
        check_agree(pd.Series({"天神": 255, "花鶴丘": 40}), table, "図 1-1", "表 1-1", "回答者数")
    with pytest.raises(ReportConsistencyError, match="青柳 は表 1-1にありません"):
        check_agree(pd.Series({"青柳": 5}), table, "図 1-1", "表 1-1", "回答者数")


@pytest.mark.parametrize(("img", "problem"), [
    ('<img src="x.png">', "代替テキストがありません"),
    ('<img src="x.png" alt="図 1-1 月別の排出量">', "図の題と同じ"),
    ('<img src="x.png" alt="月別の排出量の棒グラフ">', "文になっていません"),
])
def test_page_check_refuses_figures_without_a_reading(img: str, problem: str) -> None:
    page = f'<figure class="fig">{img}<figcaption>図 1-1 月別の排出量</figcaption></figure>'
    assert problem in " ".join(figure_alt_problems(page))
    good = ('<figure class="fig"><img src="x.png" alt="最も多い月は 1 月の 400 t です。">'
            "<figcaption>図 1-1 月別の排出量</figcaption></figure>")
    assert figure_alt_problems(good) == []


def test_tiny_probabilities_are_written_as_a_reader_says_them() -> None:
    from kogadx.reporting.blocks import fmt_tiny

    assert fmt_tiny(9.4e-11) == "約 110 億分の 1"
    assert fmt_tiny(2.7e-18) == "約 37 京分の 1"
    assert fmt_tiny(0.002) == "0.2%"
    assert "e-" not in fmt_tiny(1e-25)


def test_privacy_columns_carry_the_exports_japanese_header() -> None:
    from kogadx.reporting.columns import column_label

    assert column_label("residents", "name") == "氏名 (name)"
    assert column_label("residents", "birth_date") == "生年月日 (birth_date)"
    assert column_label("business_energy", "electricity") == "電力使用量(kWh) (electricity)"
    assert column_label("weather", "temperature_c") == "気温 (℃) (temperature_c)"
