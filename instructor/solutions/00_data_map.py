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
# 個人情報がありますが、これを大学にそのまま渡すことはできません。市は分析の一部を大学に
# **委託** し、委託を受けた大学 (とその下で PBL に参加する皆さん) は、個人を直接特定できる情報を
# 削除・置き換えた **仮名加工情報** だけを、契約で決めた目的の範囲で扱います。
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
# 個人情報保護法の **仮名加工情報** (法第2条第5項) は、ほかの情報と照合しない限り個人を識別できない
# ように加工したデータです。このプロジェクトでは、加工の基準として施行規則第31条の 3 項目を使います。
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
# ## 4. データの取扱いルール (作業を始める前に必ず読む)
#
# **法的な位置づけ.** 古賀市は個人情報保護法 **第5章 (行政機関等)** の規律を受けます。仮名加工情報は
# 市から **委託を受けた者** (大学) にだけ渡せます (法第73条)。皆さんは委託先の従事者として、
# 契約で決めた目的 (のるーと古賀の運行改善・需要予測、地域幸福度の分析など) の範囲で使います。
# 根拠の一覧は「個人情報の加工 自動点検レポート」(reports/privacy.html) の表 0-1〜0-3 にあります。
#
# **守ること**
# 1. **本人を特定しようとしない.** 表どうしを `person_id` でつないで分析するのはよいが、
#    つないだ結果から「この人は誰か」を突き止めようとしてはいけません (照合の禁止、法第73条)。
# 2. **削除情報等を求めない・使わない.** 仮IDを作った鍵や元の氏名・住所は市だけが持ちます。
# 3. **本人に連絡しない.** データの人に会う・電話する・SNS で探すことはしません。
# 4. **保存は決められた場所だけ.** 大学が管理する PC とストレージに置き、個人のクラウド、USB メモリ、
#    私物の PC にはコピーしません。課題が終わったら指示に従って消去します。
# 5. **外部サービスに上げない.** 生成 AI (チャット型 AI を含む)、翻訳サイト、オンラインの表計算などに
#    データや個票を貼り付け・アップロードしません。コードだけを相談するときも、データは含めません。
# 6. **小さい数は出さない.** 発表資料・レポートでは、人数が 10 人未満になる集計を「<10」と表示し、
#    個票 (1 人 1 行の表) は載せません。地図も同じです。
#
# **もし知っている人だと気づいたら (インシデントの手順)**: その場で作業を止めて画面を閉じ、
# 誰にも話さず、メモも取らずに、その日のうちに担当教員へ報告してください。教員は市の担当課に報告し、
# 対応を決めます。データのファイルを誤ってほかの場所にコピーした・送ってしまったときも同じです。
#
# **誓約.** 上の 6 項目とインシデントの手順を読み、守ることを約束したら、次のセルの名前を書き換えて
# 実行してください (記録は手元に残るだけで、どこにも送られません)。

# %%
pledge = {"name": "模範 太郎", "read_rules": True}
print("誓約を確認しました" if pledge["read_rules"] else "ルールを読んでから read_rules を True にしてください")

# %% [markdown]
# ## 演習
#
# 演習は「数値を書き写す」のではなく **関数** で答えます。チェックは、あなたの関数を自分で作った別の
# 小さな例でも呼び出して確かめます (上の表示をそのまま写した答えは通りません)。
#
# **演習 1.** プロジェクトのルートからのパス (例: `"data/pseudonymized/residents.parquet"`) を受け取り、
# そのファイルの区域を 「安全管理区域」「共有ゾーン」「その他」 のどれか (文字列) で返す関数 `zone_of(path)` を
# 書いてください。区域は 1 の表のとおり、**置き場所のフォルダ** で決まります。
#
# **予想してから実行しよう**: `data/features/raw_counts.parquet` (ファイル名に raw が入っている) と
# `src/kogadx/pbl/data.py` は、それぞれどの区域でしょう？ 予想をメモしてから関数を書きましょう。

# %%
def zone_of(path):
    text = path.replace("\\", "/")  # Windows の区切り文字もそろえる
    if any(text.startswith(folder + "/") for folder in SECURE_DIRS):
        return "安全管理区域"
    if any(text.startswith(folder + "/") for folder in SHAREABLE_DIRS):
        return "共有ゾーン"
    return "その他"


assert checks.check_zone_of(zone_of, files["path"])

# %% [markdown]
# 答え合わせ: 予想した 2 つのパスを、あなたの関数 (またはチェックの考え方) で確かめましょう。
# 区域は名前ではなく置き場所で決まるので、`data/features/` の下なら名前に raw があっても共有ゾーンです。

# %%
for example in ["data/features/raw_counts.parquet", "src/kogadx/pbl/data.py"]:
    print(example, "→", zone_of(example))

# %% [markdown]
# **演習 2.** 表 (DataFrame) を受け取って `(行数, 列数)` を返す関数 `table_shape(df)` を書いてください。
# チェックは、のるーと古賀の予約ログ (学生向け) `data/student/ride_requests.parquet` を
# `data.read_table` で読み込んだ表と、自分で作った別の表で確かめます。
#
# **予想してから実行しよう**: 予約ログは何行くらいあると思いますか？ (1 行が 1 件の予約です)

# %%
def table_shape(df):
    return (len(df), len(df.columns))


assert checks.check_table_shape(table_shape, "data/student/ride_requests.parquet")

# %% [markdown]
# 答え合わせ (チェックのあとに実行): 予約ログの大きさです。予想と比べてみましょう。

# %%
rides = data.read_table("data/student/ride_requests.parquet")
print(f"予約ログ: {rides.shape[0]:,} 行 × {rides.shape[1]} 列")

# %% [markdown]
# ## ふりかえり
# - PBL で使ってよいのはどのフォルダのデータでしたか？それはなぜですか？
# - 仮名加工情報と、個人情報そのものとの違いを一文で説明してみましょう。
# - 共有ゾーンのデータを使うときにも守らなければならない約束は何でしたか？
