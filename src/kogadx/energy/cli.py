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
from kogadx.energy.schema import FUEL_BY_KEY, FUELS
from kogadx.io import InputFileError, read_table, read_text_table, write_csv_for_excel

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
        raise typer.Exit(code=2) from exc
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
        raise typer.Exit(code=2) from exc
    for row in table.itertuples():
        result = f", {row.result_fiscal_year}年度実績" if row.result_fiscal_year else ""
        typer.echo(f"{row.fuel}\t{row.factor} t-CO2/{row.unit}\t({row.basis}{result})\t{row.source}")


# Column labels of the baseline output (Japanese for the person who opens it in Excel).
BASELINE_LABELS = {
    "business_id": "事業所ID", "fuel": "エネルギー源", "unit": "単位", "status": "状態", "reason": "理由",
    "intervention_month": "対策実施月", "baseline_start": "ベースライン開始", "baseline_end": "ベースライン終了",
    "reporting_start": "報告期間開始", "reporting_end": "報告期間終了", "n_baseline_months": "ベースライン月数",
    "n_reporting_months": "報告期間月数", "model_type": "モデル", "heating_balance_point_c": "暖房バランス点(℃)",
    "cooling_balance_point_c": "冷房バランス点(℃)", "intercept_per_day": "切片(1日あたり)",
    "hdd_coef_per_day": "HDD係数(1日あたり)", "cdd_coef_per_day": "CDD係数(1日あたり)",
    "n_parameters": "パラメータ数(バランス点を含む)", "r2_adj": "自由度調整済みR2",
    "cv_rmse": "CV(RMSE)", "nmbe": "NMBE", "pass_g14": "Guideline14合格", "g14_reason": "Guideline14判定",
    "reporting_check": "報告期間の予測検証", "reporting_reason": "予測検証の理由",
    "predicted_reporting": "報告期間ベースライン予測", "actual_reporting": "報告期間実績", "savings": "削減量",
    "savings_half_width": "削減量の90%区間幅(±)", "savings_lower": "削減量下限(90%)",
    "savings_upper": "削減量上限(90%)",
    "fsu": "FSU(区間幅/削減量)", "avoided_t_co2": "回避排出量(t-CO2,基礎)",
    "avoided_t_co2_adjusted": "回避排出量(t-CO2,調整後)", "factor_reason": "排出係数の状態",
}


