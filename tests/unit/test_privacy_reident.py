"""Ride-log uniqueness (p random points per rider) and the student tier built from policy.yaml."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from kogadx.privacy.policy import default_policy_path
from kogadx.privacy.reident import (
    StudentTierError,
    build_student_tier,
    parse_student_tiers,
    share_unique,
    trace_points,
)

STOPS = pd.DataFrame({"stop_id": ["S1", "S2", "S3"], "town_name": ["駅東一丁目", "駅東二丁目", "花鶴丘一丁目"]})


def _rides() -> pd.DataFrame:
    t = pd.Timestamp("2024-07-01 09:07")
    rows = []
    # riders a and b share every point at the hour/町丁目 level; c has its own hours
    for day in range(4):
        for rider, minute in (("a", 0), ("b", 20)):
            rows.append((rider, t + pd.Timedelta(days=day, minutes=minute), "S1", "S3"))
        rows.append(("c", t + pd.Timedelta(days=day, hours=3), "S2", "S3"))
    frame = pd.DataFrame(rows, columns=["member_id", "desired_pickup_at", "origin_stop_id", "destination_stop_id"])
    frame["requested_at"] = frame["desired_pickup_at"] - pd.Timedelta(minutes=5)
    frame["actual_pickup_at"] = frame["desired_pickup_at"]
    frame["actual_dropoff_at"] = frame["desired_pickup_at"] + pd.Timedelta(minutes=9)
    for column, value in (("passengers", 1), ("outcome", "完了"), ("fare_yen", 200), ("payment_method", "現金"),
                          ("request_id", "R1"), ("vehicle_id", "V1")):
        frame[column] = value
    return frame


def test_uniqueness_by_resolution():
    rides = _rides()
    rng = np.random.default_rng(0)
    minute = trace_points(rides["member_id"], rides["desired_pickup_at"], rides["origin_stop_id"], "minute")
    hour = trace_points(rides["member_id"], rides["desired_pickup_at"], rides["origin_stop_id"], "hour")
    assert share_unique(minute, 2, rng) == (1.0, 3)  # every rider unique at the minute
    assert share_unique(hour, 2, rng) == (pytest.approx(1 / 3), 3)  # a and b hide each other, c does not
    assert share_unique(hour, 5, rng) == (0.0, 0)  # nobody has 5 points


def test_student_tier_from_the_shipped_policy():
    policy = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    spec = parse_student_tiers(policy)["ride_requests"]
    rides = _rides()
    tier = build_student_tier(rides, STOPS, spec, seed=1)
    assert len(tier) == len(rides)
    assert not {"member_id", "person_id", "request_id", "vehicle_id", "origin_stop_id"} & set(tier.columns)
    assert set(tier["origin_zone"]) == {"駅東一丁目", "駅東二丁目"}
    assert (tier["desired_pickup_at"].dt.minute == 0).all()
    assert not set(tier["rider_day"]) & set(rides["member_id"])  # joins nothing
    # a new number per rider and day: 3 riders × 4 days
    assert tier["rider_day"].nunique() == 12
    again = build_student_tier(rides, STOPS, spec, seed=1)
    pd.testing.assert_frame_equal(tier, again)


def test_unknown_stop_and_bad_spec_are_refused():
    policy = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    spec = parse_student_tiers(policy)["ride_requests"]
    rides = _rides()
    rides.loc[0, "origin_stop_id"] = "S9"
    with pytest.raises(StudentTierError, match="1 行"):
        build_student_tier(rides, STOPS, spec, seed=1)
    broken = {"student_tiers": {"x": {"source": "ride_requests"}}}
    with pytest.raises(StudentTierError, match="student_tiers.x"):
        parse_student_tiers(broken)


def test_share_unique_grouping_matches_pandas_groupby():
    """The per-rider / per-point arrays (numpy split) are the arrays pandas' groupby gives, in the
    same order, so the seeded draws and the shares are those of the groupby version (#25)."""
    from kogadx.privacy.reident import _members

    rng = np.random.default_rng(7)
    points = pd.DataFrame({"rider": rng.integers(0, 40, 500), "point": rng.integers(0, 60, 500)})
    points = points.drop_duplicates().reset_index(drop=True)
    for key, value in (("rider", "point"), ("point", "rider")):
        expected = points.groupby(key)[value].apply(np.asarray)
        got = _members(points[key].to_numpy(), points[value].to_numpy())
        assert list(got) == list(expected.index)
        for k, arr in expected.items():
            np.testing.assert_array_equal(got[k], arr)
    assert _members(np.array([], dtype=np.int64), np.array([], dtype=np.int64)) == {}
