# %% [markdown]
# # 10 データの品質 — 隔離 (quarantine) と取り込みの記録を読む 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - `ingest` ステージの記録 (`metrics/ingest.json`) を読み、読んだ行・残った行・隔離した行を説明できる
# - 「読んだ行 = 残った行 + 隔離した行」という約束を、自分のコードで確かめられる
# - 共有ゾーンのデータにも品質の規則を当てはめ、規則に反する行を数えられる
#
# **ストーリー**
# 市の各課から届くファイル (住民基本台帳、予約ログ、エネルギー使用量) には、重複した行や
# 存在しない日付が混ざります。`ingest` ステージは、そうした行を黙って捨てず、理由を付けて
# **隔離** (quarantine) し、件数を記録します。隔離された行そのものは個人情報を含むので
# 安全管理区域 (`data/raw_validated/`) に置かれ、大学からは見えません。
# 見えるのは「どの表で、どんな理由で、何行」という記録だけです。それで何が言えるでしょうか。

# %%
# %load_ext autoreload
# %autoreload 2

# %%
import pandas as pd

from kogadx.pbl import checks, data
from kogadx.plotting import setup

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 取り込みの記録を表にする

# %%
ingest = data.load_metrics("ingest")
tables = {name: block for name, block in ingest.items() if isinstance(block, dict) and "rows_in" in block}
summary = pd.DataFrame(tables).T[["rows_in", "rows_out", "rows_quarantined"]].astype(int)
summary["encoding"] = pd.Series({name: block.get("encoding", "") for name, block in tables.items()})
summary

# %% [markdown]
# **予想してから実行しよう**: 隔離された行が一番多いのはどの表だと思いますか？ それはなぜでしょう？
# (ノートに書いてから、次の節へ)
#
# **演習 1.** 1 つの表の記録 (`{"rows_in": ..., "rows_out": ..., "rows_quarantined": ...}` という
# dict) を受け取り、「読んだ行 = 残った行 + 隔離した行」が成り立てば `True` を返す関数
# `is_balanced` を書いてください。チェックは記録の表すべてと、自分で作った記録 (成り立たないものも
# 含む) で確かめます。

# %%
def is_balanced(table_metrics):
    return table_metrics["rows_in"] == table_metrics["rows_out"] + table_metrics["rows_quarantined"]


assert checks.check_balanced(is_balanced, ingest)

# %% [markdown]
# ## 2. 隔離の理由
# 理由ごとの件数です。文字コード (`encoding`) の列は、ファイルが CP932 (Windows の日本語) か
# UTF-8 かを自動で判定した結果です。

# %%
reasons = pd.DataFrame(
    [{"表": name, "理由": reason, "行数": count}
     for name, block in tables.items() for reason, count in block.get("reasons", {}).items()],
    columns=["表", "理由", "行数"],
)
reasons

# %%
shares = (summary["rows_quarantined"] / summary["rows_in"]).sort_values()
fig, ax = plt.subplots()
(shares * 100).plot.barh(ax=ax)
ax.set_xlabel("隔離した行の割合 (%)")
ax.set_title("表ごとの隔離の割合")
plt.show()

# %% [markdown]
# 隔離された行の中身は見られません。それでも、隔離が多い表を使う分析では
# 「どんな行が抜けたか」(例: 生年月日が不正な人 → 年齢が分からない人) を考える必要があります。
# 抜けた行が特定の人たちに偏っていれば、集計の結果も偏ります。
#
# ## 3. 共有ゾーンのデータに規則を当てはめる
# 予約ログには、守られているはずの規則があります。
# - 希望乗車時刻 (`desired_pickup_at`) は予約した時刻 (`requested_at`) より後
# - 結果が「完了」の予約には、実際の乗車時刻 (`actual_pickup_at`) がある
#
# **演習 2.** 予約の表を受け取り、どちらかの規則に反する行の数を返す関数 `count_inconsistent` を
# 書いてください (両方に反する行は 1 行と数えます)。チェックは、わざと規則違反を混ぜた表でも確かめます。

# %%
rides = data.load_ride_requests()


def count_inconsistent(rides):
    early = rides["desired_pickup_at"] < rides["requested_at"]
    no_pickup = (rides["outcome"] == "完了") & rides["actual_pickup_at"].isna()
    return int((early | no_pickup).sum())


assert checks.check_inconsistent_rows(count_inconsistent, rides)

# %%
pd.crosstab(rides["outcome"], rides["actual_pickup_at"].isna().map({True: "乗車時刻なし", False: "乗車時刻あり"}))

# %% [markdown]
# ## ふりかえり
# (2〜3 文で。教員用パッケージに評価の観点があります)
# - 「読んだ行 = 残った行 + 隔離した行」を記録しておくと、何が防げますか？ 隔離せずに黙って捨てたら、何が起きますか？
# - 住民データで生年月日が不正な行が隔離されました。その人たちが抜けると、年齢別の集計にどんな偏りが出えますか？
# - 隔離された行の中身を大学が見られないのはなぜですか？ それでも品質について言えることは何ですか？
