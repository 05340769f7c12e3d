# %% [markdown]
# # 09 評価と不確かさ — リーク、日ごとのばらつき、区間、モデルの比較 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - 予測を出す時点で分からない情報 (リーク) が、検証の数字をどれだけ良く見せるかを確かめられる
# - 検証する日によって誤差が大きく変わることを示し、短い検証期間の危うさを説明できる
# - 予測区間のカバー率 (実績が区間に入った割合) を計算し、名目の水準 (80 %) と比べられる
# - 2 つのモデルの差を、区間つきで比べて結論を書ける
#
# **ストーリー**
# 03 で作った需要予測を、運行会社に「このモデルの方がよい」と報告する前に、その数字がどこまで
# 信用できるかを確かめます。重いモデルは学習せず、計算の軽い 2 つの予測 (季節ナイーブ = 先週の同じ時刻、
# 移動平均 = 過去 4 週の同じ曜日・時刻の平均) を使って、評価そのものを学びます。

# %%
# %load_ext autoreload
# %autoreload 2

# %% tags=["parameters"]
HORIZON = 24  # 何時間先の予測か (前日の夕方に翌日を予測)
N_DAYS = 28  # 検証に使う日数 (最後の N_DAYS 日)

# %%
import numpy as np
import pandas as pd
from scipy import stats

from kogadx.demand.backtest import service_mask
from kogadx.demand.evaluation import paired_comparisons
from kogadx.demand.forecast import WEATHER_COLS, ForecastConfig, build_design, moving_average, seasonal_naive
from kogadx.demand.lags import panel_spec_from_params, prepare_panel
from kogadx.demand.metrics import point_metrics
from kogadx.demand.params import ForecastParams
from kogadx.params import load_params
from kogadx.pbl import checks, data
from kogadx.plotting import setup

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 検証の期間と 2 つの予測
# 03 と同じ関数でパネルを整え、天気は予測を出す時点で分かる値 (persistence) にします。
# 検証は、予約が 1 件以上あった日のうち最後の `N_DAYS` 日の、運行している時間 (夜間など運休の
# 時間は予約が必ず 0 件なので、採点に入れると誤差が小さく見えます) です。

# %%
params = load_params(ForecastParams)
config = ForecastConfig.from_params(params)
panel_raw = data.load_demand_panel()
prepared = prepare_panel(panel_raw, panel_spec_from_params(params, list(panel_raw.columns), "demand_panel"))
design = build_design(prepared, HORIZON, issue_time_cols=WEATHER_COLS, country=config.calendar)
frame = design.frame
day = frame["ds"].dt.floor("D")
daily_total = frame.groupby(day)["y"].sum()
test_days = daily_total[daily_total > 0].index[-N_DAYS:]
test = (day.isin(test_days) & frame["y"].notna()).to_numpy() & service_mask(prepared, frame)
predictions = {
    "seasonal_naive": seasonal_naive(frame, HORIZON, "h")[test].fillna(0).to_numpy(),
    "moving_average": moving_average(design)[test].fillna(0).to_numpy(),
}
scored = frame.loc[test, ["unique_id", "ds", "y"]].reset_index(drop=True)
print(f"検証: {test_days[0]:%Y-%m-%d} 〜 {test_days[-1]:%Y-%m-%d} ({len(test_days)} 日, {len(scored):,} 行)")

# %% [markdown]
# ## 2. リーク: 予測の時点で分からない値を使うと
# 翌日の予測を前日の夕方に出すとき、「1 時間前の予約件数」はまだ分かりません。
# それを使った「予測」を同じ方法で採点してみます。
#
# **予想してから実行しよう**: 1 時間前の件数を使った予測の WAPE は、季節ナイーブより良い？悪い？

# %%
leaky = frame.groupby("unique_id", observed=True)["y"].shift(1)[test].fillna(0).to_numpy()
pd.DataFrame({name: point_metrics(scored["y"].to_numpy(), pred) for name, pred in
              {**predictions, "1 時間前 (リーク)": leaky}.items()}).T[["wape", "mae"]].round(3)

# %% [markdown]
# 「1 時間前」の数字は運用では手に入りません。検証の数字が良く見えても、それは検証の作り方の誤り
# (リーク) です。03 の天気 (観測値 vs 起点で分かる値) と同じ構造です。
#
# ## 3. 日によって誤差はどれだけ変わるか
# **演習 1.** `ds` (時刻)、`y` (実績)、`yhat` (予測) の列を持つ表を受け取り、日ごとの WAPE
# (その日の |予測 − 実績| の合計 ÷ その日の実績の合計) を、日を index とする Series で返す関数
# `daily_wape` を書いてください。チェックは自分で作った別の表でも確かめます。

