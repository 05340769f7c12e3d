"""DVC stage `ingest`: validate and normalise the raw exports.

Usage: python pipelines/ingest.py RAW_DIR OUT_DIR METRICS_JSON
"""

import sys

from kogadx.ingest.run import run_ingest
from kogadx.io import get_stage_logger, write_json
from kogadx.params import load_params


def main(raw_dir: str, out_dir: str, metrics_path: str) -> None:
    log = get_stage_logger("ingest")
    summary = run_ingest(raw_dir, out_dir, load_params("ingest"), log)
    write_json(summary, metrics_path)


if __name__ == "__main__":
    main(*sys.argv[1:4])
