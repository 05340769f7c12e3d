"""DVC stage counter: 現況届 counter week — arrivals by day × hour, queue simulation, staffing (issue #22).

python pipelines/counter.py HOUSEHOLDS LOG FEATURES FIGURES PLOTS METRICS
"""

from kogadx.counter.params import CounterParams
from kogadx.counter.stage import CounterInputs, run_counter
from kogadx.io import read_parquet
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs


def main(argv: list[str] | None = None) -> None:
    args = parse_args("counter", argv, "households", "log", "features", "figures", "plots", "metrics")
    inputs = CounterInputs(households=read_parquet(args["households"]), log=read_parquet(args["log"]))
    write_outputs(run_counter(inputs, load_params(CounterParams)), args)


if __name__ == "__main__":
    script_main(main)
