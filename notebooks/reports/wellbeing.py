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
# # 地域幸福度 (Well-Being) 調査レポート

# %% tags=["parameters"]
wellbeing_metrics = "metrics/wellbeing.json"
wellbeing_figures = "reports/figures/wellbeing"
wellbeing_tables = "data/features/wellbeing"
level = 0.95

# %%
import json
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from kogadx.reporting import blocks as b
from kogadx.reporting.findings import wellbeing_findings


def show(html: str) -> None:
    display(HTML(html))


def table(name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(wellbeing_tables) / f"{name}.parquet")


metrics = json.loads(Path(wellbeing_metrics).read_text(encoding="utf-8"))
indicators = table("district_indicators")
drivers = table("driver_importance")
city = indicators[indicators["district"] == "市全体"]
show(b.summary_block("この報告の要点", wellbeing_findings(metrics, city, drivers, level),
                     lead="住民アンケート (地域幸福度指標の設問) を、住民の構成に合わせて集計しました。"))
show(b.note_block("指標の作成者は、結果を地域や自治体の順位付けに使わないよう求めています。"
                  "この報告でも地区は名前の順に並べ、順位は付けていません。", kind="warn"))

# %% [markdown]
# ## 1. 地区別のプロファイル
# 各地区の平均点と区間です。回答者が少ない地区は区間が広く、市全体の値に寄せて推定しています。

# %%
summary = table("district_summary").sort_values("district")
pct = int(round(level * 100))
def ci_text(lo: float, hi: float) -> str:
    return "—" if pd.isna(lo) or pd.isna(hi) else f"{b.fmt_num(lo, 2)}〜{b.fmt_num(hi, 2)}"


summary["happiness_ci"] = [ci_text(lo, hi) for lo, hi in
                           zip(summary["happiness_ci_low_eb"], summary["happiness_ci_high_eb"], strict=True)]
summary["life_ci"] = [ci_text(lo, hi) for lo, hi in
                      zip(summary["life_satisfaction_ci_low_eb"], summary["life_satisfaction_ci_high_eb"], strict=True)]
show(b.table_block(summary, {"district": "地区", "n": "回答者", "happiness_mean_eb": "幸福度",
                             "happiness_ci": f"{pct}% 区間", "life_satisfaction_mean_eb": "生活満足度",
                             "life_ci": f"{pct}% 区間"},
                   {"n": b.fmt_int, "happiness_mean_eb": lambda v: b.fmt_num(v, 2),
                    "life_satisfaction_mean_eb": lambda v: b.fmt_num(v, 2)},
                   caption="表 1-1 地区別の幸福度と生活満足度 (0〜10 点、地区名順)"))
if metrics.get("n_districts_withheld"):
    withheld = summary.loc[summary["withheld"].astype(bool), "district"].tolist()
    show(b.note_block(f"回答者が {b.fmt_int(metrics['min_district_n'])} 人未満の地区 ({'、'.join(withheld)}) は、"
                      "少人数の回答が推測されないよう、平均と区間を載せていません (表は「—」、地図は灰色の斜線)。"))
for name, caption in [("district_profile", "図 1-1 地区のプロファイル (区間つき)"),
                      ("district_profile_heatmap", "図 1-2 地区 × 分野の平均 (市全体との差)"),
                      ("map_happiness", "図 1-3 地区別の幸福度 (地図)"),
                      ("map_life_satisfaction", "図 1-4 地区別の生活満足度 (地図)"),
                      ("map_mobility", "図 1-5 地区別の「移動・交通」(地図)")]:
    show(b.figure_block(Path(wellbeing_figures) / f"{name}.png", caption))

# %% [markdown]
# ## 2. 幸福度と関係が強い分野 (要因)
# 24 分野の回答から幸福度を説明するモデルを作り、分野ごとの関係の強さを区間つきで示します。
# 関係の強さは因果を示すものではありません。

# %%
show(b.figure_block(Path(wellbeing_figures) / "drivers.png", "図 2-1 幸福度と各分野の関係の強さ"))
drv = drivers.sort_values("rank_linear")
drv["ci"] = [f"{b.fmt_num(lo, 3)}〜{b.fmt_num(hi, 3)}" for lo, hi in zip(drv["coef_ci_low"], drv["coef_ci_high"], strict=True)]
show(b.table_block(drv, {"item_label": "分野", "coef_std": "標準化係数", "ci": f"{pct}% 区間",
                         "perm_importance": "並べ替え重要度"},
                   {"coef_std": lambda v: b.fmt_num(v, 3), "perm_importance": lambda v: b.fmt_num(v, 4)},
                   caption="表 2-1 分野ごとの関係の強さ (係数の大きい順)"))
cv = metrics["drivers"]["cv"]
show(b.kv_block([(f"{name} の決定係数 R² (交差検証)", f"{b.fmt_num(v['r2_mean'], 3)} ± {b.fmt_num(v['r2_sd'], 3)}")
                 for name, v in sorted(cv.items())], caption="表 2-2 モデルの説明力"))

# %% [markdown]
# ## 3. 客観指標
# オープンデータや住民基本台帳から作った地区の客観的な指標です (地区名順)。

# %%
objective = table("district_objective").sort_values("district")
show(b.table_block(objective, {"district": "地区", "population": "人口", "share_65plus": "65 歳以上の割合",
                               "density_per_km2": "人口密度 (人/km²)", "dist_stop_m": "最寄りの停留所・駅まで (m)"},
                   {"population": b.fmt_int, "share_65plus": b.fmt_pct, "density_per_km2": b.fmt_int,
                    "dist_stop_m": b.fmt_int}, caption="表 3-1 地区の客観指標"))

# %% [markdown]
# ## 4. 集計の方法
# 回答者の年齢・性別・地区の構成を住民基本台帳に合わせる重み付け (レイキング) を行いました。

# %%
rk = metrics["raking"]
show(b.kv_block([
    ("回答者数", f"{b.fmt_int(metrics['n_respondents'])} 人"),
    ("地区数 (回答者のいない地区)", f"{b.fmt_int(metrics['n_districts'])} ({b.fmt_int(metrics['n_districts_without_respondents'])})"),
    ("重み付けの収束", f"{'収束' if rk['converged'] else '未収束'} ({rk['iterations']} 回)"),
    ("重みの最大値 (平均の何倍か)", b.fmt_num(rk["max_weight_over_mean"], 2)),
    ("デザイン効果 (Kish)", b.fmt_num(rk["kish_deff"], 2)),
    ("重み付け前の市全体の幸福度", b.fmt_num(metrics["happiness"]["city_mean_unweighted"], 2)),
    ("重み付け後の市全体の幸福度", b.fmt_num(metrics["happiness"]["city_mean_weighted"], 2)),
], caption="表 4-1 重み付けの結果"))
