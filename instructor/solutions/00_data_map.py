# %% [markdown]
# # 00 環境とデータの地図 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - プロジェクトのフォルダ構成と、DVC パイプラインがデータを作る流れを説明できる
# - 「安全管理区域」と「共有ゾーン」の違いと、PBL で使ってよいデータを言える
# - 仮名加工情報 (仮名化されたデータ) とは何かを、自分の言葉で説明できる
#
# **ストーリー**
# 古賀市は、AI オンデマンドバス「のるーと古賀」、事業所の CO2 排出、市民の幸福度 (Well-Being)
# など、いくつもの課題をデータで考えようとしています。市役所の中には住民基本台帳などの
# 個人情報がありますが、これを大学にそのまま渡すことはできません。市と福岡工業大学の協定では、
# 個人を直接特定できる情報を削除・置き換えた **仮名加工情報** だけを共有します。
# このノートブックでは、まず「どこに何があるか」の地図を頭に入れます。
#
# > このリポジトリのデータはすべて **合成データ (架空の古賀市)** です。実在の人物ではありません。

# %% [markdown]
# ## 準備
# すべてのノートブックは同じ 2 つのセルで始まります。`autoreload` は `src/kogadx` のコードを
# 書き換えたとき、カーネルを再起動しなくても反映させるための設定です。

# %%
# %load_ext autoreload
# %autoreload 2

# %%
from kogadx.paths import SECURE_DIRS, SHAREABLE_DIRS
from kogadx.pbl import checks, data
from kogadx.plotting import setup

plt = setup()  # 日本語フォントとグラフの体裁 (プロジェクト共通)
# setup() はファイル保存用の描画方式を選ぶので、ノートブックでは画面表示に戻します
# %matplotlib inline

# %% [markdown]
# ## 1. フォルダの地図
#
# | フォルダ | 中身 | 区域 |
# |---|---|---|
# | `src/kogadx/` | ライブラリ (関数)。ノートブックはここから import します | コード |
# | `pipelines/` | DVC の各ステージを動かす短いスクリプト | コード |
# | `data/raw/`, `data/raw_validated/`, `data/truth/`, `data/secure/` | 生データ・検証済みデータ・合成の真値・削除情報等 | **安全管理区域** |
# | `data/pseudonymized/`, `data/anonymized/`, `data/features/` | 仮名加工済みデータ・匿名加工データ・特徴量 | 共有ゾーン |
# | `models/`, `metrics/`, `reports/` | 学習済みモデル・評価指標・図や報告書 | 共有ゾーン |
#
# プロジェクトのルート (一番上のフォルダ) は `dvc.yaml` がある場所です。
# `kogadx.pbl.data` の関数は、どこでノートブックを開いてもルートを自動で探します
# (環境変数 `KOGADX_ROOT` があればそれを使います)。`os.chdir` は使いません。

# %%
print("プロジェクトのルート:", data.project_root())
print("安全管理区域:", SECURE_DIRS)
print("共有ゾーン:", SHAREABLE_DIRS)

# %%
files = data.list_shareable_files()
files.groupby("zone").agg(ファイル数=("path", "size"), 合計KB=("size_kb", "sum"))

# %%
files.head(20)

# %% [markdown]
# ## 2. DVC パイプライン: データはどこから来るか
#
# `dvc.yaml` にステージが並んでいます。上流から順に:
#
# 1. `synthesize` — 合成の古賀市を作り、市のシステムが出力するのと同じ形の CSV を `data/raw/` に書く
# 2. `ingest` — 検証と正規化 (和暦→西暦、全角→半角)。おかしな行は理由つきで隔離 (quarantine)
# 3. `pseudonymize` — 列ごとのポリシーで仮名加工し、`data/pseudonymized/` へ (ここから共有ゾーン)
# 4. `anonymize` — k-匿名性・l-多様性を満たす匿名加工情報 (提案募集と契約で提供。オープンデータではない)
# 5. `features` → `forecast` (のるーと需要予測)、`co2` (事業所の排出量)、`wellbeing` (幸福度の要因)
#
# ターミナルで次のコマンドを打つと、ステージのつながり (DAG) が見られます。
#
# ```bash
# dvc dag            # ステージのつながり
# dvc status         # 何が古くなっているか
# dvc metrics show   # metrics/*.json の一覧
# ```
#
# 下のセルは `dvc.yaml` を読んで、各ステージの入力 (deps) と出力 (outs) を表にします。

# %%
import pandas as pd
import yaml

dvc_yaml = yaml.safe_load((data.project_root() / "dvc.yaml").read_text(encoding="utf-8"))
stages = pd.DataFrame(
    [
        {
            "ステージ": name,
            "読むパラメータ": ", ".join(str(p) for p in stage.get("params", [])),
            "出力": ", ".join(next(iter(o)) if isinstance(o, dict) else str(o) for o in stage.get("outs", [])),
        }
        for name, stage in dvc_yaml["stages"].items()
    ]
)
stages

# %% [markdown]
# ## 3. 仮名加工情報とは
#
# 個人情報保護法の **仮名加工情報** (施行規則第31条) は、次の 3 つを行ったデータです。
#
# 1. 氏名・住所・生年月日・電話番号など、特定の個人を識別できる記述を削除 (または復元できない方法で置き換え)
# 2. マイナンバー・住民票コードなどの個人識別符号をすべて削除 (または置き換え)
# 3. クレジットカード番号など、悪用されると財産的被害が出る記述を削除
#
# 置き換えに使った鍵 (削除情報等) は市が `data/secure/` で厳重に管理し、大学には渡しません。
# 仮名加工情報は **他のデータと照合して本人を特定しようとしてはいけない** データです。
# 共有ゾーンのデータでも、この約束は変わりません。
#
# `kogadx.pbl.data` の関数は共有ゾーンのファイルしか読みません。安全管理区域のファイルを
# 読もうとすると、理由を説明するエラーになります。試してみましょう。

# %%
try:
    data.read_table("data/raw_validated/residents.parquet")
except data.SecureZoneError as error:
    print("読めませんでした:", error)

# %% [markdown]
# 仮名加工済みの住民データを見てみましょう。氏名や住所はなく、`person_id` は鍵付きハッシュで
# 作った仮ID、年齢は生年月日から計算した満年齢 (一般化) です。

# %%
residents = data.load_residents()
residents.head()

# %% [markdown]
# ## 演習
#
# **演習 1.** 安全管理区域のフォルダをすべて、文字列のリストで答えてください
# (例: `["data/xxx", "data/yyy"]`)。

# %%
answer_secure_dirs = ["data/raw", "data/truth", "data/raw_validated", "data/secure"]
assert checks.check_secure_dirs(answer_secure_dirs)

# %% [markdown]
# **演習 2.** のるーと古賀の予約ログ (学生向け) `data/student/ride_requests.parquet` は何行ありますか？
# `data.read_table("data/student/ride_requests.parquet")` で読み込んで数えてください。

# %%
answer_rows = len(data.read_table("data/student/ride_requests.parquet"))
assert checks.check_row_count(answer_rows, table="ride_requests")

# %% [markdown]
# ## ふりかえり
# - PBL で使ってよいのはどのフォルダのデータでしたか？それはなぜですか？
# - 仮名加工情報と、個人情報そのものとの違いを一文で説明してみましょう。
# - 共有ゾーンのデータを使うときにも守らなければならない約束は何でしたか？
