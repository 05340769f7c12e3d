# %% [markdown]
# # 05 CO2 の見える化とベースライン 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - 使用量 (kWh, L, m3, kg) と排出係数から CO2 排出量 (t-CO2) を計算できる (単位の換算を含む)
# - 度日 (CDD/HDD) を使って「天気の影響」を取り除くベースライン回帰を作れる
# - ベースラインの当てはまりを CV(RMSE) で評価し、その意味を説明できる
#
# **ストーリー**
# 古賀市は GX×DX の取り組みとして、市内の事業所と一緒に CO2 削減を進めています。
# ある事業所の今年の電気使用量が去年より 5 % 減りました。省エネの成果でしょうか？
# それとも、単に夏が涼しかっただけでしょうか？ 天気の影響を除いた「ベースライン」と比べれば分かります。

# %%
# %load_ext autoreload
# %autoreload 2

# %% tags=["parameters"]
FISCAL_YEAR = 2023  # 排出係数の年度
EXAMPLE_MONTH = "2023-08"  # 度日を確かめる月

# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from kogadx.energy.factors import load_emission_factors, select_emission_factors
from kogadx.energy.schema import FUEL_LABELS
from kogadx.energy.weather import degree_days
from kogadx.energy.params import Co2Params
from kogadx.params import load_params
from kogadx.pbl import checks, data
from kogadx.plotting import setup

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 排出係数
# 排出係数は「1 単位使うと何 t の CO2 が出るか」です。電力は電力会社 (九州電力) ・年度ごとに違い、
# 燃料は省令で決まっています。係数はコードに直接書かず、出典つきの表 (データ) として管理しています。

# %%
factor_table = load_emission_factors()
factors = select_emission_factors(factor_table, FISCAL_YEAR, electricity_basis="basic")
factors.assign(燃料=factors["fuel"].map(FUEL_LABELS))[["燃料", "unit", "factor", "basis", "fiscal_year", "source"]]

# %% [markdown]
# 計算式: **t-CO2 = 使用量 (係数の単位に換算) × 係数**。電力は kWh のまま、灯油は L → kL (÷1000)、
# 都市ガスは m3 → 千m3 (÷1000)、LPG は kg → t (÷1000) に直します。
#
# **演習 1.** 使用量 `amount` (元の単位: kWh・m3・kg・L)、燃料 `fuel` (例: `"kerosene"`)、上の係数表
# `factors` を受け取り、排出量 (t-CO2) を返す関数 `t_co2` を書いてください。チェックは表にある
# すべての燃料について、自分で選んだ使用量で確かめます。
#
# **予想してから実行しよう**: 灯油 2,000 L はおよそ何 t-CO2？ (桁だけでよい)

# %%
def t_co2(amount, fuel, factors):
    row = factors.set_index("fuel").loc[fuel]
    # kWh stays kWh; L → kL, m3 → 千m3, kg → t (the factor table's units)
    per_factor_unit = 1.0 if row["unit"] == "kWh" else 1000.0
    return amount / per_factor_unit * float(row["factor"])


assert checks.check_emissions(t_co2, factors)
print(f"灯油 2,000 L = {t_co2(2000, 'kerosene', factors):.2f} t-CO2")

# %% [markdown]
# ## 2. 度日 (どにち)
# 冷房度日 CDD = Σ max(0, 日平均気温 − 22 ℃)、暖房度日 HDD = Σ max(0, 14 ℃ − 日平均気温) を月ごとに足したものです。
# 暑い月ほど CDD が、寒い月ほど HDD が大きくなります。基準温度は params (`co2.degree_days`) で変えられます。

# %%
co2_params = load_params(Co2Params)
base = co2_params.degree_days
weather = data.load_weather()
weather.head()

# %% [markdown]
# **演習 2.** 毎時の気象表 `weather` (列 `time`, `temperature_c`)、月 `year_month` ("YYYY-MM")、
# 基準温度 2 つを受け取り、その月の (CDD, HDD) を返す関数 `degree_days_of` を書いてください。
# まず日平均気温を作り、基準温度との差をとります (ライブラリの `degree_days` は使わずに)。チェックは自分で作った別の小さな表でもその関数を試すので、表示された数字を写しても正解になりません。

