"""The ingest step as one call, shared by the DVC stage and ``kogadx ingest``."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from kogadx.geo.estat import read_small_areas
from kogadx.ingest.contracts import CONTRACTS
from kogadx.ingest.core import enforce_references, ingest_table
from kogadx.weather import read_weather
from kogadx.io import InputFileError, read_text_table, write_csv_for_excel, write_parquet

DEMO_MARKER = "SYNTHETIC_DEMO.json"


def run_ingest(raw_dir: str | Path, out_dir: str | Path, params: dict[str, Any],
               log: logging.Logger | None = None) -> dict[str, Any]:
    """Validate every table named in ``params['tables']`` from ``raw_dir`` into ``out_dir``.

    Writes ``<table>.parquet``, ``towns.parquet`` (GeoParquet, EPSG:6668) and
    ``quarantine/<table>.csv`` (one row per rejected record with its reason). Returns the
    row accounting per table (no personal values) for ``metrics/ingest.json``.
    """
    log = log or logging.getLogger("kogadx.ingest")
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise InputFileError(f"{raw_dir}: 生データのフォルダがありません (params.yaml の ingest.raw_dir を確認してください)")
    out_dir.mkdir(parents=True, exist_ok=True)

    towns = read_small_areas(raw_dir / params["towns_file"], params["towns_encoding"], params.get("towns_hcode"))
    towns.to_parquet(out_dir / "towns.parquet", index=False, compression="zstd", write_covering_bbox=False)
    log.info("町丁目: %d 件 (%s)", len(towns), params["towns_file"])
    town_codes = dict(zip(towns["town_name"], towns["town_code"]))

    summary: dict[str, Any] = {"towns": {"rows_in": len(towns), "rows_out": len(towns), "rows_quarantined": 0}}
    results = {}
    for table, file_name in params["tables"].items():
        if table not in CONTRACTS:
            raise InputFileError(f"{file_name}: テーブル '{table}' のデータ契約が定義されていません")
        source = raw_dir / file_name
        raw, encoding = read_text_table(source)
        results[table] = (ingest_table(raw, CONTRACTS[table], town_codes, source=str(source)), encoding, file_name)
    # Foreign keys are checked against the kept rows of the referenced tables.
    kept = {name: result.valid for name, (result, _, _) in results.items()}
    for table, (result, encoding, file_name) in results.items():
        result = enforce_references(result, CONTRACTS[table], kept)
        if result.rows_out + result.rows_quarantined != result.rows_in:
            raise AssertionError(f"{file_name}: 行数が合いません")
        write_parquet(result.valid, out_dir / f"{table}.parquet")
        write_csv_for_excel(result.quarantine, out_dir / "quarantine" / f"{table}.csv")
        summary[table] = {**result.summary(), "encoding": encoding, "file": file_name}
        log.info("%s: 入力 %s 行 → 出力 %s 行 + 隔離 %s 行 (%s)", table, f"{result.rows_in:,}",
                 f"{result.rows_out:,}", f"{result.rows_quarantined:,}", encoding)

    weather_source = raw_dir / params["weather_file"]
    if weather_source.is_file():
        weather = read_weather(weather_source)
        write_parquet(weather, out_dir / "weather.parquet")
        summary["weather"] = {"rows_in": len(weather), "rows_out": len(weather), "rows_quarantined": 0,
                              "missing_values": int(weather.isna().sum().sum()), "file": params["weather_file"]}
        log.info("気象: %s 時間分 (%s)", f"{len(weather):,}", params["weather_file"])

    marker = raw_dir / DEMO_MARKER
    (out_dir / DEMO_MARKER).unlink(missing_ok=True)
    if marker.is_file():
        shutil.copyfile(marker, out_dir / DEMO_MARKER)
    summary["synthetic_demo"] = marker.is_file()
    return summary
