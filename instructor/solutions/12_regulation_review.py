# %% [markdown]
# # 12 アナログ規制の点検: 順位付きの一覧をどこまで読むか 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - 判定モデルが作った「見直し候補」の一覧 (順位・確率・類型の候補) を読み取れる
# - 「上位の何 % を読むと、該当する条項の何 % が見つかるか」(読む量を決めたときの再現率) を計算できる
# - 該当の 8 割を見つけるのに何条項読む必要があるかを、判定モデルとキーワードの数で比べられる
# - 学習に使った (判定済みの) 条項で測った再現率が、まだ誰も判定していない条項での再現率より高く出る理由を説明できる
#
# **ストーリー**
# デジタル庁は、目視・実地監査・定期検査・書面掲示・常駐専任・対面講習・往訪閲覧・記録媒体 (FD 等) を
# 求める規定を「アナログ規制」の類型として示し、国の法令の見直しを進めました。古賀市も、条例・規則などの
# 例規に同じような規定がないかを点検します。例規の条項はとても多く、職員が全部を読むのは大変です。
# そこで `regulation_scan` ステージは、国の見直しの工程表で「該当」とされた条項から学んだ判定モデルで
# 例規の条項を「アナログ規制らしい順」に並べ、担当課に配る一覧 (review.xlsx) を作りました。
# 職員はこの一覧を上から読みます。**どこまで読めば、どれだけ見つかるでしょうか？**
#
# > 条文は公開されている法令・例規で、個人情報は含みません。正解のラベルは、デジタル庁の
# > 「アナログ規制の見直しに係る工程表」(2022年12月) で見直しの対象とされた条項です
# > (src/kogadx/regulation/data/SOURCES.md)。

# %%
# %load_ext autoreload
# %autoreload 2

# %%
import math

import numpy as np
import pandas as pd

from kogadx.pbl import checks, data
from kogadx.plotting import setup
from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.evaluate import keyword_scores

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 見直し候補の一覧を読む
# `regulation_scan` ステージが市の例規 (と近隣の自治体の例規) を条項に分け、判定モデルの確率の高い順に
# 並べた一覧です。「上位の目安」(○) は、上から決まった割合 (`budget`、ここでは 10 %) の条項です。
# 「確率」は「このような条項のうち、実際にアナログ規制に当たる割合」の見込みです。この一覧は、
# **まだ誰も判定していません** (判定の列は空です)。

# %%
metrics = data.load_metrics("regulation")
review = data.load_regulation_review()
score_column = "確率" if "確率" in review.columns else "スコア"  # スコア: the ranker could not be calibrated
budget = float(metrics["cv"]["budget"])
in_budget = review[review["上位の目安"] == "○"]
print(f"点検した例規 {review['法令名'].nunique()} 件、条項 {len(review)} 件。"
      f"上位の目安 (上から {budget:.0%}) は {len(in_budget)} 条項")
review[["順位", "上位の目安", "法令名", "条項", score_column, "類型の候補", "該当キーワード"]].head(12)

# %% [markdown]
# ## 2. 正解のある条項で確かめる
# 市の例規にはまだ正解がないので、「どこまで読めばどれだけ見つかるか」は、正解のある国の法令の条項で
# 確かめます。ラベル (`labels`) が空でない条項が、工程表で見直しの対象になった「該当」の条項です。
# 該当でない条項の一部は「工程表に載らなかっただけ」かもしれない点に注意しましょう。

# %%
labelled = load_training_data()
clauses = labelled[labelled["source"] == "clause"].reset_index(drop=True)
is_analog = (clauses["labels"] != "").to_numpy()
texts = clauses["caption"] + "\n" + clauses["text"]
print(f"国の {clauses['law_title'].nunique()} 法令、{len(clauses):,} 条項のうち、"
      f"該当 {is_analog.sum()} 条項 ({is_analog.mean():.1%})")

# %% [markdown]
# 2 つの並べ方を比べます。
#
# 1. **キーワードの数**: DOMAIN.md の類型ごとのキーワード (「立入」「掲示」「講習」など) が、条項にいくつ
#    含まれるか。正解を一度も見ない、単純な基準 (ベースライン) です。同じ数の条項は順番が決まらないので、
#    ごく小さな乱数で並べます (職員が同点の中をどの順に読むかは偶然だからです)。
# 2. **小さな判定モデル**: 条文の文字の並び (1〜2 文字) を数え (TF-IDF)、該当の条項に多い並びを線形 SVM で
#    学ぶモデル。ステージのモデル (文字と単語の n-gram、工程表の要約文も学習、確率の較正) を小さくしたもので、
#    スコアは確率ではなく「並べる順」だけに使います。法令ごとに 5 つに分け、**ある法令の条項は、
#    その法令を学習に使わなかったモデルで** 点をつけます (法令ごとの交差検証)。

# %%
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

