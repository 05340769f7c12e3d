"""Stage `features`: zone × hour demand panel for のるーと古賀 (shareable zone).

Usage (paths exactly as dvc.yaml lists them):
    python pipelines/features.py RIDES_DIR WEATHER TOWNS RESIDENTS OUT
RIDES_DIR holds the pseudonymized Parquet tables ride_requests.parquet and stops.parquet;
WEATHER is Parquet or a JMA download CSV; TOWNS a GeoParquet; RESIDENTS a Parquet with
town_code and age (the pseudonymized register), aggregated per town here. Params: section `features`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from kogadx.demand.features import build_demand_panel, residents_town_aggregate
from kogadx.demand.params import FeaturesParams
from kogadx.io import InputFileError, get_stage_logger, write_parquet
from kogadx.params import load_params
from kogadx.weather import read_weather


def main(argv: list[str]) -> None:
    if len(argv) != 5:
        raise SystemExit("使い方: python pipelines/features.py RIDES_DIR WEATHER TOWNS RESIDENTS OUT")
    rides_dir, weather_path, towns_path, agg_path, out_path = map(Path, argv)
    log = get_stage_logger("features")
    params = load_params(FeaturesParams)
    for path in (rides_dir / "ride_requests.parquet", rides_dir / "stops.parquet", weather_path, towns_path, agg_path):
        if not path.is_file():
            raise InputFileError(f"{path}: 入力ファイルがありません")
    weather = read_weather(weather_path)
    panel = build_demand_panel(
        pd.read_parquet(rides_dir / "ride_requests.parquet"),
        pd.read_parquet(rides_dir / "stops.parquet"),
        gpd.read_parquet(towns_path),
        residents_town_aggregate(pd.read_parquet(agg_path, columns=["town_code", "age"])),
        weather,
        params.zone_level,
        n_clusters=params.n_clusters, start=params.start, end=params.end, count_outcomes=params.count_outcomes,
        weekday_hours=params.weekday_hours, weekend_hours=params.weekend_hours,
        school_holiday_end=params.school_holiday_end, school_holiday_days=params.school_holiday_days,
        event_dates=params.event_dates,
    )
    write_parquet(panel, out_path)
    log.info("需要パネル %s: %d 行, %d ゾーン, 需要合計 %d 件", out_path, len(panel), panel["zone"].nunique(), int(panel["y"].sum()))


if __name__ == "__main__":
    main(sys.argv[1:])
