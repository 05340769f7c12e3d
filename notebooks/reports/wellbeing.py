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
from statistics import NormalDist

import pandas as pd
from IPython.display import HTML, display

from kogadx.reporting import alt
from kogadx.reporting import blocks as b
from kogadx.reporting.consistency import check_agree
from kogadx.reporting.findings import wellbeing_decision, wellbeing_findings, wellbeing_options
from kogadx.wellbeing.categories import CATEGORY_KEYS, INDICATOR_LABELS
from kogadx.wellbeing.compare import city_comparison, class_counts


def show(html: str) -> None:
    display(HTML(html))


def table(name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(wellbeing_tables) / f"{name}.parquet")


metrics = json.loads(Path(wellbeing_metrics).read_text(encoding="utf-8"))
indicators = table("district_indicators")
drivers = table("driver_importance")
city = indicators[indicators["district"] == "市全体"]
summary_table = table("district_summary")
decision = wellbeing_decision(metrics, summary_table, level)
rate = (metrics.get("sensitivity") or {}).get("response_rate", 0.35)
show(b.decision_block(decision["question"], decision["finding"], wellbeing_options(summary_table, response_rate=rate),
                      {"option": "選択肢", "needs": "必要なもの", "gives": "得られるもの"},
                      decision["uncertainty"], decision["decider"], decision["next_step"]))
show(b.summary_block("この報告の要点", wellbeing_findings(metrics, city, drivers, level),
                     lead="住民アンケート (地域幸福度指標の設問) を、住民の構成に合わせて集計しました。"))
show(b.note_block("指標の作成者は、結果を地域や自治体の順位付けに使わないよう求めています。"
                  "この報告でも地区は名前の順に並べ、順位は付けていません。", kind="warn"))

# %% [markdown]
# ## 1. 地区別のプロファイル
# 各地区の平均点と区間です。回答者が少ない地区の値は、その地区の回答だけでなく、
# 地区の客観指標 (65 歳以上の割合、人口密度、停留所・駅までの距離) から予想される値も使って推定しています
# (小地域推定、Fay–Herriot モデル)。回答者が多い地区ほど、その地区の回答そのものに近い値になります。

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
                   caption="表 1-1 地区別の幸福度と生活満足度 (0〜10 点、小地域推定、地区名順)"))
if metrics.get("n_districts_withheld"):
    withheld = summary.loc[summary["withheld"].astype(bool), "district"].tolist()
    show(b.note_block(f"回答者が {b.fmt_int(metrics['min_district_n'])} 人未満の地区 ({'、'.join(withheld)}) は、"
                      "少人数の回答が推測されないよう、平均と区間を載せていません (表は「—」、地図は灰色の斜線)。"))
for name, caption in [("district_profile", "図 1-1 地区のプロファイル (区間つき。例として選んだ地区のみで、選び方は params.yaml の "
                      "wellbeing.figures.profile_districts。全地区の比較は図 1-2)"),
                      ("district_profile_heatmap", "図 1-2 地区 × 分野の平均 (市全体との差)"),
                      ("map_happiness", "図 1-3 地区別の幸福度 (地図は区間が市全体の値より高い・含む・低いの 3 区分で、順位ではありません)"),
                      ("map_life_satisfaction", "図 1-4 地区別の生活満足度 (地図は市全体との比較の 3 区分)"),
                      ("map_mobility", "図 1-5 地区別の「移動・交通」(地図は市全体との比較の 3 区分)")]:
    if name == "district_profile":
        # the panel titles' n (drawn by the wellbeing stage) must be table 1-1's 回答者
        drawn = table("profile_figure").set_index("district")["n"]
        check_agree(drawn, summary.set_index("district")["n"], "図 1-1", "表 1-1", "回答者数")
    if name.startswith("map_"):
        indicator = name.removeprefix("map_")
        text = alt.wellbeing_map(class_counts(city_comparison(indicators, indicator)), INDICATOR_LABELS[indicator])
    elif name == "district_profile":
        categories = {k: INDICATOR_LABELS[k] for k in CATEGORY_KEYS}
        text = alt.wellbeing_profile(indicators, metrics.get("profile_districts", []), categories)
    else:
        text = alt.wellbeing_heatmap(indicators, {k: INDICATOR_LABELS[k] for k in CATEGORY_KEYS})
    show(b.figure_block(Path(wellbeing_figures) / f"{name}.png", caption, text))

