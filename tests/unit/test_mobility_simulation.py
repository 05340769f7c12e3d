"""Online dispatch simulation on tiny hand-made scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.mobility.params import DispatchRules
from kogadx.mobility.simulation import (
    Fleet,
    MatrixTravelTime,
    StraightLineTravelTime,
    check_dispatch,
    run_fleet_scenarios,
    scale_demand,
    simulate_dispatch,
)
from kogadx.synth.requests import generate_synthetic_requests

DAY = pd.Timestamp("2024-03-01")


def _requests(rows):
    """rows: (desired minute of day, lead min, ox, oy, dx, dy, pax)."""
    frame = pd.DataFrame(rows, columns=["m", "lead", "origin_x", "origin_y", "dest_x", "dest_y", "passengers"])
    frame["desired_pickup_time"] = DAY + pd.to_timedelta(frame["m"], unit="min")
    frame["request_time"] = frame["desired_pickup_time"] - pd.to_timedelta(frame["lead"], unit="min")
    frame["request_id"] = [f"q{k}" for k in range(len(frame))]
    frame["origin_zone"] = np.where(frame["origin_x"] < 1500, "W", "E")
    frame["dest_zone"] = np.where(frame["dest_x"] < 1500, "W", "E")
    return frame.drop(columns=["m", "lead"])


TEN = _requests([
    (545, 10, 0, 0, 2000, 0, 1),
    (546, 10, 100, 0, 2100, 0, 2),
    (548, 5, 0, 500, 1500, 1500, 1),
    (550, 20, 2500, 2500, 0, 0, 3),
    (560, 15, 1000, 1000, 3000, 1000, 1),
    (562, 15, 1000, 1100, 3000, 900, 4),
    (565, 30, 3000, 0, 0, 3000, 2),
    (570, 10, 200, 200, 250, 2800, 1),
    (600, 10, 1500, 1500, 1600, 1600, 1),
    (1100, 10, 0, 0, 100, 100, 1),  # after service hours → rejected
])
FLEET = Fleet(n_vehicles=2, depot_x=1500, depot_y=1500, capacity=8, service_start_hour=9, service_end_hour=17)
RULES = DispatchRules(pickup_window_min=15, ride_time_alpha=1.5, ride_time_beta_min=5, dwell_min=1)


def _legs_are_continuous(legs: pd.DataFrame, fleet: Fleet) -> None:
    for _, grp in legs.groupby(["service_date", "vehicle"]):
        grp = grp.sort_values("depart_min", kind="stable")
        x, y = fleet.depot_x, fleet.depot_y
        t = fleet.service_start_hour * 60
        for leg in grp.itertuples(index=False):
            assert leg.x0 == pytest.approx(x) and leg.y0 == pytest.approx(y)
            assert leg.depart_min >= t - 1e-9
            assert leg.arrive_min >= leg.depart_min
            assert 0 <= leg.load <= fleet.capacity
            x, y, t = leg.x1, leg.y1, leg.arrive_min


def test_tiny_scenario_plans_feasible_and_kpis_consistent():
    res = simulate_dispatch(TEN, FLEET, RULES)
    k = res.kpis
    assert k["n_served"] + k["n_rejected"] == k["n_requests"] == len(TEN)
    assert k["served_rate"] + k["rejection_rate"] == pytest.approx(1.0)
    assert check_dispatch(res, FLEET, RULES) == []
    _legs_are_continuous(res.legs, FLEET)
    late = res.trips.set_index("request_id").loc["q9"]
    assert late["status"] == "rejected" and late["reason"] == "運行時間外"
    served = res.trips[res.trips["status"] == "served"]
    assert len(served) >= 7
    assert (served["pickup_min"] >= served["desired_min"] - 1e-9).all()
    assert (served["dropoff_min"] > served["pickup_min"]).all()
    # KPI values recomputed from the tables
    assert k["wait_mean_min"] == pytest.approx(served["wait_min"].mean())
    assert k["vehicle_km"] == pytest.approx(res.legs["km"].sum())
    assert 0 <= k["empty_km"] <= k["vehicle_km"]
    assert k["ride_over_direct_mean"] >= 1.0 - 1e-9
    assert k["passengers_per_vehicle_hour"] == pytest.approx(served["passengers"].sum() / (2 * 8))


def test_capacity_binds_and_is_respected():
    # Three parties of 3 at the same place and time, one vehicle of 8 seats.
    reqs = _requests([(600, 30, 0, 0, 3000, 0, 3)] * 3)
    fleet = Fleet(1, 0, 0, capacity=8)
    res = simulate_dispatch(reqs, fleet, RULES)
    assert check_dispatch(res, fleet, RULES) == []
    served = res.trips[res.trips["status"] == "served"]
    # Two parties fit together; a third can only ride later, which breaks its window.
    assert res.kpis["n_served"] == 2
    assert served["passengers"].sum() <= 8
    assert res.legs["load"].max() <= 8


def test_check_dispatch_detects_broken_promises():
    res = simulate_dispatch(TEN, FLEET, RULES)
    trips = res.trips.copy()
    idx = trips.index[trips["status"] == "served"][0]
    trips.loc[idx, "wait_min"] = RULES.pickup_window_min + 3
    trips.loc[idx, "ride_min"] = trips.loc[idx, "direct_min"] * 3 + 10
    broken = type(res)(trips, res.legs, res.kpis, res.decision_ms)
    msgs = check_dispatch(broken, FLEET, RULES)
    assert any("待ち時間" in m for m in msgs)
    assert any("乗車時間" in m for m in msgs)


def test_more_vehicles_serve_at_least_as_many_on_busy_scenario():
    rng = np.random.default_rng(7)
    cents = pd.DataFrame({"zone": ["A", "B"], "x": [0.0, 3000.0], "y": [0.0, 0.0]})
    hours = pd.date_range(DAY + pd.Timedelta(hours=9), periods=2, freq="h")
    rates = pd.DataFrame({"zone": ["A", "B"] * 2, "hour": np.repeat(hours, 2), "expected": [12.0, 6.0] * 2})
    reqs = generate_synthetic_requests(rng, rates, cents)
    one = simulate_dispatch(reqs, Fleet(1, 1500, 0), RULES)
    three = simulate_dispatch(reqs, Fleet(3, 1500, 0), RULES)
    assert three.kpis["n_served"] >= one.kpis["n_served"]
    assert check_dispatch(three, Fleet(3, 1500, 0), RULES) == []


def test_repositioning_policy_moves_idle_vehicles_and_stays_feasible():
    cents = pd.DataFrame({"zone": ["W", "E"], "x": [0.0, 3000.0], "y": [0.0, 0.0]})
    hours = pd.date_range(DAY + pd.Timedelta(hours=8), periods=10, freq="h")
    demand = pd.DataFrame({"zone": ["W", "E"] * 10, "hour": np.repeat(hours, 2), "expected": [1.0, 10.0] * 10})
    reqs = _requests([(600, 30, 3000, 100, 2900, 900, 1), (700, 30, 3100, 0, 3000, 600, 1)])
    fleet = Fleet(2, 0, 0)
    res = simulate_dispatch(reqs, fleet, RULES, policy="forecast", zone_demand=demand, zone_centroids=cents)
    assert (res.legs["kind"] == "reposition").any()
    assert check_dispatch(res, fleet, RULES) == []
    _legs_are_continuous(res.legs, fleet)
    base = simulate_dispatch(reqs, fleet, RULES)
    # The vehicle waiting in the busy east zone can pick up sooner than one from the depot.
    assert res.kpis["wait_mean_min"] <= base.kpis["wait_mean_min"] + 1e-9
    with pytest.raises(ValueError, match="zone_demand"):
        simulate_dispatch(reqs, fleet, RULES, policy="oracle")


def test_matrix_travel_time_replaces_default():
    stops = pd.DataFrame({"stop_id": ["s1", "s2"], "x": [0.0, 1000.0], "y": [0.0, 0.0]})
    matrix = pd.DataFrame({"from_stop": ["s1", "s2"], "to_stop": ["s2", "s1"], "minutes": [7.0, 9.0], "km": [1.5, 1.6]})
    model = MatrixTravelTime(stops, matrix)
    got = model.minutes(np.array([10.0, 990.0]), np.array([0.0, 5.0]), np.array([1000.0, 0.0]), np.array([0.0, 0.0]))
    assert got.tolist() == [7.0, 9.0]
    assert float(model.km(0, 0, 1000, 0)) == 1.5
    reqs = _requests([(600, 20, 0, 0, 1000, 0, 1)])
    res = simulate_dispatch(reqs, Fleet(1, 0, 0), RULES, travel=model)
    assert res.trips.loc[0, "direct_min"] == 7.0
    assert res.trips.loc[0, "ride_min"] == pytest.approx(7.0)
    straight = simulate_dispatch(reqs, Fleet(1, 0, 0), RULES, travel=StraightLineTravelTime(1.0, 30.0))
    assert straight.trips.loc[0, "direct_min"] == pytest.approx(2.0)


def test_missing_column_is_reported():
    with pytest.raises(Exception, match="passengers"):
        simulate_dispatch(TEN.drop(columns=["passengers"]), FLEET, RULES)


def test_scale_demand_adds_half_and_is_deterministic():
    more = scale_demand(TEN, 1.5, np.random.default_rng(3))
    again = scale_demand(TEN, 1.5, np.random.default_rng(3))
    assert len(more) == 15
    assert more["request_id"].is_unique
    pd.testing.assert_frame_equal(more, again)
    assert set(TEN["request_id"]) <= set(more["request_id"])


def test_fleet_scenarios_table_covers_grid():
    table = run_fleet_scenarios(TEN, FLEET, RULES, [1, 2], [1.0, 1.5], ["none"], np.random.default_rng(0))
    assert len(table) == 4
    assert (table["n_served"] + table["n_rejected"] == table["n_requests"]).all()
    assert set(table.loc[table["demand_factor"] == 1.5, "n_requests"]) == {15}


def test_vehicle_never_leaves_for_a_rider_before_the_booking():
    # Vehicle idle at the depot from 9:00; a short-notice booking at 10:00 for 10:02 far away.
    reqs = _requests([(602, 2, 2500, 0, 2500, 1000, 1)])
    fleet = Fleet(1, 0, 0)
    res = simulate_dispatch(reqs, fleet, RULES)
    assert res.kpis["n_served"] == 1
    assert check_dispatch(res, fleet, RULES) == []
    leg = res.legs[res.legs["to_pickup"]].iloc[0]
    assert leg["depart_min"] >= 600
    assert res.trips.loc[0, "pickup_min"] >= 600 + leg["arrive_min"] - leg["depart_min"] - 1e-9
