"""Speed of the demand forecasting engine at default scale (~20 zones × 2 years hourly).

Runs the full rolling-origin backtest (all models, both horizons) plus the final LightGBM
refit and next-period forecast on a toy panel of that size, and writes wall-clock times
to benchmarks/results/forecast_speed.json. Target: train + backtest ≤ 60 s on 2 cores.

    .venv/bin/python benchmarks/forecast_speed.py [--zones 20] [--days 730]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from kogadx.demand.backtest import forecast_next_period, refit_final, run_backtest
from kogadx.demand.evaluation import summarize
from kogadx.demand.forecast import ForecastConfig
from kogadx.demand.lags import PanelSpec, prepare_panel
from kogadx.demand.params import ForecastParams
from kogadx.demand.toy import toy_hourly_panel
from kogadx.io import write_json
from kogadx.params import load_params

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zones", type=int, default=20)
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    config = ForecastConfig.from_params(load_params(ForecastParams))
    import statsforecast.models  # noqa: F401  (import cost, ~5 s, is not forecasting time)

    panel_frame = toy_hourly_panel(args.zones, args.days, seed=1)
    c0, t0 = time.process_time(), time.perf_counter()
    panel = prepare_panel(panel_frame, PanelSpec("time", "y", "zone", "h", truth_col="lambda_true"))
    t1 = time.perf_counter()
    result = run_backtest(panel, config)
    t2 = time.perf_counter()
    final = refit_final(panel, config, result.predictions)
    forecast_next_period(panel, final, config)
    c3, t3 = time.process_time(), time.perf_counter()
    summary = summarize(result.predictions, config.coverage)
    report = {
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "python": platform.python_version()},
        "rows": len(panel.frame),
        "zones": args.zones,
        "days": args.days,
        "config": {"horizons": list(config.horizons),
                   "origins": {h: list(config.folds_for(h)) for h in config.horizons},
                   "num_boost_round": config.num_boost_round, "train_window": config.train_window,
                   "mstl_history": config.mstl_history},
        "seconds": {
            "prepare": round(t1 - t0, 2),
            "backtest_total": round(t2 - t1, 2),
            "backtest_by_model": {k: round(v, 2) for k, v in result.timings.items()},
            "refit_and_next_period": round(t3 - t2, 2),
            "train_plus_backtest_wall": round(t3 - t0, 2),
            "train_plus_backtest_cpu": round(c3 - c0, 2),
            "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        },
        "target_seconds": 60,
        "wape_by_series_step": {
            h: {m: round(v["by_series_step"]["wape"], 4) for m, v in block.items()}
            for h, block in summary.items()
        },
    }
    write_json(report, RESULTS / "forecast_speed.json")
    print(report["seconds"], report["wape_by_series_step"])


if __name__ == "__main__":
    main()
