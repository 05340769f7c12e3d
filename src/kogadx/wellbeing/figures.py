"""Japanese figures for the well-being stage (matplotlib via kogadx.plotting, geopandas maps).

Districts are listed in town-code (geographic) order, never sorted by value: the LWC
publishers ask that indicators be shown as profiles, not rankings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.plotting import PALETTE, setup
from kogadx.wellbeing.compare import city_comparison
from kogadx.wellbeing.indicators import CITY


def choropleth_with_intervals(
    polygons: gpd.GeoDataFrame,
    estimates: pd.DataFrame,
    indicator: str,
    label: str,
    order: Sequence[str],
    level: float = 0.95,
) -> Any:
    """Map of the model-based (Fay–Herriot, columns *_eb) district means + direct and model intervals.

    ``polygons``: district, geometry; ``estimates``: output of ``shrink_to_city_mean``.
    """
    plt = setup()
    est = estimates[estimates["indicator"] == indicator].set_index("district")
    city = est.loc[CITY]
    gdf = polygons.merge(est[["mean_eb", "ci_low_eb", "ci_high_eb", "n"]], left_on="district", right_index=True,
                         how="left")
    fig, (ax_map, ax_ci) = plt.subplots(1, 2, figsize=(12, 6), gridspec_kw={"width_ratios": [1.2, 1]})
    has = gdf["mean_eb"].notna() & (gdf["n"].fillna(0) > 0)  # withheld districts have no estimate
    if (~has).any():
        gdf[~has].plot(ax=ax_map, color="#dddddd", edgecolor="white", hatch="///")
    # Three classes against the city value instead of a colour ramp: a ramp invites reading the map
    # as a ranking, which the indicator's authors ask us not to do; most intervals hold the city value.
    klass = gdf["district"].map(city_comparison(estimates, indicator))
    classes = [("区間が市全体より高い", PALETTE[0], klass == "higher"),
               ("区間が市全体の値を含む", "#e8e8e8", klass == "holds"),
               ("区間が市全体より低い", PALETTE[1], klass == "lower")]
    from matplotlib.patches import Patch

    handles = []
    for name, colour, mask in classes:
        part = gdf[has & mask.fillna(False)]
        if len(part):
            part.plot(ax=ax_map, color=colour, edgecolor="#888888", linewidth=0.6)
        handles.append(Patch(facecolor=colour, edgecolor="#888888", label=f"{name} ({len(part)} 地区)"))
    handles.append(Patch(facecolor="#dddddd", hatch="///", edgecolor="white", label="回答なし・非表示"))
    ax_map.legend(handles=handles, fontsize=8, loc="lower left")
    for _, row in gdf.iterrows():
        point = row.geometry.representative_point()
        ax_map.annotate(row["district"], (point.x, point.y), ha="center", va="center", fontsize=7)
    ax_map.set_axis_off()
    ax_map.set_title(f"地区別の{label}（灰色の斜線は回答なし・回答が少なく非表示）")
    # The town polygons are Voronoi cells, not official boundaries: say so on the map itself.
    ax_map.text(0.0, -0.02, "境界は町丁目代表点のボロノイ近似 (公式の境界ではありません)", transform=ax_map.transAxes,
                fontsize=7, color="#555555", va="top")

    rows = [d for d in order if d in est.index]
    y = np.arange(len(rows))[::-1]
    sub = est.loc[rows]
    ax_ci.errorbar(sub["mean"], y + 0.15, xerr=[sub["mean"] - sub["ci_low"], sub["ci_high"] - sub["mean"]],
                   fmt="o", color="#999999", ms=3, capsize=2, label="直接推定（重み付き平均）")
    eb_err = [sub["mean_eb"] - sub["ci_low_eb"], sub["ci_high_eb"] - sub["mean_eb"]]
    ax_ci.errorbar(sub["mean_eb"], y - 0.15, xerr=eb_err,
                   fmt="o", color=PALETTE[0], ms=3, capsize=2, label="小地域推定（Fay–Herriot）")
    ax_ci.axvline(city["mean"], color=PALETTE[1], linestyle="--", linewidth=1, label=f"市全体 {city['mean']:.2f}")
    ax_ci.set_yticks(y)
    ax_ci.set_yticklabels([f"{d}（n={int(n)}）" for d, n in zip(rows, sub["n"], strict=True)], fontsize=8)
    ax_ci.set_xlabel(f"{label}（{int(level * 100)}%信頼区間）")
    ax_ci.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    ax_ci.set_title("地区別の推定値と区間（町丁目コード順）")
    fig.suptitle(f"{label}：地区別の重み付き推定値（順位付けではなくプロファイルとして）")
    fig.tight_layout()
    return fig


def driver_chart(importances: pd.DataFrame, labels: Mapping[str, str], level: float = 0.95) -> Any:
    """Standardised linear coefficients and LightGBM permutation importance, with intervals."""
    plt = setup()
    imp = importances.sort_values("coef_std").reset_index(drop=True)
    y = np.arange(len(imp))
    names = [labels.get(i, i) for i in imp["item"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 7), sharey=True)
    # With few bootstrap draws the full-data coefficient can fall just outside the percentile interval.
    ax1.errorbar(imp["coef_std"], y, xerr=[np.clip(imp["coef_std"] - imp["coef_ci_low"], 0, None),
                                           np.clip(imp["coef_ci_high"] - imp["coef_std"], 0, None)],
                 fmt="o", color=PALETTE[0], capsize=2, ms=4)
    ax1.axvline(0, color="black", linewidth=0.8)
    ax1.set_yticks(y)
    ax1.set_yticklabels(names)
    ax1.set_xlabel("1標準偏差あたりの幸福度の変化（点）")
    ax1.set_title("正則化線形モデル（標準化係数）")
    ax2.errorbar(imp["perm_importance"], y,
                 xerr=[np.clip(imp["perm_importance"] - imp["perm_ci_low"], 0, None),
                       np.clip(imp["perm_ci_high"] - imp["perm_importance"], 0, None)],
                 fmt="s", color=PALETTE[2], capsize=2, ms=4)
    ax2.axvline(0, color="black", linewidth=0.8)
    ax2.set_xlabel("並べ替え重要度（R²の低下）")
    ax2.set_title("LightGBM（並べ替え重要度）")
    fig.suptitle(f"幸福度の要因分析（ブートストラップ{int(level * 100)}%区間）")
    fig.tight_layout()
    return fig


def district_profile_chart(
    estimates: pd.DataFrame, districts: Sequence[str], items: Sequence[str], labels: Mapping[str, str], ncols: int = 4,
    respondents: Mapping[str, int] | None = None,
) -> Any:
    """Dot plot per district: 24 category means (EB, with intervals) against the city mean.

    The panel title's n is the district's respondents (``respondents``, as in the summary table);
    without it, the most answers any item got.
    """
    plt = setup()
    districts = [d for d in districts if d in set(estimates["district"])]
    if not districts:
        raise ValueError("プロファイルを描く地区がありません")
    ncols = min(ncols, len(districts))
    nrows = int(np.ceil(len(districts) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 6.5 * nrows), sharex=True, sharey=True, squeeze=False)
    est = estimates[estimates["indicator"].isin(items)]
    city = est[est["district"] == CITY].set_index("indicator").reindex(items)
    y = np.arange(len(items))[::-1]
    for ax, district in zip(axes.flat, districts, strict=False):
        sub = est[est["district"] == district].set_index("indicator").reindex(items)
        ax.scatter(city["mean"], y, marker="|", color=PALETTE[1], s=80, label="市全体")
        ax.errorbar(sub["mean_eb"], y, xerr=[sub["mean_eb"] - sub["ci_low_eb"], sub["ci_high_eb"] - sub["mean_eb"]],
                    fmt="o", color=PALETTE[0], ms=3, capsize=1.5, label="地区（小地域推定）")
        if respondents is not None:
            n = int(respondents.get(district, 0))
        else:
            n = int(sub["n"].max()) if sub["n"].notna().any() else 0
        ax.set_title(f"{district}（n={n}）", fontsize=10)
        ax.set_yticks(y)
        ax.set_yticklabels([labels.get(i, i) for i in items], fontsize=7)
        ax.set_xlim(1, 5)
    for ax in list(axes.flat)[len(districts):]:
        ax.set_axis_off()
    axes.flat[0].legend(fontsize=7, loc="lower left")
    fig.supxlabel("平均（1〜5点、95%区間）")
    fig.suptitle("地区プロファイル：24カテゴリーの主観評価")
    fig.tight_layout()
    return fig


def profile_heatmap(estimates: pd.DataFrame, order: Sequence[str], items: Sequence[str],
                    labels: Mapping[str, str]) -> Any:
    """Districts × categories: shrunk mean minus city mean (points on the 1–5 scale)."""
    plt = setup()
    est = estimates[estimates["indicator"].isin(items)]
    city = est[est["district"] == CITY].set_index("indicator")["mean"]
    rows = [d for d in order if d in set(est["district"])]
    table = est[est["district"].isin(rows)].pivot(index="indicator", columns="district", values="mean_eb")
    table = table.reindex(index=list(items), columns=rows).sub(city.reindex(items), axis=0)
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(rows) + 3), 8))
    limit = float(np.nanmax(np.abs(table.to_numpy()))) if table.notna().any().any() else 1.0
    image = ax.imshow(table.to_numpy(float), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(np.arange(len(rows)))
    ax.set_xticklabels(rows, rotation=90, fontsize=8)
    ax.set_yticks(np.arange(len(items)))
    ax.set_yticklabels([labels.get(i, i) for i in items], fontsize=8)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="市全体との差（小地域推定、点）")
    ax.set_title("地区プロファイル（市全体との差）")
    fig.tight_layout()
    return fig
