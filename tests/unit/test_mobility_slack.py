"""Repositioning within schedule slack: a van with a later booking may move, never late."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kogadx.mobility.params import DispatchRules
from kogadx.mobility.simulation import (
    Fleet,
    StraightLineTravelTime,
    _Day,
    _Stop,
    check_dispatch,
    simulate_dispatch,
)
from kogadx.rng import stream_rng
from kogadx.synth.requests import generate_synthetic_requests

# 60 km/h, no detour: one kilometre per minute, so times are easy to reason about
FAST = StraightLineTravelTime(detour_factor=1.0, speed_kmh=60.0)
FLEET = Fleet(n_vehicles=1, depot_x=0.0, depot_y=0.0, capacity=8, service_start_hour=9, service_end_hour=17)
DAY = pd.Timestamp("2024-03-01")


def _day_with_booking(rules: DispatchRules) -> _Day:
    """One van at the depot at 9:00 with a booking for 10:00 one km east (drop-off two km east)."""
    day = _Day(FLEET, rules, FAST, DAY)
    p = _Stop(0, True, 1000.0, 0.0, 600.0, 615.0, 1, 10.0, 600.0)
    d = _Stop(0, False, 2000.0, 0.0, 0.0, math.inf, 1, 10.0)
    assert day.insert(0, p, d, 545.0)
    return day


CENTROIDS = {"near": (5000.0, 0.0), "far": (40000.0, 0.0)}


def test_van_with_later_booking_moves_only_where_it_can_return_in_time():
    day = _day_with_booking(DispatchRules(reposition_in_slack=True, slack_min_stay_min=5.0))
    # far: 40 + 5 + 39 min > the 55 min left → not allowed despite the higher demand
    day.reposition(545.0, {"near": 1.0, "far": 10.0}, CENTROIDS)
    van = day.vehicles[0]
    assert van.repos is not None
    assert (van.repos[3], van.repos[4]) == CENTROIDS["near"]
    day.advance(math.inf)
    assert day.pickup_start[0] == pytest.approx(600.0)  # exactly as planned before moving


def test_van_stays_when_no_target_fits_the_slack_or_slack_use_is_off():
    day = _day_with_booking(DispatchRules(reposition_in_slack=True))
    day.reposition(545.0, {"far": 10.0}, {"far": CENTROIDS["far"]})
    assert day.vehicles[0].repos is None
    off = _day_with_booking(DispatchRules(reposition_in_slack=False))
    off.reposition(545.0, {"near": 1.0, "far": 10.0}, CENTROIDS)
    off.return_to_depot(545.0)
    assert off.vehicles[0].repos is None
    # at 595 the van must already be on its way (1 min drive, booking at 600): committed
    late = _day_with_booking(DispatchRules(reposition_in_slack=True))
    late.advance(599.5)
    late.reposition(599.5, {"near": 1.0}, CENTROIDS)
    assert late.vehicles[0].repos is None


def test_new_booking_interrupting_a_slack_move_keeps_every_promise():
    rules = DispatchRules(reposition_in_slack=True, slack_min_stay_min=0.0)
    day = _day_with_booking(rules)
    day.reposition(545.0, {"near": 1.0}, CENTROIDS)
    assert day.vehicles[0].repos is not None
    # halfway to "near", a rider 3 km east books for right now
    day.advance(547.0)
    p = _Stop(1, True, 3000.0, 0.0, 547.0, 562.0, 1, 10.0, 547.0)
    d = _Stop(1, False, 3000.0, 1000.0, 0.0, math.inf, 1, 10.0)
    assert day.insert(1, p, d, 547.0)
    day.advance(math.inf)
    assert 547.0 <= day.pickup_start[1] <= 562.0
    assert 600.0 <= day.pickup_start[0] <= 615.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_slack_repositioning_never_breaks_a_committed_window(seed):
    rng = stream_rng(seed, "slack")
    zones = pd.DataFrame({"zone": ["A", "B", "C"], "x": [0.0, 3000.0, 1500.0], "y": [0.0, 0.0, 2500.0]})
    hours = pd.date_range(DAY + pd.Timedelta(hours=9), periods=8, freq="h")
    rates = pd.DataFrame({"zone": np.tile(zones["zone"], len(hours)), "hour": np.repeat(hours, 3),
                          "expected": rng.uniform(0.3, 2.0, 3 * len(hours))})
    reqs = generate_synthetic_requests(rng, rates, zones, lead_min=(5.0, 120.0), max_passengers=2)
    fleet = Fleet(2, 1500.0, 1000.0, 8, 9, 17)
    rules = DispatchRules(reposition_in_slack=True, slack_min_stay_min=2.0)
    travel = StraightLineTravelTime(1.3, 20.0)
    res = simulate_dispatch(reqs, fleet, rules, travel, "forecast", rates, zones)
    assert check_dispatch(res, fleet, rules) == []
    # the feature is active: some reposition leg starts while its van holds a booked, not yet picked-up rider
    trips = res.trips[res.trips["status"] == "served"]
    repos = res.legs[res.legs["kind"] == "reposition"]
    holding = [((trips["vehicle"] == leg.vehicle) & (trips["request_min"] < leg.depart_min)
                & (trips["pickup_min"] > leg.depart_min)).any() for leg in repos.itertuples(index=False)]
    assert any(holding)
    # every served rider is picked up within the promised window (also re-checked above)
    assert ((trips["wait_min"] >= -1e-9) & (trips["wait_min"] <= rules.pickup_window_min + 1e-9)).all()