rng = np.random.default_rng(12)
keyword_count = keyword_scores(texts)[:, 0]
keyword_order = keyword_count + rng.uniform(0, 0.01, len(keyword_count))  # ties read in a random order

counts = HashingVectorizer(analyzer="char", ngram_range=(1, 2), n_features=2**16, alternate_sign=False,
                           norm=None).transform(texts.str.slice(0, 1000))
laws = clauses["group"]  # the e-Gov law id: one law is never in both the training and the scored part


def small_model():
    return make_pipeline(TfidfTransformer(sublinear_tf=True),
                         SGDClassifier(loss="hinge", alpha=1e-3, class_weight="balanced", random_state=0))


model_unseen = cross_val_predict(small_model(), counts, is_analog, groups=laws, cv=GroupKFold(5),
                                 method="decision_function")
print("点をつけた条項:", len(model_unseen))

# %% [markdown]
# ## 3. 読む量を決めたときの再現率
# 職員が一覧の上から `budget` の割合 (読む条項数は `math.ceil(budget × 条項数)`) を読むとき、
# 該当の条項全体のうち見つかる割合を **予算を決めたときの再現率** (recall at budget) と呼びます。
# 「読んだ中の何 % が該当か」(適合率) とは違います。
#
# **演習 1.** スコア (大きいほど先に読む)、該当かどうか (True/False)、読む割合 `budget` を受け取り、
# 再現率を返す関数 `recall_at_budget(scores, is_analog, budget)` を書いてください。チェックは
# 判定モデルのスコアのほか、自分で作った別の一覧でも確かめます。
#
# **予想してから実行しよう**: 上から 10 % を読むとき、キーワードの数の順と判定モデルの順で、
# 該当のそれぞれ何 % が見つかると思いますか？ 予想をメモしてから進みましょう。

# %%
def recall_at_budget(scores, is_analog, budget):
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")  # high scores first
    read = math.ceil(budget * len(order))
    return np.asarray(is_analog)[order][:read].sum() / np.sum(is_analog)


assert checks.check_recall_at_budget(recall_at_budget, model_unseen, is_analog, budget)

# %% [markdown]
# 答え合わせ (チェックのあとに実行): パイプラインの関数で計算した値と、ステージの交差検証の値
# (`metrics/regulation.json`、ステージ本来のモデル) です。小さなモデルとステージのモデルは、学習に使う行
# (工程表の要約文を使うか) も法令の分け方も違うので、値は同じになりません。どちらも「見ていない法令で測った」値です。

# %%
from kogadx.regulation.ranking import recall_at_budget as pipeline_recall

cv = metrics["cv"]
pd.DataFrame({
    "並べ方": ["キーワードの数", "小さな判定モデル (見ていない法令)", "ステージのモデル (交差検証)",
             "ステージのキーワード (交差検証)"],
    f"上位 {budget:.0%} の再現率": [pipeline_recall(keyword_count, is_analog, budget),
                                 pipeline_recall(model_unseen, is_analog, budget),
                                 cv["model"]["recall_at_budget"], cv["keywords"]["recall_at_budget"]],
}).round(3)

# %% [markdown]
# ## 4. 8 割を見つけるには何条項読むか
# 予算を先に決めるのではなく、「該当の 8 割は見つけたい」という目標から読む量を決めることもできます。
#
# **演習 2.** スコア、該当かどうか、目標の割合 `target` (例: 0.8) を受け取り、上から読んで
# 該当の `target` 以上が見つかる **最も少ない** 条項数を返す関数 `clauses_to_find(scores, is_analog, target)` を
# 書いてください。

# %%
def clauses_to_find(scores, is_analog, target):
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    found = np.cumsum(np.asarray(is_analog)[order])  # analog clauses found after reading 1, 2, ... clauses
    return int(np.argmax(found >= target * found[-1])) + 1


assert checks.check_clauses_to_find(clauses_to_find, model_unseen, is_analog, 0.8)

# %% [markdown]
# 答え合わせ (チェックのあとに実行): 上から読んだ条項数と、見つかった該当の割合の曲線です。
# 判定モデルの曲線がキーワードの曲線より左上にあるほど、少ない手間で多く見つかります。

# %%
def found_curve(scores):
    order = np.argsort(-scores, kind="stable")
    return np.cumsum(is_analog[order]) / is_analog.sum()


read = np.arange(1, len(clauses) + 1)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(read, found_curve(model_unseen), label="小さな判定モデル (見ていない法令)")
ax.plot(read, found_curve(keyword_order), label="キーワードの数")
ax.axhline(0.8, color="gray", linestyle=":", linewidth=1)
ax.set(xlabel="上から読んだ条項数", ylabel="見つかった該当の割合", title="読む条項数と見つかる割合")
ax.legend()
plt.show()
targets = [0.5, 0.8, 0.9]
pd.DataFrame({
    "見つけたい割合": [f"{t:.0%}" for t in targets],
    "判定モデル (条項数)": [int(np.argmax(found_curve(model_unseen) >= t)) + 1 for t in targets],
    "キーワード (条項数)": [int(np.argmax(found_curve(keyword_order) >= t)) + 1 for t in targets],
})

