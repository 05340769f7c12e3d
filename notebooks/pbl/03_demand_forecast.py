# %% [markdown]
# # 03 需要予測
#
# **学習目標**
# - 時系列の予測を「ベースライン → scikit-learn → LightGBM」の順に作り、比べられる
# - 時系列交差検証 (未来のデータで学習しない検証) と、リーク (情報の漏れ) を説明できる
# - 自分の実験を MLflow に記録し、あとから比べられるようにする
#
# **ストーリー**
# のるーと古賀の運行会社は、前日の夕方に翌日の運転手のシフトを決めます。
# 「明日の各ゾーン・各時間の予約は何件か」を予測できれば、足りない時間帯に車を増やせます。
# 予測の時点 (前日) では、明日の予約の実績はまだ分かりません。この「分からないものを使わない」が
# 時系列予測でいちばん大事な約束です。

# %%
# %load_ext autoreload
# %autoreload 2

# %% tags=["parameters"]
# 自分の名前 (ローマ字) にすると、MLflow の実験 "pbl-<名前>" に記録されます
STUDENT_NAME = "guest"
HORIZON = 24  # 何時間先まで予測するか (1 日)
N_SPLITS = 4  # 時系列交差検証の回数

# %%
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import TimeSeriesSplit

from kogadx.demand.forecast import ForecastConfig, build_design, fit_lightgbm, predict_lightgbm, seasonal_naive
from kogadx.demand.lags import panel_spec_from_params, prepare_panel
from kogadx.demand.metrics import point_metrics
from kogadx.demand.params import ForecastParams
from kogadx.params import load_params
from kogadx.pbl import checks, data
from kogadx.plotting import setup
from kogadx.tracking import start_run

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. パネルを予測用に整える
# `features` ステージのパネル (ゾーン × 1 時間) を、パイプラインと同じ関数で整えます。
# 列名は `unique_id` (ゾーン)、`ds` (時刻)、`y` (予約件数) になります。

# %%
params = load_params(ForecastParams)
panel_raw = data.load_demand_panel()
prepared = prepare_panel(panel_raw, panel_spec_from_params(params, list(panel_raw.columns), "demand_panel"))
design = build_design(prepared, HORIZON)
frame = design.frame
print(f"{frame['unique_id'].nunique()} ゾーン × {frame['ds'].nunique():,} 時間, 特徴量 {len(design.features)} 個")
list(design.features)

# %% [markdown]
# `lag_24` は「24 時間前の予約件数」です。`build_design` は、予測する距離 (horizon) より
# 近い過去のラグを作りません。24 時間先を予測するのに「1 時間前の実績」は使えないからです。
#
# ## 2. ベースライン: 季節ナイーブ
# 「先週の同じ曜日・同じ時刻と同じ件数」という、いちばん素朴な予測です。
# 複雑なモデルは、まずこれに勝たなければ意味がありません。
#
# **演習 1.** 1 時間ごとのデータで 24 時間先を予測するとき、季節ナイーブは何ステップ (何時間) 前の
# 値を使いますか？ (予測起点で分かっている、一番新しい「先週の同じ時刻」)

# %%
answer_lag = None  # ← ここを書き換える
checks.check_seasonal_lag(answer_lag, horizon=HORIZON, freq="h")

# %% [markdown]
# ## 3. 時間で区切る交差検証
# ふつうの K-fold はデータをランダムに混ぜるので、未来のデータで学習して過去を当てることになります。
# 時系列では、**起点より前だけで学習し、起点の後の HORIZON 時間で評価** します。
# scikit-learn の `TimeSeriesSplit` を、時刻の一覧に対して使います。

# %%
times = np.sort(frame["ds"].unique())
splitter = TimeSeriesSplit(n_splits=N_SPLITS, test_size=HORIZON)
folds = []
for train_idx, test_idx in splitter.split(times):
    origin = times[train_idx[-1]]
    train = (frame["ds"] <= origin).to_numpy() & frame["y"].notna().to_numpy()
    test = frame["ds"].isin(times[test_idx]).to_numpy()
    folds.append((pd.Timestamp(origin), train, test))
[(str(o), int(tr.sum()), int(te.sum())) for o, tr, te in folds]

# %%
naive = seasonal_naive(frame, HORIZON, "h")
y_true, y_naive = [], []
for _, _, test in folds:
    y_true.append(frame.loc[test, "y"].to_numpy())
    y_naive.append(naive[test].fillna(0).to_numpy())
