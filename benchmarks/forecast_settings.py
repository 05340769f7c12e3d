"""The forecast stage's cheaper settings (issue #25) against the exact ones, on the stage's inputs.

Runs the stage's engine (:func:`kogadx.demand.stage.forecast_demand`) on
data/features/demand_panel.parquet with the true intensity, twice, in this process
(``KOGADX_WORKERS=1``, so every CPU second is counted here):

- ``params``: params.yaml as it stands: MSTL's STL loess evaluated every k-th step
  (``mstl_stl``) and LightGBM refitted weekly in the 24 h backtest (``lightgbm_refit``);
- ``exact``: the same with ``mstl_stl: {}`` (a loess fit at every step, statsmodels' default)
  and ``lightgbm_refit: []`` (LightGBM refitted at every origin).

Writes benchmarks/results/forecast_settings.json: CPU seconds of each, per horizon and model
WAPE / RMSSE / interval coverage (overall and per hour band), the paired LightGBM comparisons
of both, and every verdict (95 % interval excludes 0, and its sign) that differs.
Needs the pipeline's inputs (``dvc repro features``); ~4 CPU minutes.

    .venv/bin/python benchmarks/forecast_settings.py
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

os.environ["KOGADX_WORKERS"] = "1"  # before the engine reads it: all CPU in this process

import pandas as pd  # noqa: E402

from kogadx.demand.features import next_period_calendar  # noqa: E402
from kogadx.demand.params import FeaturesParams, ForecastParams  # noqa: E402
from kogadx.demand.stage import forecast_demand  # noqa: E402
from kogadx.io import write_json  # noqa: E402
from kogadx.params import read_params_file, validate_params  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def verdict(row: dict[str, Any]) -> str:
    """LightGBM against a model: "better" / "worse" when the 95 % interval excludes 0."""
    if not row["excludes_zero"]:
        return "no difference"
    return "better" if row["wape_diff"] < 0 else "worse"


def headline(metrics: dict[str, Any]) -> dict[str, Any]:
    models = {h: {m: {"wape": r["by_series_step"]["wape"], "rmsse": r["by_series_step"]["rmsse"],
                      "coverage": r["interval"]["coverage"],
                      "coverage_by_band": {k: b["coverage"] for k, b in r["interval"]["by_band"].items()}}
                  for m, r in block.items()} for h, block in metrics["backtest"].items()}
    comparison = {h: {m: {"wape_diff": r["wape_diff"], "ci95": [r["ci95_low"], r["ci95_high"]],
                          "dm_pvalue": r["dm_pvalue"], "verdict": verdict(r)} for m, r in block.items()}
                  for h, block in metrics["comparison"].items()}
    return {"models": models, "comparison": comparison}


def main() -> None:
    data = read_params_file(ROOT / "params.yaml")
    features = validate_params(FeaturesParams, data["features"], prefix="features")
    panel = pd.read_parquet(ROOT / "data" / "features" / "demand_panel.parquet")
    truth = pd.read_parquet(ROOT / "data" / "truth" / "demand_intensity.parquet")
    settings = {"params": data["forecast"], "exact": {**data["forecast"], "mstl_stl": {}, "lightgbm_refit": []}}
    runs: dict[str, Any] = {}
    for name, section in settings.items():
        params = validate_params(ForecastParams, section, prefix="forecast")
        known = next_period_calendar(panel[params.time_col].max(), max(params.horizons), features)
        start = time.process_time()
        result = forecast_demand(panel, params, truth, "demand_panel", known)
        runs[name] = {"cpu_seconds": round(time.process_time() - start, 1),
                      "mstl_stl": section.get("mstl_stl", {}), "lightgbm_refit": section.get("lightgbm_refit", []),
                      **headline(result.metrics)}
        print(name, runs[name]["cpu_seconds"], "CPU s")
    flips = [{"horizon": h, "model": m, "exact": row["verdict"],
              "params": runs["params"]["comparison"][h][m]["verdict"]}
             for h, block in runs["exact"]["comparison"].items() for m, row in block.items()
             if row["verdict"] != runs["params"]["comparison"][h][m]["verdict"]]
    report = {"source": "forecast_demand on data/features/demand_panel.parquet (synthetic Koga), one process",
              "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                          "load_average_1min_at_end": round(os.getloadavg()[0], 2)},
              "verdicts_that_differ": flips, "runs": runs}
    write_json(report, ROOT / "benchmarks" / "results" / "forecast_settings.json")
    print("verdicts that differ:", flips or "none")


if __name__ == "__main__":
    main()
