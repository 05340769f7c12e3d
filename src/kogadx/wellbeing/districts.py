"""Districts (地区) used for well-being indicators.

A district is the town's *base name*: the 町丁目 name with its 丁目 suffix removed
(花鶴丘一丁目 → 花鶴丘, 駅東三丁目 → 駅東; 大字-style names such as 薦野 stay as they are).
Koga has 71 towns and 30 base names, which gives districts large enough for a ~2,000
respondent survey while keeping the のるーと service area (花鶴丘, 日吉, 美明, 鹿部) separable.
A coarser grouping can be passed as an explicit mapping ``base_name -> district``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

_CHOME = re.compile(r"^(?P<base>.+?)[一二三四五六七八九十]+丁目$")

CRS_GEOGRAPHIC = "EPSG:6668"  # JGD2011 geographic
CRS_METRIC = "EPSG:6670"  # JGD2011 plane rectangular zone II (metres), covers Fukuoka


def base_name(town_name: str) -> str:
    """The town name without its 丁目 suffix: '花鶴丘一丁目' → '花鶴丘', '薦野' → '薦野'."""
    match = _CHOME.match(town_name)
    return match.group("base") if match else town_name


def assign_districts(
    towns: pd.DataFrame, grouping: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Add ``base_name`` (if missing) and ``district`` columns to a towns frame.

    ``towns`` needs ``town_code`` and ``town_name``. ``grouping`` maps base names to coarser
    districts; base names it does not list stay their own district.
    """
    missing = [c for c in ("town_code", "town_name") if c not in towns.columns]
    if missing:
        raise ValueError(f"町丁目テーブルに列がありません: {missing}")
    out = towns.copy()
    if "base_name" not in out.columns:
        out["base_name"] = [base_name(str(n)) for n in out["town_name"]]
    mapping = dict(grouping or {})
    out["district"] = [mapping.get(b, b) for b in out["base_name"]]
    return out


def district_polygons(towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve town polygons into one (multi)polygon per district, in the towns' CRS."""
    if "district" not in towns.columns:
        towns = assign_districts(towns)
    polys = towns[["district", "geometry"]].dissolve(by="district", as_index=False)
    return polys.sort_values("district").reset_index(drop=True)


def district_order(towns: pd.DataFrame) -> list[str]:
    """Districts in town-code order (geographic listing, deliberately not a ranking)."""
    if "district" not in towns.columns:
        towns = assign_districts(towns)
    ordered = towns.sort_values("town_code")["district"]
    return list(dict.fromkeys(ordered.tolist()))
