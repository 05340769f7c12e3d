# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 事業所の CO2 排出量レポート (GX×DX)

# %% tags=["parameters"]
co2_metrics = "metrics/co2.json"
co2_figures = "reports/figures/co2"
co2_tables = "data/features/co2"

# %%
import json
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from kogadx.reporting import alt
from kogadx.reporting import blocks as b
from kogadx.energy.emissions import fiscal_year_of
from kogadx.reporting.consistency import check_agree
from kogadx.reporting.findings import co2_decision, co2_findings, co2_options


# The names of kogadx.energy.schema.FUEL_LABELS, kept here so that the report stage does not
# depend on the energy package (its deps list what the templates import).
FUEL_LABELS = {"electricity": "電力", "city_gas": "都市ガス", "lpg": "LPG", "kerosene": "灯油", "gasoline": "ガソリン",
               "diesel": "軽油", "a_heavy_oil": "A重油"}


def show(html: str) -> None:
    display(HTML(html))


def table(name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(co2_tables) / f"{name}.parquet")


metrics = json.loads(Path(co2_metrics).read_text(encoding="utf-8"))
intensity = table("intensity")
sectors = intensity[["sector_code", "sector_name"]].drop_duplicates().sort_values("sector_code")
by_sector = table("emissions_by_sector").merge(sectors, on="sector_code", how="left")
latest = metrics["latest_fiscal_year"]
sector_latest = by_sector[by_sector["fiscal_year"] == latest].groupby("sector_name", as_index=False)["t_co2"].sum()
yoy = table("weather_normalised_yoy")
city_yoy = yoy.groupby("fiscal_year", as_index=False)[["t_co2", "t_co2_normalised"]].sum()
options = co2_options(table("scenarios_city"), table("scenarios_city_adjusted"))
decision = co2_decision(metrics, options)
show(b.decision_block(decision["question"], decision["finding"], options,
                      {"label": "対策", "capex_oku": "初期費用 (億円)", "yearly_man": "年間の光熱費の増減 (万円/年)",
                       "t_co2": "削減量 (t-CO2/年、基礎)", "t_co2_adjusted": "削減量 (調整後)",
                       "capex_per_t_man": "年 1 t 減らす初期費用 (万円)", "payback_text": "初期費用の回収"},
                      decision["uncertainty"], decision["decider"], decision["next_step"],
                      {"capex_oku": lambda v: b.fmt_num(v, 1), "yearly_man": lambda v: f"{v:+,.0f}",
                       "t_co2": b.fmt_int, "t_co2_adjusted": b.fmt_int,
                       "capex_per_t_man": lambda v: "—" if pd.isna(v) else b.fmt_num(v, 1)}))
show(b.summary_block("この報告の要点", co2_findings(metrics, city_yoy, sector_latest),
                     lead="データのある対象事業所のエネルギー使用量から CO2 排出量を計算し、CalTRACK 方式の"
                          "ベースラインで削減量を測り、削減策を試算しました。数値は対象事業所の合計で、"
                          "古賀市全体の排出量 (環境省 自治体排出量カルテ) ではありません。"))

# %% [markdown]
# ## 1. 対象事業所の合計と業種別の排出量
# Scope 1 は燃料を燃やした直接の排出、Scope 2 は使った電気の発電に伴う排出です。
# 電気の排出係数は事業所ごとの供給事業者・メニューの公表値で、ある年度の排出量には前年度実績の係数を使います
# (九州電力の案内による)。出典のある係数は表 1-3 のとおりで、ほかの年度の係数は流用していません。

# %%
scope_fy = by_sector.groupby(["fiscal_year", "scope"])["t_co2"].sum().unstack("scope").fillna(0.0)
scope_fy = scope_fy.rename(columns={1: "scope1", 2: "scope2"}).reset_index()
scope_fy["total"] = scope_fy[["scope1", "scope2"]].sum(axis=1)
show(b.table_block(scope_fy, {"fiscal_year": "年度", "scope1": "Scope 1 (t-CO2)", "scope2": "Scope 2 (t-CO2)",
                              "total": "合計 (t-CO2)"},
                   {"scope1": b.fmt_int, "scope2": b.fmt_int, "total": b.fmt_int},
                   caption=f"表 1-1 年度別の排出量 (対象事業所の合計、各年度とも {latest} 年度の排出係数で換算)"))
city_monthly = table("emissions_city_monthly")
# the figure is drawn by the co2 stage from the monthly sums; its yearly totals must be table 1-1's
check_agree(city_monthly.groupby(fiscal_year_of(city_monthly["year_month"]))["t_co2"].sum(),
            scope_fy.set_index("fiscal_year")["total"], "図 1-1", "表 1-1", "年度の排出量 (t-CO2)", rel_tol=1e-4)
