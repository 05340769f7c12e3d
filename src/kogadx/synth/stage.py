"""The ``synthesize`` stage: the synthetic Koga's raw exports and the generator's truth.

:func:`run_synthesize` is pure (the reference geography and typed params in,
:class:`kogadx.stage.StageOutputs` out); ``pipelines/synthesize.py`` writes the outputs.
Slot ``raw``: the exports as the city's systems write them (CSV in each system's encoding with
CRLF, the e-Stat small-area shapefile, the JMA weather download) and the demo marker; slot
``truth``: what the generators intended, for evaluation. Both are secure-zone folders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import geopandas as gpd

from kogadx.geo.estat import ESTAT_DBF_ENCODING
from kogadx.geo.reference import load_reference_boundary, load_reference_bus_stops, load_reference_towns
from kogadx.stage import Artifact, BytesFile, ExcelCsvFile, JsonFile, Shapefile, StageOutputs, TextFile
from kogadx.synth.koga import SyntheticKoga, generate_koga
from kogadx.synth.params import SynthesizeStageParams
from kogadx.weather import to_jma_csv

# Tells the privacy stage that the raw folder is the synthetic demo (the demo key is allowed), with
# the SHA-256 of every file written beside it: a marker copied next to other data does not qualify
# (kogadx.privacy.keys.check_synthetic_demo reads this layout).
DEMO_MARKER = "SYNTHETIC_DEMO.json"


@dataclass(frozen=True)
class SynthesizeInputs:
    """The reference geography the city is built on (EPSG:6668): town representative points
    (town_code, town_name, base_name, chome), the city boundary and the fixed-route bus stops."""

    towns: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    bus_stops: gpd.GeoDataFrame

    @classmethod
    def embedded(cls) -> SynthesizeInputs:
        """The geography shipped with the code (``kogadx/geo/data``, see its SOURCES.md)."""
        return cls(load_reference_towns(), load_reference_boundary(), load_reference_bus_stops())


def run_synthesize(inputs: SynthesizeInputs, params: SynthesizeStageParams) -> StageOutputs:
    """Generate the city and lay its exports out as ``params.ingest`` expects to find them."""
    synthesize = params.synthesize
    koga = generate_koga(synthesize, inputs.towns, inputs.boundary, inputs.bus_stops)
    outputs = StageOutputs(files=raw_exports(koga, params))
    for name, frame in koga.truth.items():
        if name.endswith(".parquet"):
            outputs.tables[f"truth/{name}"] = frame
        else:
            outputs.files[f"truth/{name}"] = ExcelCsvFile(frame)
    for name, data in koga.truth_json.items():
        outputs.files[f"truth/{name}"] = JsonFile(data)
    outputs.files["truth/summary.json"] = JsonFile(koga.summary)
    summary = koga.summary
    outputs.summary = (f"synthesize: 住民 {summary['residents_population']:,} 人 "
                       f"(台帳 {summary['residents_raw_rows']:,} 行), 乗車予約 {summary['ride_requests']:,} 件, "
                       f"事業所 {summary['businesses']:,} 件, 調査回答 {summary['survey_respondents']:,} 件 "
                       f"(seed {synthesize.seed}, scale {synthesize.scale})")
    return outputs


def raw_exports(koga: SyntheticKoga, params: SynthesizeStageParams) -> dict[str, Artifact]:
    """The raw folder's files by output key (``raw/<file>``)."""
    files: dict[str, Artifact] = {}
    for table in koga.tables.values():
        # The bytes a source system writes: its encoding (a BOM for utf-8-sig) and CRLF line ends.
        files[f"raw/{table.file}"] = TextFile(table.frame.to_csv(index=False, lineterminator="\r\n"), table.encoding)
    if koga.small_areas is not None:
        # e-Stat ships no .cpg; the .dbf date is that of the register, so reruns are byte-identical.
        stamp = dt.date.fromisoformat(params.synthesize.residents.reference_date)
        files[f"raw/{params.ingest.towns_file}"] = Shapefile(koga.small_areas, ESTAT_DBF_ENCODING, cpg=False,
                                                             dbf_date=stamp)
    if koga.weather is not None:
        files[f"raw/{params.ingest.weather_file}"] = BytesFile(to_jma_csv(koga.weather))
    files[f"raw/{DEMO_MARKER}"] = JsonFile(demo_marker(files, koga.summary))
    return files


def demo_marker(files: dict[str, Artifact], summary: dict[str, object]) -> dict[str, object]:
    """The marker's content: the generator's summary and the SHA-256 of each raw file by its path
    in the raw folder. Shapefiles are written by GDAL (no bytes in memory): their parts are named
    as public geography (e-Stat small areas, no personal data) and checked by name only."""
    hashes: dict[str, str] = {}
    public: list[str] = []
    for key, artifact in files.items():
        path = key.removeprefix("raw/")
        if isinstance(artifact, TextFile):
            hashes[path] = hashlib.sha256(artifact.text.encode(artifact.encoding)).hexdigest()
        elif isinstance(artifact, BytesFile):
            hashes[path] = hashlib.sha256(artifact.data).hexdigest()
        elif isinstance(artifact, Shapefile):
            public.append(str(PurePosixPath(path).with_suffix("")))
        else:
            raise TypeError(f"{path}: 合成デモの目印に記録できない出力の種類です ({type(artifact).__name__})")
    return {"synthetic": True, "generator": "kogadx.synth", **summary,
            "files_sha256": dict(sorted(hashes.items())), "public_shapefiles": sorted(public)}
