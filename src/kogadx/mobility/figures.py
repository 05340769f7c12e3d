"""Figures of the dispatch stage (Japanese labels; EPSG:6670 metres on the map).

Each function returns a matplotlib Figure; the stage saves it with
``kogadx.plotting.save_figure`` (byte-identical reruns).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.geo.reference import CRS_METRIC
from kogadx.mobility.policies import ordered, policy_label
from kogadx.plotting import PALETTE, setup


def _by_fleet(scenarios: pd.DataFrame, column: str, ylabel: str, title: str, scale: float = 1.0) -> Any:
    plt = setup()
    factors = sorted(scenarios["demand_factor"].unique())
    fig, axes = plt.subplots(1, len(factors), figsize=(5 * len(factors), 4.2), sharey=True, squeeze=False)
    for ax, factor in zip(axes[0], factors, strict=True):
        part = scenarios[scenarios["demand_factor"] == factor]
        for k, policy in enumerate(ordered(part["policy"])):
            line = part[part["policy"] == policy].sort_values("n_vehicles")
            ax.plot(line["n_vehicles"], line[column].astype(float) * scale, marker="o",
                    color=PALETTE[k % len(PALETTE)], label=policy_label(policy))
        ax.set_title(f"需要 {factor:g} 倍")
        ax.set_xlabel("車両数 (台)")
        ax.set_xticks(sorted(part["n_vehicles"].unique()))
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_wait_vs_fleet(scenarios: pd.DataFrame) -> Any:
    """Mean wait (min) against fleet size, one line per policy, one panel per demand factor."""
    return _by_fleet(scenarios, "wait_mean_min", "平均待ち時間 (分)",
                     "車両数と平均待ち時間 (待ち = 乗車開始 − 希望乗車時刻)")


def plot_served_vs_fleet(scenarios: pd.DataFrame) -> Any:
    """Served rate (%) against fleet size, one line per policy, one panel per demand factor."""
    return _by_fleet(scenarios, "served_rate", "配車成立率 (%)", "車両数と配車成立率", scale=100.0)


def plot_kpi_bars(default: Mapping[str, Mapping[str, Any]], n_vehicles: int) -> Any:
    """Bars of the main KPIs by policy at the default fleet."""
    plt = setup()
    panels = [("wait_mean_min", "平均待ち時間 (分)", 1.0), ("wait_p95_min", "待ち時間 95% 点 (分)", 1.0),
              ("short_notice_wait_mean_min", "直前予約の平均待ち (分)", 1.0),
              ("served_rate", "配車成立率 (%)", 100.0), ("empty_km", "空車走行 (km)", 1.0),
              ("passengers_per_vehicle_hour", "車両 1 時間あたり乗客 (人)", 1.0)]
    policies = ordered(default)
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for ax, (key, title, scale) in zip(axes.ravel(), panels, strict=True):
        values = [float(default[p].get(key) or np.nan) * scale for p in policies]
        bars = ax.bar(range(len(policies)), values, color=[PALETTE[k % len(PALETTE)] for k in range(len(policies))])
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
        ax.set_xticks(range(len(policies)), [policy_label(p) for p in policies], rotation=20, ha="right", fontsize=8)
        ax.set_title(title, fontsize=10)
    fig.suptitle(f"再配置方針ごとの KPI (車両 {n_vehicles} 台、需要 1 倍)")
    fig.tight_layout()
    return fig


def plot_route_map(legs: pd.DataFrame, stops_xy: pd.DataFrame, waiting: pd.DataFrame,
                   towns: gpd.GeoDataFrame | None, day: pd.Timestamp, depot: tuple[float, float],
                   policy: str) -> Any:
    """Route map of one service day: town polygons, stops, each vehicle's legs in its colour
    (service legs solid, repositioning dashed). All coordinates EPSG:6670 metres; no tiles."""
    plt = setup()
    fig, ax = plt.subplots(figsize=(8, 8))
    if towns is not None and len(towns):
        towns.to_crs(CRS_METRIC).plot(ax=ax, facecolor="#f4f4f0", edgecolor="#b0b0b0", linewidth=0.5)
    ax.scatter(stops_xy["x"], stops_xy["y"], s=10, color="#444444", zorder=3, label="停留所")
    ax.scatter(waiting["x"], waiting["y"], s=60, marker="^", facecolor="none", edgecolor="#333333",
               zorder=4, label="ゾーンの待機停留所")
    ax.scatter([depot[0]], [depot[1]], s=120, marker="*", color="#c23b3b", zorder=5, label="車庫 (JR古賀駅)")
    day_legs = legs[pd.to_datetime(legs["service_date"]) == pd.Timestamp(day)] if len(legs) else legs
    for vid, grp in day_legs.groupby("vehicle", sort=True):
        color = PALETTE[int(vid) % len(PALETTE)]
        for kind, style in (("service", "-"), ("reposition", "--")):
            part = grp[grp["kind"] == kind]
            if part.empty:
                continue
            xs = np.column_stack([part["x0"], part["x1"], np.full(len(part), np.nan)]).ravel()
            ys = np.column_stack([part["y0"], part["y1"], np.full(len(part), np.nan)]).ravel()
            ax.plot(xs, ys, style, color=color, linewidth=1.0, alpha=0.75,
                    label=f"車両 {int(vid) + 1}" + (" (再配置)" if kind == "reposition" else ""))
    # Zoom on the service area (stops, depot, legs) plus a margin: the town polygons cover
    # the whole city, most of which the service does not reach.
    xs_all = np.concatenate([stops_xy["x"], [depot[0]]])
    ys_all = np.concatenate([stops_xy["y"], [depot[1]]])
    margin = 600.0
    ax.set_xlim(xs_all.min() - margin, xs_all.max() + margin)
    ax.set_ylim(ys_all.min() - margin, ys_all.max() + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m, 平面直角座標 II 系)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"{pd.Timestamp(day):%Y-%m-%d} の運行経路 ({policy_label(policy)})\n"
                 "町丁目境界はボロノイ近似、経路は停留所間の直線表示", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def plot_replications(replications: Mapping[str, Any]) -> Any:
    """Mean-wait difference to 再配置なし per policy over the redrawn periods, with 95 % intervals.

    ``replications`` is ``metrics["replications"]`` of the dispatch stage (``paired`` holds
    ``<policy>_vs_none`` with ``wait_mean_diff_min``, ``ci95_low``, ``ci95_high``).
    """
    plt = setup()
    order = [p for p in ("uniform", "history", "forecast", "oracle") if f"{p}_vs_none" in replications["paired"]]
    rows = [replications["paired"][f"{p}_vs_none"] for p in order]
    fig, ax = plt.subplots(figsize=(8, 0.7 * len(order) + 1.6))
    y = np.arange(len(order))[::-1]
    diff = np.array([r["wait_mean_diff_min"] for r in rows], float)
    lo = np.array([r["ci95_low"] for r in rows], float)
    hi = np.array([r["ci95_high"] for r in rows], float)
    ax.errorbar(diff, y, xerr=[diff - lo, hi - diff], fmt="o", color=PALETTE[0], capsize=4)
    ax.axvline(0.0, color="#555555", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels([policy_label(p) for p in order])
    ax.set_xlabel("再配置なしとの平均待ち時間の差 (分、マイナスは短い)")
    ax.set_title(f"需要の揺れをならした比較 ({int(replications['n'])} 回の作り直し、"
                 f"車両 {int(replications['n_vehicles'])} 台、95% 区間)")
    return fig


def plot_grid(rows: list[Mapping[str, Any]]) -> Any:
    """Served rate (%) and ride-now wait (min) by fleet size × demand factor (two heat maps;
    cells below 95 % served are outlined)."""
    plt = setup()
    grid = pd.DataFrame(rows)
    fleets = sorted(grid["n_vehicles"].unique())
    factors = sorted(grid["demand_factor"].unique())
    # cividis, not red–green: readable with the common colour-vision deficiencies
    panels = [("served_rate", "乗車できた割合 (%)", 100.0, "cividis"),
              ("ride_now_wait_mean_min", "すぐ乗りたい予約の平均待ち (分)", 1.0, "YlOrRd")]
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    for ax, (col, title, scale, cmap) in zip(axes, panels, strict=True):
        wide = grid.pivot(index="demand_factor", columns="n_vehicles", values=col).astype(float) * scale
        wide = wide.reindex(index=factors, columns=fleets)
        ax.imshow(wide.to_numpy(), cmap=cmap, aspect="auto")
        for i, f in enumerate(factors):
            for j, n in enumerate(fleets):
                value = wide.at[f, n]
                ax.text(j, i, "-" if np.isnan(value) else f"{value:.0f}" if scale > 1 else f"{value:.1f}",
                        ha="center", va="center", fontsize=9)
                served = float(grid[(grid["demand_factor"] == f) & (grid["n_vehicles"] == n)]["served_rate"].iloc[0])
                if served < 0.95:
                    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2, ec="black"))
        ax.set_xticks(range(len(fleets)), [str(n) for n in fleets])
        ax.set_yticks(range(len(factors)), [f"{f:g} 倍" for f in factors])
        ax.set_xlabel("車両数 (台)")
        ax.set_ylabel("需要")
        ax.set_title(title)
    fig.suptitle("車両数と需要の組み合わせ (太枠: 乗車できた割合が 95% 未満)")
    fig.tight_layout()
    return fig


def plot_frontier(frontier: Mapping[str, Any]) -> Any:
    """Mean wait against empty km of the repositioning rule at each move_weight, with the
    no-repositioning point."""
    plt = setup()
    pts = pd.DataFrame(frontier["points"])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.plot(pts["empty_km"], pts["wait_mean_min"], marker="o", color=PALETTE[1], label=policy_label(frontier["policy"]))
    for row in pts.itertuples(index=False):
        ax.annotate(f"重み {row.move_weight:g}", (row.empty_km, row.wait_mean_min), textcoords="offset points",
                    xytext=(5, 4), fontsize=8)
    none = frontier["none"]
    ax.scatter([none["empty_km"]], [none["wait_mean_min"]], marker="s", color=PALETTE[0], zorder=3,
               label=policy_label("none"))
    ax.set_xlabel("空車の走行距離 (km、期間合計)")
    ax.set_ylabel("平均待ち時間 (分)")
    ax.set_title("再配置の重みと、待ち時間・空車走行のかね合い")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
