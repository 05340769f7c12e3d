"""Bookings as people make them: ride-now offers (accept / decline), reservations with a
promised window, maximum wait, causes; plans executed on variable roads; the as-operated
log replayed within the issue's tolerances; the travel-time matrix refusing bad pairs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kogadx.io import InputFileError
from kogadx.mobility.inputs import travel_model
from kogadx.mobility.params import DispatchRules, Travel
from kogadx.mobility.simulation import Fleet, StraightLineTravelTime, check_dispatch, simulate_dispatch
from kogadx.mobility.validation import compare, logged_kpis, mean_kpis, replayed_kpis
from kogadx.mobility.variability import TravelConditions, execute_plans
from kogadx.synth.operations import operate
from kogadx.synth.params import RideOperations, Rides

DAY = pd.Timestamp("2024-03-01")
FAST = StraightLineTravelTime(detour_factor=1.0, speed_kmh=30.0)  # 2 min per km
RULES = DispatchRules(pickup_window_min=15, ride_now_lead_min=2, max_wait_min=20, dwell_min=1)


def _requests(rows):
    """rows: (desired minute, lead min, ox, oy, dx, dy[, accept_wait_min])."""
    frame = pd.DataFrame([r[:6] for r in rows], columns=["m", "lead", "origin_x", "origin_y", "dest_x", "dest_y"])
    frame["desired_pickup_time"] = DAY + pd.to_timedelta(frame["m"], unit="min")
    frame["request_time"] = frame["desired_pickup_time"] - pd.to_timedelta(frame["lead"], unit="min")
    frame["request_id"] = [f"q{k}" for k in range(len(frame))]
    frame["passengers"] = 1
    frame["origin_zone"] = frame["dest_zone"] = "Z"
    frame["accept_wait_min"] = [r[6] if len(r) > 6 else math.inf for r in rows]
    return frame.drop(columns=["m", "lead"])


def test_ride_now_wait_counts_from_request_and_decline_and_max_wait_have_causes():
    fleet = Fleet(1, depot_x=0, depot_y=0, service_start_hour=9, service_end_hour=17)
    reqs = _requests([
        (600, 0.5, 4000, 0, 5000, 0),            # ride-now, van 4 km away: offer ≈ 8 min after the request
        (600.2, 0.5, 4000, 100, 5000, 0, 3.0),   # ride-now, will not wait more than 3 min → declines
        (700, 60, 0, 0, 1000, 0),                # reservation for 11:40
        (601, 0.5, 30000, 0, 31000, 0),          # ride-now 30 km away: beyond the maximum wait
    ])
    res = simulate_dispatch(reqs, fleet, RULES, FAST)
    t = res.trips.set_index("request_id")
    assert t.loc["q0", "booking"] == "ride_now" and t.loc["q0", "status"] == "served"
    # wait from the request (599.5), not from the desired minute: ≥ 8 min of driving
    assert t.loc["q0", "wait_min"] == pytest.approx(t.loc["q0", "pickup_min"] - 599.5)
    assert t.loc["q0", "wait_min"] >= 8.0
    assert t.loc["q0", "offer_min"] == pytest.approx(t.loc["q0", "pickup_min"])
    assert (t.loc["q1", "status"], t.loc["q1", "reason"]) == ("declined", "提示時刻を辞退")
    assert t.loc["q1", "offer_min"] - 599.7 > 3.0  # the declined offer is recorded
    assert t.loc["q2", "booking"] == "reservation" and 0 <= t.loc["q2", "wait_min"] <= 15
    assert (t.loc["q3", "status"], t.loc["q3", "reason"]) == ("rejected", "最大待ち時間内に配車不可")
    k = res.kpis
    assert (k["n_served"], k["n_rejected"], k["n_declined"]) == (2, 1, 1)
    assert k["ride_now_wait_mean_min"] == pytest.approx(t.loc["q0", "wait_min"])
    assert check_dispatch(res, fleet, RULES) == []


def test_execute_plans_equals_plan_on_plan_roads_and_never_picks_up_early():
    fleet = Fleet(2, depot_x=0, depot_y=0, service_start_hour=9, service_end_hour=17)
    reqs = _requests([(560 + 7 * k, 30 if k % 2 else 0.5, 500 * k, 0, 500 * k + 3000, 800, 99) for k in range(12)])
    res = simulate_dispatch(reqs, fleet, RULES, FAST)
    served = res.trips["status"] == "served"
    opens = {DAY: 540.0}
    # the operator's own roads (no peak, no noise, same dwell): the plan happens as planned
    same = TravelConditions(speed_kmh=30.0, detour_factor=1.0, peak_slowdown=0.0, leg_sigma=0.0, dwell_min=1.0)
    pick, drop = execute_plans(res.trips, reqs, (0.0, 0.0), opens, same, np.random.default_rng(1))
    assert np.allclose(pick[served], res.trips.loc[served, "pickup_min"])
    assert np.allclose(drop[served], res.trips.loc[served, "dropoff_min"])
    # slow, noisy roads: later, never before the rider's earliest time, drop-off after pick-up
    slow = TravelConditions(speed_kmh=20.0, detour_factor=1.3, peak_slowdown=0.3, leg_sigma=0.3, dwell_min=1.5)
    pick, drop = execute_plans(res.trips, reqs, (0.0, 0.0), opens, slow, np.random.default_rng(1))
    assert (pick[served] >= res.trips.loc[served, "desired_min"] - 1e-9).all()
    assert (drop[served] > pick[served]).all()
    assert pick[served].mean() > res.trips.loc[served, "pickup_min"].mean()
    assert np.isnan(pick[~served]).all()


def _log_of(n: int, seed: int, world: tuple[float, float],
            fleet_size: int = 2) -> tuple[pd.DataFrame, pd.DataFrame, Rides]:
    """An as-operated log of ``n`` requests on one weekday (pseudonymized column names) on
    roads with ``world`` = (peak slowdown, leg noise)."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 5, n).astype("timedelta64[D]")  # Mon 4 … Fri 8 March 2024
    desired = (np.datetime64("2024-03-04T09:00") + days + rng.integers(0, 470, n).astype("timedelta64[m]"))
    requested = desired - rng.integers(5, 120, n).astype("timedelta64[m]")
    o = rng.uniform(0, 4000, (n, 2))
    d = rng.uniform(0, 4000, (n, 2))
    peak, sigma = world
    ops = RideOperations(speed_kmh=(20.0, 20.0), detour_factor=(1.3, 1.3), peak_slowdown=(peak, peak),
                         leg_sigma=(sigma, sigma), dwell_min=(1.0, 1.0),
                         rules=DispatchRules(pickup_window_min=15, max_wait_min=30, dwell_min=1.0))
    config = Rides(start="2024-03-04", end="2024-03-08", fleet_size=fleet_size, operations=ops)
    out = operate(rng, requested, desired, o, d, np.ones(n, int), rng.random(n), (2000.0, 2000.0), config)
    rides = pd.DataFrame({
        "request_id": [f"R{k}" for k in range(n)], "requested_at": out.requested.astype("datetime64[us]"),
        "desired_pickup_at": desired.astype("datetime64[us]"), "outcome": out.outcome,
        "actual_pickup_at": out.pickup.astype("datetime64[us]"),
        "actual_dropoff_at": out.dropoff.astype("datetime64[us]"),
        "vehicle_id": pd.array(np.where(out.vehicle > 0, np.char.add("V", out.vehicle.astype(str)), None),
                               dtype="string"),
    })
    replay = pd.DataFrame({
        "request_id": rides["request_id"], "request_time": rides["requested_at"],
        "desired_pickup_time": rides["desired_pickup_at"], "origin_x": o[:, 0], "origin_y": o[:, 1],
        "dest_x": d[:, 0], "dest_y": d[:, 1], "passengers": 1, "origin_zone": "Z", "dest_zone": "Z",
        "outcome": out.outcome,
    })
    replay = replay[replay["outcome"].isin(["完了", "配車不可", "無断キャンセル"])].reset_index(drop=True)
    return rides, replay, config


