"""Koga geography: embedded reference data, town polygons, CRS helpers, JIS mesh codes.

CRS: JGD2011 geographic (EPSG:6668) for storage; plane rectangular zone II (EPSG:6670,
metres) for distances and areas. Import from :mod:`kogadx.geo.reference` and
:mod:`kogadx.geo.estat` (this file imports nothing).
"""
