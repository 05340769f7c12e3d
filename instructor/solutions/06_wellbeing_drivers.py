# %% [markdown]
# # 06 ウェルビーイングの要因 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - アンケートの回答者の偏りを、ウエイト (レイキング) で補正する理由を説明できる
# - 重み付き平均と実効サンプルサイズを計算できる
# - 「幸福度を高めている要因」の推定に不確かさ (信頼区間) を付けて、正直に伝えられる
#
# **ストーリー**
# 古賀市は「地域幸福度 (Well-Being) 指標」のアンケートを行いました。回答してくれたのは
# 高齢の方が多く、若い世代は少なめです。そのまま平均すると、市全体の姿とずれてしまいます。
# さらに市は「移動・交通の満足度を上げると幸福度が上がるのか？」を知りたがっています。
# のるーと古賀の評価にもつながる問いですが、アンケートだけで言えることには限りがあります。
#
# > 指標の発行元は「市町村の順位付けに使わないで」と求めています。ここでも地区の順位付けはしません。

# %%
# %load_ext autoreload
# %autoreload 2

# %%
import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, cross_val_score

from kogadx.params import load_params
from kogadx.wellbeing.params import WellbeingParams
from kogadx.pbl import checks, data
from kogadx.plotting import setup
from kogadx.wellbeing.categories import CATEGORY_KEYS, INDICATOR_LABELS
from kogadx.wellbeing.data import standardize_survey
from kogadx.wellbeing.districts import assign_districts
from kogadx.wellbeing.drivers import linear_pipeline

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 回答とウエイト
# パイプラインと同じ関数で、回答を数値に直します (無回答は NaN)。幸福度は 0〜10、各分野は 1〜5 です。
# `wellbeing` ステージは、住民データ (成人) の「年齢 × 性別」と「地区 × 年齢」の人数に合うように、
# 回答者ごとのウエイトを計算しています (レイキング。回答者が少なすぎる地区 × 年齢のセルは、
# 隣の年齢階級とまとめてから合わせます)。

# %%
params = load_params(WellbeingParams)
towns = assign_districts(data.load_towns(), params.district_grouping)
respondents = standardize_survey(data.load_survey(), towns, list(params.age_edges))
weights = data.load_wellbeing_table("survey_weights")
respondents = respondents.merge(weights[["person_id", "weight"]], on="person_id", how="left", validate="one_to_one")
print(f"回答者 {len(respondents)} 人")
respondents[["district", "age_group", "sex", "happiness", "mobility", "weight"]].head()

# %%
share = pd.DataFrame({
    "回答者の割合": respondents["age_group"].value_counts(normalize=True),
    "ウエイト後の割合": respondents.groupby("age_group", observed=True)["weight"].sum() / respondents["weight"].sum(),
}).sort_index()
share.plot.bar(title="年齢階級の構成: 回答者そのまま vs ウエイト後")
plt.show()

# %% [markdown]
# **演習 1.** 回答 `values` とウエイト `weights` (同じ長さの Series) を受け取り、**重み付き平均**を
# 返す関数 `weighted_mean` を書いてください。無回答 (NaN) の人は除きます。チェックは市全体の
# 幸福度 (`happiness`) と、自分で作った別の回答で確かめます。
#
# **予想してから実行しよう**: 重み付き平均は、重みなしの平均より上がる？下がる？ (上の図がヒント)

# %%
def weighted_mean(values, weights):
    answered = values.notna()
    return float((values[answered] * weights[answered]).sum() / weights[answered].sum())


assert checks.check_weighted_mean(weighted_mean, respondents["happiness"], respondents["weight"])

# %% [markdown]
# ウエイトがばらつくと、推定の精度は「回答者数ぶん」より落ちます。その目安が
# Kish の **実効サンプルサイズ** n_eff = (Σw)² ÷ Σw² です。
#
# **演習 2.** ウエイト `weights` を受け取り、n_eff を返す関数 `n_eff` を書いてください
# (チェックは `respondents["weight"]` と別のウエイトで確かめます)。

