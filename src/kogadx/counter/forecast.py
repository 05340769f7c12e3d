"""Arrivals by day and hour of the August counter days, with intervals, backtested by year.

The model is a share model on the roster: every household on the roster comes once in August,
so a year's arrivals in a cell (venue day k × hour, or an ordinary-counter day × hour) are the
roster size times the cell's share. Shares are averaged over the training years: venue days by
their position (first and last day peaks), ordinary days pooled (they differ by hour only).
Intervals are negative binomial, with the dispersion of each part estimated from leave-one-year-out
forecasts of the training years (method of moments; Poisson when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from kogadx.counter.calendar import day_slots

CELL = ["part", "position", "hour"]


def arrival_counts(log: pd.DataFrame, venue_days: int, open_hours: tuple[int, int]) -> pd.DataFrame:
    """Arrivals per year × counter day × hour, zeros included (columns year, date, part, position, hour, n)."""
    arrived = pd.to_datetime(log["arrived_at"])
    seen = pd.DataFrame({"year": log["year"].astype(int).to_numpy(), "date": arrived.dt.date.to_numpy(),
                         "hour": arrived.dt.hour.to_numpy()})
    counts = seen.groupby(["year", "date", "hour"]).size()
    grid = [(y, d, part, k, h) for y in sorted(seen["year"].unique())
            for d, part, k in day_slots(int(y), venue_days) for h in range(*open_hours)]
    frame = pd.DataFrame(grid, columns=["year", "date", "part", "position", "hour"])
    key = pd.MultiIndex.from_frame(frame[["year", "date", "hour"]])
    frame["n"] = counts.reindex(key, fill_value=0).to_numpy()
    return frame


def _shares(train: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Mean share of the year's arrivals per cell; ordinary days pooled into one per-day profile."""
    totals = train.groupby("year")["n"].transform("sum")
    data = train.assign(share=train["n"] / totals)
    venue = data[data["part"] == "venue"].groupby(["position", "hour"])["share"].mean()
    regular = data[data["part"] == "regular"]
    days = regular.groupby("year")["date"].nunique()
    # share of one ordinary day in an hour = the year's ordinary share in that hour / its days
    per_day = (regular.groupby(["year", "hour"])["share"].sum() / days).groupby("hour").mean()
    return venue, per_day


@dataclass(frozen=True)
class ArrivalForecast:
    """Forecast cells (date, part, position, hour, mean, low, high) and the dispersion used."""

    cells: pd.DataFrame
    dispersion: dict[str, float]  # φ of var = μ + φ μ² per part (0 = Poisson)


def _predict_cells(train: pd.DataFrame, year: int, households: int, venue_days: int,
                   open_hours: tuple[int, int]) -> pd.DataFrame:
    vshare, per_day = _shares(train)
    slots = day_slots(year, venue_days)
    n_regular = sum(1 for s in slots if s[1] == "regular")
    train_days = train[train["part"] == "regular"].groupby("year")["date"].nunique().mean()
    rows = []
    for d, part, k in slots:
        for h in range(*open_hours):
            if part == "venue":
                # a venue longer than in training: positions past the last reuse the middle days' mean
                share = vshare.get((k, h), np.nan)
                if np.isnan(share):
                    share = vshare.xs(h, level="hour").iloc[1:-1].mean()
            else:
                # the ordinary part's total share is spread over this year's ordinary days
                share = per_day.get(h, 0.0) * (train_days / n_regular if n_regular else 0.0)
            rows.append((d, part, k, h, households * float(share)))
    return pd.DataFrame(rows, columns=["date", "part", "position", "hour", "mean"])