show(b.figure_block(Path(co2_figures) / "city_monthly_emissions.png", "図 1-1 対象事業所の合計の月別排出量",
                    alt.co2_monthly(city_monthly, FUEL_LABELS)))
sector_table = sector_latest.assign(share=sector_latest["t_co2"] / sector_latest["t_co2"].sum())
sector_table = sector_table.merge(sectors, on="sector_name").sort_values("sector_code")
show(b.table_block(sector_table, {"sector_code": "業種コード", "sector_name": "業種", "t_co2": "排出量 (t-CO2)",
                                  "share": "割合"},
                   {"t_co2": b.fmt_int, "share": b.fmt_pct}, caption=f"表 1-2 業種別の排出量 ({latest} 年度、業種コード順)"))
factor_table = table("emission_factor_table")
BASIS_LABELS = {"basic": "基礎排出係数", "adjusted": "調整後排出係数", "old": "旧係数 (算定省令)", "new": "新係数 (算定省令)"}
URL = r"(https?://[^\s;,)]+)"
factor_view = factor_table.assign(
    fuel=factor_table["fuel"].map(FUEL_LABELS).fillna(factor_table["fuel"]),
    basis=factor_table["basis"].map(BASIS_LABELS).fillna(factor_table["basis"]),
    supplier=factor_table["supplier"].replace("", "—"),
    menu=factor_table["menu"].replace({"*": "全メニュー共通", "": "—"}),
    result_fiscal_year=factor_table["result_fiscal_year"].astype("string").fillna("—").replace({"<NA>": "—"}),
    factor=[f"{v:.6f} t-CO2/{u}" if u == "kWh" else f"{v:g} t-CO2/{u}"
            for v, u in zip(factor_table["factor"], factor_table["unit"], strict=True)],
    # the URL on its own line, broken anywhere, so that the table fits the page width
    source=factor_table["source"].str.replace(URL, "", regex=True).str.strip(" ;,"),
    url=factor_table["source"].str.extract(URL, expand=False).fillna("—"),
)
WIDTHS = (7, 6, 8, 9, 14, 13, 6, 22, 15)  # % of the page width per column: the source and URL get the most
show("<style>.co2-factors table{width:100%;table-layout:fixed}"
     ".co2-factors td,.co2-factors th{overflow-wrap:anywhere;white-space:normal}"
     ".co2-factors td:nth-child(9){word-break:break-all;font-size:.9em}"
     + "".join(f".co2-factors th:nth-child({i}){{width:{w}%}}" for i, w in enumerate(WIDTHS, start=1))
     + "</style><div class=\"co2-factors\">"
     + b.table_block(factor_view, {"fiscal_year": "排出量の年度", "fuel": "エネルギー", "supplier": "供給事業者",
                                   "menu": "メニュー", "basis": "区分", "factor": "排出係数",
                                   "result_fiscal_year": "係数の実績年度", "source": "出典", "url": "URL"},
                     caption="表 1-3 排出係数表 (電気は前年度実績の係数を翌年度の排出量に使う。"
                             "代替値と他の年度・事業者の係数は出典を確認できず未登録で、使いません)")
     + "</div>")
status = table("emission_factor_status")
if len(status):
    show(b.paragraph(f"電気の排出係数が係数表にない事業所が {status['business_id'].nunique()} あります"
                     f" (例: {status['factor_reason'].iloc[0]})。これらは合計に含めていません。"))

# %% [markdown]
# ## 2. 気象補正した推移
# 夏の暑さや冬の寒さで増減する分を、事業所・エネルギー源ごとの CalTRACK モデル (それぞれのバランス点の
# 冷房・暖房度日、対策のある事業所は対策の前後で別のモデル) で平年の気象に置き換えて比べます。
# 欠測月の補完と来年度の見通しも同じモデルによります。

# %%
show(b.figure_block(Path(co2_figures) / "city_weather_normalised_yoy.png",
                    "図 2-1 対象事業所の合計の排出量 (実績と気象補正後)", alt.co2_yoy(city_yoy)))
show(b.table_block(city_yoy, {"fiscal_year": "年度", "t_co2": "実績 (t-CO2)", "t_co2_normalised": "気象補正後 (t-CO2)"},
                   {"t_co2": b.fmt_int, "t_co2_normalised": b.fmt_int}, caption="表 2-1 年度別 実績と気象補正後"))
baseline = metrics["baseline"]
STATUS_LABELS = {"insufficient_baseline": "ベースライン期間のデータ不足", "weather_gap": "気象データの欠測",
                 "zero_use": "使用量 0"}
