# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 現況届 窓口の混雑と人員配置

# %% tags=["parameters"]
counter_metrics = "metrics/counter.json"
counter_figures = "reports/figures/counter"
counter_tables = "data/features/counter"
online_saving = 0.4
staff_per_counter = 1.0

# %%
import json
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from kogadx.reporting import alt
from kogadx.reporting import blocks as b
from kogadx.reporting.findings import counter_decision, counter_options


def show(html: str) -> None:
    display(HTML(html))


def table(name: str) -> pd.DataFrame:
    return pd.read_parquet(Path(counter_tables) / f"{name}.parquet")


WEEKDAYS = "月火水木金土日"
metrics = json.loads(Path(counter_metrics).read_text(encoding="utf-8"))
forecast = table("arrival_forecast")
scenarios = table("scenarios")
plan = table("staffing_plan")
backtest = table("backtest")
target = metrics["wait_target_min"]
venue = forecast[forecast["part"] == "venue"]
by_day = venue.groupby("date")["mean"].sum()
peak = venue.loc[venue["mean"].idxmax()]
peak_date = pd.Timestamp(peak["date"])
base, mid, high = (scenarios.iloc[i] for i in range(3))
findings = [
    f"{b.fmt_int(metrics['households'])} 世帯のうち、特設会場 ({len(by_day)} 日間) には約 "
    f"{b.fmt_int(round(by_day.sum()))} 人が来ると予測しました。最も混むのは "
    f"{peak_date.month}月{peak_date.day}日({WEEKDAYS[peak_date.weekday()]}) {int(peak['hour'])}時台で、"
    f"約 {b.fmt_num(peak['mean'], 1)} 人/時 ({b.fmt_int(peak['low'])}〜{b.fmt_int(peak['high'])} 人、"
    f"{b.fmt_pct(metrics['forecast']['interval_level'], 0)} 区間) です。",
    f"待ち時間の 90% 点を {b.fmt_num(target, 0)} 分以内にするには、オンライン事前提出がない場合で延べ "
    f"{b.fmt_int(base['staff_hours'])} 人時 (最大 {b.fmt_int(base['max_counters'])} 窓口) が必要です。",
    f"オンライン事前提出が 30 % なら延べ {b.fmt_int(mid['staff_hours'])} 人時、60 % なら "
    f"{b.fmt_int(high['staff_hours'])} 人時で、オンラインなしより {b.fmt_int(base['staff_hours'] - high['staff_hours'])} "
    f"人時 ({b.fmt_pct((base['staff_hours'] - high['staff_hours']) / base['staff_hours'], 0)}) 少なくて済みます。",
    f"過去と同じ {b.fmt_int(base['past_counters'])} 窓口のままだと、オンラインなしでは待ち時間の 90% 点が "
    f"{b.fmt_num(base['past_counters_p90_wait_min'], 1)} 分になります (シミュレーション)。",
    f"予測の精度 (過去 {len(metrics['forecast']['backtest_years'])} 年の検証): 日 × 時刻の誤差率 "
    f"{b.fmt_pct(metrics['forecast']['wape'], 0)} (前年の同じ枠をそのまま使うと "
    f"{b.fmt_pct(metrics['forecast']['wape_naive'], 0)})。",
]
options = counter_options(scenarios, int(metrics["households"]))
decision = counter_decision(metrics, options)
show(b.decision_block(decision["question"], decision["finding"], options,
                      {"scenario": "案", "staff_hours": "職員時間 (人時)", "staff_min_per_household": "1 世帯あたり (分)",
                       "max_counters": "最大の窓口数", "p90_wait_min": "待ちの 90% 点 (分)",
                       "past_counters_p90_wait_min": f"過去の {int(scenarios['past_counters'].iloc[0])} 窓口のままなら (分)"},
                      decision["uncertainty"], decision["decider"], decision["next_step"],
                      {"staff_hours": b.fmt_int, "staff_min_per_household": lambda v: b.fmt_num(v, 1),
                       "max_counters": b.fmt_int, "p90_wait_min": lambda v: b.fmt_num(v, 1),
                       "past_counters_p90_wait_min": lambda v: b.fmt_num(v, 1)}))
show(b.summary_block("この報告の要点", findings,
                     lead="現況届 (児童扶養手当・ひとり親家庭等医療費助成) の8月の窓口について、過去の受付ログから"
                          "日・時刻ごとの来庁数を予測し、待ち行列のシミュレーションで必要な窓口数と職員時間を求めました。"))
show(b.note_block("処理時間やオンラインの効果など、市で確認されていない仮定を含みます (4. 前提)。"
                  "実際の受付記録と対応時間で再計算してから判断に使ってください。", kind="warn"))

# %% [markdown]
# ## 1. 来庁数の予測 (日 × 時刻)
# 8月の窓口日ごとに、時刻別の予測来庁数を示します。特設会場の週 (上) と、その後の通常窓口の日 (下) です。
# 初日と最終日、昼休みと夕方 (仕事帰り) に山があります。

# %%
show(b.figure_block(Path(counter_figures) / "arrivals_heatmap.png", "図 1-1 予測来庁数 (人/時、日 × 時刻)",
                    alt.counter_heatmap(forecast)))
days = venue.groupby("date").agg(mean=("mean", "sum"), peak=("mean", "max")).reset_index()
days["label"] = [f"{d.month}/{d.day}({WEEKDAYS[d.weekday()]})" for d in pd.to_datetime(days["date"])]
show(b.table_block(days, {"label": "会場の日", "mean": "予測来庁数 (人/日)", "peak": "最も混む時間帯 (人/時)"},
                   {"mean": lambda v: b.fmt_num(v, 0), "peak": lambda v: b.fmt_num(v, 1)},
                   caption="表 1-1 特設会場の日ごとの予測"))
