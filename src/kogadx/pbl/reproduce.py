"""The forecast stage as a student bundle runs it: ``python -m kogadx.pbl.reproduce`` (notebook 07).

The project's ``forecast`` stage also reads the generator's truth (``data/truth``, secure zone)
for the oracle's metrics. A bundle has no secure input, so its own ``dvc.yaml`` (written by
:func:`kogadx.pbl.bundle.bundle_pipeline`) runs this entry point instead: the same
``run_forecast`` on the bundle's demand panel, without the truth (the oracle is left out), so
``dvc exp run -S forecast.num_boost_round=300`` works in the bundle folder alone.

python -m kogadx.pbl.reproduce PANEL MODELS FORECAST METRICS FIGURES PLOTS
"""

from __future__ import annotations

from kogadx.demand.params import ForecastStageParams
from kogadx.demand.stage import ForecastInputs, run_forecast
from kogadx.io import read_parquet
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("forecast", argv, "panel", "models", "forecast", "metrics", "figures", "plots")
    inputs = ForecastInputs(panel=read_parquet(args["panel"]), truth=None, source=str(args["panel"]))
    write_outputs(run_forecast(inputs, load_params(ForecastStageParams)), args)


if __name__ == "__main__":
    script_main(main)