def estimate_dispersion(train: pd.DataFrame, venue_days: int, open_hours: tuple[int, int]) -> dict[str, float]:
    """φ per part (venue, regular) by method of moments on leave-one-year-out forecasts.

    Each training year is forecast from the other training years, so φ covers both the year's
    own noise and the error of shares estimated from a few years (an in-sample fit would miss
    the latter and give intervals that are too narrow).
    """
    years = sorted(train["year"].unique())
    if len(years) < 2:
        return {"venue": 0.0, "regular": 0.0}
    num: dict[str, float] = {"venue": 0.0, "regular": 0.0}
    den: dict[str, float] = {"venue": 0.0, "regular": 0.0}
    for y in years:
        obs = train[train["year"] == y]
        fit = _predict_cells(train[train["year"] != y], int(y), int(obs["n"].sum()), venue_days, open_hours)
        merged = obs.merge(fit, on=["date", "part", "position", "hour"])
        for part, cells in merged.groupby("part"):
            mu, yv = cells["mean"].to_numpy(), cells["n"].to_numpy()
            num[str(part)] += float(((yv - mu) ** 2 - yv).sum())
            den[str(part)] += float((mu**2).sum())
    return {part: max(num[part] / den[part], 0.0) if den[part] > 0 else 0.0 for part in num}


def interval(mean: np.ndarray, dispersion: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of counts: negative binomial (Poisson when φ = 0)."""
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    mu = np.maximum(np.asarray(mean, dtype=float), 1e-9)
    if dispersion <= 0:
        return stats.poisson.ppf(lo_q, mu), stats.poisson.ppf(hi_q, mu)
    size = 1.0 / dispersion
    p = size / (size + mu)
    return stats.nbinom.ppf(lo_q, size, p), stats.nbinom.ppf(hi_q, size, p)


def forecast_arrivals(counts: pd.DataFrame, year: int, households: int, venue_days: int,
                      open_hours: tuple[int, int], level: float, train_venue_days: int | None = None
                      ) -> ArrivalForecast:
    """Forecast ``year`` from every year in ``counts`` (all must be earlier)."""
    train_days = train_venue_days or venue_days
    cells = _predict_cells(counts, year, households, venue_days, open_hours)
    phi = estimate_dispersion(counts, train_days, open_hours)
    low, high = np.zeros(len(cells)), np.zeros(len(cells))
    for part, value in phi.items():
        mask = (cells["part"] == part).to_numpy()
        low[mask], high[mask] = interval(cells.loc[mask, "mean"].to_numpy(), value, level)
    return ArrivalForecast(cells.assign(low=low, high=high), phi)


def backtest(counts: pd.DataFrame, n_years: int, venue_days: int, open_hours: tuple[int, int],
             level: float) -> pd.DataFrame:
    """Each of the last ``n_years`` years forecast from the years before it (roster size known).

    Per test year: WAPE of day × hour cells (venue week and rest of August), the same for the
    naive forecast "last year's cell", and the share of cells inside the interval.
    """
    years = sorted(int(y) for y in counts["year"].unique())
    rows = []
    for test in years[-n_years:]:
        train = counts[counts["year"] < test]
        if train.empty:
            continue
        actual = counts[counts["year"] == test]
        fc = forecast_arrivals(train, test, int(actual["n"].sum()), venue_days, open_hours, level)
        merged = actual.merge(fc.cells, on=["date", "part", "position", "hour"])
        last = train[train["year"] == train["year"].max()]
        naive = actual.merge(last[["part", "position", "hour", "n"]].rename(columns={"n": "naive"}),
                             on=["part", "position", "hour"], how="left").fillna({"naive": 0.0})
        for part in ("venue", "regular", "all"):
            m = merged if part == "all" else merged[merged["part"] == part]
            nv = naive if part == "all" else naive[naive["part"] == part]
            total = float(m["n"].sum())
            rows.append({
                "test_year": test, "train_years": len(train["year"].unique()), "part": part,
                "cells": len(m), "arrivals": int(total),
                "wape": float((m["n"] - m["mean"]).abs().sum() / total) if total else float("nan"),
                "wape_naive": float((nv["n"] - nv["naive"]).abs().sum() / total) if total else float("nan"),
                "coverage": float(((m["n"] >= m["low"]) & (m["n"] <= m["high"])).mean()),
            })
    return pd.DataFrame(rows)
