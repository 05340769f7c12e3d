"""のるーと古賀 report: service KPIs from ride requests, demand patterns and a stop/OD map.

Inputs are shareable-zone tables (pseudonymized ride requests, the demand panel, stops,
towns); outputs are aggregates only (counts, shares, minutes). No member ID leaves here.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

# one set of policy codes, order and names for the dispatch figures and this report
from kogadx.mobility.policies import POLICY_ORDER, ordered, policy_label
from kogadx.reporting.blocks import fmt_int, fmt_num, fmt_pct

OUTCOME_ORDER = ["完了", "キャンセル", "無断キャンセル", "配車不可"]


def service_kpis(ride_requests: pd.DataFrame) -> dict[str, Any]:
    """Whole-period service KPIs (shares of requests; minutes for times).

    wait = actual pickup − desired pickup (completed rides, minutes, negative = early);
    ride = actual drop-off − actual pickup (minutes).
    """
    n = len(ride_requests)
    outcome = ride_requests["outcome"].astype(str)
    done = ride_requests[outcome == "完了"]
    wait = (done["actual_pickup_at"] - done["desired_pickup_at"]).dt.total_seconds() / 60
    ride = (done["actual_dropoff_at"] - done["actual_pickup_at"]).dt.total_seconds() / 60
    days = pd.to_datetime(ride_requests["requested_at"]).dt.normalize()
    return {
        "n_requests": float(n),
        "n_completed": float(len(done)),
        "completed_share": len(done) / n if n else np.nan,
        "cancel_share": float((outcome == "キャンセル").mean()) if n else np.nan,
        "no_show_share": float((outcome == "無断キャンセル").mean()) if n else np.nan,
        "unserved_share": float((outcome == "配車不可").mean()) if n else np.nan,
        "wait_median_min": float(wait.median()) if len(done) else np.nan,
        "wait_p90_min": float(wait.quantile(0.9)) if len(done) else np.nan,
        "ride_median_min": float(ride.median()) if len(done) else np.nan,
        "passengers_per_ride": float(done["passengers"].astype(float).mean()) if len(done) else np.nan,
        "n_days": float(days.nunique()),
        "first_day": days.min().date().isoformat() if n else "",
        "last_day": days.max().date().isoformat() if n else "",
    }


def monthly_kpis(ride_requests: pd.DataFrame) -> pd.DataFrame:
    """One row per calendar month: requests, per outcome counts and shares, active members."""
    frame = ride_requests.assign(month=pd.to_datetime(ride_requests["requested_at"]).dt.strftime("%Y-%m"),
                                 outcome=ride_requests["outcome"].astype(str))
    counts = frame.pivot_table(index="month", columns="outcome", values="request_id", aggfunc="count",
                               fill_value=0)
    counts = counts.reindex(columns=OUTCOME_ORDER, fill_value=0)
    out = counts.assign(requests=counts.sum(axis=1))
    out["completed_share"] = out["完了"] / out["requests"]
    out["unserved_share"] = out["配車不可"] / out["requests"]
    out["active_members"] = frame.groupby("month")["member_id"].nunique()
    out["service_days"] = frame.groupby("month")["requested_at"].apply(
        lambda s: pd.to_datetime(s).dt.normalize().nunique())
    out["requests_per_day"] = out["requests"] / out["service_days"]
    return out.reset_index()


def hourly_profile(panel: pd.DataFrame) -> pd.DataFrame:
    """Mean requests per zone-hour by hour of day and day type, in service hours only."""
    served = panel[panel["in_service"] == 1]
    total = served.groupby(["time", "day_type", "hour"], as_index=False)["y"].sum()
    return total.groupby(["day_type", "hour"], as_index=False)["y"].mean().rename(columns={"y": "mean_requests"})


def top_od_pairs(ride_requests: pd.DataFrame, stops: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` most frequent completed origin → destination stop pairs with stop names/coordinates."""
    done = ride_requests[ride_requests["outcome"].astype(str) == "完了"]
    pairs = (done.groupby(["origin_stop_id", "destination_stop_id"]).size().rename("trips").reset_index()
             .sort_values(["trips", "origin_stop_id", "destination_stop_id"], ascending=[False, True, True],
                          kind="stable").head(n))
    s = stops.set_index("stop_id")[["stop_name", "lat", "lon"]]
    pairs = pairs.join(s.add_prefix("o_"), on="origin_stop_id").join(s.add_prefix("d_"), on="destination_stop_id")
    return pairs.reset_index(drop=True)


