# %% [markdown]
# # 01 仮名加工情報と匿名加工情報
#
# **学習目標**
# - 仮ID (仮名) が「鍵付きハッシュ」で作られる理由を説明できる
# - 準識別子・同値クラス・k-匿名性・l-多様性を、自分で数えて確かめられる
# - 仮名加工情報 (市と委託先の中で使う) と匿名加工情報 (提案募集と契約で提供する。公開データではない) の違いを言える
# - 自分たちが受け取った表が、どれだけ人を絞り込めるか (一意な記録の割合と k) を測れる
#
# **ストーリー**
# 市の担当者から相談がありました。「住民データの年齢・性別・町丁目の表を、オープンデータとして
# 公開したい。名前は消してあるから大丈夫ですよね？」——本当に大丈夫でしょうか。
# 「古賀市○○二丁目に住む 97 歳の女性」が 1 人しかいなければ、名前がなくても誰だか分かってしまいます。
# このノートブックでは、その危険を数字で測ります。

# %%
# %load_ext autoreload
# %autoreload 2

# %%
from kogadx.pbl import checks, data
from kogadx.plotting import setup
from kogadx.privacy import anonymity
from kogadx.privacy.policy import load_policy

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. なぜ ID は仮名なのか
#
# 住民票コードやマイナンバーは、それ自体で個人を特定できる **個人識別符号** です。
# 仮名加工では、これを秘密の鍵を使った HMAC-SHA256 (鍵付きハッシュ) で別の文字列に置き換えます。
#
# - 鍵なしのハッシュだと、住民票コード (11 桁) をすべて試してハッシュを計算すれば元に戻せてしまいます (総当たり)。
# - 連番 (1, 2, 3, …) だと、台帳の並び順 (登録順) が漏れます。
# - 鍵 (削除情報等) は市の安全管理区域にあり、大学は持っていません。だから仮IDから本人には戻せません。
#
# 同じ人はどの表でも同じ `person_id` になるので、市と委託先 (仮名加工情報を扱う人) は住民・会員・アンケートの
# 表を結合して分析できます。どの列をどう加工したかは、ポリシーファイル `src/kogadx/privacy/policy.yaml` に
# 書かれています。
#
# みなさんが使う **学生用データ** (`make student-bundle` が作るテーマごとのフォルダ) は、そこからさらに
# 演習に要る列だけを抜き出したものです: 年齢は 5 歳階級、世帯の番号・仮IDはなし、自由記述はなし、
# 予約ログの時刻は 1 時間単位。どの表がどれだけ「人を絞り込める」かは、フォルダの `README.md` に実測値があります。
# このノートブックの最後に、それを自分で測ります。

# %%
import pandas as pd

policy = load_policy()
rules = policy.table("residents").rules.values()
pd.DataFrame(
    [{"元の列": r.column, "加工": r.action, "出力列": r.output, "根拠": r.appi, "メモ": r.note} for r in rules]
)

# %%
residents = data.load_residents()  # 学生用データ: 年齢は 5 歳階級、仮ID・世帯の番号はなし
residents.head()

# %% [markdown]
# **演習 1.** 仮名加工した住民台帳 (市と委託先が使う表) で、仮ID (鍵付きハッシュ) が入っている列の名前を
# リストで答えてください。上のポリシー表がヒントです。(学生用データでは、これらの列は除かれています)

# %%
answer_pseudonym_columns = None  # ← ここを書き換える
checks.check_pseudonym_columns(answer_pseudonym_columns, table="residents")

# %% [markdown]
# ## 2. 準識別子と k-匿名性を手で数える
#
# 名前がなくても、**準識別子** (年齢・性別・町丁目・続柄などの組み合わせ) で個人が絞り込めます。
# 準識別子の値がすべて同じ行のまとまりを **同値クラス** と呼びます。
#
# - **k-匿名性**: どの同値クラスも k 行以上ある (= 最小の同値クラスの大きさが k)
# - **l-多様性**: どの同値クラスにも、機微な属性 (ここでは続柄) が l 種類以上ある
#
# まず `groupby` で同値クラスの大きさを数えます。

# %%
qi = ["age_band", "sex", "town_code", "relationship"]  # 年齢 (5 歳階級)・性別・町丁目・続柄
class_sizes = residents.groupby(qi, observed=True).size()
class_sizes.describe()

# %%
fig, ax = plt.subplots()
class_sizes.clip(upper=20).value_counts().sort_index().plot.bar(ax=ax)
ax.set_xlabel("同値クラスの大きさ (20 以上は 20 にまとめた)")
ax.set_ylabel("同値クラスの数")
ax.set_title("年齢 (5 歳階級) × 性別 × 町丁目 × 続柄 で見た同値クラスの大きさ")
plt.show()

# %% [markdown]
# 大きさ 1 のクラスがあれば、その人は準識別子だけで 1 人に絞り込めてしまいます。
#
# **演習 2.** 表 `df` と準識別子のリスト `quasi_identifiers` を受け取り、k を返す関数 `k_of` を
# 書いてください (`groupby(...).size()` を使い、ライブラリ関数は使わずに)。チェックは自分で作った別の小さな表でもその関数を試すので、表示された数字を写しても正解になりません。


