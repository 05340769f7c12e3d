"""Emission factors, unit conversions, exact emissions, and the co2 compute CLI."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from kogadx.energy.cli import app
from kogadx.energy.emissions import compute_emissions, fiscal_year_of
from kogadx.energy.factors import (
    EmissionFactorError,
    check_emission_factors,
    load_emission_factors,
    select_emission_factors,
)
from kogadx.energy.schema import convert_to_factor_unit


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_emission_factors()


def test_unit_conversions_are_explicit():
    assert convert_to_factor_unit(12_345.0, "kWh", "kWh") == 12_345.0
    assert convert_to_factor_unit(1_500.0, "m3", "千m3") == 1.5
    assert convert_to_factor_unit(250.0, "L", "kL") == 0.25
    assert convert_to_factor_unit(90.0, "kg", "t") == 0.09
    with pytest.raises(ValueError, match="単位換算"):
        convert_to_factor_unit(1.0, "L", "t")


def test_select_fy2023_activity_uses_the_fy2022_result(table):
    basic = select_emission_factors(table, 2023, "basic").set_index("fuel")
    adjusted = select_emission_factors(table, 2023, "adjusted").set_index("fuel")
    assert basic.at["electricity", "factor"] == 0.000399
    assert basic.at["electricity", "result_fiscal_year"] == "2022"
    assert adjusted.at["electricity", "factor"] == 0.000467
    # FY2023 predates the new fuel factors: the old ones apply under "auto"
    assert basic.at["kerosene", "factor"] == 2.49
    assert basic.at["city_gas", "basis"] == "old"
    forced = select_emission_factors(table, 2023, "basic", fuel_basis="new").set_index("fuel")
    assert forced.at["a_heavy_oil", "factor"] == 2.753
    assert set(basic.index) == {"electricity", "city_gas", "lpg", "kerosene", "gasoline", "diesel", "a_heavy_oil"}


def test_every_value_has_a_source(table):
    assert (table["source"].str.len() > 10).all()
    elec = table.loc[table["fuel"] == "electricity"]
    assert elec["source"].str.contains("kyuden.co.jp").all()
    assert (elec["result_fiscal_year"].astype(int) == elec["fiscal_year"] - 1).all()


def test_a_year_or_supplier_without_a_factor_fails_loudly(table):
    """No silent borrow: FY2022 activity needs the (unsourced) FY2021 result."""
    with pytest.raises(EmissionFactorError, match="2022 年度の電力の基礎排出係数がありません: 供給事業者「九州電力」"):
        select_emission_factors(table, 2022)
    with pytest.raises(EmissionFactorError, match="2023 年度.*供給事業者「その他の小売電気事業者」"):
        select_emission_factors(table, 2023, supplier="その他の小売電気事業者", menu="")
    with pytest.raises(EmissionFactorError, match="electricity_basis"):
        select_emission_factors(table, 2023, "menu_z")


def test_menu_credit_changes_only_the_adjusted_factor(table):
    basic = {m: select_emission_factors(table, 2023, "basic", menu=m).iloc[0]["factor"] for m in ("A", "B")}
    adjusted = {m: select_emission_factors(table, 2023, "adjusted", menu=m).iloc[0]["factor"] for m in ("A", "B")}
    assert basic["A"] == basic["B"] == 0.000399
    assert adjusted["A"] == 0.0 and adjusted["B"] == 0.000467


def test_bad_factor_table_names_row_and_column(table):
    bad = table.astype(str)
    bad.loc[3, "factor"] = "abc"
    with pytest.raises(EmissionFactorError, match="factors.csv: 5 行目の列 factor"):
        check_emission_factors(bad, "factors.csv")


def test_emissions_equal_hand_computed_values(table):
    factors = select_emission_factors(table, 2023, "basic")
    amounts = {"electricity": 12_345, "city_gas": 678, "lpg": 90, "kerosene": 150,
               "gasoline": 80, "diesel": 220, "a_heavy_oil": 1_000}
    energy = pd.DataFrame({"business_id": "B1", "year_month": "2022-04",
                           "fuel": list(amounts), "value": [float(v) for v in amounts.values()]})
    em = compute_emissions(energy, factors).set_index("fuel")
    # by hand: amount ÷ (1 or 1000) × factor, in kg-CO2
    hand_kg = {"electricity": 4_925.655, "city_gas": 1_511.94, "lpg": 270.0, "kerosene": 373.5,
               "gasoline": 185.6, "diesel": 567.6, "a_heavy_oil": 2_710.0}
    for fuel, kg in hand_kg.items():
        assert em.at[fuel, "t_co2"] * 1000 == pytest.approx(kg, abs=1e-9)
        assert round(em.at[fuel, "t_co2"] * 1000) == round(kg)
    assert em.loc[em["scope"] == 2, "t_co2"].sum() * 1000 == pytest.approx(4_925.655, abs=1e-9)
    assert em.loc[em["scope"] == 1, "t_co2"].sum() * 1000 == pytest.approx(5_618.64, abs=1e-9)
    assert em["fiscal_year"].unique().tolist() == [2022]


def test_fiscal_year_starts_in_april():
    assert fiscal_year_of(pd.Series(["2022-03", "2022-04", "2023-01"])).tolist() == [2021, 2022, 2022]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_cli_compute_from_excel_csv(tmp_path, encoding):
    src = tmp_path / "energy.csv"
    src.write_bytes("年月,電力使用量(kWh),都市ガス(m3),灯油(L)\n2024/04,\"10,000\",1500,200\n2024年5月,12000,,\n"
                    .encode(encoding))
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["compute", "--input", str(src), "--fiscal-year", "2023", "--out", str(out)])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out, encoding="utf-8-sig").set_index("年月")
    assert got.at["2024-04", "電力(t-CO2)"] == pytest.approx(3.99)
    assert got.at["2024-04", "都市ガス(t-CO2)"] == pytest.approx(3.345)
    assert got.at["2024-04", "灯油(t-CO2)"] == pytest.approx(0.498)
    assert got.at["2024-05", "合計(t-CO2)"] == pytest.approx(4.788)
    assert got.at["2024-04", "Scope1(t-CO2)"] == pytest.approx(3.843)


def test_cli_bad_cell_names_row_and_column(tmp_path):
    src = tmp_path / "energy.csv"
    src.write_text("年月,電力使用量(kWh)\n2024/04,100\n2024/05,abc\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["compute", "--input", str(src), "--fiscal-year", "2023",
                                      "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "3 行目の列「電力使用量(kWh)」" in result.output
    unknown = CliRunner().invoke(app, ["compute", "--input", str(src), "--fiscal-year", "2030",
                                       "--out", str(tmp_path / "o.csv")])
    assert unknown.exit_code == 2 and "2030 年度" in unknown.output


@pytest.mark.parametrize(("body", "expected"), [
    ("2024/04,100\n2024/05,200\n2024-04,300\n", "4 行目の列「年月」: 2024-04 は 2 行目と重複"),
    ("2024/04,100\n2024/05,nan\n", "3 行目の列「電力使用量(kWh)」が有限の数値ではありません"),
    ("2024/04,inf\n", "2 行目の列「電力使用量(kWh)」が有限の数値ではありません"),
])
def test_cli_refuses_duplicate_months_and_non_finite_values(tmp_path, body, expected):
    """#15: a repeated month was summed and NaN became 0 t; both are refused, naming the line."""
    src = tmp_path / "energy.csv"
    src.write_text("年月,電力使用量(kWh)\n" + body, encoding="utf-8")
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(app, ["compute", "--input", str(src), "--fiscal-year", "2023", "--out", str(out)])
    assert result.exit_code == 2
    assert expected in result.output
    assert not out.exists()


def test_report_template_names_fuels_as_the_schema_does():
    """The co2 report keeps its own copy of the fuel names (its stage does not depend on the
    energy package): it must match kogadx.energy.schema.FUEL_LABELS."""
    import ast
    from pathlib import Path

    from kogadx.energy.schema import FUEL_LABELS

    template = Path(__file__).resolve().parents[2] / "notebooks" / "reports" / "co2.py"
    tree = ast.parse(template.read_text(encoding="utf-8"))
    copies = [ast.literal_eval(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == "FUEL_LABELS" for t in node.targets)]
    assert copies == [FUEL_LABELS]
