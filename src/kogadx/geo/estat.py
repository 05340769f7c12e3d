"""e-Stat 小地域 (2020 census small-area) boundary tables: the e-Stat layout, and towns from it.

e-Stat distributes shapefiles whose .dbf is Shift_JIS (no .cpg) with attributes KEY_CODE,
PREF, CITY, S_AREA, PREF_NAME, CITY_NAME, S_NAME, KIGO_E, HCODE, AREA, PERIMETER, JINKO,
SETAI, … in JGD2011 lon/lat (DOMAIN.md §8). The synthetic export is laid out the same way
(:func:`to_estat_frame`) so that a real file dropped into the raw folder loads through the
same code. Pure transforms: reading and writing shapefiles is the core's
(:func:`kogadx.io.read_shapefile`, :class:`kogadx.stage.Shapefile`).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from kogadx.geo.reference import CITY_CODE, CRS_GEOGRAPHIC, CRS_METRIC
from kogadx.io import InputFileError

ESTAT_REQUIRED = ["KEY_CODE", "S_NAME", "JINKO", "SETAI", "AREA", "HCODE"]
ESTAT_DBF_ENCODING = "cp932"  # e-Stat's .dbf attributes are Shift_JIS (with no .cpg beside them)


def to_estat_frame(polygons: gpd.GeoDataFrame, population: pd.Series, households: pd.Series) -> gpd.GeoDataFrame:
    """Town polygons (town_code, town_name, geometry) → e-Stat attribute layout.

    ``population`` and ``households`` are indexed by town_code.
    """
    metric = polygons.to_crs(CRS_METRIC)
    frame = pd.DataFrame(
        {
            "KEY_CODE": polygons["town_code"].to_numpy(),
            "PREF": CITY_CODE[:2],
            "CITY": CITY_CODE[2:],
            "S_AREA": polygons["town_code"].str[5:].to_numpy(),
            "PREF_NAME": "福岡県",
            "CITY_NAME": "古賀市",
            "S_NAME": polygons["town_name"].to_numpy(),
            "KIGO_E": "",
            "HCODE": 8101,
            "AREA": metric.geometry.area.round(3).to_numpy(),
            "PERIMETER": metric.geometry.length.round(3).to_numpy(),
            "JINKO": population.reindex(polygons["town_code"]).fillna(0).astype(int).to_numpy(),
            "SETAI": households.reindex(polygons["town_code"]).fillna(0).astype(int).to_numpy(),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=polygons.geometry.to_numpy(), crs=CRS_GEOGRAPHIC)


def towns_from_small_areas(frame: gpd.GeoDataFrame, hcodes: Sequence[int] = (),
                           source: str = "<memory>") -> gpd.GeoDataFrame:
    """An e-Stat-style small-area table (as read from its shapefile) → towns (town_code,
    town_name, population, households, area_m2, geometry in EPSG:6668), one row per town.

    Keeps the rows whose HCODE is in ``hcodes`` (all when empty; 8101 = ordinary small area).
    ``source`` names the file in messages: a missing column stops with its name.
    """
    missing = [c for c in ESTAT_REQUIRED if c not in frame.columns]
    if missing:
        raise InputFileError(f"{source}: 必須の列がありません: {', '.join(missing)}")
    if hcodes:
        frame = frame[frame["HCODE"].astype(int).isin(hcodes)]
    if frame.crs is None:
        frame = frame.set_crs(CRS_GEOGRAPHIC)
    frame = frame.to_crs(CRS_GEOGRAPHIC)
    towns = gpd.GeoDataFrame(
        {
            "town_code": frame["KEY_CODE"].astype(str).str.strip().to_numpy(),
            "town_name": frame["S_NAME"].astype(str).str.strip().to_numpy(),
            "population": frame["JINKO"].astype(int).to_numpy(),
            "households": frame["SETAI"].astype(int).to_numpy(),
            "area_m2": frame["AREA"].astype(float).to_numpy(),
        },
        geometry=frame.geometry.to_numpy(),
        crs=CRS_GEOGRAPHIC,
    )
    # Real files split one town into several polygons; dissolve to one row per code.
    if towns["town_code"].duplicated().any():
        towns = towns.dissolve(by=["town_code", "town_name"], aggfunc="sum", as_index=False)
    return towns.sort_values("town_code").reset_index(drop=True)