# %% [markdown]
# ### 推定方法の比較 (幸福度)
# 同じ回答から、3 通りの方法で地区の幸福度を推定しました。「直接」はその地区の回答だけの重み付き平均、
# 「市全体に寄せる」は客観指標を使わずに市全体の水準へ寄せた値、「小地域推定」は表 1-1 の値です。
# 区間の幅は、重み付けをやり直しながら回答者を繰り返し抜き出す方法 (ブートストラップ) で求めました。

# %%
if "happiness_se" in summary.columns:
    cmp = summary.copy()
    z = NormalDist().inv_cdf(0.5 + level / 2)
    cmp["direct_ci"] = [ci_text(m - z * s, m + z * s) for m, s in zip(cmp["happiness_mean"], cmp["happiness_se"],
                                                                           strict=True)]
    show(b.table_block(cmp, {"district": "地区", "n": "回答者", "happiness_mean": "直接", "direct_ci": "直接の区間",
                             "happiness_mean_shrunk": "市全体に寄せる", "happiness_mean_eb": "小地域推定",
                             "happiness_ci": "小地域推定の区間"},
                       {"n": b.fmt_int, "happiness_mean": lambda v: b.fmt_num(v, 2),
                        "happiness_mean_shrunk": lambda v: b.fmt_num(v, 2),
                        "happiness_mean_eb": lambda v: b.fmt_num(v, 2)},
                       caption=f"表 1-2 地区別の幸福度: 推定方法の比較 ({pct}% 区間、地区名順)"))

# %% [markdown]
# ### 回答しなかった人の影響 (感度分析)
# 重み付けで直せるのは、年齢・性別・地区の偏りだけです。孤立している人やインターネットを使わない人、
# 幸福度の低い人ほど回答しにくい場合、その差は重み付けでは直りません。
# 回答しなかった人の幸福度が回答した人より低かったとすると、市全体の値がどれだけ変わるかを示します。

# %%
sens_path = Path(wellbeing_tables) / "nonresponse_sensitivity.parquet"
if sens_path.exists() and "sensitivity" in metrics:
    sens = pd.read_parquet(sens_path)
    rate = metrics["sensitivity"]["response_rate"]
    sens["delta_text"] = ["回答者と同じ" if d == 0 else f"{b.fmt_num(d, 2)} 点低い" for d in sens["delta"]]
    show(b.table_block(sens, {"delta_text": "回答しなかった人の幸福度", "mean": "市全体の幸福度", "shift": "変化"},
                       {"mean": lambda v: b.fmt_num(v, 2), "shift": lambda v: b.fmt_num(v, 2)},
                       caption=f"表 1-3 回答しなかった人 (約 {b.fmt_pct(1 - rate, 0)}) の幸福度を仮定したときの市全体の値"))
    low, high = float(sens["mean"].min()), float(sens["mean"].max())
    show(b.note_block(f"回答しなかった人が回答者より最大 {b.fmt_num(float(sens['delta'].max()), 2)} 点低いとすると、"
                      f"市全体の幸福度は {b.fmt_num(low, 2)}〜{b.fmt_num(high, 2)} 点の幅に入ります。"
                      "どの値が正しいかは、この調査だけでは分かりません。地区ごとの値も同じだけ下がり得ます。",
                      kind="warn"))

