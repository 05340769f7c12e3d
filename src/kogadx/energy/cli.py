"""``kogadx co2 …``: emissions from a business's own monthly energy table.

Input CSV (Excel の「CSV UTF-8」または「CSV (コンマ区切り)」= CP932 のどちらでも可):
  年月 (例 2024/04, 2024-04, 2024年4月) と、使うエネルギーの列だけ:
  電力使用量(kWh), 都市ガス(m3), LPG(kg), 灯油(L), ガソリン(L), 軽油(L), A重油(L)
Output CSV (UTF-8 BOM): 年月, エネルギー源ごとの t-CO2, Scope1, Scope2, 合計.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import typer

from kogadx.energy.clean import parse_year_month
from kogadx.energy.emissions import compute_emissions
from kogadx.energy.factors import (
    EmissionFactorError,
    check_emission_factors,
    load_emission_factors,
    select_emission_factors,
)
from kogadx.energy.schema import FUELS
from kogadx.io import InputFileError, read_text_table, write_csv_for_excel

app = typer.Typer(help="事業所のエネルギー使用量から CO2 排出量を計算します (温対法の排出係数)。",
                  no_args_is_help=True)


def read_business_table(path: Path) -> pd.DataFrame:
    """Read the documented CSV into a long table (year_month, fuel, value); errors name row/column."""
    frame, _ = read_text_table(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if "年月" not in frame.columns:
        raise InputFileError(f"{path}: 列「年月」がありません")
    fuels = [f for f in FUELS if f.header in frame.columns]
    if not fuels:
        headers = "、".join(f.header for f in FUELS)
        raise InputFileError(f"{path}: エネルギー使用量の列がありません (使える列名: {headers})")
    rows = []
    seen: dict[str, int] = {}
    for i, rec in frame.iterrows():
        line = int(i) + 2  # CSV line number: header is line 1
        ym = parse_year_month(rec["年月"])
        if ym is None:
            raise InputFileError(f"{path}: {line} 行目の列「年月」を読めません: {rec['年月']!r}")
        # A second row for the same month would be summed into it: refuse, naming both lines.
        if ym in seen:
            raise InputFileError(f"{path}: {line} 行目の列「年月」: {ym} は {seen[ym]} 行目と重複しています"
                                 " (同じ月は1行にまとめてください)")
        seen[ym] = line
        for fuel in fuels:
            text = str(rec[fuel.header]).replace(",", "").strip()
            if text == "":
                continue
            try:
                value = float(text)
            except ValueError:
                message = f"{path}: {line} 行目の列「{fuel.header}」が数値ではありません: {text!r}"
                raise InputFileError(message) from None
            if not math.isfinite(value):
                # NaN would become 0 t in the totals and inf would poison them.
                raise InputFileError(f"{path}: {line} 行目の列「{fuel.header}」が有限の数値ではありません: {text!r}")
            if value < 0:
                raise InputFileError(f"{path}: {line} 行目の列「{fuel.header}」が負の値です: {text}")
            rows.append({"business_id": "self", "year_month": ym, "fuel": fuel.key, "value": value})
    return pd.DataFrame(rows, columns=["business_id", "year_month", "fuel", "value"])


def emissions_table(long: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Wide table for people: 年月 × source t-CO2, Scope1, Scope2, 合計 (rounded to 1 kg)."""
    em = compute_emissions(long, factors)
    labels = {f.key: f"{f.label}(t-CO2)" for f in FUELS}
    wide = em.pivot_table(index="year_month", columns="fuel", values="t_co2", aggfunc="sum")
    wide = wide[[f.key for f in FUELS if f.key in wide.columns]]
    scope = em.pivot_table(index="year_month", columns="scope", values="t_co2", aggfunc="sum")
    out = wide.rename(columns=labels)
    out["Scope1(t-CO2)"] = scope.get(1, 0.0)
    out["Scope2(t-CO2)"] = scope.get(2, 0.0)
    out["合計(t-CO2)"] = out["Scope1(t-CO2)"].fillna(0) + out["Scope2(t-CO2)"].fillna(0)
    out = out.fillna(0.0).round(3)
    out.index.name = "年月"
    return out.reset_index()


@app.command("compute")
def compute(
    input: Path = typer.Option(..., "--input", help="月別エネルギー使用量の CSV (列: 年月, 電力使用量(kWh), "
                               "都市ガス(m3), LPG(kg), 灯油(L), ガソリン(L), 軽油(L), A重油(L))"),
    fiscal_year: int = typer.Option(..., "--fiscal-year", help="排出量を算定する年度 (活動年度、例 2023。"
                                    "電力は前年度実績の係数を使います)"),
    out: Path = typer.Option(..., "--out", help="出力 CSV (UTF-8 BOM、Excel で開けます)"),
    basis: str = typer.Option("basic", "--basis", help="電力の排出係数: basic (基礎) / adjusted (調整後)"),
    supplier: str = typer.Option("九州電力", "--supplier", help="電力の供給事業者 (係数表の名前)"),
    menu: str = typer.Option("B", "--menu", help="電力メニュー (調整後排出係数のみメニューで変わります)"),
    fuel_basis: str = typer.Option("auto", "--fuel-basis", help="燃料の係数: auto (年度で自動) / old (旧) / new (新)"),
    factors: Path | None = typer.Option(None, "--factors", help="排出係数表 CSV (省略時は同梱の表)"),
) -> None:
    """エネルギー使用量の表から、エネルギー源別・月別の CO2 排出量 (t-CO2) を計算します。"""
    try:
        factor_table = (load_emission_factors() if factors is None
                        else check_emission_factors(read_text_table(factors)[0], str(factors)))
        table = select_emission_factors(factor_table, fiscal_year, basis, fuel_basis, supplier, menu)
        long = read_business_table(input)
    except (InputFileError, EmissionFactorError) as exc:
        typer.echo(f"エラー: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    result = emissions_table(long, table)
    write_csv_for_excel(result, out)
    total = result["合計(t-CO2)"].sum()
    typer.echo(f"{len(result)} か月分を計算しました。合計 {total:,.3f} t-CO2 → {out}")


@app.command("factors")
def show_factors(
    fiscal_year: int = typer.Option(..., "--fiscal-year", help="排出量を算定する年度 (活動年度)"),
    basis: str = typer.Option("basic", "--basis", help="電力の排出係数: basic / adjusted"),
    supplier: str = typer.Option("九州電力", "--supplier", help="電力の供給事業者"),
    menu: str = typer.Option("B", "--menu", help="電力メニュー"),
) -> None:
    """指定年度に使う排出係数の一覧を表示します。"""
    try:
        table = select_emission_factors(load_emission_factors(), fiscal_year, basis, supplier=supplier, menu=menu)
    except EmissionFactorError as exc:
        typer.echo(f"エラー: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    for row in table.itertuples():
        result = f", {row.result_fiscal_year}年度実績" if row.result_fiscal_year else ""
        typer.echo(f"{row.fuel}\t{row.factor} t-CO2/{row.unit}\t({row.basis}{result})\t{row.source}")
