"""のるーと古賀 report: service KPIs from ride requests, demand patterns and a stop/OD map.

Inputs are shareable-zone tables (pseudonymized ride requests, the demand panel, stops,
towns); outputs are aggregates only (counts, shares, minutes). No member ID leaves here.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

OUTCOME_ORDER = ["完了", "キャンセル", "無断キャンセル", "配車不可"]


def service_kpis(ride_requests: pd.DataFrame) -> dict[str, float]:
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
    ax.set_title(f"乗降地点と利用の多い区間 (上位 {len(pairs)} 区間)")
    ax.set_xlabel("経度")
    ax.set_ylabel("緯度")
    ax.legend(loc="lower right")
    return fig