# %% [markdown]
# ## 2. 幸福度と関係が強い分野 (要因)
# 24 分野の回答から幸福度を説明するモデルを作り、分野ごとの関係の強さを区間つきで示します。
# 関係の強さは因果を示すものではありません (すべて「関連」です)。同じ人が同じ用紙で答えるため、
# 何でも前向きに答える人は、どの分野にも幸福度にも高い点を付けます。このため、幸福度と関係のない分野でも
# 関係があるように見えることがあります。ある分野を良くすれば幸福度が上がる、とは読まないでください。

# %%
show(b.figure_block(Path(wellbeing_figures) / "drivers.png", "図 2-1 幸福度と各分野の関係の強さ",
                    alt.wellbeing_drivers(drivers)))
drv = drivers.sort_values("rank_linear")
drv["ci"] = [f"{b.fmt_num(lo, 3)}〜{b.fmt_num(hi, 3)}" for lo, hi in zip(drv["coef_ci_low"], drv["coef_ci_high"], strict=True)]
drv["perm_ci"] = [f"{b.fmt_num(lo, 4)}〜{b.fmt_num(hi, 4)}" if pd.notna(lo) else "—" for lo, hi in
                  zip(drv.get("perm_ci_low", pd.Series(pd.NA, index=drv.index)),
                      drv.get("perm_ci_high", pd.Series(pd.NA, index=drv.index)), strict=True)]
show(b.table_block(drv, {"item_label": "分野", "coef_std": "標準化係数", "ci": f"{pct}% 区間",
                         "perm_importance": "並べ替え重要度 (決定木)", "perm_ci": f"{pct}% 区間"},
                   {"coef_std": lambda v: b.fmt_num(v, 3), "perm_importance": lambda v: b.fmt_num(v, 4)},
                   caption="表 2-1 分野ごとの関係の強さ (係数の大きい順)"))
cv = metrics["drivers"]["cv"]
model_names = {"linear_ridge": "線形モデル (リッジ回帰)", "linear_elasticnet": "線形モデル (Elastic Net)",
               "lightgbm": "決定木モデル (LightGBM)"}
show(b.kv_block([(f"{model_names.get(name, name)} の決定係数 R² (交差検証)",
                  f"{b.fmt_num(v['r2_mean'], 3)} ± {b.fmt_num(v['r2_sd'], 3)}")
                 for name, v in sorted(cv.items())], caption="表 2-2 モデルの説明力"))
if {"linear_ridge", "lightgbm"} <= set(cv):
    diff = cv["lightgbm"]["r2_mean"] - cv["linear_ridge"]["r2_mean"]
    noise = max(cv["lightgbm"]["r2_sd"], cv["linear_ridge"]["r2_sd"])  # fold-to-fold spread
    if abs(diff) < noise:
        verdict = f"交差検証では二つのモデルの説明力はほぼ同じでした (差 {b.fmt_num(abs(diff), 3)} は分割ごとのばらつき以下)。"
    else:
        better = "決定木モデル" if diff > 0 else "線形モデル"
        verdict = f"交差検証では{better}の説明力が高めでした (差 {b.fmt_num(abs(diff), 3)})。"
    show(b.note_block(verdict +
                      "決定木モデルは「健康が大きく損なわれると幸福度が急に下がる」のような非線形の関係や組み合わせの効果を"
                      "表せますが、どちらのモデルも回答どうしの関連を表すだけです。"
                      "並べ替え重要度の区間は、回答者を抜き出し直して計算したばらつきです。"))

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
# 回答者の構成を住民基本台帳に合わせる重み付け (レイキング) を行いました。合わせたのは「年齢層 × 性別」と
# 「地区 × 年齢層」の人数です。地区 × 年齢層で回答者が少ない組は、同じ地区の隣の年齢層とまとめてから合わせています。
# 区間は、回答者を抜き出し直すたびに重み付けをやり直す方法 (ブートストラップ) で求めました。

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
