"""DVC stage dispatch: replay the ride requests through the online dispatcher per policy and fleet.

python pipelines/dispatch.py RIDES STOPS TOWNS FORECAST TRUTH PANEL MATRIX SCENARIOS FIGURES PLOTS METRICS
(optional, "-" = none: TRUTH true zone × hour intensity (secure zone; oracle and replications only),
PANEL demand features panel (backtest forecast of the replay weeks), MATRIX stop × stop minutes CSV.)
"""

from __future__ import annotations

from kogadx.io import read_geoparquet, read_parquet, read_text_table
from kogadx.mobility.params import DispatchStageParams
from kogadx.mobility.stage import DispatchInputs, run_dispatch
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("dispatch", argv, "rides", "stops", "towns", "forecast", "truth?", "panel?", "matrix?",
                      "scenarios", "figures", "plots", "metrics")
    truth, panel, matrix = args.get("truth"), args.get("panel"), args.get("matrix")
    inputs = DispatchInputs(
        rides=read_parquet(args["rides"]), stops=read_parquet(args["stops"]), towns=read_geoparquet(args["towns"]),
        forecast=read_parquet(args["forecast"]), truth=None if truth is None else read_parquet(truth),
        panel=None if panel is None else read_parquet(panel),
        matrix=None if matrix is None else read_text_table(matrix)[0], matrix_file=str(matrix or "-"))
    write_outputs(run_dispatch(inputs, load_params(DispatchStageParams)), args)


if __name__ == "__main__":
    script_main(main)
