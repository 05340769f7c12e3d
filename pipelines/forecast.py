"""DVC stage forecast: backtest the demand models, refit LightGBM, forecast the next period.

python pipelines/forecast.py PANEL TRUTH MODELS FORECAST METRICS FIGURES PLOTS
(TRUTH: zone × hour true intensity for the oracle, metrics only; "-" = none.)
"""

from __future__ import annotations

from kogadx.demand.params import ForecastStageParams
from kogadx.demand.stage import ForecastInputs, run_forecast
from kogadx.io import read_parquet
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("forecast", argv, "panel", "truth?", "models", "forecast", "metrics", "figures", "plots")
    truth = args.get("truth")
    inputs = ForecastInputs(panel=read_parquet(args["panel"]), truth=read_parquet(truth) if truth else None,
                            source=str(args["panel"]))
    write_outputs(run_forecast(inputs, load_params(ForecastStageParams)), args)


if __name__ == "__main__":
    script_main(main)