# %%
def degree_days_of(weather, year_month, base_cooling, base_heating):
    daily_temp = weather.groupby(weather["time"].dt.floor("D"))["temperature_c"].mean()
    month_temp = daily_temp[daily_temp.index.strftime("%Y-%m") == year_month]
    cdd = float((month_temp - base_cooling).clip(lower=0).sum())
    hdd = float((base_heating - month_temp).clip(lower=0).sum())
    return cdd, hdd


assert checks.check_degree_days(degree_days_of, weather, EXAMPLE_MONTH,
                                base_cooling=base.base_cooling_c, base_heating=base.base_heating_c)

# %%
dd = degree_days(weather, base.base_cooling_c, base.base_heating_c)
fig, ax = plt.subplots()
ax.bar(dd["year_month"], dd["cdd"], label="冷房度日 CDD", color="#c23b3b")
ax.bar(dd["year_month"], -dd["hdd"], label="暖房度日 HDD (下向き)", color="#1f5fa8")
ax.set_xticks(dd["year_month"][::6])
ax.set_ylabel("℃・日")
ax.set_title("月ごとの度日")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. ベースライン回帰
# 月の使用量を **E = b0 + b1・稼働日数 + b2・CDD + b3・HDD** で表します (IPMVP Option C)。
# `co2` ステージは事業所 × 燃料ごとにこの式を当てはめています。その結果を読んで、
# 1 つの事業所の電力を自分でも当てはめてみます。

# %%
predictions = data.load_co2_table("baseline_predictions")
models = data.load_co2_table("baseline_models")
business_id = co2_params.figures.example_business_id or sorted(models["business_id"])[0]
one = predictions[(predictions["business_id"] == business_id) & (predictions["fuel"] == "electricity")]
fit_rows = one[one["status"].isin(["ok", "corrected"]) & one["actual"].notna()]
print(business_id, "の電力:", len(fit_rows), "か月で当てはめ")

# %%
X = fit_rows[["operating_days", "cdd", "hdd"]].to_numpy()
y = fit_rows["actual"].to_numpy()
my_model = LinearRegression().fit(X, y)
mine = pd.Series([my_model.intercept_, *my_model.coef_], index=["intercept", "per_operating_day", "cdd_coef", "hdd_coef"])
pipeline = models.set_index(["business_id", "fuel"]).loc[(business_id, "electricity"), mine.index]
pd.DataFrame({"自分の当てはめ": mine, "パイプライン": pipeline.astype(float)}).round(2)

# %% [markdown]
# **演習 3.** ASHRAE Guideline 14 の CV(RMSE) = √(Σ(y − ŷ)² / (n − p)) ÷ ȳ を返す関数
# `cv_rmse(y, y_hat, n_params)` を書いてください (p = 推定したパラメータの数。ここでは 4)。
# チェックは `y` と自分のモデルの予測 `my_model.predict(X)`、それに別の系列で確かめます。
# 15 % 以下なら「ベースラインとして使える」とされます。

# %%
def cv_rmse(y, y_hat, n_params):
    residual = np.asarray(y) - np.asarray(y_hat)
    return float(np.sqrt(np.sum(residual**2) / (len(y) - n_params)) / np.mean(y))


assert checks.check_cv_rmse(cv_rmse, y, my_model.predict(X), n_params=4)

# %%
fig, ax = plt.subplots()
ax.plot(one["year_month"], one["actual"], marker="o", label="実績")
ax.plot(one["year_month"], one["predicted"], label="ベースライン (天気と稼働日から予測)")
ax.set_xticks(one["year_month"].iloc[::6])
ax.set_ylabel("kWh/月")
ax.set_title(f"{business_id} の電力使用量とベースライン")
ax.legend()
plt.show()

# %% [markdown]
# パイプラインは、天気を平年並みにそろえた排出量 (気象補正) も出しています。

# %%
data.load_co2_table("weather_normalised_yoy").groupby("fiscal_year")[["t_co2", "t_co2_normalised"]].sum().round(1)

# %% [markdown]
# ## ふりかえり
# - 電力の排出係数を基礎排出係数から調整後排出係数に変えると、結果はどう変わりますか？どちらを使うべき場面は？
# - 「去年より 5 % 減った」が省エネの成果かどうかを、ベースラインを使ってどう判断しますか？
# - CV(RMSE) が大きい事業所では、何が起きている可能性がありますか？ (工事、設備の更新、メーターの交換 …)
