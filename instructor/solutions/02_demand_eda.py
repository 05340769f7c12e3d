# %% [markdown]
# # 02 のるーと需要の探索 【解答例・教員用】
#
# > 教員用の解答例です。学生には配らないでください。CI はこのノートブックも上から順に実行し、
# > すべての `checks.check_*` が正解 (True) を返すことを確かめます。
#
# **学習目標**
# - 予約ログを読み、件数・時間帯・曜日・祝日などの「カレンダー効果」を集計して図にできる
# - geopandas で停留所と町丁目を地図に描ける (座標参照系 EPSG:6668 / 6670 を意識して)
# - 探索で見つけたことを、予測モデルの特徴量のアイデアにつなげられる
#
# **ストーリー**
# 2022 年 10 月、古賀市は AI オンデマンドバス「のるーと古賀」を花鶴丘・日吉・美明などの
# 丘陵地で走らせ始めました。高齢化が進む地区で、駅や病院・スーパーに行く足を支えるためです。
# 「いつ、どこで、どれくらい予約が入るのか」が分かれば、車両の台数や配置を考えられます。

# %%
# %load_ext autoreload
# %autoreload 2

# %%
import pandas as pd

from kogadx.geo.reference import CRS_METRIC
from kogadx.pbl import checks, data
from kogadx.plotting import setup

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 予約ログを眺める
# 1 行が 1 件の予約です (学生向けの階層)。`rider_day` は日ごとに振り直した番号、日時は 1 時間単位、
# 乗降の場所は町丁目 (`origin_zone`, `destination_zone`) です。

# %%
rides = data.read_table("data/student/ride_requests.parquet")
print(f"{len(rides):,} 件 ({rides['desired_pickup_at'].min():%Y-%m-%d} 〜 {rides['desired_pickup_at'].max():%Y-%m-%d})")
rides.head()

# %%
rides["outcome"].value_counts()

# %% [markdown]
# **演習 1.** 予約の表 `rides` を受け取り、結果 (`outcome`) が「完了」だった割合 (0〜1 の小数) を
# 返す関数 `completion_rate` を書いてください。チェックは自分で作った別の小さな表でもその関数を試すので、表示された数字を写しても正解になりません。

# %%
def completion_rate(rides):
    return float((rides["outcome"] == "完了").mean())


assert checks.check_completion_rate(completion_rate, rides)

# %% [markdown]
# ## 2. 時間帯と曜日
# 平日は 9〜17 時、土日祝は 8〜18 時の運行です。
#
# **演習 2.** 予約の表を受け取り、予約が一番多い時間帯 (希望乗車時刻の「時」、0〜23 の整数) を返す
# 関数 `peak_hour` を書いてください。
#
# **予想してから実行しよう**: グラフを見る前に、何時が一番多いと思いますか？ 理由は？

# %%
def peak_hour(rides):
    return int(rides["desired_pickup_at"].dt.hour.value_counts().idxmax())


assert checks.check_peak_hour(peak_hour, rides)

# %%
# 答え合わせの図 (チェックの後に見る)
pickup = rides["desired_pickup_at"]
by_hour = pickup.dt.hour.value_counts().sort_index()
fig, ax = plt.subplots()
by_hour.plot.bar(ax=ax)
ax.set_xlabel("希望乗車時刻 (時)")
ax.set_ylabel("予約件数")
ax.set_title("時間帯別の予約件数")
plt.show()

# %% [markdown]
# ## 3. カレンダー効果 (特徴量パネルを使う)
# `features` ステージは、ゾーン × 1 時間ごとの需要 `y` に、祝日・年金支給日・学校の夏休み・
# イベント・天気などの列を付けたパネルを作っています。これを使って、日の種類ごとの需要を比べます。

# %%
panel = data.load_demand_panel()
daily = (
    panel.assign(date=panel["time"].dt.floor("D"))
    .groupby("date")
    .agg(y=("y", "sum"), day_type=("day_type", "first"), is_pension_day=("is_pension_day", "max"),
         precipitation_mm=("precipitation_mm", "sum"))
)
daily.groupby("day_type")["y"].describe()

# %%
fig, ax = plt.subplots()
for label, part in daily.groupby("day_type"):
    ax.plot(part.index, part["y"], marker=".", linestyle="none", label=label)
ax.set_ylabel("1日の予約件数")
ax.set_title("日別の予約件数 (平日と土日祝)")
ax.legend()
plt.show()

# %%
daily.groupby("is_pension_day")["y"].mean().rename({0: "それ以外", 1: "年金支給日"})

# %% [markdown]
# ## 4. 地図で見る
# 停留所は緯度経度 (JGD2011, EPSG:6668) で入っています。距離をメートルで測るときは
# 平面直角座標系 II 系 (EPSG:6670) に変換します。

# %%
import geopandas as gpd

towns = data.load_towns()
stops = data.load_stops()
stops_gdf = gpd.GeoDataFrame(stops, geometry=gpd.points_from_xy(stops["lon"], stops["lat"]), crs="EPSG:6668")
rides_stops = data.load_stop_trips()  # 乗車と降車の停留所の組だけ (時刻・人はなし)
uses = pd.concat([rides_stops["origin_stop_id"], rides_stops["destination_stop_id"]]).value_counts().rename("uses")
stops_gdf = stops_gdf.join(uses, on="stop_id").fillna({"uses": 0})

fig, ax = plt.subplots(figsize=(7, 7))
towns.to_crs(CRS_METRIC).plot(ax=ax, color="#f2f2f2", edgecolor="#999999", linewidth=0.5)
metric = stops_gdf.to_crs(CRS_METRIC)
metric.plot(ax=ax, markersize=5 + 200 * metric["uses"] / max(metric["uses"].max(), 1), color="#1f5fa8", alpha=0.7)
ax.set_title("停留所ごとの利用 (乗車 + 降車) — 円が大きいほど多い")
ax.set_axis_off()
plt.show()

# %% [markdown]
# **演習 3.** 予約の表を受け取り、乗車と降車を合わせて一番よく使われる停留所の `stop_id` を返す
# 関数 `busiest_stop` を書いてください。

# %%
def busiest_stop(rides):
    return pd.concat([rides["origin_stop_id"], rides["destination_stop_id"]]).value_counts().idxmax()


assert checks.check_busiest_stop(busiest_stop, rides_stops)

# %%
stops.set_index("stop_id").loc[stops_gdf.sort_values("uses", ascending=False)["stop_id"].head(5), ["stop_name", "kind"]]

# %% [markdown]
# ## ふりかえり
# - 需要が多い時間帯・曜日・日 (年金支給日など) はいつでしたか？その理由を想像してみましょう。
# - 予測モデルに入れたい特徴量を 3 つ挙げてください。それは予測する時点で分かっている値ですか？
# - 地図から読み取れることと、読み取れないこと (例: 歩いて停留所まで行けない人) は何ですか？
