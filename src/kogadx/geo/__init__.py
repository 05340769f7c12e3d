"""Koga geography: embedded reference data, town polygons, CRS helpers, JIS mesh codes.

CRS: JGD2011 geographic (EPSG:6668) for storage; plane rectangular zone II (EPSG:6670,
metres) for distances and areas.
"""

from kogadx.geo.reference import (
    CRS_GEOGRAPHIC,
    CRS_METRIC,
    CITY_CODE,
    KANJI_DIGITS,
    load_reference_boundary,
    load_reference_bus_stops,
    load_reference_towns,
    town_polygons,
)

__all__ = [
    "CRS_GEOGRAPHIC",
    "CRS_METRIC",
    "CITY_CODE",
    "KANJI_DIGITS",
    "load_reference_boundary",
    "load_reference_bus_stops",
    "load_reference_towns",
    "town_polygons",
]
