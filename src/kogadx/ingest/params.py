"""Params of the ``ingest`` stage (section ``ingest`` of params.yaml), checked at load.

The layout of the raw export folder: which file holds which table, the e-Stat small-area
shapefile and the JMA weather download. File names are relative to the raw folder
(``raw_dir``, the stage's first argument). The synthesize stage writes the same layout.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from kogadx.params import section


@section
class IngestParams:
    """Section ``ingest``: where each raw export is, and how to read the small-area file."""

    SECTION: ClassVar[str] = "ingest"

    towns_file: str  # e-Stat 小地域 shapefile (.shp)
    tables: dict[str, str]  # table name (a data contract in kogadx.ingest.contracts) → CSV file
    # The date the exports were taken: no date may lie after it; ages are checked at it.
    reference_date: dt.date
    raw_dir: str = "data/raw"  # read by dvc.yaml only (the stage's first argument)
    towns_encoding: str = "cp932"  # e-Stat .dbf files are Shift_JIS and ship no .cpg
    towns_hcode: tuple[int, ...] = ()  # e-Stat HCODEs to keep (8101 = ordinary small area); () = all
    weather_file: str = "weather/fukuoka_hourly.csv"  # JMA 過去の気象データ download; may be absent
    # Order of slash dates such as 10/05/2022: ymd = only year-first dates and 和暦 (others are
    # ambiguous and quarantined); dmy / mdy name the export's format.
    date_order: Literal["ymd", "dmy", "mdy"] = "ymd"
    # Columns not in a table's contract: keep (as extra__<header>) or refuse (stop).
    extra_columns: Literal["keep", "refuse"] = "keep"
    # Tables that must hold at least one record (a header-only register is a failed export).
    nonempty_tables: tuple[str, ...] = ("residents", "stops", "members", "businesses")
