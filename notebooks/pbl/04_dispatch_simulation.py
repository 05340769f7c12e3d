# %% [markdown]
# # 04 配車シミュレーション
#
# **学習目標**
# - 予約ログを「再生」して、車両の台数を変えたときのサービス (待ち時間・断り率) を比べられる
# - シミュレーションの約束 (乗車時刻の幅・遠回りの上限・定員) と、その限界を説明できる
# - 「何台あれば足りるか」を、目標 (断り率) とコストの両面から考えられる
#
# **ストーリー**
# 運行会社から「利用が 1.5 倍に増えたら、今の台数で足りますか？」と聞かれました。
# 実際に車を増やして試すのは大変です。そこで、過去の予約を 1 件ずつ届いた順に配車システムへ
# 入れ直す **シミュレーション** で、台数と需要を変えた「もしも」を試します。
#
# > パイプラインの `dispatch` ステージは、このノートブックと同じシミュレーターで 4 週間分を再生しています。
# > ここでは短い期間で、仕組みと「もしも」の試し方を体験します。

# %%
# %load_ext autoreload
# %autoreload 2

# %% tags=["parameters"]
N_DAYS = 3  # 再生する平日の日数 (最後の N_DAYS 平日)
FLEET_SIZES = [1, 2, 3, 4]
DEMAND_FACTORS = [1.0, 1.5]
TARGET_REJECTION = 0.05  # 断り率の目標 (5 %)

# %%
import pandas as pd

from kogadx.demand.params import FeaturesParams
from kogadx.mobility.expected_demand import expected_from_history, hourly_counts
from kogadx.mobility.inputs import prepare_requests, stop_positions, zone_waiting_points
from kogadx.mobility.params import DispatchRules
from kogadx.mobility.replications import paired_wait_difference
from kogadx.mobility.simulation import (
    Fleet,
    StraightLineTravelTime,
    check_dispatch,
    run_fleet_scenarios,
    simulate_dispatch,
)
from kogadx.params import load_params
from kogadx.pbl import checks, data
from kogadx.plotting import setup
from kogadx.rng import stream_rng

plt = setup()
# %matplotlib inline

# %% [markdown]
# ## 1. 再生する予約をそろえる
# 停留所の緯度経度を平面直角座標 (EPSG:6670, メートル) に直し、需要予測と同じゾーンを付けます。
# 再生するのは「車が計画しなければならなかった」予約 (完了・配車不可・無断キャンセル) です。
# キャンセルは、いつ取り消されたか分からないので除きます。

# %%
features_params = load_params(FeaturesParams)
stops_xy = stop_positions(data.load_stops(), features_params.zone_level, features_params.n_clusters)
rides = data.load_ride_requests()
weekdays = sorted({d for d in rides["desired_pickup_at"].dt.normalize() if d.dayofweek < 5})[-N_DAYS:]
requests, quarantine = prepare_requests(
    rides[rides["desired_pickup_at"].dt.normalize().isin(weekdays)], stops_xy,
    start=str(weekdays[0].date()), end=str(weekdays[-1].date()), outcomes=["完了", "配車不可", "無断キャンセル"],
)
print(f"再生する予約 {len(requests)} 件 ({weekdays[0]:%m/%d}〜{weekdays[-1]:%m/%d} の平日), 除外 {len(quarantine)} 件")
requests.head()

# %% [markdown]
# ## 2. 今の台数で 1 回動かす
# 車両は JR古賀駅 を車庫として平日 9〜17 時に走ります。移動時間は「直線距離 × 道のりの補正」を一定の速度で
# 走るという単純なモデルです (道路網は使っていません)。速度と乗降にかかる時間は、パイプラインが
# 予約ログ (一人だけで乗った便) から推定した値を `metrics/dispatch.json` から読みます。

# %%
travel_fit = data.load_metrics("dispatch")["travel"]
print(f"速度 {travel_fit['speed_kmh']:.1f} km/h、道のりの補正 × {travel_fit['detour_factor']}、"
      f"乗降 {travel_fit['dwell_min']:.1f} 分")
depot = stops_xy.loc[stops_xy["stop_name"] == "JR古賀駅"].iloc[0]
fleet = Fleet(n_vehicles=3, depot_x=float(depot["x"]), depot_y=float(depot["y"]), capacity=8,
              service_start_hour=9.0, service_end_hour=17.0)
rules = DispatchRules(pickup_window_min=15.0, ride_time_alpha=1.5, dwell_min=float(travel_fit["dwell_min"]))
travel = StraightLineTravelTime(detour_factor=float(travel_fit["detour_factor"]), speed_kmh=float(travel_fit["speed_kmh"]))
result = simulate_dispatch(requests, fleet, rules, travel)
pd.Series(result.kpis).round(3)

# %% [markdown]
# シミュレーターとは別の関数で、約束 (待ち時間・遠回り・定員) が守られているか検算します。

# %%
violations = check_dispatch(result, fleet, rules)
print("約束違反:", len(violations), "件")

# %% [markdown]
# **演習 1.** シミュレーション結果の表 `trips` (例: `result.trips`) を受け取り、運べた
# (`status == "served"`) 予約の割合を返す関数 `served_rate` を書いてください。チェックは自分で作った別の小さな表でもその関数を試すので、表示された数字を写しても正解になりません。

# %%
def served_rate(trips):
    return None  # ← ここを書き換える


checks.check_served_rate(served_rate, result.trips)

# %% [markdown]
# ## 3. もしも: 台数と需要を変える
# 需要 1.5 倍は、実際の予約をランダムに複製し、時刻を ±15 分ずらして作ります (乱数の種は固定)。

