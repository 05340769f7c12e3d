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
N_SPLITS = 28  # 時系列交差検証の回数 = 検証する日数 (4 週間: 1 日ずつ先へずらす)
REFIT_EVERY = 7  # 何日ごとに学習し直すか (学習は重いので 1 週間ごと。1 にすると毎日)

# %%
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import TimeSeriesSplit

from kogadx.demand.evaluation import paired_comparisons
from kogadx.demand.forecast import (
    WEATHER_COLS,
    ForecastConfig,
    build_design,
    fit_lightgbm,
    predict_lightgbm,
    seasonal_naive,
)
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
#
# 天気 (気温・降水量) は、予測する時刻の値を前日の夕方にはまだ知りません。パイプラインは
# `params.yaml` の `forecast.weather: persistence` により、天気を **予測を出す時点 (起点) で
# 分かっている値** (最後に観測できた日の同じ時刻の値) に置き換えます。ここでも同じ関数・同じ
# 設定 (`issue_time_cols`) で特徴量を作ります。

# %%
params = load_params(ForecastParams)
config = ForecastConfig.from_params(params)
panel_raw = data.load_demand_panel()
prepared = prepare_panel(panel_raw, panel_spec_from_params(params, list(panel_raw.columns), "demand_panel"))
# 天気は起点で分かっている値 (persistence) に: パイプラインの forecast ステージと同じ
ISSUE_TIME_COLS = WEATHER_COLS
print(f"params.yaml の forecast.weather = {config.weather} / 起点の値に置き換える列: {list(ISSUE_TIME_COLS)}")
design = build_design(prepared, HORIZON, issue_time_cols=ISSUE_TIME_COLS, country=config.calendar)
frame = design.frame
print(f"{frame['unique_id'].nunique()} ゾーン × {frame['ds'].nunique():,} 時間, 特徴量 {len(design.features)} 個")
list(design.features)

# %% [markdown]
# `lag_24` は「24 時間前の予約件数」です。`build_design` は、予測する距離 (horizon) より
# 近い過去のラグを作りません。24 時間先を予測するのに「1 時間前の実績」は使えないからです。
# 天気の列 (`temperature_c` など) も同じ理由で、予測する時刻の 24 時間前の観測値になっています。
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
# scikit-learn の `TimeSeriesSplit` を、時刻の一覧に対して使います。検証は `N_SPLITS` 日
# (既定は 4 週間) です。数日だけの検証では、モデルの差が「たまたまその日」の差と区別できません。

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
# **演習 2.** 実績 `y_true` と予測 `y_pred` (numpy の配列) を受け取り、WAPE (= Σ|予測 − 実績| ÷ Σ実績、
# 割合で。0.5 なら 50 %) を返す関数 `wape` を書いてください。チェックは自分で作った別の小さな表でもその関数を試すので、表示された数字を写しても正解になりません。

# %%
def wape(y_true, y_pred):
    return None  # ← ここを書き換える


checks.check_wape(wape, y_true, y_naive)

# %% [markdown]
# ## 4. scikit-learn: 勾配ブースティング (ポアソン損失)
# 予約件数は 0 以上の整数なので、ポアソン損失が向いています。欠けたラグ (NaN) はそのまま扱えます。
# 学習は重いので、`REFIT_EVERY` 日 (既定 1 週間) ごとにその時点までのデータで学習し直し、
# 次に学習し直すまでの毎日をそのモデルで予測します (運用でも毎日学習し直すとは限りません)。

# %%
features = list(design.features)


def cv_predictions(fit_predict) -> np.ndarray:
    """Predictions of every fold's test window, in the fold order of ``y_true``.

    The model is refitted every ``REFIT_EVERY`` folds on the data up to the first origin of
    the block and predicts every day of the block (each row's lags are still only what was
    known when that day's forecast was issued)."""
    out = []
    for start in range(0, len(folds), REFIT_EVERY):
        block = folds[start:start + REFIT_EVERY]
        test_all = np.logical_or.reduce([test for _, _, test in block])
        full = np.full(len(frame), np.nan)
        full[test_all] = fit_predict(block[0][1], test_all)
        out.extend(full[test] for _, _, test in block)
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
# ## 6. その差は偶然ではない？ (モデルの差の区間)
# 上の表の WAPE の差は、検証した日の選び方で変わります。検証日ごとの誤差をもとに、
# パイプラインと同じ方法 (日をまとめて選び直すブロック・ブートストラップ) で
# 「LightGBM − 比べる相手」の WAPE の差の 95 % 区間を出します。差がマイナスなら LightGBM がよい方です。
#
# **予想してから実行しよう**: 区間は 0 をまたぐと思いますか？ (ノートに一言書いてから次のセルへ)

