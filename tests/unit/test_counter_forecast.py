"""Arrival counts, the share forecast, its intervals and the backtest, on a tiny synthetic log."""

from __future__ import annotations

import numpy as np
import pytest

from kogadx.counter.calendar import day_slots, venue_dates
from kogadx.counter.forecast import arrival_counts, backtest, forecast_arrivals, interval
from tests.counter_fixtures import tiny_counter_world

HOURS = (9, 17)


@pytest.fixture(scope="module")
def world():
    return tiny_counter_world()


def test_venue_week_starts_on_the_first_monday_and_skips_holidays():
    days = venue_dates(2025, 5)
    assert days[0].isoformat() == "2025-08-04" and all(d.weekday() < 5 for d in days)
    ten = venue_dates(2025, 10)
    assert not any(d.isoformat() == "2025-08-11" for d in ten)  # 山の日
    slots = day_slots(2025, 5)
    assert len({d for d, _, _ in slots}) == len(slots)


def test_counts_keep_every_visit_and_the_log_is_a_queue(world):
    _, households, log = world
    counts = arrival_counts(log, 5, HOURS)
    assert int(counts["n"].sum()) == len(log)  # rows in = counted (every visit in an open hour)
    assert (log["called_at"] >= log["arrived_at"]).all() and (log["ended_at"] >= log["called_at"]).all()
    # A queue: at one venue counter, visits never overlap.
    venue = log[log["venue"] == "特設会場"].sort_values("called_at")
    for _, one in venue.groupby([venue["arrived_at"].dt.date, "counter"]):
        assert (one["called_at"].to_numpy()[1:] >= one["ended_at"].to_numpy()[:-1]).all()
    assert log["case_number"].isin(households["case_number"]).all()


def test_forecast_sums_to_the_roster_and_has_first_and_last_day_peaks(world):
    _, households, log = world
    counts = arrival_counts(log, 5, HOURS)
    fc = forecast_arrivals(counts, 2025, len(households), 5, HOURS, 0.8)
    assert fc.cells["mean"].sum() == pytest.approx(len(households), rel=0.02)
    venue = fc.cells[fc.cells["part"] == "venue"].groupby("position")["mean"].sum()
    assert venue.iloc[0] > venue.iloc[1:4].mean() and venue.iloc[-1] > venue.iloc[1:4].mean()
    assert (fc.cells["low"] <= fc.cells["mean"]).all() and (fc.cells["high"] >= fc.cells["mean"]).all()


def test_intervals_widen_with_dispersion():
    mean = np.array([2.0, 10.0, 30.0])
    lo0, hi0 = interval(mean, 0.0, 0.8)
    lo1, hi1 = interval(mean, 0.3, 0.8)
    assert ((hi1 - lo1) >= (hi0 - lo0)).all() and (hi1 - lo1)[-1] > (hi0 - lo0)[-1]


def test_backtest_beats_last_year_and_covers_near_the_level(world):
    _, _, log = world
    bt = backtest(arrival_counts(log, 5, HOURS), 2, 5, HOURS, 0.8)
    overall = bt[bt["part"] == "all"]
    assert list(overall["test_year"]) == [2023, 2024]
    assert (overall["train_years"] == [2, 3]).all()
    # The share model pools years; last year's cell alone is noisier.
    assert overall["wape"].mean() < overall["wape_naive"].mean()
    assert 0.6 <= overall["coverage"].mean() <= 0.98
