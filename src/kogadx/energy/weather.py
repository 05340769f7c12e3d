"""Monthly cooling / heating degree days from an hourly (or daily) temperature series.

Bases are parameters (defaults: cooling 22.0 °C, heating 14.0 °C — a common choice for
Japanese commercial buildings, where internal gains lower the heating balance point;
UNCONFIRMED for Koga, change them in params). Degree days are computed from the daily
mean temperature: CDD = Σ max(0, T_day − base_cooling), HDD = Σ max(0, base_heating − T_day),
in °C·day per calendar month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def degree_days(
    weather: pd.DataFrame,
    base_cooling: float = 22.0,
    base_heating: float = 14.0,
) -> pd.DataFrame:
    """Monthly CDD/HDD from ``weather[time, temperature_c]`` (local time, °C).

    Returns DataFrame(year_month "YYYY-MM", cdd, hdd [°C·day], mean_temp_c, days).
    Partial months at the start or end of the series are dropped; an interior month with
    fewer than 80 % of its days covered raises ``ValueError`` (it would bias every baseline).
    """
    for column in ("time", "temperature_c"):
        if column not in weather.columns:
            raise ValueError(f"気象データに列 {column} がありません")
    frame = pd.DataFrame({
        "time": pd.to_datetime(weather["time"]),
        "temperature_c": pd.to_numeric(weather["temperature_c"], errors="coerce"),
    }).dropna()
    daily = frame.groupby(frame["time"].dt.floor("D"))["temperature_c"].mean()
    month = daily.index.to_period("M")
    out = pd.DataFrame({
        "cdd": (daily - base_cooling).clip(lower=0).groupby(month).sum(),
        "hdd": (base_heating - daily).clip(lower=0).groupby(month).sum(),
        "mean_temp_c": daily.groupby(month).mean(),
        "days": daily.groupby(month).size(),
    })
    complete = (out["days"] >= 0.8 * out.index.days_in_month).to_numpy()
    if complete.any():  # partial months at either end of the series are cut, not errors
        first, last = np.flatnonzero(complete)[[0, -1]]
        out = out.iloc[first:last + 1]
    short = out.index[out["days"] < 0.8 * out.index.days_in_month]
    if len(short) or out.empty:
        raise ValueError(f"気象データの欠測が多い月があります: {', '.join(map(str, short))}")
    out.index = out.index.strftime("%Y-%m")
    out.index.name = "year_month"
    return out.reset_index()


def normal_degree_days(monthly: pd.DataFrame) -> pd.DataFrame:
    """Calendar-month normals (mean over the years given) of CDD and HDD.

    Returns DataFrame(month 1–12, cdd, hdd). Used to normalise for weather and to
    forecast with a typical year.
    """
    month = monthly["year_month"].str.slice(5, 7).astype(int)
    return (monthly.assign(month=month).groupby("month")[["cdd", "hdd"]].mean().reset_index())


def load_monthly_degree_days(
    weather: pd.DataFrame, base_cooling: float = 22.0, base_heating: float = 14.0
) -> pd.DataFrame:
    """Accept either hourly weather (time, temperature_c) or monthly (year_month, cdd, hdd)."""
    if {"year_month", "cdd", "hdd"}.issubset(weather.columns):
        out = weather.loc[:, ["year_month", "cdd", "hdd"]].copy()
        out["year_month"] = out["year_month"].astype(str)
        out[["cdd", "hdd"]] = out[["cdd", "hdd"]].astype(float)
        return out
    return degree_days(weather, base_cooling=base_cooling, base_heating=base_heating)
