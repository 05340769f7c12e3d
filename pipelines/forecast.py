"""DVC stage `forecast`: backtest demand models, refit LightGBM, forecast the next period.

argv: PANEL_PARQUET MODELS_DIR FORECAST_PARQUET METRICS_JSON PLOTS_DIR [TRUTH_PARQUET]
(TRUTH_PARQUET, optional: zone × hour true intensity for the oracle; metrics only.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from kogadx.demand.features import next_period_calendar
from kogadx.demand.params import FeaturesParams, ForecastParams
from kogadx.demand.forecast_stage import log_forecast_runs, run_forecast_stage
from kogadx.io import get_stage_logger, write_json, write_parquet
from kogadx.params import load_params
from kogadx.plotting import save_figure


def main(argv: list[str]) -> None:
    panel_path, models_dir, forecast_path, metrics_path, plots_dir = (Path(a) for a in argv[1:6])
    truth_path = Path(argv[6]) if len(argv) > 6 else None
    log = get_stage_logger("forecast")
    params = load_params(ForecastParams)
    truth = pd.read_parquet(truth_path) if truth_path else None
    panel = pd.read_parquet(panel_path)
    # calendar columns of the next period are known in advance (holidays, service hours)
    features = load_params(FeaturesParams)
    known = next_period_calendar(panel[params.time_col].max(), max(params.horizons), features)
    outputs = run_forecast_stage(panel, params, truth, source=str(panel_path), known_future=known)
    log.info("バックテスト完了: 起点 %d 件", len(outputs.backtest.origins))
    log_forecast_runs(outputs, params)
    models_dir.mkdir(parents=True, exist_ok=True)
    for horizon, booster in outputs.final.boosters.items():
        booster.save_model(models_dir / f"lgbm_h{horizon}.txt")
    write_parquet(outputs.next_forecast, forecast_path)
    write_json(outputs.metrics, metrics_path)
    for name, figure in outputs.figures.items():
        save_figure(figure, plots_dir / f"{name}.png")
    log.info("予測を書き出しました: %s", forecast_path)


if __name__ == "__main__":
    main(sys.argv)
