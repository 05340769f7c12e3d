"""Service calendar, zones and the zone × hour demand panel."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from kogadx.demand.features import (
    PANEL_COLUMNS,
    RIDE_COLUMNS_RAW_TO_CANONICAL,
    build_demand_panel,
    pension_days,
    service_calendar,
    stop_zones,
)
from kogadx.demand.params import FeaturesParams
from kogadx.geo.reference import (
    CRS_GEOGRAPHIC,
    CRS_METRIC,
    load_reference_boundary,
    load_reference_towns,
    town_polygons,
)


def _town(start: str = "2024-06-10", end: str = "2024-06-11", **settings) -> FeaturesParams:
    """``features`` params with town zones."""
    return FeaturesParams(start=start, end=end, zone_level="town", **settings)


def test_service_hours_by_day_type_and_national_holiday() -> None:
    cal = service_calendar("2023-11-02", "2023-11-05")  # Thu, Fri 文化の日, Sat, Sun
    open_hours = cal[cal["in_service"] == 1].groupby(cal["time"].dt.day)["hour"].agg(["min", "max", "size"])
    assert open_hours.loc[2].tolist() == [9, 16, 8]  # weekday 9:00–17:00
    assert open_hours.loc[3].tolist() == [8, 17, 10]  # holiday 8:00–18:00
    assert open_hours.loc[4].tolist() == [8, 17, 10]
    day = cal.groupby(cal["time"].dt.day).first()
    assert day.loc[3, "is_holiday"] == 1 and day.loc[3, "day_type"] == "土日祝"
    assert day.loc[4, "is_holiday"] == 0 and day.loc[4, "day_type"] == "土日祝"
    assert day.loc[2, "day_type"] == "平日"
    assert len(cal) == 4 * 24 and cal["time"].dtype == "datetime64[us]"


def test_pension_day_moves_back_over_weekends_and_school_holiday() -> None:
    days = pension_days("2023-01-01", "2023-12-31")
    assert pd.Timestamp("2023-04-14") in days  # 15 Apr 2023 is a Saturday
    assert pd.Timestamp("2023-10-13") in days  # 15 Oct 2023 is a Sunday
    assert pd.Timestamp("2023-06-15") in days
    assert len(days) == 6
    cal = service_calendar("2023-07-20", "2023-08-25")
    school = cal.groupby(cal["time"].dt.normalize())["is_school_holiday"].first()
    on = school[school == 1].index
    assert on.min() == pd.Timestamp("2023-07-26") and on.max() == pd.Timestamp("2023-08-19") and len(on) == 25


@pytest.fixture(scope="module")
def geo():
    towns = load_reference_towns()
    polygons = town_polygons(towns, load_reference_boundary())
    polygons["population"] = np.arange(len(polygons)) * 10 + 100
    stops = pd.DataFrame({
        "stop_id": ["S001", "S002", "S003", "S004"],
        "stop_name": ["JR古賀駅", "甲", "乙", "丙"],
        "lat": [33.732828, 33.7255, 33.7222, 33.7240],
        "lon": [130.466902, 130.4640, 130.4620, 130.4710],
        "kind": ["station", "residential", "residential", "supermarket"],
    })
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(stops["lon"], stops["lat"]), crs=CRS_GEOGRAPHIC)
    joined = gpd.sjoin(pts, polygons[["town_code", "geometry"]], predicate="within")
    stops["town_code"] = joined.sort_index()["town_code"].to_numpy()
    agg = pd.DataFrame({"town_code": polygons["town_code"], "population": 1000, "share_65plus": 0.4})
    return polygons, stops, agg


def _requests(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["予約ID", "会員ID", "希望乗車日時", "乗車停留所ID", "結果"]).astype("string")


def test_panel_counts_requests_by_origin_zone_and_hour(geo) -> None:
    polygons, stops, agg = geo
    req = _requests([
        ("R1", "K1", "2024/06/10 09:05", "S002", "完了"),
        ("R2", "K2", "2024/06/10 09:55", "S002", "キャンセル"),
        ("R3", "K3", "2024/06/10 10:00", "S003", "配車不可"),
        ("R4", "K1", "2024/06/10 10:30", "S001", "無断キャンセル"),
    ])
    panel = build_demand_panel(req, stops, polygons, agg, None, _town())
    assert list(panel.columns) == PANEL_COLUMNS
    zones = sorted(set(stops["town_code"]))
    assert len(panel) == len(zones) * 48
    z2, z3, z1 = (stops.set_index("stop_id").loc[s, "town_code"] for s in ("S002", "S003", "S001"))
    at = panel.set_index(["zone", "time"])["y"]
    assert at[(z2, pd.Timestamp("2024-06-10 09:00"))] == 2
    assert at[(z3, pd.Timestamp("2024-06-10 10:00"))] == 1 + (1 if z1 == z3 else 0)
    assert panel["y"].sum() == 4
    served_only = build_demand_panel(req, stops, polygons, agg, None, _town(count_outcomes=("完了",)))
    assert served_only["y"].sum() == 1
    # Canonical headers give the same panel.
    canonical = req.rename(columns=RIDE_COLUMNS_RAW_TO_CANONICAL)
    pd.testing.assert_frame_equal(
        build_demand_panel(canonical, stops, polygons, agg, None, _town()), panel)
    assert "member_id" not in panel.columns and not panel.isin(["K1"]).any().any()


def test_panel_weather_join_and_zone_attributes(geo) -> None:
    polygons, stops, agg = geo
    req = _requests([("R1", "K1", "2024/06/10 09:05", "S002", "完了")])
    weather = pd.DataFrame({
        "time": pd.date_range("2024-06-10 01:00", periods=48, freq="h").as_unit("us"),
        "temperature_c": np.arange(48, dtype=float),
        "precipitation_mm": np.zeros(48),
    })
    panel = build_demand_panel(req, stops, polygons, agg, weather, _town())
    row = panel[(panel["time"] == pd.Timestamp("2024-06-10 09:00"))].iloc[0]
    assert row["temperature_c"] == 9.0  # observation at 10:00 (index 9) covers the hour 09:00–10:00
    assert panel["temperature_c"].notna().all()
    zone = stops.loc[1, "town_code"]
    attr = panel[panel["zone"] == zone].iloc[0]
    assert attr["population"] == 1000 and attr["share_65plus"] == pytest.approx(0.4)
    centroid = polygons.to_crs(CRS_METRIC).set_index("town_code").geometry[zone].centroid
    station = gpd.GeoSeries([Point(130.466902, 33.732828)], crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC).iloc[0]
    assert attr["distance_to_station_m"] == pytest.approx(centroid.distance(station), abs=0.1)
    assert 100 < attr["distance_to_station_m"] < 3000


def test_panel_has_no_leakage_from_the_future(geo) -> None:
    polygons, stops, agg = geo
    rng = np.random.default_rng(0)
    n = 300
    times = pd.Timestamp("2024-06-10 09:00") + pd.to_timedelta(rng.integers(0, 14 * 24 * 60, n), unit="min")
    req = _requests(list(zip([f"R{i}" for i in range(n)], ["K"] * n, times.strftime("%Y/%m/%d %H:%M"),
                             rng.choice(stops["stop_id"], n), ["完了"] * n, strict=True)))
    full = build_demand_panel(req, stops, polygons, agg, None, _town(end="2024-06-23"))
    cutoff = pd.Timestamp("2024-06-17")
    past_only = req[pd.to_datetime(req["希望乗車日時"]) < cutoff]
    truncated = build_demand_panel(past_only, stops, polygons, agg, None, _town(end="2024-06-23"))
    before = full["time"] < cutoff
    pd.testing.assert_frame_equal(full[before], truncated[before])
    pd.testing.assert_frame_equal(full.drop(columns="y"), truncated.drop(columns="y"))
    assert full.loc[~before, "y"].sum() > 0 and truncated.loc[~before, "y"].sum() == 0


def test_stop_clusters_deterministic_and_ordered(geo) -> None:
    polygons, stops, agg = geo
    more = pd.concat([stops] * 3, ignore_index=True)
    more["stop_id"] = [f"S{i:03d}" for i in range(len(more))]
    more["lon"] = more["lon"] + np.repeat([0.0, 0.004, 0.008], len(stops))
    z1 = stop_zones(more, "stop_cluster", n_clusters=3)
    z2 = stop_zones(more.sample(frac=1.0, random_state=1).sort_index(), "stop_cluster", n_clusters=3)
    assert z1.tolist() == z2.tolist()
    assert set(z1) == {"C01", "C02", "C03"}
    mean_lon = more.groupby(z1.to_numpy())["lon"].mean()
    assert mean_lon.is_monotonic_increasing  # C01 westmost
    req = _requests([("R1", "K1", "2024/06/10 09:05", "S001", "完了")])
    panel = build_demand_panel(req, more, polygons, agg, None,
                               FeaturesParams(start="2024-06-10", end="2024-06-10", zone_level="stop_cluster",
                                              n_clusters=3))
    assert sorted(panel["zone"].unique()) == ["C01", "C02", "C03"]
    with pytest.raises(ValueError, match="zone_level"):
        stop_zones(more, "mesh", n_clusters=3)


def test_bad_requests_raise_with_row_and_column(geo) -> None:
    polygons, stops, agg = geo
    unknown = _requests([("R1", "K1", "2024/06/10 09:05", "S001", "完了"),
                         ("R2", "K1", "2024/06/10 09:05", "S999", "完了")])
    with pytest.raises(ValueError, match=r"行 2 列 origin_stop_id .*S999"):
        build_demand_panel(unknown, stops, polygons, agg, None, _town())
    bad_time = _requests([("R1", "K1", "10日 9時", "S001", "完了")])
    with pytest.raises(ValueError, match=r"行 1 列 desired_pickup_at"):
        build_demand_panel(bad_time, stops, polygons, agg, None, _town())
    bad_outcome = _requests([("R1", "K1", "2024/06/10 09:05", "S001", "不明")])
    with pytest.raises(ValueError, match="不明"):
        build_demand_panel(bad_outcome, stops, polygons, agg, None, _town())
