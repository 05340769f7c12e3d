"""The demand forecasting engine on real daily transit data: CTA daily boardings.

Same code path as ``kogadx forecast evaluate`` (freq D) on
``../shared/benchmarks/cta_daily_ridership/``: target ``total_rides``; ``bus`` and
``rail_boardings`` (its components) are never features; ``day_type`` (W/A/U, a calendar
known in advance) is. The 62 duplicated dates keep their first row (``--dedupe``).
Origins every 7 days over the last 16 weeks, 7 days ahead.
Results: benchmarks/results/cta_daily.json.

    .venv/bin/python benchmarks/cta_daily.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

from kogadx.demand.cli import evaluate
from kogadx.io import write_json

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    source = next((args.shared / "benchmarks" / "cta_daily_ridership").glob("*.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        document = evaluate(
            input=source, time_col="service_date", target_col="total_rides", out=Path(tmp),
            group_col=None, horizon=[7], folds=16, freq="D", step=7,
            models="seasonal_naive,moving_average,mstl,lightgbm", drop_cols="bus,rail_boardings",
            truth_col=None, fill="interpolate", dedupe=True, seed=20221001, num_boost_round=150,
            train_window=None, coverage=0.8,
        )
    summary = {
        model: {"wape": round(m["by_series_step"]["wape"], 4), "bias": round(m["by_series_step"]["bias"], 4),
                "coverage_80": m["interval"]["coverage"]}
        for model, m in document["metrics"]["h7"].items()
    }
    report = {"dataset": source.name, "protocol": "last 16 weeks, origins every 7 days, 7 days ahead",
              "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
              "summary": summary, "run": document}
    write_json(report, ROOT / "benchmarks" / "results" / "cta_daily.json")
    print(summary)


if __name__ == "__main__":
    main()