# %%
def k_of(df, quasi_identifiers):
    return None  # ← ここを書き換える


checks.check_k_anonymity(k_of, df=residents, quasi_identifiers=qi)

# %% [markdown]
# ## 3. 一般化すると k はどう変わるか
#
# 年齢を 10 歳刻みにし、町丁目を「丁目」を除いた地区名にまとめ、続柄を準識別子から外すと、同値クラスは大きくなります。
#
# **予想してから実行しよう**: 一般化したあとの k はいくつくらいになると思いますか？ 1 のまま？ 10 以上？

# %%
coarse = residents.assign(
    age_band=(data.age_band_start(residents["age_band"]) // 10 * 10).astype("Int64"),
    district=residents["town_name"].str.replace(r"[一二三四五六七八九十]+丁目$", "", regex=True),
)
coarse_qi = ["age_band", "sex", "district"]
coarse.groupby(coarse_qi, observed=True).size().describe()

# %% [markdown]
# **演習 3.** 表 `df`・準識別子 `quasi_identifiers`・機微属性の列名 `sensitive` を受け取り、
# l-多様性 (各同値クラスの機微属性の種類数の最小値) を返す関数 `l_of` を書いてください。
# チェックは一般化した表 `coarse` (準識別子 `coarse_qi`、機微属性 `"relationship"` = 続柄) と、
# 自分で作った別の表で確かめます。

# %%
def l_of(df, quasi_identifiers, sensitive):
    return None  # ← ここを書き換える


checks.check_l_diversity(l_of, df=coarse, quasi_identifiers=coarse_qi, sensitive="relationship")

# %% [markdown]
# 手で数えた値を、パイプラインと同じ関数 `kogadx.privacy.anonymity` で確かめます。

# %%
print("一般化前:", anonymity.measure(residents, qi))
print("一般化後:", anonymity.measure(coarse, coarse_qi, "relationship"))

# %% [markdown]
# ## 4. 匿名加工情報 (anonymize ステージの出力)
#
# `anonymize` ステージは、階層 (年齢 → 5 歳刻み → 10 歳刻み → `*`) に沿って一般化し、
# それでも小さいクラスは行ごと削除 (抑制) して、params.yaml の k と l を満たす表を作ります。
# ID の列 (`person_id`, `household_id`) は **ありません**。照合用の ID が残ると、
# 行政機関等匿名加工情報の作成基準 (個人情報保護法第116条・施行規則第62条) を満たさないからです。

# %%
released = data.load_anonymized_residents()
print(anonymity.measure(released, ["age", "sex", "town_code", "relationship"], "household_size"))
print("anonymize ステージの記録:", data.load_metrics("anonymize"))
released.head()

# %% [markdown]
# ## 5. 自分たちの表で k を測る
#
# みなさんの学生用データの表 (予約ログと住民の抜粋) は、どれくらい人を絞り込めるでしょうか。
# 予約ログの準識別子は、外の人が見て知り得る「いつ (1 時間単位)・どこから・どこへ・何人で・どう払ったか」です。
#
# **予想してから実行しよう**: 予約ログの記録のうち、準識別子の組み合わせが表の中で 1 件しかない記録は
# 何 % くらいだと思いますか？ 住民の抜粋ではどうでしょう？
#
# **演習 4.** 表 `df` と準識別子のリスト `quasi_identifiers` を受け取り、
# `(一意な記録の割合, k)` を返す関数 `risk_of` を書いてください。一意な記録とは、同値クラスの大きさが 1 の
# 記録 (行) のことで、割合の分母は記録の数です。k は演習 2 の `k_of` を使って構いません。
# チェックは、みなさんの表に加えて、チェックが自分で作った別の表でも関数を試します。

# %%
rides = data.load_ride_requests()  # 学生用の予約ログ (時刻は 1 時間単位、停留所は町丁目)
ride_qi = ["desired_pickup_at", "origin_zone", "destination_zone", "passengers", "payment_method"]


def risk_of(df, quasi_identifiers):
    return None  # ← ここを書き換える


checks.check_share_unique(risk_of, df=rides, quasi_identifiers=ride_qi)
checks.check_share_unique(risk_of, df=residents, quasi_identifiers=qi)

# %% [markdown]
# チェックのあとで、学生用データを作ったパイプラインの実測値 (フォルダの `README.md` と同じ数字) と比べます。

# %%
bundle = data.bundle_info()
measured = bundle["measured"] if bundle else {}
pd.DataFrame(measured).T[["rows", "share_unique", "k"]] if measured else "学生用データのフォルダから実行すると表示されます"

# %% [markdown]
# ## ふりかえり
# - 「名前を消したから匿名」ではないのはなぜですか？ k = 1 の人にはどんな危険がありますか？
# - 一般化すると k は上がりますが、分析には何が失われますか？ (例: 90 歳以上の人の暮らし)
# - 予約ログの記録の多くが一意なのに、なぜこのデータを PBL で使ってよいのでしょうか？ 守るべき約束 (00) と
#   合わせて説明してください。時刻を 1 日単位にしたら、演習のどれが困りますか？
# - 仮名加工情報 (PBL で使うデータ) と匿名加工情報 (提案募集と契約で提供するデータ。オープンデータではない) の、使ってよい範囲の違いを整理しましょう。
