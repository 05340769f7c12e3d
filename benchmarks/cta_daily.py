"""The demand forecasting engine on real daily transit data: CTA daily boardings 2015–2019.

Only ``kogadx forecast evaluate`` (the CLI function itself) on
``../shared/benchmarks/cta_daily_ridership/``: target ``total_rides``; ``bus`` and
``rail_boardings`` (its components) are never features; ``day_type`` (W/A/U, a calendar
known in advance) is. The 62 duplicated dates keep their first row (``--dedupe``). Period
2015-01-01 … 2019-12-31 (``--since/--until``, the peers' period).

Protocol (issue #16): 12 origins 7 days apart, 7 days ahead. Runs:
- ``headline``: ``--calendar US`` (public holidays from the ``holidays`` library), 12 origins
  — the WAPE compared with the best peer (mlforecast LightGBM + calendar, WAPE 0.074);
- ``no_calendar``: the same without ``--calendar`` (what the holidays add);
- ``intervals``: ``--calendar US`` with 64 weekly origins, the first 52 (a year) only
  calibrating the intervals, so that coverage is measured on the same last 12 origins, each
  calibrated on all origins before it.
Every run scores seasonal naive, moving average, the historical average, statsforecast MSTL,
AutoETS and the intermittent models beside LightGBM, with paired comparisons.
Results: benchmarks/results/cta_daily.json.

    .venv/bin/python benchmarks/cta_daily.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from kogadx.demand.cli import evaluate
from kogadx.io import write_json

ROOT = Path(__file__).resolve().parents[1]
MODELS = "seasonal_naive,moving_average,historical_average,croston_optimized,tsb,adida,imapa,mstl,autoets,lightgbm"
PEER_WAPE = 0.074  # mlforecast LightGBM with calendar features (issue #16)


def run(source: Path, out: Path, folds: int, warmup: int, calendar: str | None) -> dict[str, Any]:
    start = time.perf_counter()
    document = evaluate(
        input=source, time_col="service_date", target_col="total_rides", out=out,
        group_col=None, horizon=[7], folds=folds, freq="D", step=7,
        models=MODELS, drop_cols="bus,rail_boardings", truth_col=None, fill="interpolate", dedupe=True,
        seed=20221001, num_boost_round=150, train_window=None, coverage=0.8, service_col=None,
        calendar=calendar, warmup=warmup, since="2015-01-01", until="2019-12-31",
    )
    document["seconds"] = round(time.perf_counter() - start, 1)
    return document


def summary_of(document: dict[str, Any]) -> dict[str, Any]:
    return {model: {"wape": round(m["by_series_step"]["wape"], 4), "rmsse": round(m["by_series_step"]["rmsse"], 3),
                    "coverage_80": m["interval"]["coverage"], "interval_score": m["interval"]["interval_score"],
                    "interval_origins": m["interval"]["folds"]}
            for model, m in document["metrics"]["h7"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    source = next((args.shared / "benchmarks" / "cta_daily_ridership").glob("*.csv"))
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs["headline"] = run(source, Path(tmp) / "a", 12, 2, "US")
        runs["no_calendar"] = run(source, Path(tmp) / "b", 12, 2, None)
        runs["intervals"] = run(source, Path(tmp) / "c", 64, 52, "US")
    headline = runs["headline"]["metrics"]["h7"]["lightgbm"]["by_series_step"]["wape"]
    report = {
        "dataset": source.name,
        "protocol": "2015-01-01…2019-12-31, 12 origins 7 days apart, 7 days ahead (intervals: 64 origins, "
                    "first 52 calibrate only)",
        "command": "kogadx forecast evaluate --input CTA.csv --time-col service_date --target-col total_rides "
                   "--freq D --horizon 7 --folds 12 --step 7 --warmup 2 --drop-cols bus,rail_boardings --dedupe "
                   "--fill interpolate --calendar US --since 2015-01-01 --until 2019-12-31 --models " + MODELS,
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count()},
        "lightgbm_wape_headline": round(headline, 4),
        "peer_wape": PEER_WAPE,
        "beats_peer": headline <= PEER_WAPE,
        "summary": {name: summary_of(doc) for name, doc in runs.items()},
        "comparison": {name: doc["comparison"]["h7"] for name, doc in runs.items()},
        "runs": runs,
    }
    write_json(report, ROOT / "benchmarks" / "results" / "cta_daily.json")
    for name in runs:
        print(name, report["summary"][name]["lightgbm"])
    print("LightGBM WAPE (--calendar US, 7 d × 12):", round(headline, 4), "peer", PEER_WAPE)


if __name__ == "__main__":
    main()