# %%
def n_eff(weights):
    return float(weights.sum() ** 2 / (weights**2).sum())


assert checks.check_effective_sample_size(n_eff, respondents["weight"])

# %% [markdown]
# ## 2. 地区ごとの推定と不確かさ
# 回答者が少ない地区の平均 (直接推定) は大きくぶれます。パイプラインは、直接推定の区間 (95 %、
# 回答者を選び直して毎回ウエイトを付け直すブートストラップ) と、**小地域推定 (Fay–Herriot モデル)**
# の両方を出しています。Fay–Herriot は、地区の直接推定を「住民台帳から分かる地区の属性 (年齢構成など)
# による予測」へ引き寄せます。直接推定の不確かさが大きい (回答者が少ない) 地区ほど強く引き寄せ、
# その割合が `shrinkage` (0 = 直接推定のまま、1 = 予測そのもの) です。公表する値は `mean_eb` です。

# %%
indicators = data.load_wellbeing_table("district_indicators")
happy = indicators[indicators["indicator"] == "happiness"]
happy[["district", "n", "n_eff", "mean", "ci_low", "ci_high", "mean_eb", "ci_low_eb", "ci_high_eb",
       "shrinkage"]].round(2).head(12)

# %% [markdown]
# ## 3. 幸福度の要因 (ドライバー分析)
# 24 分野の満足度から幸福度を予測するリッジ回帰 (パイプラインと同じ設定) を、交差検証で評価します。
# まず「どれくらい説明できるのか」(R²) を確かめます。説明力が低いモデルの係数を強く解釈してはいけません。

# %%
d = params.drivers
alphas = np.logspace(d.alpha_log10_min, d.alpha_log10_max, d.n_alphas)
rows = respondents["happiness"].notna()
X, y = respondents.loc[rows, list(CATEGORY_KEYS)], respondents.loc[rows, "happiness"]
model = linear_pipeline("ridge", params.seed, alphas)
scores = cross_val_score(model, X, y, cv=KFold(5, shuffle=True, random_state=params.seed), scoring="r2")
print(f"交差検証 R² = {scores.mean():.2f} (±{scores.std():.2f})")

# %% [markdown]
# パイプラインは、係数の区間をブートストラップ (回答者を復元抽出して何度も当てはめ直す) で求めています。
# 区間が 0 をまたぐ分野は、「影響がある」とは言えません。

# %%
importance = data.load_wellbeing_table("driver_importance").sort_values("coef_std")
fig, ax = plt.subplots(figsize=(7, 8))
ax.errorbar(importance["coef_std"], importance["item_label"],
            xerr=[importance["coef_std"] - importance["coef_ci_low"], importance["coef_ci_high"] - importance["coef_std"]],
            fmt="o", capsize=2)
ax.axvline(0, color="gray", linewidth=1)
ax.set_xlabel("標準化係数 (95 % 区間)")
ax.set_title("幸福度と各分野の満足度の関係 (相関であって因果ではない)")
plt.show()

# %%
mobility = importance.set_index("item").loc["mobility"]
print(f"{INDICATOR_LABELS['mobility']}: 係数 {mobility['coef_std']:.3f}, "
      f"95% 区間 [{mobility['coef_ci_low']:.3f}, {mobility['coef_ci_high']:.3f}]")

# %% [markdown]
# ## ふりかえり
# - ウエイトを付けると平均はどう変わりましたか？ 回答者の偏りはどちら向きでしたか？
# - 「移動・交通の満足度を上げれば幸福度が上がる」と言えますか？ 係数は相関であることを踏まえ、
#   市に伝える文章を 2〜3 文で書いてみましょう (区間と R² にも触れて)。
# - 回答者が数人しかいない地区の結果を、どう扱うのが誠実でしょうか？