def _read_table_or_fail(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(f"{path}: {what}のファイルがありません")
    return read_table(path) if path.suffix.lower() == ".parquet" else read_text_table(path)[0]


def _avoided(models: pd.DataFrame, monthly: pd.DataFrame, factor_table: pd.DataFrame,
             supply: pd.DataFrame) -> pd.DataFrame:
    """Avoided t-CO2 of each meter's reporting months, with the factor of each month's fiscal year."""
    from kogadx.energy.emissions import fiscal_year_of
    from kogadx.energy.factors import business_factors

    rep = monthly.loc[monthly["period"] == "reporting"].copy()
    if rep.empty:
        return models.assign(avoided_t_co2=float("nan"), avoided_t_co2_adjusted=float("nan"), factor_reason="")
    rep["fiscal_year"] = fiscal_year_of(rep["year_month"])
    rows = business_factors(factor_table, supply, sorted(rep["fiscal_year"].unique()))
    rep = rep.merge(rows, on=["business_id", "fiscal_year", "fuel"], how="left")
    divisor = rep["fuel"].map(lambda f: 1000.0 if FUEL_BY_KEY[f].unit != FUEL_BY_KEY[f].factor_unit else 1.0)
    saved = (rep["predicted"] - rep["actual"]) / divisor
    rep["b"], rep["a"] = saved * rep["factor_basic"], saved * rep["factor_adjusted"]
    agg = rep.groupby(["business_id", "fuel"]).agg(
        avoided_t_co2=("b", lambda v: v.sum(min_count=len(v))),
        avoided_t_co2_adjusted=("a", lambda v: v.sum(min_count=len(v))),
        factor_reason=("factor_reason", lambda v: next((r for r in v if isinstance(r, str) and r), ""))).reset_index()
    return models.merge(agg, on=["business_id", "fuel"], how="left")


@app.command("baseline")
def baseline(
    energy: Path = typer.Option(..., "--energy", help="月別エネルギー使用量 (列: [事業所ID,] 年月, 電力使用量(kWh) …)"),
    weather: Path = typer.Option(..., "--weather", help="時刻別気温 (time, temperature_c) の CSV/Parquet、"
                                 "または気象庁ダウンロード CSV"),
    out: Path = typer.Option(..., "--out", help="出力フォルダ"),
    businesses: Path | None = typer.Option(None, "--businesses", help="事業所マスタ (事業所ID, 電力供給事業者, "
                                           "電力メニュー, 対策実施月)"),
    supplier: str = typer.Option("九州電力", "--supplier", help="事業所マスタがないときの電力供給事業者"),
    menu: str = typer.Option("B", "--menu", help="事業所マスタがないときの電力メニュー"),
    intervention_month: str = typer.Option("", "--intervention-month", help="事業所マスタがないときの対策実施月"),
    factors: Path | None = typer.Option(None, "--factors", help="排出係数表 CSV (省略時は同梱の表)"),
) -> None:
    """CalTRACK (月別) ベースラインと Guideline 14 の削減量・不確かさを、事業所・エネルギー源ごとに出力します。"""
    from kogadx.energy.caltrack import daily_mean_temperature
    from kogadx.energy.clean import clean_monthly_energy
    from kogadx.energy.mv import measure_savings
    from kogadx.energy.params import MeasurementVerification
    from kogadx.weather import read_weather

    try:
        if out.exists() and not out.is_dir():
            raise InputFileError(f"{out}: 出力先がファイルです。フォルダを指定してください")
        raw = _read_table_or_fail(energy, "エネルギー使用量")
        raw.columns = [str(c).strip() for c in raw.columns]
        if "事業所ID" not in raw.columns:
            raw.insert(0, "事業所ID", "self")
        clean = clean_monthly_energy(raw, source=str(energy))
        temps = daily_mean_temperature(read_weather(weather))
        if temps.empty:
            raise InputFileError(f"{weather}: 気温の値が一つもありません (列 time, temperature_c)")
        ids = sorted(clean.energy["business_id"].unique())
        if businesses is not None:
            master = _read_table_or_fail(businesses, "事業所マスタ")
            master.columns = [str(c).strip() for c in master.columns]
            if "事業所ID" not in master.columns:
                raise InputFileError(f"{businesses}: 列「事業所ID」がありません")
            master = master.set_index(master["事業所ID"].astype(str).str.strip())
            get = lambda col, default: [str(master[col].get(b, default)) if col in master.columns  # noqa: E731
                                        else default for b in ids]
            supply = pd.DataFrame({"business_id": ids, "supplier": get("電力供給事業者", ""),
                                   "menu": get("電力メニュー", ""), "month": get("対策実施月", "")})
        else:
            supply = pd.DataFrame({"business_id": ids, "supplier": supplier, "menu": menu,
                                   "month": intervention_month})
        supply["month"] = [parse_year_month(m) if m and m != "nan" else None for m in supply["month"]]
        factor_table = (load_emission_factors() if factors is None
                        else check_emission_factors(read_text_table(factors)[0], str(factors)))
    except (InputFileError, EmissionFactorError, ValueError) as exc:
        typer.echo(f"エラー: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    result = measure_savings(clean.energy, temps, supply.rename(columns={"month": "intervention_month"}),
                             MeasurementVerification(), {f.key: f.unit for f in FUELS})
    models = _avoided(result.models, result.monthly, factor_table, supply[["business_id", "supplier", "menu"]])
    out.mkdir(parents=True, exist_ok=True)
    models["fuel"] = models["fuel"].map(lambda f: FUEL_BY_KEY[f].label)
    write_csv_for_excel(models[[c for c in BASELINE_LABELS if c in models.columns]].rename(columns=BASELINE_LABELS),
                        out / "baseline_models.csv")
    write_csv_for_excel(result.monthly, out / "baseline_monthly.csv")
    if len(clean.quarantine) or len(clean.flags):
        write_csv_for_excel(clean.quarantine, out / "quarantine.csv")
        write_csv_for_excel(clean.flags, out / "flags.csv")
    counts = models["status"].value_counts()
    typer.echo(f"{len(models)} メーター (事業所 × エネルギー源): " + "、".join(f"{k} {v}" for k, v in counts.items())
               + f" → {out / 'baseline_models.csv'}")
    for rec in models.loc[models["status"] != "fitted"].head(10).itertuples():
        typer.echo(f"注意: {rec.business_id} {rec.fuel}: {rec.reason}", err=True)
    for rec in models.loc[models["factor_reason"].fillna("") != ""].drop_duplicates("business_id").head(5).itertuples():
        typer.echo(f"注意: {rec.business_id}: 回避排出量を計算できません: {rec.factor_reason}", err=True)
    if len(clean.quarantine):
        typer.echo(f"注意: 重複・読めない行 {len(clean.quarantine)} 行を除外しました → {out / 'quarantine.csv'}",
                   err=True)
