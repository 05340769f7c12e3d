"""Drivers' breaks (dispatch.rules.break_*): each van stands at the depot for the break, in its
window, with nobody on board, and the riders' promises still hold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kogadx.mobility.params import DispatchRules
from kogadx.mobility.simulation import Fleet, StraightLineTravelTime, check_dispatch, simulate_dispatch
from kogadx.mobility.variability import TravelConditions, execute_plans
from kogadx.synth.requests import generate_synthetic_requests

DAY = pd.Timestamp("2024-03-01")
FLEET = Fleet(n_vehicles=2, depot_x=1500, depot_y=0, capacity=8, service_start_hour=9, service_end_hour=13)
RULES = DispatchRules(pickup_window_min=15, ride_time_alpha=1.5, ride_time_beta_min=5, dwell_min=1,
                      break_min=45, break_starts_h=(10.0, 11.0), break_flex_min=20)


def _requests() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    cents = pd.DataFrame({"zone": ["A", "B"], "x": [0.0, 3000.0], "y": [0.0, 1500.0]})
    hours = pd.date_range(DAY + pd.Timedelta(hours=9), periods=4, freq="h")
    rates = pd.DataFrame({"zone": ["A", "B"] * 4, "hour": np.repeat(hours, 2), "expected": [4.0, 3.0] * 4})
    return generate_synthetic_requests(rng, rates, cents, lead_min=(5.0, 30.0))


def test_each_van_takes_its_break_at_the_depot_in_its_window_with_nobody_on_board():
    reqs = _requests()
    res = simulate_dispatch(reqs, FLEET, RULES, reopt_interval_min=10)
    assert check_dispatch(res, FLEET, RULES) == []
    breaks = res.breaks.sort_values("vehicle")
    assert list(breaks["vehicle"]) == [0, 1]
    np.testing.assert_allclose(breaks["end_min"] - breaks["start_min"], 45.0)
    starts = breaks["start_min"].to_numpy()
    assert (starts >= [600.0, 660.0]).all() and (starts <= [620.0 + 1e-9, 680.0 + 1e-9]).all()
    assert (breaks["x"] == FLEET.depot_x).all() and (breaks["y"] == FLEET.depot_y).all()
    served = res.trips[res.trips["status"] == "served"]
    for b in breaks.itertuples(index=False):
        mine = served[served["vehicle"] == b.vehicle]
        # no pick-up or drop-off during the break, and nobody on board across it
        for t in np.r_[mine["pickup_min"], mine["dropoff_min"]]:
            assert not (b.start_min < t < b.end_min)
        aboard = (mine["pickup_min"] < b.start_min) & (mine["dropoff_min"] > b.start_min)
        assert not aboard.any()
    # without breaks the same day is served with at least as short waits
    free = simulate_dispatch(reqs, FLEET, DispatchRules(**{**RULES.__dict__, "break_min": 0.0}))
    assert free.kpis["wait_mean_min"] <= res.kpis["wait_mean_min"] + 1e-9
    # revenue hours leave the breaks out: 2 vans × 4 h − 2 × 45 min = 6.5 h; per vehicle-hour keeps all 8 h
    n = res.kpis["n_served"]
    assert n > 10
    assert abs(res.kpis["rides_per_vehicle_revenue_hour"] - n / 6.5) < 1e-9
    assert abs(res.kpis["rides_per_vehicle_hour"] - n / 8.0) < 1e-9
    assert abs(free.kpis["rides_per_vehicle_revenue_hour"] - free.kpis["n_served"] / 8.0) < 1e-9


def test_executed_plans_keep_the_break():
    reqs = _requests()
    res = simulate_dispatch(reqs, FLEET, RULES, StraightLineTravelTime(1.3, 20.0))
    roads = TravelConditions(20.0, 1.3, 0.0, 0.0, 1.0)  # the plan's own roads: execution = plan
    pick, drop = execute_plans(res.trips, reqs, (FLEET.depot_x, FLEET.depot_y), {DAY: 540.0}, roads,
                               np.random.default_rng(0), res.breaks)
    served = (res.trips["status"] == "served").to_numpy()
    np.testing.assert_allclose(pick[served], res.trips["pickup_min"].to_numpy()[served], atol=1e-6)
    np.testing.assert_allclose(drop[served], res.trips["dropoff_min"].to_numpy()[served], atol=1e-6)
    # without the breaks the same plans are executed too early: the break is what keeps them on plan
    early, _ = execute_plans(res.trips, reqs, (FLEET.depot_x, FLEET.depot_y), {DAY: 540.0}, roads,
                             np.random.default_rng(0))
    assert (early[served] < pick[served] - 1e-6).any()