# %%
scored = pd.concat([frame.loc[test, ["unique_id", "ds", "y"]].assign(fold=k)
                    for k, (_, _, test) in enumerate(folds)], ignore_index=True)
predictions = {"seasonal_naive": y_naive, "sklearn_hgb": y_sklearn, "lightgbm": y_lgbm}
by_fold = pd.concat([scored.assign(model=name, yhat=pred) for name, pred in predictions.items()], ignore_index=True)
comparison = pd.DataFrame(paired_comparisons(by_fold, seed=config.seed, reference="lightgbm")).T
comparison[["wape_diff", "ci95_low", "ci95_high", "excludes_zero", "origins"]]

# %% [markdown]
# 区間が 0 をまたぐなら、「LightGBM の方がよい」とはこの検証期間からは言えません。
# 区間の幅は検証日数のおよそ 1/√日数 で狭くなります (`N_SPLITS` を変えて確かめられます)。
#
# ## 7. リークの実験: 観測された天気 vs 起点で分かる天気
# もし天気を「予測する時刻に実際に観測された値」のまま使ったらどうなるでしょう。
# 現実の運用 (前日の夕方に予測を出す) では、その値はまだ存在しません。
#
# **予想してから実行しよう**: 観測された天気を使うと、検証の WAPE は良くなる？悪くなる？
# それは運用でも同じ良さになる？ (ノートに書いてから次のセルへ)

# %%
design_observed = build_design(prepared, HORIZON, country=config.calendar)  # 天気を置き換えない (リーク)


def lightgbm_observed_fit_predict(train, test):
    booster = fit_lightgbm(design_observed, train, config)
    return predict_lightgbm(booster, design_observed, test)


y_lgbm_observed = cv_predictions(lightgbm_observed_fit_predict)
pd.DataFrame({"起点で分かる天気 (persistence)": point_metrics(y_true, y_lgbm),
              "観測された天気 (リーク)": point_metrics(y_true, y_lgbm_observed)}).T[["wape", "mae", "rmse"]]

# %% [markdown]
# **演習 3.** `design_observed` の特徴量のうち、予測を出す時点 (起点) ではまだ分からない情報を
# 含む列はどれですか？列名のリストで答えてください。(チェックは 2 つの作り方の特徴量を
# 自分で比べて確かめます)

# %%
answer_leaky = None  # ← ここを書き換える
checks.check_leaky_columns(answer_leaky, prepared, HORIZON)

# %% [markdown]
# 観測された天気の方が検証の数字が良くても、それは **運用では手に入らない情報** を使った結果です。
# 予報値 (気象庁の予報) を使うなら、予報を出した時点の予報値を記録しておき、それで学習・検証します。
#
# ## 8. MLflow に記録する
# 実験名は `pbl-<名前>` です。`kogadx.tracking.start_run` は git のコミットをタグに付けます。
# このノートブックは DVC のステージではない (`dvc.lock` に記録がない) ので、DVC の入力ハッシュは
# 付きません。その代わりに、読んだ入力ファイルの MD5 (`input_md5:...`) と、`dvc.lock` に記録された
# 同じファイルの MD5 (`dvc_lock_md5:...`) を自分でタグに付けます。2 つが同じなら、パイプラインが
# 作ったデータそのもので出した数字です。
# 記録は `make ui` (または `mlflow ui --backend-store-uri sqlite:///mlflow.db`) で見られます。

# %%
experiment = f"pbl-{STUDENT_NAME}"
input_tags = data.input_fingerprint("data/features/demand_panel.parquet")
for name, pred in {**predictions, "lightgbm_observed_weather_leak": y_lgbm_observed}.items():
    with start_run(experiment, stage="pbl", run_name=name, tags={**input_tags, "weather": "persistence"
                   if name != "lightgbm_observed_weather_leak" else "observed (リーク)"},
                   params={"model": name, "horizon": HORIZON, "n_splits": N_SPLITS,
                           "refit_every": REFIT_EVERY}) as run:
        run.log_metrics(point_metrics(y_true, pred))
print(f"実験 {experiment} に {len(predictions) + 1} 件記録しました")
input_tags

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
# (2〜3 文で。教員用パッケージに評価の観点があります)
# - どのモデルが一番よかったですか？ 6 の区間を使って、ベースラインとの差が「偶然ではない」と
#   言えるか、運行計画にとって意味のある大きさかを答えてください。
# - `TimeSeriesSplit` の代わりにランダムな K-fold を使うと、何が起きると思いますか？
# - 7 で観測された天気を使ったモデルの数字を、運行会社への報告に載せてよいですか？理由は？
# - 1 時間・1 ゾーン単位の WAPE は大きく見えます。市全体・1 日単位で見ると？それはなぜ？
