"""Travel-model calibration from the ride log, and the backtest forecast of replay weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.demand.params import ForecastParams
from kogadx.mobility.calibration import calibrate_travel, solo_rides
from kogadx.mobility.expected_demand import expected_from_backtest


def _log(speed_kmh: float, detour: float, dwell: float, n: int = 300, seed: int = 5):
    """Solo rides on 20 stops along a line whose duration = dwell + road km / speed, rounded
    to the minute like the real log, plus shared rides (same van overlapping) made slow."""
    rng = np.random.default_rng(seed)
    stops = pd.DataFrame({"stop_id": [f"S{k:02d}" for k in range(20)], "x": np.arange(20) * 400.0, "y": 0.0})
    rows = []
    t = pd.Timestamp("2024-05-01 09:00")
    for k in range(n):
        o, d = rng.choice(20, 2, replace=False)
        km = abs(o - d) * 0.4
        minutes = np.round(dwell + km * detour / speed_kmh * 60.0)
        rows.append((f"R{k}", "V1", t, t + pd.Timedelta(minutes=minutes), f"S{o:02d}", f"S{d:02d}"))
        t += pd.Timedelta(minutes=minutes + 5)
    # two shared rides on V1 overlapping each other, far slower than the solo speed
    rows.append(("X1", "V1", t, t + pd.Timedelta(minutes=60), "S00", "S01"))
    rows.append(("X2", "V1", t + pd.Timedelta(minutes=10), t + pd.Timedelta(minutes=50), "S02", "S03"))
    rides = pd.DataFrame(rows, columns=["request_id", "vehicle_id", "actual_pickup_at", "actual_dropoff_at",
                                        "origin_stop_id", "destination_stop_id"])
    rides["desired_pickup_at"] = rides["actual_pickup_at"]
    rides["outcome"] = "完了"
    return rides, stops


def test_solo_rides_excludes_overlapping_rides_of_the_same_van():
    rides, _ = _log(20.0, 1.3, 2.0, n=30)
    solo = solo_rides(rides)
    assert not solo[rides["request_id"].isin(["X1", "X2"])].any()
    assert solo[~rides["request_id"].isin(["X1", "X2"])].all()
    # another van overlapping in time does not make a ride shared
    other = rides.assign(vehicle_id=np.where(rides["request_id"] == "X2", "V2", "V1"))
    assert solo_rides(other)[other["request_id"].isin(["X1", "X2"])].all()


@pytest.mark.parametrize(("speed", "dwell"), [(18.0, 2.0), (30.0, 1.0)])
def test_calibration_recovers_speed_and_dwell(speed, dwell):
    rides, stops = _log(speed, 1.3, dwell)
    cal = calibrate_travel(rides, stops, detour_factor=1.3, dwell_min=1.0)
    assert cal["speed_kmh"] == pytest.approx(speed, rel=0.05)
    assert cal["dwell_min"] == pytest.approx(dwell, abs=0.3)
    assert cal["n_rides"] <= len(rides) - 2  # the shared pair is not used
    # speed scales with the assumed detour (only speed / detour is identified)
    cal2 = calibrate_travel(rides, stops, detour_factor=2.6, dwell_min=1.0)
    assert cal2["speed_kmh"] == pytest.approx(2 * cal["speed_kmh"], rel=0.02)


def test_calibration_uses_only_rides_before_the_cutoff_and_needs_enough():
    rides, stops = _log(20.0, 1.3, 2.0, n=60)
    cut = rides["desired_pickup_at"].iloc[10]
    with pytest.raises(ValueError, match="30"):
        calibrate_travel(rides, stops, 1.3, 1.0, before=cut)
    with pytest.raises(ValueError, match="vehicle_id"):
        calibrate_travel(rides.drop(columns="vehicle_id"), stops, 1.3, 1.0)


def _panel():
    time = pd.date_range("2024-01-01", "2024-03-31 23:00", freq="h")
    rng = np.random.default_rng(3)
    frames = []
    for z, scale in (("C01", 1.0), ("C02", 2.0)):
        lam = scale * np.where((time.hour >= 9) & (time.hour < 17), 1.5, 0.05)
        frames.append(pd.DataFrame({"zone": z, "time": time, "y": rng.poisson(lam).astype("int32"),
                                    "hour": time.hour.astype("int8")}))
    return pd.concat(frames, ignore_index=True)


FORECAST = ForecastParams(time_col="time", target_col="y", group_col="zone", freq="h", num_boost_round=20, seed=1,
                          lightgbm={"min_data_in_leaf": 20})


def test_backtest_forecast_covers_replay_and_never_looks_ahead():
    panel = _panel()
    out = expected_from_backtest(panel, FORECAST, "2024-03-11", "2024-03-24", horizon_h=168)
    assert len(out) == 2 * 14 * 24 and set(out["zone"]) == {"C01", "C02"}
    busy = out[pd.to_datetime(out["hour"]).dt.hour.between(9, 16)].groupby("zone")["expected"].mean()
    assert busy["C02"] > busy["C01"] > 0.5
    # counts from the replay start on cannot change the model; the first replay week's
    # features are ≥ 168 h old, so they only see data before the start either
    changed = panel.copy()
    late = changed["time"] >= pd.Timestamp("2024-03-11")
    changed.loc[late, "y"] = 50
    out2 = expected_from_backtest(changed, FORECAST, "2024-03-11", "2024-03-24", horizon_h=168)
    first = pd.to_datetime(out["hour"]) < pd.Timestamp("2024-03-18")
    np.testing.assert_allclose(out.loc[first, "expected"], out2.loc[first, "expected"])
    assert not np.allclose(out.loc[~first, "expected"], out2.loc[~first, "expected"])
