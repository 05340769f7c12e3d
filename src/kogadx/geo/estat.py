"""e-Stat 小地域 (2020 census small-area) boundary files: write like e-Stat, read real ones.

e-Stat distributes shapefiles whose .dbf is Shift_JIS with attributes KEY_CODE, PREF, CITY,
S_AREA, PREF_NAME, CITY_NAME, S_NAME, KIGO_E, HCODE, AREA, PERIMETER, JINKO, SETAI, … in
JGD2011 lon/lat (DOMAIN.md §8). The synthetic export is written the same way so that a real
file dropped into the raw folder loads through the same code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd

from kogadx.geo.reference import CITY_CODE, CRS_GEOGRAPHIC, CRS_METRIC
from kogadx.io import InputFileError

ESTAT_REQUIRED = ["KEY_CODE", "S_NAME", "JINKO", "SETAI", "AREA", "HCODE"]


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


def write_shapefile(frame: gpd.GeoDataFrame, path: str | Path, encoding: str = "cp932",
                    stamp: dt.date = dt.date(2024, 2, 29)) -> Path:
    """Write a Shift_JIS shapefile; pin the .dbf header date so reruns are byte-identical.

    The dBASE header stores the date of last update in bytes 1–3 (YY since 1900, MM, DD);
    GDAL writes today's date there, which would make every run differ.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[1:4] = bytes([stamp.year - 1900, stamp.month, stamp.day])
    dbf.write_bytes(bytes(data))
    # e-Stat ships no .cpg; readers are told the encoding explicitly (params).
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def read_small_areas(path: str | Path, encoding: str = "cp932", hcodes: list[int] | None = None) -> gpd.GeoDataFrame:
    """Read an e-Stat-style small-area shapefile → towns (town_code, town_name, population,
    households, area_m2, geometry in EPSG:6668). Raises naming the file and missing column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: 小地域境界ファイルがありません")
    try:
        frame = gpd.read_file(path, encoding=encoding, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputFileError(f"{path}: シェープファイルとして読めません: {exc}") from exc
    missing = [c for c in ESTAT_REQUIRED if c not in frame.columns]
    if missing:
        raise InputFileError(f"{path}: 必須の列がありません: {', '.join(missing)}")
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
