"""DVC stage wellbeing: survey weights, district indicators with intervals, driver models, figures.

python pipelines/wellbeing.py SURVEY RESIDENTS TOWNS STOPS TABLES FIGURES PLOTS METRICS
(STOPS: のるーと stops / stations with lat, lon, or "-" for none.)
"""

from __future__ import annotations

from kogadx.io import read_geoparquet, read_parquet
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs
from kogadx.wellbeing.params import WellbeingParams
from kogadx.wellbeing.stage import WellbeingInputs, run_wellbeing


def main(argv: list[str] | None = None) -> None:
    args = parse_args("wellbeing", argv, "survey", "residents", "towns", "stops?",
                      "tables", "figures", "plots", "metrics")
    stops = args.get("stops")
    inputs = WellbeingInputs(survey=read_parquet(args["survey"]), residents=read_parquet(args["residents"]),
                             towns=read_geoparquet(args["towns"]),
                             stops=None if stops is None else read_geoparquet(stops),
                             survey_file=str(args["survey"]), residents_file=str(args["residents"]))
    write_outputs(run_wellbeing(inputs, load_params(WellbeingParams)), args)


if __name__ == "__main__":
    script_main(main)
