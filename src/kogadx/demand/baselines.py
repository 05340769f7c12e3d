"""Baselines computed per forecast origin: the historical average and statsforecast's
intermittent-demand models.

- ``historical_average``: mean count of the same series × weekday × hour (daily data:
  series × weekday) over all history known at the origin.
- ``croston_optimized``, ``tsb``, ``adida``, ``imapa``: statsforecast's intermittent-demand
  models (Croston 1972 with optimised smoothing; Teunter–Syntetos–Babai 2011; ADIDA and
  IMAPA, Nikolopoulos et al. 2011 / Petropoulos & Kourentzes 2015). They forecast one flat
  level per series; with a service column they are fitted on the in-service history only
  (closed hours are known zeros, not low demand) and the level applies to in-service steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kogadx.demand.lags import GROUP, TARGET, TIME

INTERMITTENT_MODELS = ("croston_optimized", "tsb", "adida", "imapa")
TSB_ALPHA = 0.1  # TSB smoothing of demand size and probability (statsforecast needs them given)


def _intermittent(name: str) -> Any:
    from statsforecast.models import ADIDA, IMAPA, TSB, CrostonOptimized

    if name == "croston_optimized":
        return CrostonOptimized()
    if name == "tsb":
        return TSB(alpha_d=TSB_ALPHA, alpha_p=TSB_ALPHA)
    if name == "adida":
        return ADIDA()
    if name == "imapa":
        return IMAPA()
    raise ValueError(f"未知の間欠需要モデル: {name}")


def seasonal_keys(times: pd.Series, freq: str) -> list[pd.Series]:
    """Weekday and hour (hourly) or weekday (daily) of each timestamp."""
    keys = [times.dt.day_of_week.rename("_dow")]
    if freq == "h":
        keys.append(times.dt.hour.rename("_hour"))
    return keys


def historical_average(frame: pd.DataFrame, history: np.ndarray, window: np.ndarray, freq: str) -> np.ndarray:
    """Mean of ``y`` over the ``history`` rows by series × weekday (× hour), for the
    ``window`` rows; a cell never seen falls back to the series mean, then 0."""
    hist = frame.loc[history, [GROUP, TIME, TARGET]]
    keys = [hist[GROUP], *seasonal_keys(hist[TIME], freq)]
    table = hist[TARGET].groupby(keys, observed=True).mean()
    target = frame.loc[window, [GROUP, TIME]]
    index = pd.MultiIndex.from_arrays([target[GROUP], *seasonal_keys(target[TIME], freq)])
    values = table.reindex(index).to_numpy(dtype="float64")
    series_mean = hist.groupby(GROUP, observed=True)[TARGET].mean()
    fallback = target[GROUP].map(series_mean).to_numpy(dtype="float64")
    values = np.where(np.isnan(values), fallback, values)
    return np.nan_to_num(values, nan=0.0)


def intermittent_levels(frame: pd.DataFrame, history: np.ndarray, name: str, max_obs: int) -> dict[str, float]:
    """Flat forecast level per series from the last ``max_obs`` ``history`` rows."""
    model = _intermittent(name)
    levels: dict[str, float] = {}
    hist = frame.loc[history, [GROUP, TARGET]]
    for uid, part in hist.groupby(GROUP, sort=True, observed=True):
        y = np.nan_to_num(part[TARGET].to_numpy(dtype="float64")[-max_obs:], nan=0.0)
        if y.size < 2 or y.sum() <= 0:
            levels[str(uid)] = 0.0
            continue
        levels[str(uid)] = float(max(model.forecast(y=y, h=1)["mean"][0], 0.0))
    return levels