OPENS = {pd.Timestamp("2024-03-04") + pd.Timedelta(days=k): 540.0 for k in range(5)}


@pytest.mark.parametrize(("world", "exact"), [((0.0, 0.0), True), ((0.2, 0.15), False)])
def test_replaying_the_as_operated_log_reproduces_its_kpis(world, exact):
    rides, replay, config = _log_of(250, 7, world)
    assert set(rides["outcome"]) >= {"完了", "キャンセル"}
    rules = config.operations.rules
    travel = StraightLineTravelTime(1.3, 20.0)
    fleet = Fleet(2, 2000.0, 2000.0, 8, 9.0, 17.0)
    result = simulate_dispatch(replay, fleet, rules, travel)
    depot = (2000.0, 2000.0)
    realised = None
    if not exact:  # the replayed plans driven on the same kind of roads, other random delays
        roads = TravelConditions(20.0, 1.3, world[0], world[1], 1.0)
        runs = [replayed_kpis(replay, result, travel, depot,
                              execute_plans(result.trips, replay, depot, OPENS, roads,
                                            np.random.default_rng(100 + k))) for k in range(5)]
        realised = mean_kpis(runs)
    table = compare(logged_kpis(replay, rides, rules, travel, depot),
                    realised or replayed_kpis(replay, result, travel, depot))
    assert table["all_within"], table
    if exact:  # on the operator's own roads only the log's one-minute rounding differs
        assert abs(table["difference"]["wait_mean_min"]) < 0.1
        assert table["difference"]["rejection_share"] == 0.0
        assert abs(table["difference"]["vehicle_km_rel"]) < 1e-9