bt = backtest[backtest["part"] == "all"]
show(b.table_block(bt, {"test_year": "検証した年", "train_years": "学習に使った年数", "arrivals": "実際の来庁数",
                        "wape": "誤差率 (予測)", "wape_naive": "誤差率 (前年の同じ枠)", "coverage": "区間に入った割合"},
                   {"arrivals": b.fmt_int, "wape": lambda v: b.fmt_pct(v, 0), "wape_naive": lambda v: b.fmt_pct(v, 0),
                    "coverage": lambda v: b.fmt_pct(v, 0)},
                   caption=f"表 1-2 予測の検証 (その年より前の年だけで予測。誤差率 = 日 × 時刻の絶対誤差の合計 ÷ 来庁数、"
                           f"区間は {b.fmt_pct(metrics['forecast']['interval_level'], 0)})"))
show(b.note_block("1 時間あたり数人〜十数人の枠では、偶然のばらつきだけで誤差率が大きくなります。"
                  "時間帯ごとの人数は区間 (幅) で見てください。"))

# %% [markdown]
# ## 2. シナリオ別の待ち時間と職員時間
# 各シナリオについて、時間帯ごとに「待ち時間の 90% 点が目標以内」となる最少の窓口数を決め、
# 会場の各日を 20 回ずつシミュレーションして確かめました。

# %%
show(b.figure_block(Path(counter_figures) / "waits_by_scenario.png", "図 2-1 シナリオ別の待ち時間と延べ職員時間",
                    alt.counter_waits(scenarios, target)))
show(b.table_block(scenarios, {
    "scenario": "シナリオ", "venue_days": "会場日数", "staff_hours": "延べ職員時間 (人時)", "max_counters": "最大窓口数",
    "mean_wait_min": "平均待ち (分)", "p90_wait_min": "待ち 90% 点 (分)", "past_counters_p90_wait_min": "従来の窓口数での 90% 点 (分)"},
    {"venue_days": b.fmt_int, "staff_hours": b.fmt_int, "max_counters": b.fmt_int,
     "mean_wait_min": lambda v: b.fmt_num(v, 1), "p90_wait_min": lambda v: b.fmt_num(v, 1),
     "past_counters_p90_wait_min": lambda v: b.fmt_num(v, 1)},
    caption=f"表 2-1 シナリオの比較 (目標: 待ち時間の 90% 点を {b.fmt_num(target, 0)} 分以下に)"))

# %% [markdown]
# ## 3. 人員配置表 (オンライン事前提出 0 / 30 / 60 %)
# 時間帯ごとに開ける窓口の数です (1 窓口 = 職員 1 人として延べ職員時間を数えています)。

# %%
for k, row in enumerate(scenarios.head(3).itertuples()):
    one = plan[plan["scenario"] == row.scenario]
    grid = one.pivot_table(index="day", columns="hour", values="counters", aggfunc="sum")
    dates = sorted(venue["date"].unique())
    grid.index = [f"{pd.Timestamp(dates[d - 1]).month}/{pd.Timestamp(dates[d - 1]).day}" if d <= len(dates)
                  else f"{d}日目" for d in grid.index]
    grid.columns = [f"{h}時" for h in grid.columns]
    grid["合計"] = grid.sum(axis=1)
    frame = grid.reset_index(names="日")
    show(b.table_block(frame, {c: c for c in frame.columns}, {c: b.fmt_int for c in frame.columns if c != "日"},
                       caption=f"表 3-{k + 1} {row.scenario}: 窓口数 (延べ {b.fmt_int(row.staff_hours)} 人時)"))

# %% [markdown]
# ## 4. 前提
# 結果は次の前提に基づきます。市で確認した値に置き換えると、結果も変わります。

# %%
show(b.kv_block([
    ("対象世帯と来庁の時期", "600 弱の世帯のうち約 7 割が8月の特設会場 (1 週間) に来る (古賀市・凸版の行政 DX 資料)。"
                             "ほかは8月中の通常窓口。"),
    ("来庁の予測", "過去の各年の受付ログで、日 (会場の何日目か) × 時刻の来庁の割合を平均し、今年の世帯数を掛けた。"
                   "区間は負の二項分布 (過去の年のばらつきから推定)。"),
    ("待ち行列", "窓口は先着順。窓口数の出発点は Erlang C (ランダムな到着・指数分布の処理時間) で求め、"
                 "過去の実際の処理時間を使ったシミュレーションで目標を満たすまで窓口を足した。"),
    ("オンライン事前提出の効果", f"オンラインで書類を先に出した世帯は、窓口の時間が {b.fmt_pct(online_saving, 0)} "
                                 "短くなると仮定 (未確認)。現況届そのものは窓口で署名する。"),
    ("予約制", "予約した人は予約枠の時間帯に均等な間隔で来ると仮定 (遅刻・無断キャンセルは考えていない)。"),
    ("職員", f"1 窓口あたり職員 {b.fmt_num(staff_per_counter, 1)} 人。案内係・書類の点検係は含まない。"),
    ("データ", "過去の受付ログ (合成データの場合は、架空の世帯を実際に窓口の待ち行列で処理して作ったログ)。"),
], caption="表 4-1 前提と出典", numeric=False))
