# %% [markdown]
# # 08 現況届の窓口: 待ち行列と人員配置
#
# **学習目標**
# - 受付ログから、到着率・処理時間・待ち時間を読み取れる
# - 稼働率と Erlang C (M/M/c) の式で、平均待ち時間を計算できる
# - シミュレーションと理論値を比べ、その差と前提 (ランダムな到着、指数分布の処理時間) を説明できる
# - 「90% の人の待ち時間を 15 分以内に」という目標から、必要な窓口数と職員時間を求められる
#
# **ストーリー**
# 古賀市は児童扶養手当とひとり親家庭等医療費助成の **現況届** を、8月に1週間だけ開く特設会場で
# 受け付けています。600 弱の世帯のうち約 7 割がその週に来庁します。来庁が集中する日や時間帯は
# 待ち時間が長くなります。オンラインで書類を先に出してもらえれば窓口の時間は短くなりますが、
# どれだけ効果があるでしょうか？ 過去の受付ログ (仮名加工済み) から考えます。

# %%
# %load_ext autoreload
# %autoreload 2

# %% tags=["parameters"]
SIM_HOURS = 300  # シミュレーションする時間 (長いほど理論値に近づく。CI では短く)

# %%
import numpy as np
import pandas as pd

from kogadx.counter.queue import erlang_c, erlang_c_figures, servers_for_target, simulate_stationary
from kogadx.pbl import checks, data
from kogadx.plotting import setup
from kogadx.rng import stream_rng

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 受付ログを読む
# 1行が1回の来庁です。`arrived_at` (到着)、`called_at` (呼び出し)、`ended_at` (終了) から、
# 待ち時間 = 呼出 − 到着、処理時間 = 終了 − 呼出 が分かります (仮名加工で秒は切り捨て済み)。

# %%
log = data.load_counter_log()
log["wait_min"] = (log["called_at"] - log["arrived_at"]).dt.total_seconds() / 60
log["service_min"] = (log["ended_at"] - log["called_at"]).dt.total_seconds() / 60
log["hour"] = log["arrived_at"].dt.hour
print(f"来庁 {len(log)} 件 ({log['year'].min()}〜{log['year'].max()}年)")
log[["year", "venue", "case_type", "hour", "wait_min", "service_min"]].head()

# %%
venue = log[log["venue"] == "特設会場"]
days = venue.groupby("year")["arrived_at"].apply(lambda s: s.dt.date.nunique()).sum()
by_hour = venue.groupby("hour").size() / days  # 会場1日あたり、時間帯ごとの平均来庁数
by_hour.plot.bar(title="特設会場: 時間帯ごとの平均来庁数 (人/時)")
plt.show()
print(venue.groupby("case_type")["service_min"].mean().round(1))

# %% [markdown]
# **演習 1.** 到着率 λ (人/時)、平均処理時間 (分)、窓口数を受け取り、**稼働率**
# ρ = λ × 処理時間 ÷ (60 × 窓口数) (0〜1 の割合) を返す関数 `utilisation(rate_per_hour, service_min, servers)` を
# 書いてください。チェックは、一番混む時間帯の到着率 (`by_hour` の最大) と平均処理時間
# (`venue["service_min"]` の平均)、窓口 3 つのほか、自分で作った別の条件でも関数を呼びます。
#
# **予想してから実行しよう**: 一番混む時間帯に窓口 3 つだと、職員は時間の何割くらい手がふさがっていると思いますか？

# %%
rate = float(by_hour.max())
service = float(venue["service_min"].mean())
servers = 3


def utilisation(rate_per_hour, service_min, servers):
    return None  # ← ここを書き換える


checks.check_utilisation_function(utilisation, rate, service, servers)

# %% [markdown]
# 答え合わせ (チェックのあとに実行): 予想と比べましょう。

# %%
print(f"到着率 {rate:.1f} 人/時、平均処理時間 {service:.1f} 分、窓口 {servers} → 稼働率 {rate * service / (60 * servers):.2f}")

# %% [markdown]
# ## 2. Erlang C: 待つ確率と平均待ち時間
# 到着がランダム (ポアソン過程) で処理時間が指数分布なら、窓口 c 個の待ち行列 (M/M/c) には
# 式があります。負荷 a = λ/μ (アーラン) として、待つ確率は Erlang C の式 C(c, a)、
# 平均待ち時間は Wq = C(c, a) ÷ (cμ − λ) です。ρ ≥ 1 だと行列は限りなく伸びます
# (`erlang_c_figures` はそのとき分かりやすいエラーを出します)。
#
# **演習 2.** `erlang_c(servers, a)` を使って、M/M/c の平均待ち時間 (分) を返す関数
# `mean_wait(rate_per_hour, service_min, servers)` を書いてください。
# ヒント: 1分あたりの到着率は λ/60、1分あたりの処理率 μ は 1/処理時間、負荷 a = λ/μ。

