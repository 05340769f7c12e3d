"""DVC stage features: the zone × hour demand panel of のるーと古賀 (shareable zone).

python pipelines/features.py REQUESTS STOPS WEATHER TOWNS RESIDENTS PANEL
(pseudonymized ride requests and stops; WEATHER: Parquet or a JMA CSV; TOWNS: GeoParquet;
RESIDENTS: the pseudonymized register, town_code and age.)
"""

from __future__ import annotations

from kogadx.compute import load_compute_params
from kogadx.demand.features import counted_request_columns
from kogadx.demand.params import FeaturesParams
from kogadx.demand.stage import FeaturesInputs, run_features
from kogadx.io import ParquetSource, read_geoparquet, read_parquet
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs
from kogadx.weather import read_weather


def main(argv: list[str] | None = None) -> None:
    args = parse_args("features", argv, "requests", "stops", "weather", "towns", "residents", "panel")
    requests = ParquetSource(args["requests"])  # only the columns counted (time, origin, outcome)
    inputs = FeaturesInputs(requests=requests.read(counted_request_columns(requests.columns)),
                            stops=read_parquet(args["stops"]),
                            weather=read_weather(args["weather"]),
                            towns=read_geoparquet(args["towns"]),
                            residents=read_parquet(args["residents"], columns=["town_code", "age"]))
    write_outputs(run_features(inputs, load_params(FeaturesParams), load_compute_params()), args)


if __name__ == "__main__":
    script_main(main)
