"""Embedded reference geography (see data/SOURCES.md) and approximate town polygons.

The reference tables are package data, versioned with the code (read with
:func:`kogadx.io.read_package_file`); a stage that uses them lists ``src/kogadx/geo`` in its deps.
"""

from __future__ import annotations

import io
import re
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Polygon

from kogadx.io import read_package_file

CRS_GEOGRAPHIC = "EPSG:6668"  # JGD2011
CRS_METRIC = "EPSG:6670"  # JGD2011 / plane rectangular CS II (Fukuoka), metres
CITY_CODE = "40223"
KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CHOME = re.compile(r"^(?P<base>.+?)(?P<num>[一二三四五六七八九十]+)丁目$")


def _reference_table(name: str, **options: Any) -> pd.DataFrame:
    """A CSV table of ``kogadx/geo/data`` (UTF-8)."""
    return pd.read_csv(io.BytesIO(read_package_file("kogadx.geo", f"data/{name}")), encoding="utf-8", **options)


def split_chome(town_name: str) -> tuple[str, int]:
    """'花鶴丘一丁目' → ('花鶴丘', 1); '薦野' → ('薦野', 0)."""
    match = _CHOME.match(town_name)
    if not match:
        return town_name, 0
    num = match.group("num")
    value = KANJI_DIGITS[num] if len(num) == 1 else 10 + KANJI_DIGITS.get(num[-1], 0)
    return match.group("base"), value


def load_reference_towns() -> gpd.GeoDataFrame:
    """The 71 town representative points with synthetic KEY_CODEs (EPSG:6668).

    Columns: town_code (11 digits: 40223 + 4-digit town + 2-digit 丁目), town_name,
    base_name, chome (0 for 大字), geometry (Point). Codes are assigned in table order
    and are NOT the official e-Stat codes.
    """
    table = _reference_table("koga_towns.csv", dtype={"town": str})
    parts = table["town"].map(split_chome)
    table["base_name"] = [p[0] for p in parts]
    table["chome"] = [p[1] for p in parts]
    base_index = {name: i + 1 for i, name in enumerate(dict.fromkeys(table["base_name"]))}
    table["town_code"] = [
        f"{CITY_CODE}{base_index[b]:04d}{c:02d}" for b, c in zip(table["base_name"], table["chome"], strict=True)
    ]
    geometry = gpd.points_from_xy(table["lon"], table["lat"], crs=CRS_GEOGRAPHIC)
    return gpd.GeoDataFrame(
        table.rename(columns={"town": "town_name"})[["town_code", "town_name", "base_name", "chome"]],
        geometry=geometry,
        crs=CRS_GEOGRAPHIC,
    )


def load_reference_boundary() -> gpd.GeoDataFrame:
    """Koga City boundary (43-vertex simplification, EPSG:6668), one row."""
    vertices = _reference_table("koga_boundary_simplified.csv").sort_values("vertex")
    polygon = Polygon(zip(vertices["lon"], vertices["lat"], strict=True))
    if not polygon.is_valid:
        polygon = shapely.make_valid(polygon)
    return gpd.GeoDataFrame({"city_code": [CITY_CODE], "city_name": ["古賀市"]}, geometry=[polygon], crs=CRS_GEOGRAPHIC)


def load_reference_bus_stops() -> gpd.GeoDataFrame:
    """108 fixed-route bus stops (FY2022, 国土数値情報 P11-22), EPSG:6668."""
    table = _reference_table("koga_bus_stops.csv")
    return gpd.GeoDataFrame(
        table[["name", "source"]].rename(columns={"name": "stop_name"}),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs=CRS_GEOGRAPHIC,
    )


def town_polygons(towns: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Approximate town polygons: Voronoi cells of the town points clipped to the boundary.

    Computed in EPSG:6670 (metres) and returned in EPSG:6668 with ``area_m2``. An
    approximation: the real 小地域 boundaries differ; say so wherever they are shown.
    """
    metric_towns = towns.to_crs(CRS_METRIC)
    city = boundary.to_crs(CRS_METRIC).geometry.union_all()
    cells = shapely.voronoi_polygons(MultiPoint(list(metric_towns.geometry)), extend_to=city.buffer(5000))
    cell_list = list(cells.geoms)
    # voronoi_polygons does not keep input order: match each cell to the point it contains.
    polygons = []
    for point in metric_towns.geometry:
        cell = next(c for c in cell_list if c.contains(point))
        polygons.append(cell.intersection(city))
    result = metric_towns.drop(columns="geometry").copy()
    result = gpd.GeoDataFrame(result, geometry=polygons, crs=CRS_METRIC)
    result["area_m2"] = result.geometry.area.round(1)
    return result.to_crs(CRS_GEOGRAPHIC)
