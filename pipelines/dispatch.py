"""DVC stage `dispatch`: replay ride requests through the online dispatcher per policy.

argv: RIDE_REQUESTS STOPS TOWNS FORECAST TRUTH SCENARIOS_PARQUET FIGURES_DIR METRICS_JSON [PANEL]
(TRUTH: zone × hour true intensity, secure zone, oracle policy only; "-" = no oracle.
PANEL: demand features panel for the backtest forecast of the replay weeks; absent or "-" = none.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from kogadx.demand.params import FeaturesParams, ForecastParams
from kogadx.io import get_stage_logger, write_json, write_parquet
from kogadx.mobility.stage import log_dispatch_runs, run_dispatch_stage
from kogadx.params import load_params
from kogadx.plotting import save_figure


def main(argv: list[str]) -> None:
    rides, stops, towns, forecast, truth, table, figures_dir, metrics = argv[1:9]
    panel = argv[9] if len(argv) > 9 and argv[9] != "-" else None
    log = get_stage_logger("dispatch")
    params = load_params("dispatch")
    outputs = run_dispatch_stage(
        pd.read_parquet(rides), pd.read_parquet(stops), gpd.read_parquet(towns),
        pd.read_parquet(forecast), None if truth == "-" else pd.read_parquet(truth),
        params, load_params(FeaturesParams),
        None if panel is None else pd.read_parquet(panel),
        None if panel is None else load_params(ForecastParams),
    )
    write_parquet(outputs.scenarios, table)
    for name, figure in outputs.figures.items():
        save_figure(figure, Path(figures_dir) / f"{name}.png")
    write_json(outputs.metrics, metrics)
    log_dispatch_runs(outputs, params, figures_dir)
    log.info("配車シミュレーション完了: %d シナリオ", len(outputs.scenarios))


if __name__ == "__main__":
    main(sys.argv)
