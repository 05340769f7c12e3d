"""Orchestrates the synthetic Koga: geography, residents, and each domain's generator.

``generate_koga`` is pure (params in, tables out); ``write_export`` writes them the way the
city's systems would (CP932 CSV with CRLF, Shift_JIS shapefile) into the secure zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from kogadx.geo import load_reference_boundary, load_reference_towns, town_polygons
from kogadx.geo.estat import to_estat_frame, write_shapefile
from kogadx.io import write_csv_for_excel, write_json
from kogadx.synth import stream_rng
from kogadx.synth.residents import generate_residents

DEMO_MARKER = "SYNTHETIC_DEMO.json"


@dataclass
class RawTable:
    """One raw export: the frame as the source system writes it, and its file encoding."""

    frame: pd.DataFrame
    encoding: str = "cp932"


@dataclass
class SyntheticKoga:
    tables: dict[str, RawTable] = field(default_factory=dict)
    small_areas: gpd.GeoDataFrame | None = None
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def generate_koga(params: dict[str, Any]) -> SyntheticKoga:
    """Generate every raw export of the synthetic city from the ``synthesize`` params."""
    seed, scale = int(params["seed"]), float(params["scale"])
    result = SyntheticKoga()
    towns = town_polygons(load_reference_towns(), load_reference_boundary())

    residents, residents_truth = generate_residents(stream_rng(seed, "residents"), towns, params["residents"], scale)
    result.tables["residents"] = RawTable(residents)
    result.truth["residents_faults"] = residents_truth.faults

    clean = residents.drop_duplicates()
    population = clean.groupby("町丁目コード").size()
    households = clean.groupby("町丁目コード")["世帯番号"].nunique()
    result.small_areas = to_estat_frame(towns, population, households)
    result.summary = {
        "seed": seed,
        "scale": scale,
        "residents_population": residents_truth.population,
        "residents_households": residents_truth.households,
        "residents_raw_rows": len(residents),
        "residents_faults_planted": len(residents_truth.faults),
        "towns": len(towns),
    }
    return result


def write_export(koga: SyntheticKoga, raw_dir: str | Path, truth_dir: str | Path, towns_file: str) -> None:
    """Write raw exports to ``raw_dir`` and generator truth to ``truth_dir`` (both secure)."""
    raw_dir, truth_dir = Path(raw_dir), Path(truth_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)
    for name, table in koga.tables.items():
        with (raw_dir / f"{name}.csv").open("w", encoding=table.encoding, newline="") as fh:
            table.frame.to_csv(fh, index=False, lineterminator="\r\n")
    if koga.small_areas is not None:
        write_shapefile(koga.small_areas, raw_dir / towns_file)
    # The marker tells the privacy stage this is the synthetic demo (demo key allowed).
    write_json({"synthetic": True, "generator": "kogadx.synth", **koga.summary}, raw_dir / DEMO_MARKER)
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in koga.truth.items():
        write_csv_for_excel(frame, truth_dir / f"{name}.csv")
    write_json(koga.summary, truth_dir / "summary.json")