# %%
scenarios = run_fleet_scenarios(
    requests, fleet, rules, fleet_sizes=FLEET_SIZES, demand_factors=DEMAND_FACTORS, policies=["none"],
    rng=stream_rng(20240229, "pbl_dispatch"), travel=travel,
)
scenarios[["demand_factor", "n_vehicles", "n_requests", "rejection_rate", "wait_mean_min", "wait_p95_min",
           "vehicle_km", "passengers_per_vehicle_hour"]].round(3)

# %%
fig, ax = plt.subplots()
for factor, part in scenarios.groupby("demand_factor"):
    ax.plot(part["n_vehicles"], part["rejection_rate"], marker="o", label=f"需要 ×{factor}")
ax.axhline(TARGET_REJECTION, color="gray", linestyle="--", label="目標")
ax.set_xlabel("車両の台数")
ax.set_ylabel("断り率")
ax.set_title("台数と断り率 (平日の再生)")
ax.legend()
plt.show()

# %% [markdown]
# **演習 2.** 需要が 1.5 倍になったとき、断り率を目標 (`TARGET_REJECTION`) 以下にできる
# 最小の台数は？ (表にある台数から答えます)

# %%
answer_fleet = None  # ← ここを書き換える
checks.check_fleet_needed(answer_fleet, scenarios, max_rejection_rate=TARGET_REJECTION, demand_factor=1.5)

# %% [markdown]
# ## 4. 空いた車両をどこで待たせるか (再配置)
# 「のるーと」の AI は、空いた車両を需要が見込まれる場所へ先回りさせることができます。
# ここでは需要の見込みとして「過去 4 週の同じ曜日・時刻の予約件数の平均」を使い、
# 空いた車両をゾーンの待機停留所へ散らばらせます。先回りなし (降ろした場所で待つ) と比べましょう。

# %%
zones = sorted(stops_xy["zone"].unique())
start, end = str(weekdays[0].date()), str(weekdays[-1].date())
counts = hourly_counts(rides, stops_xy, features_params.count_outcomes)
expected = expected_from_history(counts, zones, start, end, weeks=4)  # その時刻より前の実績だけを使う
waiting = zone_waiting_points(stops_xy, rides, before=start)  # 各ゾーンで車両が待つ停留所
moved = simulate_dispatch(requests, fleet, rules, travel, policy="forecast", zone_demand=expected,
                          zone_centroids=waiting)
pd.DataFrame({"先回りなし": result.kpis, "先回りあり": moved.kpis}).loc[
    ["served_rate", "wait_mean_min", "wait_p95_min", "vehicle_km", "empty_km"]].round(3)

# %% [markdown]
# **演習 3.** 先回りで、運べた予約の平均待ち時間は何分変わりましたか？ 2 つの結果の表
# (`base_trips` = 先回りなし、`new_trips` = 先回りあり) を受け取り、「先回りあり − 先回りなし」
# (短くなったならマイナス、分) を返す関数 `wait_change` を書いてください。`wait_min` 列を使います。
#
# **予想してから実行しよう**: 先回りで待ち時間は短くなる？ 空車の走行距離 (empty_km) はどうなる？

# %%
def wait_change(base_trips, new_trips):
    return None  # ← ここを書き換える


checks.check_wait_change(wait_change, result.trips, moved.trips)

# %% [markdown]
# 数日分の再生では、たまたまその日の予約の並びで差が出ることがあります。同じ予約どうしの差を、
# 運行日を単位に再標本化 (ブートストラップ) して 95% 区間を見ます。区間が 0 をまたぐなら「誤差の範囲」です。

# %%
diff = paired_wait_difference({"none": result, "forecast": moved}, stream_rng(20240229, "pbl_bootstrap"), 1000)
pd.Series(diff["forecast"]).round(3)

# %% [markdown]
# パイプラインの `dispatch` ステージは、同じシミュレーターで 4 週間を再生し、さらに本当の需要 (合成データを
# 作ったときの値。皆さんには見えない機密区域にあります) から予約を何度も作り直して、偶然の揺れをならした比較をしています。
# その結果の数字 (集計値だけ) は `metrics/dispatch.json` にあります。

# %%
dispatch_metrics = data.load_metrics("dispatch")
replications = dispatch_metrics.get("replications")
if replications:
    print(f"作り直した回数: {replications['n']} 回、車両 {replications['n_vehicles']} 台")
    display_table = pd.DataFrame(replications["policies"]).T[["wait_mean_min", "wait_p95_min", "empty_km"]]
else:
    print("この環境の dispatch の結果には作り直しの比較がありません (本当の需要のない実データなど)。")
    display_table = pd.DataFrame(dispatch_metrics["default_fleet"]["policies"]).T[["wait_mean_min", "empty_km"]]
display_table.round(3)

# %% [markdown]
# ## ふりかえり
# - 台数を増やすと断り率は下がりますが、何が増えますか？ (走行距離・空車・人件費)
# - このシミュレーションで考えていないことは何ですか？ (道路の混雑、運転手の休憩、電話予約の人 など)
# - 「断られた人」は次に何をするでしょうか。需要の数字そのものが配車の良し悪しに影響しませんか？
# - 先回りで待ち時間が短くなる代わりに、空車の走行が増えました。市や運行会社にとって、どちらをどれだけ重く見ますか？
# - 粗い見込み (過去 4 週の平均) でも効果が出るのはなぜでしょう？ 車両を散らばらせること自体の効果と、
#   需要の見込みの精度の効果を分けて確かめるには、どんな比較をすればよいでしょうか。