# %%
def daily_wape(scored):
    day = scored["ds"].dt.floor("D")
    return (scored["yhat"] - scored["y"]).abs().groupby(day).sum() / scored["y"].groupby(day).sum()


assert checks.check_daily_wape(daily_wape, scored.assign(yhat=predictions["seasonal_naive"]))

# %%
by_day = pd.DataFrame({
    name: (scored.assign(yhat=pred, ae=lambda d: (d["yhat"] - d["y"]).abs())
           .groupby(scored["ds"].dt.floor("D")).pipe(lambda g: g["ae"].sum() / g["y"].sum()))
    for name, pred in predictions.items()
})
fig, ax = plt.subplots()
by_day.plot(ax=ax, marker="o")
ax.set_ylabel("日ごとの WAPE")
ax.set_title("検証日ごとの誤差 (日によって大きく変わる)")
plt.show()
by_day.describe().loc[["mean", "std", "min", "max"]].round(3)

# %% [markdown]
# 4 日だけで比べていたら、結論はどの 4 日を選んだかで変わります。連続する 4 日ごとの
# 「移動平均 − 季節ナイーブ」の差を並べると、その幅が分かります。

# %%
diff = (by_day["moving_average"] - by_day["seasonal_naive"]).dropna()
four_day = diff.rolling(4).mean().dropna()
print(f"4 日ごとの差: 最小 {four_day.min():+.3f}, 最大 {four_day.max():+.3f} (全 {len(diff)} 日の平均 {diff.mean():+.3f})")

# %% [markdown]
# ## 4. 予測区間とカバー率
# 件数はポアソン分布に近いと考え、移動平均を平均とする 80 % 区間 (下 10 %〜上 90 %) を作ります。
# 区間に実績が入った割合 (カバー率) が 80 % に近ければ、区間の幅が適切です。
#
# **演習 2.** 実績 `y`、区間の下端 `lower`、上端 `upper` を受け取り、カバー率 (区間の端ちょうども
# 「入った」と数える) を返す関数 `coverage` を書いてください。

# %%
mu = predictions["moving_average"]
lower, upper = stats.poisson.ppf(0.1, mu), stats.poisson.ppf(0.9, mu)


def coverage(y, lower, upper):
    return float(np.mean((y >= lower) & (y <= upper)))


assert checks.check_coverage(coverage, scored["y"].to_numpy(), lower, upper)

# %% [markdown]
# **予想してから実行しよう**: 件数のばらつきが日によって違う (天気・行事) なら、ポアソンの区間の
# カバー率は 80 % より上？下？ パイプラインは区間を検証データで較正しています。その結果と比べます。

# %%
inside = (scored["y"].to_numpy() >= lower) & (scored["y"].to_numpy() <= upper)
print(f"ポアソン 80 % 区間のカバー率: {inside.mean():.3f} (名目 0.80)")
pipeline_interval = data.load_metrics("demand")["backtest"][f"h{HORIZON}"]["lightgbm"].get("interval", {})
{key: pipeline_interval.get(key) for key in ("nominal", "coverage", "min_band_coverage", "folds")}

# %% [markdown]
# ## 5. 2 つのモデルを区間つきで比べる
# 日をまとめて選び直すブロック・ブートストラップ (パイプラインと同じ関数) で、
# 「移動平均 − 季節ナイーブ」の WAPE の差の 95 % 区間を出します。

# %%
by_fold = pd.concat([scored.assign(fold=scored["ds"].dt.floor("D").rank(method="dense").astype(int),
                                   model=name, yhat=pred) for name, pred in predictions.items()],
                    ignore_index=True)
mine = pd.DataFrame(paired_comparisons(by_fold, seed=config.seed, reference="moving_average")).T
mine[["wape_diff", "ci95_low", "ci95_high", "excludes_zero", "origins"]]

# %% [markdown]
# パイプラインの `forecast` ステージは、同じ方法で LightGBM と各モデルを比べています
# (`metrics/demand.json` の `comparison`)。

# %%
pd.DataFrame(data.load_metrics("demand")["comparison"][f"h{HORIZON}"]).T[
    ["wape_diff", "ci95_low", "ci95_high", "excludes_zero", "origins"]].round(3)

# %% [markdown]
# ## ふりかえり
# (2〜3 文で。教員用パッケージに評価の観点があります)
# - 2 の「1 時間前」の予測のように、検証の数字だけが良くなる作り方をほかに 1 つ挙げ、どう防ぐかを書いてください。
# - 4 日の検証で「移動平均の方がよい」と報告された場合、あなたなら何と返事をしますか？ 3 と 5 の結果を使って。
# - カバー率が名目の 80 % より低い区間を使うと、車両の計画でどんな失敗が起きますか？
