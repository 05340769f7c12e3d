"""DVC stage ingest: validate and normalise the raw exports; quarantine bad records with reasons.

python pipelines/ingest.py RAW_DIR OUT_DIR METRICS_JSON
(RAW_DIR laid out as params ingest says; the weather file and the demo marker may be absent.)
"""

from __future__ import annotations

from pathlib import Path

from kogadx.compute import load_compute_params
from kogadx.ingest.params import IngestParams
from kogadx.ingest.stage import DEMO_MARKER, IngestInputs, run_ingest
from kogadx.io import open_text_tables, read_if_present, read_shapefile
from kogadx.params import load_params
from kogadx.stage import parse_args, script_main, write_outputs
from kogadx.weather import read_weather


def main(argv: list[str] | None = None) -> None:
    args = parse_args("ingest", argv, "raw", "out", "metrics")
    params = load_params(IngestParams)
    raw = args["raw"]
    inputs = IngestInputs(tables=open_text_tables(raw, params.tables),  # first: it checks that the folder exists
                          small_areas=read_shapefile(raw / params.towns_file, params.towns_encoding),
                          weather=read_if_present(raw / params.weather_file, read_weather),
                          demo_marker=read_if_present(raw / DEMO_MARKER, Path.read_bytes))
    write_outputs(run_ingest(inputs, params, load_compute_params()), args)


if __name__ == "__main__":
    script_main(main)
