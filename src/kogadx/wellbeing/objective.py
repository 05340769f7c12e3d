"""Objective indicators per district, joined to the survey estimates.

- ``population``: register residents (all ages; banded ages count whole people);
- ``share_65plus``: share of residents aged 65+ (banded ages split uniformly in the band);
- ``density_per_km2``: residents per km² of the district's town polygons (area in EPSG:6670);
- ``dist_stop_m``: population-weighted mean, over the district's towns, of the straight-line
  distance (m, EPSG:6670) from the town polygon's representative point to the nearest stop
  (のるーと virtual stop or JR station: whatever the stops frame holds). NaN without stops.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.wellbeing.districts import CRS_GEOGRAPHIC, CRS_METRIC, assign_districts

ELDERLY_AGE = 65


def stops_to_points(stops: pd.DataFrame) -> gpd.GeoDataFrame:
    """A stops frame with ``lat``/``lon`` (degrees, JGD2011) or point geometry → EPSG:6670."""
    if {"lat", "lon"} <= set(stops.columns):
        gdf = gpd.GeoDataFrame(
            pd.DataFrame(stops).drop(columns="geometry", errors="ignore"),
            geometry=gpd.points_from_xy(stops["lon"], stops["lat"]), crs=CRS_GEOGRAPHIC,
        )
    elif isinstance(stops, gpd.GeoDataFrame) and "geometry" in stops.columns:
        gdf = stops if stops.crs is not None else stops.set_crs(CRS_GEOGRAPHIC)
    else:
        raise ValueError(f"停留所テーブルには lat, lon 列か点ジオメトリが必要です: 列 {list(stops.columns)}")
    return gdf.to_crs(CRS_METRIC)


def objective_indicators(
    register: pd.DataFrame, towns: gpd.GeoDataFrame, stops: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per district: population, share_65plus, density_per_km2, dist_stop_m.

    ``register`` is the output of :func:`kogadx.wellbeing.data.standardize_register`
    (district, town_code, age_lower, age_upper). ``towns`` is the towns GeoDataFrame
    (any CRS; polygons). Towns without residents count with population 0.
    """
    towns = assign_districts(towns)
    metric = towns.to_crs(CRS_METRIC)
    metric["area_km2"] = metric.geometry.area / 1e6
    elderly = np.clip(register["age_upper"] - np.maximum(register["age_lower"], ELDERLY_AGE), 0, None) / (
        register["age_upper"] - register["age_lower"]
    )
    reg = pd.DataFrame({"district": register["district"], "town_code": register["town_code"], "elderly": elderly})
    by_district = reg.groupby("district").agg(population=("elderly", "size"), elderly=("elderly", "sum"))
    area = metric.groupby("district")["area_km2"].sum()
    out = pd.DataFrame({"area_km2": area}).join(by_district, how="left").fillna({"population": 0, "elderly": 0.0})
    out["population"] = out["population"].astype("int64")
    out["share_65plus"] = np.where(out["population"] > 0, out["elderly"] / out["population"].clip(lower=1), np.nan)
    out["density_per_km2"] = out["population"] / out["area_km2"]
    out = out.drop(columns="elderly")
    if stops is not None and len(stops) > 0:
        points = stops_to_points(stops)
        reps = gpd.GeoDataFrame(
            metric[["town_code", "district"]].copy(), geometry=metric.geometry.representative_point(), crs=CRS_METRIC
        )
        nearest = gpd.sjoin_nearest(reps, points[["geometry"]], how="left", distance_col="dist_m")
        nearest = nearest.groupby("town_code", sort=False)["dist_m"].min()
        town_pop = reg.groupby("town_code").size()
        t = metric[["town_code", "district"]].copy()
        t["dist_m"] = t["town_code"].map(nearest).to_numpy(float)
        t["pop"] = t["town_code"].map(town_pop).fillna(0).to_numpy(float)
        # Population-weighted; a district with no residents falls back to the plain mean.
        t["wpop"] = np.where(t.groupby("district")["pop"].transform("sum") > 0, t["pop"], 1.0)
        t["wd"] = t["wpop"] * t["dist_m"]
        agg = t.groupby("district")[["wd", "wpop"]].sum()
        out["dist_stop_m"] = agg["wd"] / agg["wpop"]
    else:
        out["dist_stop_m"] = np.nan
    return out.reset_index().rename(columns={"index": "district"})
