"""Objective district indicators: distance to stops, share aged 65+, density."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from kogadx.synth.survey import toy_towns
from kogadx.wellbeing.data import standardize_register
from kogadx.wellbeing.districts import CRS_GEOGRAPHIC, CRS_METRIC
from kogadx.wellbeing.objective import objective_indicators

EDGES = [18, 30, 40, 50, 60, 70, 80, 90]


def test_objective_indicators_on_a_known_layout():
    towns = toy_towns({"花鶴丘": 2, "薦野": 0}, cell_m=1000.0)  # three 1 km² squares in a row
    codes = towns.set_index("town_name")["town_code"]
    register = pd.DataFrame(
        {
            "person_id": list("abcdef"),
            "age": [70, 30, 66, 10, 80, 40],
            "sex": ["男", "女", "女", "男", "女", "男"],
            "town_code": [codes["花鶴丘一丁目"]] * 3 + [codes["花鶴丘二丁目"]] + [codes["薦野"]] * 2,
        }
    )
    reg = standardize_register(register, towns, EDGES)
    # One stop at the centre of 花鶴丘一丁目.
    centre = towns.to_crs(CRS_METRIC).set_index("town_name").loc["花鶴丘一丁目", "geometry"].centroid
    stop = gpd.GeoSeries([centre], crs=CRS_METRIC).to_crs(CRS_GEOGRAPHIC).iloc[0]
    stops = pd.DataFrame({"name": ["停留所"], "lat": [stop.y], "lon": [stop.x]})
    out = objective_indicators(reg, towns, stops).set_index("district")
    assert out.loc["花鶴丘", "population"] == 4
    assert out.loc["花鶴丘", "share_65plus"] == pytest.approx(0.5)
    assert out.loc["薦野", "share_65plus"] == pytest.approx(0.5)
    assert out.loc["花鶴丘", "area_km2"] == pytest.approx(2.0, rel=1e-3)
    assert out.loc["花鶴丘", "density_per_km2"] == pytest.approx(2.0, rel=1e-3)
    # 3 people at ~0 m, 1 person 1 km away → weighted mean ≈ 250 m; 薦野 is 2 km away.
    assert out.loc["花鶴丘", "dist_stop_m"] == pytest.approx(250.0, abs=5)
    assert out.loc["薦野", "dist_stop_m"] == pytest.approx(2000.0, abs=5)
    # A GeoDataFrame of points (e.g. kogadx.geo reference stops) gives the same distances.
    as_points = gpd.GeoDataFrame({"name": ["停留所"]}, geometry=[stop], crs=CRS_GEOGRAPHIC)
    again = objective_indicators(reg, towns, as_points).set_index("district")
    assert np.allclose(again["dist_stop_m"], out["dist_stop_m"])
    with pytest.raises(ValueError, match="lat, lon"):
        objective_indicators(reg, towns, pd.DataFrame({"x": [1.0]}))


def test_without_stops_distance_is_missing_and_bands_split():
    towns = toy_towns({"花鶴丘": 1})
    register = pd.DataFrame(
        {"person_id": ["a", "b"], "age_band": ["60-69", "70-79"], "sex": ["男", "女"],
         "town_code": [towns["town_code"].iloc[0]] * 2}
    )
    out = objective_indicators(standardize_register(register, towns, EDGES), towns, None)
    assert np.isnan(out["dist_stop_m"]).all()
    assert out["share_65plus"].iloc[0] == pytest.approx((0.5 + 1.0) / 2)