# %% [markdown]
# ## 5. 判定済みの条項で測ると、なぜ良く見えるか
# 2 のモデルは、点をつける法令を学習に使いませんでした。では、**全部の条項で学習したモデル** で、
# その同じ条項 (学習に使った、判定済みの条項) を並べたらどうなるでしょう？
#
# **予想してから実行しよう**: 学習に使った条項で測った再現率 (上位 10 %) は、見ていない法令で測った
# 再現率より高いでしょうか、低いでしょうか？ キーワードの数ではどうでしょう？

# %%
model_seen = small_model().fit(counts, is_analog).decision_function(counts)
pd.DataFrame({
    "並べ方": ["小さな判定モデル", "キーワードの数"],
    "学習に使った条項で測る": [pipeline_recall(model_seen, is_analog, budget),
                          pipeline_recall(keyword_count, is_analog, budget)],
    "見ていない法令で測る": [pipeline_recall(model_unseen, is_analog, budget),
                         pipeline_recall(keyword_count, is_analog, budget)],
}).round(3)

# %% [markdown]
# 学習に使った条項では、モデルは「この条文は該当」という答えを覚えているので、再現率が高く出ます。
# まだ判定していない条項 (新しい法令、市の例規) では、その答えを覚えていません。だから、市に約束できるのは
# **見ていない法令で測った値** (ステージの法令ごとの交差検証) です。キーワードの数は正解を見ないので、
# どちらで測っても同じです。
#
# ## 6. まだ誰も判定していない市の一覧では
# 市の例規にはまだ正解がありません。ただし確率が較正されていれば (確率 0.3 の条項の約 3 割が該当)、
# 確率の合計が「該当の条項の数の見込み」になり、上位の確率の合計 ÷ 全体の確率の合計 が
# 「上位を読んだときの再現率の見込み」になります。
#
# **演習 3.** 確率の並び (順不同) と `budget` を受け取り、確率の高い順に `math.ceil(budget × 条項数)` 件を
# 読んだときの再現率の見込みを返す関数 `expected_recall(probabilities, budget)` を書いてください。
#
# **予想してから実行しよう**: 市の一覧で上位 10 % を読んだときの見込みは、ステージの交差検証の再現率
# (表の「ステージのモデル」) より高いでしょうか、低いでしょうか？

# %%
def expected_recall(probabilities, budget):
    p = np.sort(np.asarray(probabilities, dtype=float))[::-1]
    read = math.ceil(budget * len(p))
    return p[:read].sum() / p.sum()


assert checks.check_expected_recall(expected_recall, review[score_column], budget)

# %% [markdown]
# 答え合わせ (チェックのあとに実行): ステージが記録した見込み (`scan.expected_analog_in_budget`) と比べます。

# %%
p = review[score_column].to_numpy(float)
top = np.sort(p)[::-1][: math.ceil(budget * len(p))]
print(f"市の一覧: 条項 {len(p)}、該当の見込み {p.sum():.1f} 条項、うち上位 {len(top)} 条項に {top.sum():.1f} 条項"
      f" (ステージの記録: {metrics['scan']['expected_analog_in_budget']})")
print(f"再現率の見込み {top.sum() / p.sum():.0%} / 交差検証 (国の法令) {cv['model']['recall_at_budget']:.0%}")

# %% [markdown]
# 市の例規は、国の法令と書き方も長さも違います。モデルが見慣れない条文では確率が全体に低く平らになり、
# 上位に集まりにくくなります。しかもこの見込みは「確率が市の例規でも較正されている」という仮定の上の
# 数字です。本当の再現率は、職員が一覧に判定 (該当 / 非該当 / 保留) を記入し、
# `kogadx regulation learn review.xlsx` で取り込んで初めて測れます (上位の外も一部を抜き取って読む必要があります)。

# %% [markdown]
# ## ふりかえり
# - 上位 10 % だけを読む案と、キーワードが 1 つでも当たった条項を全部読む案 (`metrics["cv"]["keywords_any_hit"]`)
#   では、それぞれ何条項を読み、該当の何 % が見つかりますか？ 職員の手間と見落としの重さから、どちらを勧めますか？
# - 学習に使った条項で測った再現率と、法令ごとに分けた交差検証の再現率はなぜ違うのでしょう？
#   市への報告に使うのはどちらですか？
# - まだ誰も判定していない市の一覧で、再現率の見込みが交差検証より低くなりうるのはなぜでしょう？
#   本当の再現率を確かめるには、職員に何をしてもらえばよいでしょう？
