"""Figures for business owners and city staff (Japanese labels, kogadx.plotting style).

Each function draws one figure and returns the matplotlib Figure; the caller saves it.
Sector position is a distribution with the business marked — never a named ranking.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kogadx.energy.schema import FUEL_KEYS, FUEL_LABELS
from kogadx.plotting import PALETTE, setup


def stacked_monthly_emissions(emissions: pd.DataFrame, title: str) -> Any:
    """Monthly t-CO2 stacked by source (electricity = Scope 2, fuels = Scope 1)."""
    plt = setup()
    table = emissions.pivot_table(index="year_month", columns="fuel", values="t_co2", aggfunc="sum").fillna(0.0)
    table = table[[f for f in FUEL_KEYS if f in table.columns]]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    bottom = np.zeros(len(table))
    x = np.arange(len(table))
    for fuel in table.columns:
        ax.bar(x, table[fuel].to_numpy(), bottom=bottom, label=FUEL_LABELS[fuel], width=0.85)
        bottom += table[fuel].to_numpy()
    step = max(1, len(table) // 12)
    ax.set_xticks(x[::step], table.index[::step], rotation=45, ha="right")
    ax.set_ylabel("CO2排出量 (t-CO2/月)")
    ax.set_title(title)
    ax.legend(ncol=4, fontsize=8, loc="upper left")
    return fig


def weather_normalised_yoy(normalised: pd.DataFrame, title: str) -> Any:
    """Fiscal-year totals: actual vs weather-normalised t-CO2, with normalised YoY change (%)."""
    plt = setup()
    by_fy = normalised.groupby("fiscal_year")[["t_co2", "t_co2_normalised"]].sum()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = np.arange(len(by_fy))
    ax.bar(x - 0.2, by_fy["t_co2"], width=0.4, label="実績")
    ax.bar(x + 0.2, by_fy["t_co2_normalised"], width=0.4, label="気象補正後 (平年並みの気温)")
    change = by_fy["t_co2_normalised"].pct_change() * 100
    for i, value in enumerate(change):
        if np.isfinite(value):
            ax.annotate(f"前年度比 {value:+.1f}%", (x[i] + 0.2, by_fy["t_co2_normalised"].iloc[i]),
                        ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, [f"{fy}年度" for fy in by_fy.index])
    ax.set_ylabel("CO2排出量 (t-CO2/年)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def scenario_waterfall(steps: pd.DataFrame, title: str) -> Any:
    """Waterfall: baseline level, each measure's change, level after measures (t-CO2/yr)."""
    plt = setup()
    steps = steps.sort_values("order")
    fig, ax = plt.subplots(figsize=(10, 4.8))
    level = 0.0
    for i, row in enumerate(steps.itertuples()):
        if row.step in ("baseline", "after"):
            ax.bar(i, row.t_co2, color=PALETTE[0])
            level = row.t_co2
            ax.text(i, row.t_co2, f"{row.t_co2:,.1f}", ha="center", va="bottom", fontsize=9)
        else:
            # reductions blue-green, increases vermillion (Okabe–Ito): not a red/green pair
            colour = PALETTE[2] if row.t_co2 <= 0 else PALETTE[3]
            ax.bar(i, row.t_co2, bottom=level, color=colour)
            ax.text(i, max(level, level + row.t_co2), f"{row.t_co2:+,.1f}", ha="center", va="bottom", fontsize=9)
            level += row.t_co2
    ax.set_xticks(range(len(steps)), [label.replace("(", "\n(") for label in steps["label"]], fontsize=9)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.08)
    ax.set_ylabel("CO2排出量 (t-CO2/年)")
    ax.set_title(title)
    return fig
