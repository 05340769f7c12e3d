# %% [markdown]
# # 07 パイプラインで再現する 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - ノートブックで試したアイデアを、パラメータを変えた DVC 実験として再現できる
# - `dvc exp run --set-param` と `dvc exp show` / `dvc metrics diff` で実験を比べられる
# - 「どのデータ・どのコード・どのパラメータで出た結果か」を他の人に示せる
#
# **ストーリー**
# 03 で「LightGBM の木の数を増やすと良くなりそう」と気づきました。でも、ノートブックで一度
# うまくいっただけでは、市の担当者や次の学年の学生が同じ結果を再現できません。
# パイプライン (`dvc.yaml`) の中でパラメータを変えて実験すれば、入力データ・コード・パラメータが
# すべて記録され、誰でも同じ結果を作り直せます。
#
# みなさんの学生用データのフォルダ (テーマ `mobility`) の `dvc.yaml` は、プロジェクトの予測ステージ
# (`forecast`) と同じ計算を、このフォルダのデータだけで動かすパイプラインです。プロジェクトの予測ステージは
# 安全管理区域の「真の需要」(`data/truth`、合成データを作ったときの答え) も読んで「理想の予測」の指標を
# 出しますが、学生用のパイプラインはそれを読みません。だから、個人情報のない このフォルダだけで実験できます。

# %%
# %load_ext autoreload
# %autoreload 2

# %% tags=["parameters"]
# True にすると、下の dvc コマンドを実際に実行します (数分〜数十分かかります)。CI では False のまま。
RUN_DVC = False

# %%
import json

import pandas as pd
import yaml

from kogadx.demand.params import ForecastParams
from kogadx.params import load_params
from kogadx.pbl import checks, data
from kogadx.pbl.commands import run_command  # UTF-8 でデコード (Windows の CP932 対策)
from kogadx.plotting import setup

plt = setup()
# %matplotlib inline
root = data.project_root()

# %% [markdown]
# ## 1. どのステージが、どのパラメータを読むか
# `dvc.yaml` の各ステージは、`params:` に自分が読む `params.yaml` のキーを書いています。
# そのキーが変わったときだけ、そのステージ (と下流) が再実行されます。

# %%
dvc_yaml = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))
pd.Series({name: stage.get("params", []) for name, stage in dvc_yaml["stages"].items()}, name="params")

# %%
forecast_params = load_params(ForecastParams)
{key: getattr(forecast_params, key) for key in ("num_boost_round", "horizons", "n_folds", "lightgbm")}

# %% [markdown]
# **演習 1.** `forecast.num_boost_round` (LightGBM の木の数) を変えると、どのステージが
# 再実行されますか？ パラメータを **読む** ステージの名前を答えてください。

# %%
answer_stage = "forecast"
assert checks.check_stage_for_param(answer_stage, "forecast.num_boost_round")

# %% [markdown]
# ## 2. 実験を走らせる
# `dvc exp run` は、作業中のファイルを書き換えずに「パラメータを変えた版」のパイプラインを実行し、
# 結果を実験として保存します。学生用データのフォルダで、ターミナルから実行してください (このセルは説明用です)。
# 最初の 1 回だけ、フォルダを git と DVC の管理下に置き、元の結果を作っておきます
# (下の `RUN_DVC = True` のセルも同じことをします)。
#
# ```bash
# git init && dvc init && dvc repro && git add -A && git commit -m "学生用データ"   # 最初の 1 回だけ
# dvc exp run --allow-missing --set-param forecast.num_boost_round=300 --name trees-300
# dvc exp run -S forecast.num_boost_round=50 -S forecast.lightgbm.num_leaves=15 --name small
# dvc exp show --only-changed          # 実験の一覧 (パラメータと指標)
# dvc metrics diff                     # metrics/*.json の前回との差
# dvc exp apply trees-300              # 気に入った実験を作業ツリーに反映
# ```
#
# **演習 2.** LightGBM の学習率 `forecast.lightgbm.learning_rate` を 0.02 にして実験する
# `dvc exp run` コマンドを、文字列で書いてください。

# %%
answer_command = "dvc exp run --set-param forecast.lightgbm.learning_rate=0.02"
assert checks.check_exp_run_command(answer_command, "forecast.lightgbm.learning_rate", 0.02)

# %% [markdown]
# 次のセルは `RUN_DVC = True` のときだけ実験を実行します。CI やこの教材の確認では実行しません。
# (Windows の Anaconda Prompt から `dvc` が使える環境で試してください)

# %%
if RUN_DVC:
    git = ["git", "-c", "user.name=PBL", "-c", "user.email=pbl@example.invalid"]
    if not (root / ".dvc").is_dir():  # 最初の 1 回: このフォルダを git と DVC の管理下に置き、元の結果を作る
        run_command(["git", "init", "-q"], cwd=root)
        run_command(["dvc", "init", "-q"], cwd=root)
        run_command(["dvc", "repro"], cwd=root, capture=False)
        run_command([*git, "add", "-A"], cwd=root)
        run_command([*git, "commit", "-q", "-m", "学生用データ"], cwd=root)
    # --allow-missing: 手元にないデータ (キャッシュにない出力) があっても、変わっていないステージは飛ばす
    run_command(["dvc", "exp", "run", "--allow-missing", "--set-param", "forecast.num_boost_round=300",
                 "--name", "trees-300"], cwd=root, capture=False)
    print(run_command(["dvc", "exp", "show", "--only-changed", "--md"], cwd=root).stdout)
else:
    print("RUN_DVC = False なので dvc コマンドは実行しません")

# %% [markdown]
# ## 3. 指標を比べる
# パイプラインの指標は `metrics/*.json` にあります (`dvc metrics show` と同じ中身)。
# 実験を走らせたあとは `dvc exp show --json` の出力を読んで比べられます。ここでは今の指標を表にします。

# %%
demand = data.load_metrics("demand")
table = pd.DataFrame({
    f"{horizon} / {model}": block["by_series_step"]
    for horizon, models in demand["backtest"].items() for model, block in models.items()
}).T[["wape", "mae", "rmse"]]
table.round(3)

# %%
if RUN_DVC:
    shown = json.loads(run_command(["dvc", "exp", "show", "--json"], cwd=root).stdout)
    print(json.dumps(shown, ensure_ascii=False)[:2000])

# %% [markdown]
# ## 4. MLflow の記録
# パイプラインの各ステージも MLflow に記録します (実験名 `demand`, `co2`, `wellbeing` など)。
# 各記録には git のコミットと DVC の入力ハッシュがタグで付いています。`make ui` で見てみましょう。
#
# ## ふりかえり
# - ノートブックだけで結果を出すのと、パイプラインで実験するのとでは、何が違いますか？
# - 他の学生があなたの結果を再現するには、何を渡せばよいですか？ (データそのものは渡せないことに注意)
# - パラメータを変えるたびに上書きしてしまう `dvc repro` と、`dvc exp run` の違いを説明してください。
