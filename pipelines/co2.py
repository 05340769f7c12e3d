"""Stage co2: business emissions, weather-normalised baselines, forecast and scenarios.

usage: python pipelines/co2.py BUSINESS_DIR WEATHER FACTORS_CSV OUT_DIR FIG_DIR METRICS_JSON
  BUSINESS_DIR  pseudonymized tables: businesses.parquet, business_energy.parquet
  WEATHER       hourly weather (time, temperature_c) or monthly degree days; Parquet or CSV
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

from kogadx.energy.factors import load_emission_factors
from kogadx.energy.stage import make_figures, run_co2
from kogadx.io import get_stage_logger, read_text_table, write_csv_for_excel, write_json, write_parquet
from kogadx.params import load_params
from kogadx.plotting import save_figure, setup
from kogadx.tracking import start_run


def _read_table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else read_text_table(path)[0]


def plt_close_all() -> None:
    setup().close("all")


def main(argv: list[str]) -> None:
    business_dir, weather_path, factors_path, out_dir, fig_dir, metrics_path = map(Path, argv)
    log = get_stage_logger("co2")
    params = load_params("co2")
    outputs = run_co2(pd.read_parquet(business_dir / "businesses.parquet"),
                      pd.read_parquet(business_dir / "business_energy.parquet"),
                      _read_table(weather_path), load_emission_factors(factors_path), params)
    for name, table in outputs.tables.items():
        write_parquet(table, out_dir / f"{name}.parquet")
    figures = make_figures(outputs)
    for name, fig in figures.items():
        save_figure(fig, fig_dir / f"{name}.png")
    write_json(outputs.metrics, metrics_path)
    with start_run("co2", stage="co2", run_name="baseline_ols", params=params) as run, \
            tempfile.TemporaryDirectory() as tmp:
        run.log_metrics(outputs.metrics)
        details = write_csv_for_excel(outputs.tables["baseline_models"], Path(tmp) / "baseline_models.csv")
        run.log_artifact(details, artifact_path="baseline")
        for name, fig in figures.items():
            run.log_figure(fig, f"figures/{name}.png")
    for fig in figures.values():
        fig.clear()  # free memory; pyplot keeps figures until closed
    plt_close_all()
    log.info("co2: %d businesses, G14 pass %.1f%%", outputs.metrics["n_businesses"],
             100 * outputs.metrics["baseline"]["businesses_pass_g14_share"])


if __name__ == "__main__":
    main(sys.argv[1:])
