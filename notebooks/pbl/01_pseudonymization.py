# %% [markdown]
# # 01 仮名加工情報と匿名加工情報
#
# **学習目標**
# - 仮ID (仮名) が「鍵付きハッシュ」で作られる理由を説明できる
# - 準識別子・同値クラス・k-匿名性・l-多様性を、自分で数えて確かめられる
# - 仮名加工情報 (市と委託先の中で使う) と匿名加工情報 (提案募集と契約で提供する。公開データではない) の違いを言える
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
# 同じ人はどの表でも同じ `person_id` になるので、住民・会員・アンケートの表を結合して分析できます。
# どの列をどう加工したかは、ポリシーファイル `src/kogadx/privacy/policy.yaml` に書かれています。

# %%
import pandas as pd

policy = load_policy()
rules = policy.table("residents").rules.values()
pd.DataFrame(
    [{"元の列": r.column, "加工": r.action, "出力列": r.output, "根拠": r.appi, "メモ": r.note} for r in rules]
)

# %%
residents = data.load_residents()
residents.head()

# %% [markdown]
# **演習 1.** 住民データ (`residents`) のうち、仮ID (鍵付きハッシュ) が入っている列の名前を
# リストで答えてください。上のポリシー表がヒントです。

# %%
answer_pseudonym_columns = None  # ← ここを書き換える
checks.check_pseudonym_columns(answer_pseudonym_columns, table="residents")

# %% [markdown]
# ## 2. 準識別子と k-匿名性を手で数える
#
# 名前がなくても、**準識別子** (年齢・性別・町丁目などの組み合わせ) で個人が絞り込めます。
# 準識別子の値がすべて同じ行のまとまりを **同値クラス** と呼びます。
#
# - **k-匿名性**: どの同値クラスも k 行以上ある (= 最小の同値クラスの大きさが k)
# - **l-多様性**: どの同値クラスにも、機微な属性 (ここでは続柄) が l 種類以上ある
#
# まず `groupby` で同値クラスの大きさを数えます。

# %%
qi = ["age", "sex", "town_code"]
class_sizes = residents.groupby(qi, observed=True).size()
class_sizes.describe()

# %%
fig, ax = plt.subplots()
class_sizes.clip(upper=20).value_counts().sort_index().plot.bar(ax=ax)
ax.set_xlabel("同値クラスの大きさ (20 以上は 20 にまとめた)")
ax.set_ylabel("同値クラスの数")
ax.set_title("年齢 × 性別 × 町丁目 で見た同値クラスの大きさ")
plt.show()

# %% [markdown]
# 大きさ 1 のクラスがたくさんあります。その人たちは、準識別子だけで 1 人に絞り込めてしまいます。
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
# 年齢を 10 歳刻みにし、町丁目を「丁目」を除いた地区名にまとめると、同値クラスは大きくなります。
#
# **予想してから実行しよう**: 一般化したあとの k はいくつくらいになると思いますか？ 1 のまま？ 10 以上？

# %%
coarse = residents.assign(
    age_band=(residents["age"] // 10 * 10).astype("Int64"),
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
print("一般化前:", anonymity.measure(residents, qi, "relationship"))
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
print(anonymity.measure(released, [*qi, "relationship"], "household_size"))
print("anonymize ステージの記録:", data.load_metrics("anonymize"))
released.head()

# %% [markdown]
# ## ふりかえり
# - 「名前を消したから匿名」ではないのはなぜですか？ k = 1 の人にはどんな危険がありますか？
# - 一般化すると k は上がりますが、分析には何が失われますか？ (例: 90 歳以上の人の暮らし)
# - 仮名加工情報 (PBL で使うデータ) と匿名加工情報 (提案募集と契約で提供するデータ。オープンデータではない) の、使ってよい範囲の違いを整理しましょう。
