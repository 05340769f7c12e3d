"""The ``ingest`` stage: raw exports in, validated tables, quarantine and row accounting out.

:func:`run_ingest` is pure (frames and typed params in, :class:`kogadx.stage.StageOutputs`
out). ``pipelines/ingest.py`` and the ``kogadx ingest`` command read the raw folder with the
core readers (:func:`kogadx.io.read_text_tables`, :func:`kogadx.io.read_shapefile`,
:func:`kogadx.weather.read_weather`) and write the outputs with :func:`kogadx.stage.write_outputs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from kogadx.compute import PANDAS, ComputeParams, Engine, engine
from kogadx.geo.estat import towns_from_small_areas
from kogadx.ingest.contracts import CONTRACTS, EXTRA_PREFIX
from kogadx.ingest.core import IngestResult, Rules, check_table
from kogadx.ingest.params import IngestParams
from kogadx.io import ExportSource, InputFileError, TextTable
from kogadx.stage import Artifact, BytesFile, ExcelCsvFile, NoFile, StageOutputs

# Written by the synthesize stage into the raw folder; copied so that the privacy stage knows
# the data is the synthetic demo (and allows the demo key).
DEMO_MARKER = "SYNTHETIC_DEMO.json"


@dataclass(frozen=True)
class IngestInputs:
    """The raw folder, read: each table of ``IngestParams.tables`` as text (with its encoding
    and file name), the e-Stat small areas as read from their shapefile, the hourly weather
    (None when the folder has no weather file) and the demo marker's bytes (None for real data).
    """

    tables: Mapping[str, TextTable | ExportSource]
    small_areas: gpd.GeoDataFrame
    weather: pd.DataFrame | None = None
    demo_marker: bytes | None = None


def run_ingest(inputs: IngestInputs, params: IngestParams, compute: ComputeParams | None = None) -> StageOutputs:
    """Validate every table against its contract, foreign keys against the kept rows.

    Outputs (slot ``out``): ``<table>.parquet``, ``towns.parquet`` (GeoParquet, EPSG:6668),
    ``weather.parquet``, ``quarantine/<table>.csv`` (one row per rejected record with its line,
    columns and reason) and the demo marker; ``metrics``: rows in = rows out + rows quarantined
    per table (no personal values). ``compute`` (section ``compute``): the record checks on
    pandas or Dask partitions; the outputs are the same bytes either way.
    """
    towns = towns_from_small_areas(inputs.small_areas, params.towns_hcode, params.towns_file)
    outputs = StageOutputs(tables={"out/towns.parquet": towns})
    metrics: dict[str, Any] = {"towns": _passed_through(len(towns))}
    rules = Rules(reference_date=params.reference_date, date_order=params.date_order,
                  extra_columns=params.extra_columns)
    with engine(compute) as running:
        results = ingest_tables(inputs.tables, dict(zip(towns["town_name"], towns["town_code"], strict=True)), rules,
                                params.nonempty_tables, running)
    for table, result in results.items():
        source = inputs.tables[table]
        outputs.tables[f"out/{table}.parquet"] = result.valid_parts
        outputs.files[f"out/quarantine/{table}.csv"] = ExcelCsvFile(result.quarantine)
        metrics[table] = {**result.summary(), "encoding": source.encoding, "file": source.file}
    if inputs.weather is not None:
        outputs.tables["out/weather.parquet"] = inputs.weather
        metrics["weather"] = {**_passed_through(len(inputs.weather)),
                              "missing_values": int(inputs.weather.isna().sum().sum()), "file": params.weather_file}
    # No marker in the input: remove a stale one, which would let real data pass as the demo.
    marker: Artifact = NoFile() if inputs.demo_marker is None else BytesFile(inputs.demo_marker)
    outputs.files[f"out/{DEMO_MARKER}"] = marker
    metrics["synthetic_demo"] = inputs.demo_marker is not None
    outputs.metrics = metrics
    outputs.summary = _summary(metrics, results)
    return outputs


def ingest_tables(tables: Mapping[str, TextTable | ExportSource], town_codes: dict[str, str], rules: Rules,
                  nonempty: tuple[str, ...] = (), running: Engine = PANDAS) -> dict[str, IngestResult]:
    """Each table against its contract (partition by partition, :func:`check_table`), then
    foreign keys against the kept rows of the others (their key columns only). A table of
    ``nonempty`` with a header and no record stops the stage."""
    checked = {}
    for table, source in tables.items():
        if table not in CONTRACTS:
            raise InputFileError(f"{source.file}: テーブル '{table}' のデータ契約が定義されていません")
        checked[table] = check_table(source, CONTRACTS[table], town_codes, rules, running, table in nonempty)
    kept = {name: table.kept_keys() for name, table in checked.items()}
    results = {}
    for table, check in checked.items():
        results[table] = check.result(kept)
        if results[table].rows_out + results[table].rows_quarantined != results[table].rows_in:
            raise AssertionError(f"{tables[table].file}: 行数が合いません")
    return results


def _passed_through(rows: int) -> dict[str, int]:
    """Row accounting of a table taken as it is (nothing quarantined)."""
    return {"rows_in": rows, "rows_out": rows, "rows_quarantined": 0}


def _summary(metrics: Mapping[str, Any], results: Mapping[str, IngestResult]) -> str:
    rows_in = sum(r.rows_in for r in results.values())
    rows_out = sum(r.rows_out for r in results.values())
    quarantined = sum(r.rows_quarantined for r in results.values())
    weather = f", 気象 {metrics['weather']['rows_out']:,} 時間分" if "weather" in metrics else ""
    demo = " (合成デモデータ)" if metrics["synthetic_demo"] else ""
    extras = "".join(f"\n  {table}: 契約にない列 {', '.join(r.extra_columns)} を {EXTRA_PREFIX}<見出し> として保持"
                     for table, r in results.items() if r.extra_columns)
    return (f"ingest: {len(results)} 表 入力 {rows_in:,} 行 → 出力 {rows_out:,} 行 + 隔離 {quarantined:,} 行, "
            f"町丁目 {metrics['towns']['rows_out']} 件{weather}{demo}{extras}")
