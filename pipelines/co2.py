"""DVC stage co2: business emissions, weather-normalised baselines, forecast and scenarios.

python pipelines/co2.py BUSINESSES ENERGY WEATHER FACTORS TABLES FIGURES PLOTS METRICS
(WEATHER: hourly weather (time, temperature_c) or monthly degree days, Parquet or JMA CSV.)
"""

from __future__ import annotations

from kogadx.energy.params import Co2Params
from kogadx.energy.stage import Co2Inputs, run_co2
from kogadx.io import read_parquet, read_text_table
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs
from kogadx.weather import read_weather


def main(argv: list[str] | None = None) -> None:
    args = parse_args("co2", argv, "businesses", "energy", "weather", "factors",
                      "tables", "figures", "plots", "metrics")
    inputs = Co2Inputs(businesses=read_parquet(args["businesses"]), energy=read_parquet(args["energy"]),
                       weather=read_weather(args["weather"]), factors=read_text_table(args["factors"])[0],
                       factors_file=str(args["factors"]))
    write_outputs(run_co2(inputs, load_params(Co2Params)), args)


if __name__ == "__main__":
    script_main(main)