y_true, y_naive = np.concatenate(y_true), np.concatenate(y_naive)

# %% [markdown]
# **演習 2.** 季節ナイーブの WAPE (= Σ|予測 − 実績| ÷ Σ実績) を、`y_true` と `y_naive` から
# numpy で計算してください (割合で。0.5 なら 50 %)。

# %%
answer_wape = None  # ← ここを書き換える
checks.check_wape(answer_wape, y_true, y_naive)

# %% [markdown]
# ## 4. scikit-learn: 勾配ブースティング (ポアソン損失)
# 予約件数は 0 以上の整数なので、ポアソン損失が向いています。欠けたラグ (NaN) はそのまま扱えます。

# %%
features = list(design.features)


def cv_predictions(fit_predict) -> np.ndarray:
    """Predictions of every fold's test window, in the fold order of ``y_true``."""
    out = []
    for origin, train, test in folds:
        out.append(fit_predict(train, test))
    return np.concatenate(out)


def sklearn_fit_predict(train, test):
    model = HistGradientBoostingRegressor(loss="poisson", max_iter=100, learning_rate=0.1, random_state=0)
    model.fit(frame.loc[train, features], frame.loc[train, "y"])
    return np.clip(model.predict(frame.loc[test, features]), 0, None)


y_sklearn = cv_predictions(sklearn_fit_predict)

# %% [markdown]
# ## 5. LightGBM (パイプラインと同じ設定)
# `forecast` ステージと同じ関数・同じ params で学習します (スレッド 1、乱数の種固定で再現可能)。

# %%
config = ForecastConfig.from_params(params)


def lightgbm_fit_predict(train, test):
    booster = fit_lightgbm(design, train, config)
    return predict_lightgbm(booster, design, test)


y_lgbm = cv_predictions(lightgbm_fit_predict)

# %%
results = pd.DataFrame(
    {name: point_metrics(y_true, pred) for name, pred in
     {"季節ナイーブ": y_naive, "scikit-learn (HGB)": y_sklearn, "LightGBM": y_lgbm}.items()}
).T[["wape", "mae", "rmse", "bias"]]
results

# %% [markdown]
# ## 6. MLflow に記録する
# 実験名は `pbl-<名前>` です。`kogadx.tracking.start_run` は git のコミットや DVC の入力ハッシュも
# タグとして付けるので、「どのデータ・どのコードで出た数字か」があとから分かります。
# 記録は `make ui` (または `mlflow ui --backend-store-uri sqlite:///mlflow.db`) で見られます。

# %%
experiment = f"pbl-{STUDENT_NAME}"
for name, pred in {"seasonal_naive": y_naive, "sklearn_hgb": y_sklearn, "lightgbm": y_lgbm}.items():
    with start_run(experiment, stage="pbl", run_name=name,
                   params={"model": name, "horizon": HORIZON, "n_splits": N_SPLITS}) as run:
        run.log_metrics(point_metrics(y_true, pred))
print(f"実験 {experiment} に 3 件記録しました")

# %% [markdown]
# パイプライン (`forecast` ステージ) のバックテスト結果とも比べてみましょう。
# パイプラインは複数の起点・2 つの予測距離 (24 時間、168 時間) で評価しています。

# %%
demand_metrics = data.load_metrics("demand")
pd.DataFrame({model: block["by_series_step"] for model, block in demand_metrics["backtest"][f"h{HORIZON}"].items()}).T[
    ["wape", "mae", "rmse"]
]

# %%
last_origin, _, last_test = folds[-1]
window = frame.loc[last_test, ["ds", "y"]].assign(lightgbm=y_lgbm[-int(last_test.sum()):]).groupby("ds").sum()
fig, ax = plt.subplots()
ax.plot(window.index, window["y"], label="実績")
ax.plot(window.index, window["lightgbm"], label="LightGBM")
ax.set_title(f"最後の検証日 ({last_origin:%Y-%m-%d} の翌日) の市全体の予約件数")
ax.set_ylabel("件/時")
ax.legend()
plt.show()

# %% [markdown]
# ## ふりかえり
# - どのモデルが一番よかったですか？ベースラインとの差は、運行計画にとって意味のある大きさですか？
# - `TimeSeriesSplit` の代わりにランダムな K-fold を使うと、何が起きると思いますか？
# - 1 時間・1 ゾーン単位の WAPE は大きく見えます。市全体・1 日単位で見ると？それはなぜ？
