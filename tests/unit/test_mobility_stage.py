"""Pure helpers of the dispatch stage: replay set, expected demand, travel models, hours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.io import InputFileError, read_text_table
from kogadx.mobility.expected_demand import expected_from_history
from kogadx.mobility.inputs import (
    latlon_to_metric,
    prepare_requests,
    service_hours_by_day,
    travel_model,
    zone_waiting_points,
)
from kogadx.mobility.params import Travel
from kogadx.mobility.replications import paired_wait_difference
from kogadx.mobility.simulation import DispatchResult, MatrixTravelTime, StraightLineTravelTime

STOPS = pd.DataFrame({"stop_id": ["A", "B", "C"], "x": [0.0, 1000.0, 5000.0], "y": [0.0, 0.0, 0.0],
                      "zone": ["Z1", "Z1", "Z2"]})


def _rides(rows):
    frame = pd.DataFrame(rows, columns=["requested_at", "desired_pickup_at", "origin_stop_id",
                                        "destination_stop_id", "passengers", "outcome"])
    frame.insert(0, "request_id", [f"R{k}" for k in range(len(frame))])
    for col in ("requested_at", "desired_pickup_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["passengers"] = frame["passengers"].astype("Int64")
    return frame


def test_prepare_requests_filters_period_outcome_and_quarantines_bad_rows():
    rides = _rides([
        ("2024-09-09 09:00", "2024-09-09 09:30", "A", "C", 1, "完了"),
        ("2024-09-09 09:00", "2024-09-09 09:10", "A", "B", 2, "キャンセル"),   # outcome not replayed
        ("2024-09-08 09:00", "2024-09-08 09:30", "A", "C", 1, "完了"),          # before the period
        ("2024-09-09 11:00", "2024-09-09 10:00", "A", "C", 1, "完了"),          # booked after pick-up
        ("2024-09-09 09:00", "2024-09-09 09:30", "X", "C", 1, "完了"),          # unknown stop
        ("2024-09-10 09:00", "2024-09-10 09:40", "C", "B", None, "配車不可"),   # no party size
    ])
    reqs, quarantine = prepare_requests(rides, STOPS, "2024-09-09", "2024-09-10", ["完了", "配車不可"])
    assert reqs["request_id"].tolist() == ["R0"]
    assert reqs.loc[0, "dest_x"] == 5000.0 and reqs.loc[0, "dest_zone"] == "Z2"
    assert quarantine["request_id"].tolist() == ["R3", "R4", "R5"]
    assert quarantine["column"].tolist() == ["requested_at", "origin_stop_id", "passengers"]
    assert quarantine["row"].tolist() == [4, 5, 6]


def test_expected_from_history_uses_only_previous_weeks():
    counts = pd.DataFrame({"zone": ["Z1", "Z1", "Z1"],
                           "hour": pd.to_datetime(["2024-09-02 10:00", "2024-08-26 10:00", "2024-09-09 10:00"]),
                           "y": [4, 2, 100]})
    exp = expected_from_history(counts, ["Z1", "Z2"], "2024-09-09", "2024-09-09", weeks=2)
    z1 = exp[(exp["zone"] == "Z1")].set_index("hour")["expected"]
    # the same hour's own count (100) must not leak into its expectation
    assert z1[pd.Timestamp("2024-09-09 10:00")] == pytest.approx(3.0)
    assert z1[pd.Timestamp("2024-09-09 11:00")] == 0.0
    assert (exp.loc[exp["zone"] == "Z2", "expected"] == 0).all()
    assert len(exp) == 2 * 24


def test_waiting_point_is_a_stop_of_the_zone_pulled_by_history():
    rides = _rides([("2024-09-01 09:00", "2024-09-01 09:30", "B", "C", 1, "完了")] * 5)
    wait = zone_waiting_points(STOPS, rides, "2024-09-09").set_index("zone")
    assert wait.loc["Z1", "stop_id"] == "B"  # B has the pick-ups
    assert wait.loc["Z2", "stop_id"] == "C"


def test_service_hours_weekday_and_weekend():
    hours = service_hours_by_day("2024-09-13", "2024-09-14", weekday_hours=(9, 17), weekend_hours=(8, 18))
    assert hours[pd.Timestamp("2024-09-13")] == (9.0, 17.0)  # Friday
    assert hours[pd.Timestamp("2024-09-14")] == (8.0, 18.0)  # Saturday


def test_depot_conversion_lands_in_koga():
    x, y = latlon_to_metric(33.732828, 130.466902)
    assert -60_000 < x < -40_000 and 70_000 < y < 90_000  # EPSG:6670 metres around Koga


def test_travel_model_both_kinds(tmp_path):
    straight = travel_model(Travel(model="straight_line", detour_factor=1.5, speed_kmh=30), STOPS)
    assert isinstance(straight, StraightLineTravelTime)
    assert float(straight.minutes(0, 0, 1000, 0)) == pytest.approx(3.0)
    pairs = [(a, b, 0 if a == b else 4 + i + j) for i, a in enumerate("ABC") for j, b in enumerate("ABC")]
    path = tmp_path / "matrix.csv"
    # the stage reads the matrix as text (kogadx.io.read_text_table); the model checks the numbers
    pd.DataFrame(pairs, columns=["from_stop", "to_stop", "minutes"]).to_csv(path, index=False)
    matrix = travel_model(Travel(model="matrix"), STOPS, read_text_table(path)[0], str(path))
    assert isinstance(matrix, MatrixTravelTime)
    assert float(matrix.minutes(10, 0, 4900, 0)) == 4 + 0 + 2  # A → C
    pd.DataFrame(pairs[:1] + pairs[2:], columns=["from_stop", "to_stop", "minutes"]).to_csv(path, index=False)
    with pytest.raises(InputFileError, match="欠けている"):
        travel_model(Travel(model="matrix"), STOPS, read_text_table(path)[0], str(path))
    bad = pd.DataFrame(pairs, columns=["from_stop", "to_stop", "minutes"]).astype(str)
    bad.loc[3, "minutes"] = "abc"
    bad.to_csv(path, index=False)
    with pytest.raises(InputFileError, match="5 行目 列 minutes"):
        travel_model(Travel(model="matrix"), STOPS, read_text_table(path)[0], str(path))
    with pytest.raises(InputFileError, match="MATRIX"):
        travel_model(Travel(model="matrix"), STOPS, None)


def _result(waits, days):
    trips = pd.DataFrame({"request_id": [f"q{k}" for k in range(len(waits))], "status": "served",
                          "wait_min": waits, "service_date": pd.to_datetime(days)})
    return DispatchResult(trips, pd.DataFrame(), {}, np.array([]))


def test_paired_wait_difference_sign_and_interval():
    days = ["2024-09-09"] * 3 + ["2024-09-10"] * 3
    base = _result([2.0, 1.0, 0.0, 3.0, 0.0, 1.0], days)
    better = _result([1.0, 0.0, 0.0, 2.0, 0.0, 0.0], days)
    out = paired_wait_difference({"none": base, "forecast": better}, np.random.default_rng(0), draws=200)
    f = out["forecast"]
    assert f["wait_mean_diff_min"] == pytest.approx(-4 / 6, abs=1e-4)
    assert f["ci95_low"] <= f["wait_mean_diff_min"] <= f["ci95_high"] < 0
    assert f["share_requests_faster"] == pytest.approx(4 / 6, abs=1e-4)
