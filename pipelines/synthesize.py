"""DVC stage `synthesize`: write the synthetic Koga raw exports and generator truth.

Usage: python pipelines/synthesize.py RAW_DIR TRUTH_DIR
"""

import sys
import time

from kogadx.io import get_stage_logger
from kogadx.params import load_params
from kogadx.synth.koga import generate_koga, write_export


def main(raw_dir: str, truth_dir: str) -> None:
    log = get_stage_logger("synthesize")
    params = load_params("synthesize")
    ingest = load_params("ingest")
    started = time.perf_counter()
    koga = generate_koga(params)
    for name, table in koga.tables.items():
        log.info("生成: %s %s 行", name, f"{len(table.frame):,}")
    write_export(koga, raw_dir, truth_dir, ingest["towns_file"], ingest["weather_file"])
    log.info("出力: %s (生データ), %s (真値) — %.1f 秒", raw_dir, truth_dir, time.perf_counter() - started)


if __name__ == "__main__":
    main(*sys.argv[1:3])