def figure_png(fig: Any) -> bytes:
    """PNG bytes of a matplotlib figure without timestamp metadata (byte-identical reruns)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    fig.clear()
    return buffer.getvalue()


def plot_monthly_outcomes(monthly: pd.DataFrame) -> Any:
    """Stacked bars of requests per month by outcome (件)."""
    from kogadx.plotting import setup

    plt = setup()
    fig, ax = plt.subplots(figsize=(9, 4))
    bottom = np.zeros(len(monthly))
    for outcome in OUTCOME_ORDER:
        ax.bar(monthly["month"], monthly[outcome], bottom=bottom, label=outcome)
        bottom += monthly[outcome].to_numpy(dtype=float)
    ax.set_title("月別の予約件数 (結果別)")
    ax.set_ylabel("件数")
    ax.tick_params(axis="x", labelrotation=90, labelsize=8)
    ax.legend(ncols=4, fontsize=9)
    return fig


def plot_hourly_profile(profile: pd.DataFrame) -> Any:
    """Mean requests per hour by day type (平日 / 土日祝), service hours only."""
    from kogadx.plotting import setup

    plt = setup()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for day_type, part in profile.groupby("day_type", sort=True):
        ax.plot(part["hour"], part["mean_requests"], marker="o", label=str(day_type))
    ax.set_title("時間帯別の平均予約件数 (運行時間内)")
    ax.set_xlabel("時刻 (時)")
    ax.set_ylabel("件数 / 時間")
    ax.legend()
    return fig


def plot_stop_map(stops: pd.DataFrame, towns: Any, pairs: pd.DataFrame) -> Any:
    """Stops on the town boundaries with the busiest completed OD pairs as lines (no tiles).

    Coordinates are JGD2011 longitude/latitude (EPSG:6668) drawn as-is; line width ∝ trips.
    """
    from kogadx.plotting import setup

    plt = setup()
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    if towns is not None and len(towns):
        towns.plot(ax=ax, facecolor="#f4f6f8", edgecolor="#9aa5b1", linewidth=0.5)
    widest = float(pairs["trips"].max()) if len(pairs) else 1.0
    for row in pairs.itertuples(index=False):
        ax.plot([row.o_lon, row.d_lon], [row.o_lat, row.d_lat], color="#e07b39", alpha=0.75,
                linewidth=0.8 + 5.0 * row.trips / widest, zorder=2)
    is_station = stops["kind"].astype(str) == "station"
    ax.scatter(stops.loc[~is_station, "lon"], stops.loc[~is_station, "lat"], s=14, color="#1f5fa8",
               label="乗降地点", zorder=3)
    ax.scatter(stops.loc[is_station, "lon"], stops.loc[is_station, "lat"], s=70, marker="s",
               color="#c23b3b", label="JR駅", zorder=4)
    for row in stops[is_station].itertuples(index=False):
        ax.annotate(str(row.stop_name), (row.lon, row.lat), xytext=(5, 5), textcoords="offset points", fontsize=9)
    lon_pad = (stops["lon"].max() - stops["lon"].min()) * 0.15 + 0.002
    lat_pad = (stops["lat"].max() - stops["lat"].min()) * 0.15 + 0.002
    ax.set_xlim(stops["lon"].min() - lon_pad, stops["lon"].max() + lon_pad)
    ax.set_ylim(stops["lat"].min() - lat_pad, stops["lat"].max() + lat_pad)
    ax.set_aspect(1 / np.cos(np.deg2rad(float(stops["lat"].mean()))))
    ax.ticklabel_format(useOffset=False, style="plain")  # plain degrees, not "+1.304e2"
    ax.set_title(f"乗降地点と利用の多い区間 (上位 {len(pairs)} 区間)\n"
                 "町丁目の境界はボロノイ近似 (公式の境界ではありません)", fontsize=11)
    ax.set_xlabel("経度")
    ax.set_ylabel("緯度")
    ax.legend(loc="lower right")
    return fig


# --- Dispatch simulation (metrics/dispatch.json written by the `dispatch` stage) -------------

POLICY_EXPLAIN_JA = {
    "none": "空いた車両は最後に降ろした場所で次の予約を待ちます。",
    "depot": "空いた車両は車庫に戻って待ちます。",
    "forecast": "この先 1 時間の区域ごとの需要の見込みに対して、どの区域にも近くの車両から早く着けるよう、"
                "空いた車両の待機停留所をまとめて選びます。",
    "oracle": "合成データを作るときに使った本当の需要で先回りさせます (実際には不可能な参考値。"
              "1 回の再現では偶然の影響で予測より悪く出ることもあるため、多数回の試算の平均で比べます)。",
    "history": "予測モデルの代わりに、過去 4 週の同じ曜日・時刻の予約件数の平均で先回りさせます。",
    "uniform": "需要の見込みを使わず、空いた車両を各区域の待機停留所に均等に散らばらせます (比較のための基準)。",
}
TRAVEL_MODEL_JA = {"straight_line": "停留所間の直線距離に道のりの補正をかけ、一定の速度で割った近似 (道路網は未使用)",
                   "matrix": "停留所間の所要時間表 (行列ファイル)"}
EXPECTED_SOURCE_JA = {"history": "過去数週の同じ曜日・時刻の予約件数の平均 (その時刻より前のデータだけを使用)",
                      "backtest": "需要予測モデル (LightGBM) を再現期間より前のデータだけで学習し、"
                                  "1 週間以上前の実績から予測した値",
                      "file": "需要予測の結果 (demand_forecast)"}


def _min2(value: float) -> str:
    """Minutes (or ratios) with two decimals; '—' when missing."""
    return fmt_num(value, 2)


# (key, row label, formatter) of the policy KPI table; shares as %, minutes and km as numbers.
DISPATCH_KPIS: tuple[tuple[str, str, Any], ...] = (
    ("served_rate", "乗車できた予約の割合", fmt_pct),
    ("rejection_rate", "配車できなかった予約の割合", fmt_pct),
    ("wait_mean_min", "平均待ち時間 (分)", _min2),
    ("wait_p95_min", "待ち時間の 95% 点 (分)", _min2),
    ("ride_over_direct_mean", "乗車時間 ÷ 直行した場合の時間 (平均、倍)", _min2),
    ("vehicle_km", "総走行距離 (km)", fmt_int),
    ("empty_km", "うち空車の走行 (km)", fmt_int),
    ("occupancy", "平均乗車人数 (人キロ ÷ 車両キロ、人)", _min2),
    ("passengers_per_vehicle_hour", "車両 1 時間あたりの乗客 (人)", _min2),
)


def dispatch_policies(dispatch: dict[str, Any], with_replications: bool = False) -> list[str]:
    """Policies at the default fleet in report order (known ones first, then others sorted);
    ``with_replications`` adds those run only on the replicated periods (the controls)."""
    present = set(dispatch["default_fleet"]["policies"])
    if with_replications:
        present |= set((dispatch.get("replications") or {}).get("policies") or {})
    return ordered(present)


def policy_kpi_table(dispatch: dict[str, Any]) -> pd.DataFrame:
    """KPIs (rows, Japanese labels, formatted text) × policies (columns) at the default fleet."""
    policies = dispatch["default_fleet"]["policies"]
    order = dispatch_policies(dispatch)
    rows = []
    for key, label, fmt in DISPATCH_KPIS:
        row = {"kpi": label}
        for policy in order:
            value = policies[policy].get(key)
            row[policy] = "—" if value is None else fmt(value)
        rows.append(row)
    return pd.DataFrame(rows, columns=["kpi", *order])


def fleet_whatif_table(what_if: list[dict[str, Any]], policies: tuple[str, ...] = ("none", "forecast")) -> pd.DataFrame:
    """One row per demand factor × fleet size: mean wait (min) and served share for ``policies``.

    Columns: demand_factor, n_vehicles, then ``<policy>_wait`` and ``<policy>_served`` per policy
    present in ``what_if`` (rows of the dispatch stage's scenario table).
    """
    frame = pd.DataFrame(what_if)
    present = [p for p in policies if p in set(frame["policy"])]
    wide = frame[frame["policy"].isin(present)].pivot_table(
        index=["demand_factor", "n_vehicles"], columns="policy", values=["wait_mean_min", "served_rate"],
        aggfunc="first")
    out = pd.DataFrame(index=wide.index)
    for policy in present:
        out[f"{policy}_wait"] = wide[("wait_mean_min", policy)]
        out[f"{policy}_served"] = wide[("served_rate", policy)]
    return out.reset_index().sort_values(["demand_factor", "n_vehicles"], kind="stable").reset_index(drop=True)


def interval_contains_zero(comparison: dict[str, Any]) -> bool:
    """True when the 95 % interval of a paired wait difference includes 0 (difference not shown)."""
    return float(comparison["ci95_low"]) <= 0.0 <= float(comparison["ci95_high"])


def signed_minutes(value: float) -> str:
    """-0.0257 → '-0.03', 0.0273 → '+0.03' (minutes, two decimals, sign always shown);
    a value that rounds to zero is '0.00' (no sign: '-0.00' reads as a decrease)."""
    text = f"{float(value):+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text


def _difference_cells(c: dict[str, Any]) -> dict[str, str]:
    """diff, interval and verdict cells of one paired wait difference."""
    diff = float(c["wait_mean_diff_min"])
    verdict = "誤差の範囲" if interval_contains_zero(c) else ("短くなる" if diff < 0 else "長くなる")
    return {"diff": signed_minutes(diff),
            "interval": f"{signed_minutes(c['ci95_low'])}〜{signed_minutes(c['ci95_high'])}",
            "verdict": verdict}


def vs_none_table(dispatch: dict[str, Any]) -> pd.DataFrame:
    """Each policy against 再配置なし: mean wait difference (min), 95 % interval and a verdict."""
    rows = []
    comparisons = dispatch.get("vs_none") or {}
    for policy in ordered(comparisons):
        c = comparisons[policy]
        rows.append({"policy": policy_label(policy), **_difference_cells(c),
                     "faster": c.get("share_requests_faster"), "slower": c.get("share_requests_slower")})
    return pd.DataFrame(rows, columns=["policy", "diff", "interval", "verdict", "faster", "slower"])


REPLICATION_PAIRS = (
    ("forecast_vs_none", "予測に基づく再配置 − 再配置なし"),
    ("oracle_vs_none", "真の需要 (参考) − 再配置なし"),
    ("history_vs_none", "過去 4 週の平均 − 再配置なし"),
    ("uniform_vs_none", "均等に配置 − 再配置なし"),
    ("forecast_vs_oracle", "予測に基づく再配置 − 真の需要 (参考)"),
    ("history_vs_forecast", "過去 4 週の平均 − 予測に基づく再配置"),
    ("uniform_vs_forecast", "均等に配置 − 予測に基づく再配置"),
)


def replication_policy_table(dispatch: dict[str, Any]) -> pd.DataFrame:
    """Mean KPIs over the replicated periods, one row per policy (empty without replications)."""
    rep = dispatch.get("replications") or {}
    rows = [{"policy": policy_label(p), "wait": _min2(k["wait_mean_min"]), "p95": _min2(k["wait_p95_min"]),
             "empty_km": fmt_int(k["empty_km"]), "served": fmt_pct(k["served_rate"])}
            for p, k in sorted((rep.get("policies") or {}).items(),
                               key=lambda item: POLICY_ORDER.index(item[0]) if item[0] in POLICY_ORDER else 99)]
    return pd.DataFrame(rows, columns=["policy", "wait", "p95", "empty_km", "served"])


def replication_comparison_table(dispatch: dict[str, Any]) -> pd.DataFrame:
    """Paired differences of mean wait over the replicated periods, with interval and verdict."""
    paired = (dispatch.get("replications") or {}).get("paired") or {}
    rows = []
    for key, label in REPLICATION_PAIRS:
        if key not in paired:
            continue
        rows.append({"pair": label, **_difference_cells(paired[key])})
    return pd.DataFrame(rows, columns=["pair", "diff", "interval", "verdict"])


def replication_note(dispatch: dict[str, Any]) -> str:
    """What the replicated periods say about forecast vs none and vs the oracle, from the numbers."""
    rep = dispatch.get("replications") or {}
    paired, pol = rep.get("paired") or {}, rep.get("policies") or {}
    fc = paired.get("forecast_vs_none")
    if fc is None:
        return ("需要の偶然の揺れを平均した試算は、今回の結果に含まれていません "
                "(本当の需要が分かる合成データでのみ行います)。")
    n = rep.get("n", "—")
    text = (f"本当の需要から予約を {n} 回作り直して同じ比較を繰り返すと、予測に基づく再配置は再配置なしより"
            f"平均待ち時間が {_min2(abs(float(fc['wait_mean_diff_min'])))} 分"
            f"{'短く' if float(fc['wait_mean_diff_min']) < 0 else '長く'}なりました")
    text += ("" if interval_contains_zero(fc) else
             f" (95% 区間 {signed_minutes(fc['ci95_low'])}〜{signed_minutes(fc['ci95_high'])} 分、"
             "0 を含みません)") + "。"
    fo = paired.get("forecast_vs_oracle")
    if fo is not None and "oracle" in pol and "forecast" in pol:
        o, f = float(pol["oracle"]["wait_mean_min"]), float(pol["forecast"]["wait_mean_min"])
        between = (f"真の需要で先回りした場合 ({_min2(o)} 分) と予測の場合 ({_min2(f)} 分) の差は "
                   f"{signed_minutes(fo['wait_mean_diff_min'])} 分 (95% 区間 {signed_minutes(fo['ci95_low'])}〜"
                   f"{signed_minutes(fo['ci95_high'])} 分) で、")
        if interval_contains_zero(fo):
            text += between + "誤差の範囲です。予測は、本当の需要を知っていた場合とほぼ同じ効果を上げています。"
        elif float(fo["wait_mean_diff_min"]) > 0:
            text += between + "真の需要の方が短く、予測の精度を上げる余地があります。"
        else:
            text += (between + "予測の方が短くなりました。"
                     "先回りの手順が近似であるためで、真の需要は上限になっていません。")
    uf = paired.get("uniform_vs_none")
    if uf is not None and float(fc["wait_mean_diff_min"]) < 0:
        share = float(uf["wait_mean_diff_min"]) / float(fc["wait_mean_diff_min"])
        text += (f"需要の見込みを使わずに空いた車両を区域に均等に散らばらせるだけでも平均待ち時間は "
                 f"{_min2(abs(float(uf['wait_mean_diff_min'])))} 分短くなり、予測に基づく再配置の効果の約 "
                 f"{fmt_pct(share, 0)} に当たります。")
        text += ("効果の大部分は、需要の見込みの精度よりも、空いた車両を一か所に固めず散らばらせることから来ています。"
                 if share >= 0.5 else "効果の多くは、需要の見込みを使って先回りさせることから来ています。")
    km = {p: pol[p]["empty_km"] for p in ("none", "forecast") if p in pol}
    if len(km) == 2:
        text += (f"先回りの代わりに、空車の走行は 1 期間あたり平均 {fmt_int(km['none'])} km から "
                 f"{fmt_int(km['forecast'])} km に増えます。")
    return text


def max_stop_distance_km(stops: pd.DataFrame) -> float:
    """Largest straight-line distance between two stops (km, geodesic on GRS80 from EPSG:6668 lat/lon)."""
    from pyproj import Geod

    lat = stops["lat"].to_numpy(dtype=float)
    lon = stops["lon"].to_numpy(dtype=float)
    i, j = np.triu_indices(len(lat), k=1)
    if not len(i):
        return 0.0
    _, _, metres = Geod(ellps="GRS80").inv(lon[i], lat[i], lon[j], lat[j])
    return float(np.max(metres)) / 1000.0


def repositioning_note(dispatch: dict[str, Any], max_distance_km: float | None = None) -> str:
    """Why repositioning does (or does not) change waits here, with numbers from ``dispatch``.

    Uses the forecast policy's paired comparison with 再配置なし; the explanation "small area,
    bookings made ahead" is given only when its 95 % interval includes 0.
    """
    comparison = (dispatch.get("vs_none") or {}).get("forecast")
    policies = dispatch["default_fleet"]["policies"]
    if comparison is None or "none" not in policies or "forecast" not in policies:
        return "予測に基づく再配置と再配置なしの比較は、今回の結果に含まれていません。"
    replay = dispatch.get("replay", {})
    none, fc = policies["none"], policies["forecast"]
    extra_km = float(fc["empty_km"]) - float(none["empty_km"])
    km_text = (f"一方で、空車の走行は {fmt_int(none['empty_km'])} km から {fmt_int(fc['empty_km'])} km に"
               f"{'増え' if extra_km >= 0 else '減り'}ます ({fmt_int(abs(extra_km))} km、"
               f"{replay.get('n_days', '—')} 日分)。")
    if not interval_contains_zero(comparison):
        faster = float(comparison["wait_mean_diff_min"]) < 0
        return (f"予測に基づく再配置で平均待ち時間は {_min2(abs(float(comparison['wait_mean_diff_min'])))} 分"
                f"{'短く' if faster else '長く'}なり、95% 区間 ({signed_minutes(comparison['ci95_low'])}〜"
                f"{signed_minutes(comparison['ci95_high'])} 分) も 0 を含みません。" + km_text)
    reasons = []
    if max_distance_km is not None:
        reasons.append(f"運行区域が狭く、最も離れた乗降地点どうしでも直線で約 {max_distance_km:.1f} km です")
    if "lead_min_median" in replay:
        reasons.append(f"予約の多くは前もって入っており、予約から希望乗車時刻までの時間は中央値で "
                       f"{fmt_minutes(replay['lead_min_median'])} 分あります。"
                       "その間に、どこで待っている車両でもたいてい迎えに間に合います")
    text = "このデータでは、空いた車両を需要の見込みに合わせて先回りさせても、待ち時間はほとんど変わりません。"
    if reasons:
        text += "理由として、次の点が考えられます。" + "。また、".join(reasons) + "。"
    if "short_notice_share" in replay and "short_notice_wait_mean_min" in none:
        lead = replay.get("short_lead_min")
        what = f"予約から乗車まで {fmt_minutes(lead)} 分未満の直前の予約" if lead is not None else "直前の予約"
        text += (f"先回りが効くのは{what}ですが、これは全体の {fmt_pct(replay['short_notice_share'])} で、"
                 f"その平均待ち時間も再配置なし {_min2(none['short_notice_wait_mean_min'])} 分、"
                 f"予測に基づく再配置 {_min2(fc['short_notice_wait_mean_min'])} 分と差は小さいです。")
    return text + km_text


def fmt_minutes(value: float) -> str:
    """Whole minutes without decimals when integral (26.0 → '26'), else one decimal."""
    v = float(value)
    return f"{v:.0f}" if v.is_integer() else f"{v:.1f}"


def dispatch_figure_caption(stem: str, dispatch: dict[str, Any]) -> str:
    """Japanese caption (without the 図 number) for a figure of the dispatch stage, by file stem.

    Unknown figures get a generic caption, never the file name.
    """
    n = dispatch.get("default_fleet", {}).get("n_vehicles")
    factors = sorted({float(r["demand_factor"]) for r in dispatch.get("what_if", [])})
    factor_text = "と ".join(f"{f:g} 倍" for f in factors)
    if stem == "route_map":
        route = dispatch.get("route_map", {})
        return (f"運行経路 ({route.get('day', '—')}、方針: {policy_label(route.get('policy', ''))}、"
                "線は停留所間を直線で結んだもの)")
    if stem == "kpi_by_policy":
        return f"再配置の方針ごとの指標 (車両 {n} 台、需要は実績どおり)"
    if stem == "wait_vs_fleet":
        return f"車両の台数と平均待ち時間 (需要 {factor_text})" if factors else "車両の台数と平均待ち時間"
    if stem == "served_vs_fleet":
        title = "車両の台数と乗車できた予約の割合"
        return f"{title} (需要 {factor_text})" if factors else title
    if stem == "grid":
        return "車両の台数と需要の組み合わせごとの、乗車できた割合と「すぐ乗りたい」予約の平均待ち"
    if stem == "frontier":
        return "空いた車両を動かす重みを変えたときの、平均待ち時間と空車の走行距離"
    return "配車シミュレーションの補足図"


DISPATCH_FIGURE_ORDER = ("kpi_by_policy", "wait_vs_fleet", "served_vs_fleet", "route_map")


def order_dispatch_figures(stems: list[str]) -> list[str]:
    """Known dispatch figures in reading order, then any others sorted by name."""
    return [s for s in DISPATCH_FIGURE_ORDER if s in stems] + sorted(set(stems) - set(DISPATCH_FIGURE_ORDER))


# ------------------------------------------------------------------ forecast section (§1–2)
def zone_town_labels(stops: pd.DataFrame, zone_level: str, n_clusters: int, most: int = 3) -> dict[str, str]:
    """Zone code → the towns it covers, e.g. ``{"C01": "花鶴丘・日吉"}`` (the base names of its
    stops' towns, busiest first by number of stops, at most ``most``; ``ほか`` when more).
    Empty when the stops carry no town names or are fewer than the clusters (codes shown)."""
    from kogadx.demand.features import stop_zones
    from kogadx.geo.reference import split_chome

    if "town_name" not in stops.columns or (zone_level == "stop_cluster" and len(stops) < n_clusters):
        return {}
    zones = stop_zones(stops, zone_level, n_clusters).astype(str)
    bases = stops["town_name"].astype(str).map(lambda n: split_chome(n)[0])
    labels = {}
    for zone, part in bases.groupby(zones.to_numpy(), sort=True):
        counts = part.value_counts()
        names = sorted(counts.index, key=lambda n: (-counts[n], n))
        labels[str(zone)] = "・".join(names[:most]) + ("ほか" if len(names) > most else "")
    return labels


def zone_display(zone: str, labels: dict[str, str]) -> str:
    """``花鶴丘・日吉 (C01)``: the towns first, the code for cross-reference."""
    return f"{labels[zone]} ({zone})" if zone in labels else zone


def forecast_accuracy_table(backtest: dict[str, Any], model_names: dict[str, str]) -> pd.DataFrame:
    """One row per horizon × model (in-service zone-hours): WAPE, RMSSE, coverage of the
    nominal interval overall and in its worst hour band, interval score; by WAPE within horizon."""
    rows = []
    for horizon in sorted(backtest, key=lambda h: int(h[1:])):
        for model, result in backtest[horizon].items():
            point, interval = result["by_series_step"], result["interval"]
            rows.append({"horizon": f"{horizon[1:]} 時間先", "h": int(horizon[1:]),
                         "model": model_names.get(model, model), "wape": point["wape"],
                         "rmsse": point.get("rmsse", np.nan), "wape_day": result["total_by_day"]["wape"],
                         "coverage": interval["coverage"], "min_band": interval.get("min_band_coverage", np.nan),
                         "interval_score": interval.get("interval_score", np.nan)})
    frame = pd.DataFrame(rows)
    return frame.sort_values(["h", "wape"], kind="stable").drop(columns="h").reset_index(drop=True)


def coverage_by_band_table(backtest: dict[str, Any], model: str = "lightgbm") -> pd.DataFrame:
    """Coverage of ``model``'s interval per hour band and horizon (rows: bands)."""
    columns = {}
    counts = {}
    for horizon in sorted(backtest, key=lambda h: int(h[1:])):
        bands = backtest[horizon].get(model, {}).get("interval", {}).get("by_band", {})
        columns[f"{horizon[1:]} 時間先"] = {v.get("label", band): v["coverage"] for band, v in bands.items()}
        counts[f"{horizon[1:]} 時間先 (時間数)"] = {v.get("label", band): v["n"] for band, v in bands.items()}
    frame = pd.DataFrame({**columns, **counts})
    return frame.rename_axis("band").reset_index()


def model_difference_table(comparison: dict[str, Any], model_names: dict[str, str]) -> pd.DataFrame:
    """LightGBM's WAPE minus each other model's, with the 95 % interval over origins and a
    verdict in words (the interval decides, not the point estimate)."""
    rows = []
    for horizon in sorted(comparison, key=lambda h: int(h[1:])):
        for other, c in sorted(comparison[horizon].items(), key=lambda kv: kv[1]["wape_diff"]):
            if c["ci95_high"] < 0:
                verdict = "LightGBM の方が誤差が小さい"
            elif c["ci95_low"] > 0:
                verdict = "LightGBM の方が誤差が大きい"
            else:
                verdict = "差ははっきりしない"
            rows.append({"horizon": f"{horizon[1:]} 時間先", "other": model_names.get(other, other),
                         "diff": f"{100 * c['wape_diff']:+.1f} ポイント",
                         "interval": f"{100 * c['ci95_low']:+.1f}〜{100 * c['ci95_high']:+.1f}",
                         "origins": c["origins"], "verdict": verdict})
    return pd.DataFrame(rows, columns=["horizon", "other", "diff", "interval", "origins", "verdict"])


def top_features_table(top: list[dict[str, Any]], n: int = 8) -> pd.DataFrame:
    """The most useful LightGBM features by their Japanese names, with their gain share."""
    from kogadx.demand.plots import feature_label

    return pd.DataFrame([{"feature": feature_label(str(r["feature"])), "share": float(r["gain_share"])}
                         for r in top[:n]], columns=["feature", "share"])


# --- operations log replay, what-if grid, frontier (dispatch stage metrics) -------------------

def validation_table(dispatch: dict[str, Any]) -> pd.DataFrame:
    """The operator's log against its replay: one row per KPI with logged, replayed,
    difference, tolerance and verdict (Japanese text cells)."""
    v = dispatch["validation"]
    logged, replayed, diff, tol, ok = v["logged"], v["replayed"], v["difference"], v["tolerance"], v["within"]
    rows = [
        ("平均待ち時間 (分)", fmt_num(logged["wait_mean_min"], 2), fmt_num(replayed["wait_mean_min"], 2),
         signed_minutes(diff["wait_mean_min"]), f"±{fmt_num(tol['wait_mean_min'], 1)} 分", ok["wait_mean_min"]),
        ("配車できなかった割合", fmt_pct(logged["rejection_share"]), fmt_pct(replayed["rejection_share"]),
         f"{float(diff['rejection_share']) * 100:+.1f} ポイント",
         f"±{float(tol['rejection_share']) * 100:.0f} ポイント", ok["rejection_share"]),
        ("走行距離 (km、乗降地点をつないだ距離)", fmt_int(logged["vehicle_km"]), fmt_int(replayed["vehicle_km"]),
         f"{float(diff['vehicle_km_rel']) * 100:+.1f}%", f"±{float(tol['vehicle_km_rel']) * 100:.0f}%",
         ok["vehicle_km"]),
    ]
    return pd.DataFrame([(k, a, b, d, t, "許容範囲内" if w else "許容範囲外") for k, a, b, d, t, w in rows],
                        columns=["kpi", "logged", "replayed", "diff", "tolerance", "verdict"])


def grid_table(dispatch: dict[str, Any]) -> pd.DataFrame:
    """Served share and ride-now mean wait by demand factor (rows) × fleet size (columns),
    as text cells '98.5% / 3.2 分'."""
    grid = pd.DataFrame(dispatch["grid"]["rows"])
    grid["cell"] = [f"{fmt_pct(s)} / {fmt_num(w, 1)} 分" for s, w in
                    zip(grid["served_rate"], grid["ride_now_wait_mean_min"], strict=True)]
    wide = grid.pivot(index="demand_factor", columns="n_vehicles", values="cell")
    wide.columns = [f"{int(n)} 台" for n in wide.columns]
    wide = wide.reset_index()
    wide["demand_factor"] = [f"{f:g} 倍" for f in wide["demand_factor"]]
    return wide


def degraded_cells(dispatch: dict[str, Any], threshold: float = 0.95) -> list[tuple[float, int]]:
    """(demand factor, fleet size) of the grid cells whose served share is below ``threshold``."""
    return [(float(r["demand_factor"]), int(r["n_vehicles"])) for r in dispatch["grid"]["rows"]
            if r["served_rate"] is not None and float(r["served_rate"]) < threshold]