# %%
def mean_wait(rate_per_hour, service_min, servers):
    return None  # ← ここを書き換える


checks.check_mean_wait_function(mean_wait, rate, service, servers)

# %% [markdown]
# ### シミュレーションと比べる
# 同じ設定を simpy で長時間シミュレーションすると、平均待ち時間は Erlang C に近づきます。
# 短いと偶然のぶれが大きいことも確かめましょう (`SIM_HOURS` を変えてみる)。

# %%
theory = erlang_c_figures(rate, service, servers)
rows = []
for seed in range(3):
    sim = simulate_stationary(rate, service, servers, SIM_HOURS, stream_rng(seed, "pbl08"))
    rows.append({"seed": seed, "平均待ち(分)": sim.mean_wait_min, "90%点(分)": sim.p90_wait_min,
                 "稼働率": sim.utilisation})
table = pd.DataFrame(rows)
print(f"Erlang C: 平均待ち {theory.mean_wait_min:.2f} 分, 90%点 {theory.p90_wait_min:.2f} 分")
table.round(2)

# %% [markdown]
# 実際の受付ログの待ち時間は、この理論値より短いでしょうか、長いでしょうか？ 実際の処理時間は
# 指数分布よりばらつきが小さく、来庁も1日の中で波があります。モデルの前提と現実の違いを考えましょう。

# %% [markdown]
# ## 3. 何窓口あれば「90% の人が 15 分以内」か
# Erlang C では、待ち時間が t 分を超える確率は C(c, a)·exp(−(cμ − λ)t) です。
#
# **演習 3.** 到着率、処理時間、目標 (分) を受け取り、待ち時間の 90% 点が目標以下になる **最も少ない**
# 窓口数を返す関数 `counters_needed(rate_per_hour, service_min, target_min)` を書いてください
# (窓口数を 1 つずつ増やして、「目標を超えて待つ確率」が 10% 以下になったところで止めます)。
#
# **予想してから実行しよう**: 「平均待ちが 15 分以内」と「90% の人が 15 分以内」、必要な窓口が多いのはどちらでしょう？

# %%
def counters_needed(rate_per_hour, service_min, target_min):
    return None  # ← ここを書き換える


checks.check_counters_function(counters_needed, rate, service, 15.0)

# %% [markdown]
# 答え合わせ (チェックのあとに実行): パイプラインの関数 `servers_for_target` の答えと、そのときの平均・90% 点です。

# %%
needed = servers_for_target(rate, service, 15.0)
figures = erlang_c_figures(rate, service, needed)
print(f"窓口 {needed}: 平均待ち {figures.mean_wait_min:.1f} 分, 90% 点 {figures.p90_wait_min:.1f} 分")

# %% [markdown]
# ## 4. パイプラインの人員配置計画
# `counter` ステージは、日 × 時刻の来庁予測から時間帯ごとの窓口数を Erlang C で決め、
# 過去の処理時間を使ったシミュレーションで確かめています。シナリオ (オンライン事前提出 0/30/60 %、
# 会場期間の延長、午後の予約制) ごとの延べ職員時間と待ち時間を見てみましょう。

# %%
scenarios = data.load_counter_table("scenarios")
scenarios[["scenario", "staff_hours", "max_counters", "mean_wait_min", "p90_wait_min"]].round(1)

# %%
plan = data.load_counter_table("staffing_plan")
first = plan[plan["scenario"] == scenarios["scenario"].iloc[0]]
first.pivot_table(index="day", columns="hour", values="counters")

# %% [markdown]
# ## ふりかえり
# - オンライン事前提出が 30 % → 60 % になると、延べ職員時間はどれだけ減りますか？ その数字は
#   「オンラインで何割の時間が減るか」(params の `counter.online_saving`、未確認の仮定) に
#   どれだけ左右されますか？
# - 待ち時間の「平均」と「90% 点」、市民に約束するならどちらが誠実でしょうか？
# - 予約制にすると、同じ窓口数でも待ち時間が短くなるのはなぜでしょう (到着のばらつき)？
