"""Japanese figures of the counter stage (matplotlib via kogadx.plotting)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kogadx.plotting import PALETTE, setup

PART_LABELS = {"venue": "特設会場", "regular": "通常窓口"}


def day_labels(dates: pd.Series, parts: pd.Series) -> list[str]:
    """``8/4(月) 会場`` style labels."""
    weekdays = "月火水木金土日"
    out = []
    for d, p in zip(pd.to_datetime(dates), parts, strict=True):
        out.append(f"{d.month}/{d.day}({weekdays[d.weekday()]}) {PART_LABELS.get(p, p)}")
    return out


def arrival_heatmap(cells: pd.DataFrame, year: int) -> Any:
    """Forecast arrivals by day (rows) and hour (columns), the venue week first."""
    plt = setup()
    table = cells.pivot_table(index=["date", "part"], columns="hour", values="mean", aggfunc="sum", sort=True)
    labels = day_labels(table.index.get_level_values(0).to_series(), table.index.get_level_values(1).to_series())
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(table) + 1.6))
    im = ax.imshow(table.to_numpy(), aspect="auto", cmap="OrRd")
    ax.set_yticks(range(len(table)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xticks(range(table.shape[1]))
    ax.set_xticklabels([f"{h}時" for h in table.columns])
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            v = table.iat[i, j]
            ax.text(j, i, f"{v:.0f}" if v >= 0.5 else "", ha="center", va="center", fontsize=7,
                    color="white" if v > table.to_numpy().max() * 0.6 else "black")
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="予測来庁数 (人/時)")
    ax.set_title(f"{year}年8月 現況届の予測来庁数 (日 × 時刻)")
    fig.tight_layout()
    return fig


def waits_by_scenario(summary: pd.DataFrame, target: float) -> Any:
    """Mean and 90th-percentile wait and staff-hours per scenario."""
    plt = setup()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 0.5 * len(summary) + 2.2), sharey=True)
    y = np.arange(len(summary))
    ax1.barh(y - 0.2, summary["mean_wait_min"], height=0.4, color=PALETTE[0], label="平均")
    ax1.barh(y + 0.2, summary["p90_wait_min"], height=0.4, color=PALETTE[1], label="90%点")
    ax1.axvline(target, color=PALETTE[3], linestyle="--", label=f"目標 {target:g} 分")
    ax1.set_yticks(y)
    ax1.set_yticklabels(summary["scenario"])
    ax1.invert_yaxis()
    ax1.set_xlabel("待ち時間 (分、シミュレーション)")
    ax1.legend(loc="lower right", fontsize=8)
    ax2.barh(y, summary["staff_hours"], color=PALETTE[2])
    for yi, v in zip(y, summary["staff_hours"], strict=True):
        ax2.text(v, yi, f" {v:.0f}", va="center", fontsize=8)
    ax2.set_xlabel("会場の延べ職員時間 (人・時)")
    fig.suptitle("シナリオ別の待ち時間と必要な職員時間 (会場期間)")
    fig.tight_layout()
    return fig