def test_rejection_check_of_the_replay_can_fail_on_a_congested_log():
    """One van for 150 requests in a week: the operator rejects about a fifth (max wait, windows), the
    replay with the operator's fleet reproduces that share, a replay with more vans does not."""
    rides, replay, config = _log_of(150, 3, (0.0, 0.0), fleet_size=1)
    rules, travel, depot = config.operations.rules, StraightLineTravelTime(1.3, 20.0), (2000.0, 2000.0)
    logged = logged_kpis(replay, rides, rules, travel, depot)
    assert logged["rejection_share"] > 0.1
    same = simulate_dispatch(replay, Fleet(1, 2000.0, 2000.0, 8, 9.0, 17.0), rules, travel)
    assert compare(logged, replayed_kpis(replay, same, travel, depot))["within"]["rejection_share"]
    more = simulate_dispatch(replay, Fleet(3, 2000.0, 2000.0, 8, 9.0, 17.0), rules, travel)
    assert not compare(logged, replayed_kpis(replay, more, travel, depot))["within"]["rejection_share"]


def test_compare_flags_a_replay_outside_the_tolerances():
    logged = {"wait_mean_min": 8.0, "rejection_share": 0.02, "vehicle_km": 100.0}
    table = compare(logged, {"wait_mean_min": 8.7, "rejection_share": 0.02, "vehicle_km": 104.0})
    assert table["within"] == {"wait_mean_min": False, "rejection_share": True, "vehicle_km": False}
    assert not table["all_within"]


def test_matrix_with_a_missing_pair_or_negative_time_is_refused_naming_the_stops():
    stops = pd.DataFrame({"stop_id": ["S001", "S002", "S003"], "x": [0.0, 1000.0, 5000.0], "y": 0.0})
    pairs = [(a, b, 0 if a == b else 5) for a in stops["stop_id"] for b in stops["stop_id"]]
    full = pd.DataFrame(pairs, columns=["from_stop", "to_stop", "minutes"]).astype(str)
    with pytest.raises(InputFileError, match="S001→S003"):
        travel_model(Travel(model="matrix"), stops, full.drop(index=2), "m.csv")
    negative = full.copy()
    negative.loc[5, "minutes"] = "-3"
    with pytest.raises(InputFileError, match=r"m.csv: 7 行目 列 minutes \(停留所 S002→S003\)"):
        travel_model(Travel(model="matrix"), stops, negative, "m.csv")


def test_operator_promises_in_params_equal_the_replay_rules():
    params = yaml.safe_load((Path(__file__).parents[2] / "params.yaml").read_text(encoding="utf-8"))
    operator = params["synthesize"]["rides"]["operations"]["rules"]
    replay = params["dispatch"]["rules"]
    for key in ("pickup_window_min", "ride_now_lead_min", "max_wait_min", "ride_now_access_min", "ride_time_alpha",
                "ride_time_beta_min", "wait_weight", "break_min", "break_starts_h", "break_flex_min"):
        assert operator[key] == replay[key], key
    assert params["synthesize"]["rides"]["fleet_size"] == params["dispatch"]["fleet"]["n_vehicles"]


def test_generator_never_books_before_the_member_exists_nor_picks_up_before_the_request():
    from kogadx.synth.rides import _Draws, _request_export

    n = 6
    hour = np.datetime64("2024-09-10T10:00", "s")
    draws = _Draws(hour=np.zeros(n, int), zone=np.zeros(n, int), hour_start=np.full(n, hour),
                   city_count=np.ones(n, int), is_outbound=np.ones(n, bool), u_origin=np.zeros(n),
                   u_member=np.zeros(n), u_dest=np.zeros(n), minute=np.arange(n) * 5,
                   lead_minutes=np.array([10, 300, 2000, 10, 600, 30]), lead_seconds=np.full(n, 7),
                   passengers=np.ones(n, int), outcome_u=np.full(n, 0.5), wait_min=np.zeros(n, int),
                   vehicle=np.ones(n, int))
    # member 1 registers the day after the trips: it cannot have booked any of them
    reg = np.array(["2024-01-01", "2024-09-11", "2024-09-10"], dtype="datetime64[D]")
    member = np.array([0, 1, 2, 0, 2, 1])
    members = pd.DataFrame({"会員ID": ["K1", "K2", "K3"], "支払方法": "現金"})
    stops = pd.DataFrame({"stop_id": ["S001", "S002"], "lat": [33.7290, 33.7330], "lon": [130.4600, 130.4700]})
    frame = _request_export(draws, np.array([0, 1] * 3), np.array([1, 0] * 3), member, members, stops, reg,
                            Rides(start="2024-09-10", end="2024-09-10", p_cancel=0.0, p_no_show=0.0),
                            np.random.default_rng(3))
    assert "K2" not in set(frame["会員ID"])  # its two trips are not made
    assert len(frame) == 4 and frame.attrs["operations"]["n_dropped_booked_after_trip"] == 2
    booked = pd.to_datetime(frame["予約日時"], format="%Y/%m/%d %H:%M:%S")
    desired = pd.to_datetime(frame["希望乗車日時"], format="%Y/%m/%d %H:%M")
    registered = frame["会員ID"].map({"K1": "2024-01-01", "K3": "2024-09-10"}).pipe(pd.to_datetime)
    assert (registered <= booked).all() and (booked <= desired).all()
    done = frame["結果"] == "完了"
    pickup = pd.to_datetime(frame.loc[done, "実乗車日時"], format="%Y/%m/%d %H:%M")
    assert done.any() and (pickup >= booked[done].dt.floor("min")).all()