show(b.kv_block([
    ("方法", "CalTRACK 2.0 月別 (バランス点を事業所・エネルギー源ごとに探索、切片のみ/暖房/冷房/暖冷房から選択)"),
    ("ベースラインを作った系列", f"{b.fmt_int(baseline['models_fitted'])} / {b.fmt_int(baseline['meters'])} 系列"),
    ("作れなかった理由", "、".join(f"{STATUS_LABELS.get(k, k)} {v}" for k, v in baseline["status_counts"].items()
                                   if k != "fitted") or "なし"),
    ("精度基準 (CV(RMSE) 20% 以下、|NMBE| 0.5% 以下) を満たした系列", b.fmt_pct(baseline["models_pass_g14_share"])),
    ("CV(RMSE) の中央値", b.fmt_pct(baseline["median_cv_rmse"])),
    ("報告期間の予測検証に合格 (対策のない系列)", b.fmt_pct(baseline["reporting_check_pass_share"])),
    ("異常値として印を付けた月", f"{b.fmt_int(baseline['anomaly_months'])} か月"),
], caption="表 2-2 ベースラインの精度 (ASHRAE Guideline 14)"))

# %% [markdown]
# ## 3. 対策の削減量 (測定・検証)
# 対策実施月の前 12 か月をベースライン期間、後 12 か月を報告期間とし、ベースラインの予測と実績の差を
# 削減量としました。区間は ASHRAE Guideline 14 の FSU (残差の自己相関を考慮、90 %) です。

# %%
mv = table("mv_models")
MODEL_LABELS = {"intercept_only": "切片のみ", "hdd_only": "暖房", "cdd_only": "冷房", "hdd_cdd": "暖房+冷房"}
measured = mv[(mv["intervention_month"] != "") & (mv["status"] == "fitted")].sort_values(["business_id", "fuel"])
measured = measured.assign(fuel=measured["fuel"].map(FUEL_LABELS), model_type=measured["model_type"].map(MODEL_LABELS))
show(b.table_block(measured.head(15), {
    "business_id": "事業所", "fuel": "エネルギー", "intervention_month": "対策実施月", "model_type": "モデル",
    "heating_balance_point_c": "暖房バランス点 (℃)", "cooling_balance_point_c": "冷房バランス点 (℃)",
    "cv_rmse": "CV(RMSE)", "g14_reason": "Guideline 14", "savings": "削減量", "savings_half_width": "± (90%)",
    "avoided_t_co2": "回避排出量 (t-CO2)"},
    {"heating_balance_point_c": lambda v: b.fmt_num(v, 1), "cooling_balance_point_c": lambda v: b.fmt_num(v, 1),
     "cv_rmse": b.fmt_pct, "savings": b.fmt_int, "savings_half_width": b.fmt_int, "avoided_t_co2": b.fmt_num},
    caption=f"表 3-1 対策の削減量 (先頭 15 系列、全 {len(measured)} 系列は mv_models 表)"))

# %% [markdown]
# ## 4. 削減策の試算
# LED 化、屋根置き太陽光、燃料から電気ヒートポンプへの転換、再エネメニューの組み合わせを試算しました。
# 費用と削減率は params.yaml の仮定 (未確認の既定値を含む) に基づきます。再エネメニューは調整後排出係数でのみ
# 削減として数えられるため、基礎排出係数の表では 0 になります。

# %%
show(b.figure_block(Path(co2_figures) / "city_scenario_waterfall.png", "図 4-1 削減策ごとの削減量 (対象事業所の合計)",
                    alt.co2_waterfall(table("scenarios_city"))))
scen = table("scenarios_city").sort_values("order")
show(b.table_block(scen, {"label": "対策", "t_co2": "排出量の変化 (t-CO2/年)", "cost_yen_per_yr": "光熱費の変化 (円/年)",
                          "capex_yen": "初期費用 (円)"},
                   {"t_co2": b.fmt_int, "cost_yen_per_yr": b.fmt_int, "capex_yen": b.fmt_int},
                   caption="表 4-1 削減策の効果 (基礎排出係数、先頭行は現状)"))
scen_adj = table("scenarios_city_adjusted").sort_values("order")
show(b.table_block(scen_adj, {"label": "対策", "t_co2": "排出量の変化 (t-CO2/年)"}, {"t_co2": b.fmt_int},
                   caption="表 4-2 同じ対策を調整後排出係数で数えた場合"))

# %% [markdown]
# ## 5. 事業所別シート
# 事業所ごとの排出量・原単位・削減策のシートは、従業員数や床面積から事業所が分かることがあるため、
# この報告書には載せていません。各事業所にだけ、その事業所のシートを個別に渡します
# (作成: `kogadx report business-sheet --business 事業所ID`)。
