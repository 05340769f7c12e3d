"""run_pseudonymize / run_anonymize in memory: outputs by key, formats kept, chunks invisible, nothing on disk."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point

from kogadx.privacy.anonymize import default_hierarchies_path
from kogadx.privacy.canaries import canary_residents
from kogadx.privacy.keys import KeyMaterial
from kogadx.privacy.params import AnonymizeParams, PseudonymizeParams
from kogadx.privacy.policy import default_policy_path
from kogadx.privacy.stage import (
    AnonymizeInputs,
    PrivacyCheckError,
    PseudonymizeInputs,
    run_anonymize,
    run_pseudonymize,
)
from kogadx.stage import ExcelCsvFile, JsonFile, TextFile
from tests.helpers import TEST_KEY_HEX

KEY = KeyMaterial(env=TEST_KEY_HEX)


def _policy(**towns_columns: dict) -> bytes:
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    data["tables"]["towns"]["columns"].update(towns_columns)
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8")


def _towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"town_code": ["40223001001", "40223002001"], "town_name": ["花鶴丘一丁目", "日吉一丁目"],
                             "population": [1200, 800], "households": [500, 300], "area_m2": [1.5e5, 2.5e5]},
                            geometry=[Point(130.47, 33.72), Point(130.48, 33.73)], crs="EPSG:6668")


def _inputs(policy: bytes | None = None, **tables: pd.DataFrame) -> PseudonymizeInputs:
    residents, _ = canary_residents(n_people=11)
    frames = {"residents.parquet": residents, "towns.parquet": _towns(), **tables}
    return PseudonymizeInputs(tables=frames, policy=policy or default_policy_path().read_bytes(), key=KEY,
                              synthetic_demo=False)


def test_outputs_by_slot_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outputs = run_pseudonymize(_inputs(), PseudonymizeParams(reference_date="2024-02-29", chunk_rows=4))
    assert set(outputs.tables) == {"pseudonymized/residents.parquet", "pseudonymized/towns.parquet"}
    assert set(outputs.files) == {"audit/pseudonymize_audit.json", "audit/pseudonymize_audit.md",
                                  "secure/deletion_info.json"}
    assert isinstance(outputs.files["audit/pseudonymize_audit.json"], JsonFile)
    assert isinstance(outputs.files["audit/pseudonymize_audit.md"], TextFile)
    deletion = outputs.files["secure/deletion_info.json"].data
    assert deletion["key_source"] == "env" and deletion["key_fingerprint"] not in str(
        outputs.files["audit/pseudonymize_audit.json"].data)
    residents = outputs.tables["pseudonymized/residents.parquet"]
    assert "name" not in residents.columns and len(residents) == 11 and residents.index.equals(pd.RangeIndex(11))
    [run] = outputs.runs
    assert run.experiment == "privacy" and run.metrics["residents.rows"] == 11 and run.params["key_source"] == "env"
    assert list(tmp_path.iterdir()) == []  # the domain wrote nothing


def test_chunk_size_is_invisible():
    small = run_pseudonymize(_inputs(), PseudonymizeParams(reference_date="2024-02-29", chunk_rows=2))
    whole = run_pseudonymize(_inputs(), PseudonymizeParams(reference_date="2024-02-29"))
    for key, frame in whole.tables.items():
        pd.testing.assert_frame_equal(small.tables[key], frame)
    assert small.files["audit/pseudonymize_audit.json"] == whole.files["audit/pseudonymize_audit.json"]


def test_kept_geoparquet_passes_through_and_a_transformed_one_stays_geo():
    towns = _towns()
    inputs = _inputs()
    kept = run_pseudonymize(inputs, PseudonymizeParams(reference_date="2024-02-29"))
    assert kept.tables["pseudonymized/towns.parquet"] is inputs.tables["towns.parquet"]
    policy = _policy(population={"action": "delete", "appi": "not_personal"})
    changed = run_pseudonymize(_inputs(policy), PseudonymizeParams(reference_date="2024-02-29"))
    out = changed.tables["pseudonymized/towns.parquet"]
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == towns.crs and "population" not in out.columns
    assert out.geometry.equals(towns.geometry)


def test_csv_table_is_written_back_as_csv():
    residents, _ = canary_residents(n_people=5)
    text = residents.astype(str)
    inputs = _inputs()
    tables = {"residents.csv": text, "towns.parquet": inputs.tables["towns.parquet"]}
    outputs = run_pseudonymize(PseudonymizeInputs(tables=tables, policy=inputs.policy, key=KEY, synthetic_demo=False),
                               PseudonymizeParams(reference_date="2024-02-29"))
    assert isinstance(outputs.files["pseudonymized/residents.csv"], ExcelCsvFile)
    assert "pseudonymized/residents.csv" not in outputs.tables


def test_one_table_in_two_formats_stops():
    residents, _ = canary_residents(n_people=3)
    with pytest.raises(ValueError, match="複数の形式"):
        run_pseudonymize(_inputs(**{"residents.csv": residents.astype(str)}), PseudonymizeParams())


def test_surviving_raw_value_raises_before_any_output():
    inputs = _inputs()
    residents = inputs.tables["residents.parquet"]
    data = yaml.safe_load(inputs.policy)
    data["tables"]["residents"]["columns"]["memo"] = {"action": "keep", "appi": "not_personal"}
    tables = {**inputs.tables, "residents.parquet": residents.assign(memo=residents["phone"])}
    weak = PseudonymizeInputs(tables=tables, policy=yaml.safe_dump(data, allow_unicode=True), key=KEY,
                              synthetic_demo=False)
    with pytest.raises(PrivacyCheckError, match="memo"):
        run_pseudonymize(weak, PseudonymizeParams(reference_date="2024-02-29"))


def test_run_anonymize_outputs():
    frame = pd.DataFrame({"person_id": [f"{i:016x}" for i in range(40)], "age": [30 + i % 3 for i in range(40)],
                          "sex": ["男", "女"] * 20, "town_code": ["40223001001"] * 40,
                          "relationship": ["世帯主", "妻", "子", "孫"] * 10})
    params = AnonymizeParams(quasi_identifiers=["age", "sex", "town_code"], sensitive="relationship", k=5, l=2,
                             keep_columns=["age", "sex", "town_code", "relationship"])
    outputs = run_anonymize(AnonymizeInputs(frame, default_hierarchies_path().read_text(encoding="utf-8")), params)
    assert list(outputs.tables["anonymized"].columns) == ["age", "sex", "town_code", "relationship"]
    assert outputs.metrics is not None and outputs.metrics["k"] >= 5 and outputs.metrics["l"] >= 2
    [run] = outputs.runs
    assert run.params["k"] == 5 and run.params["quasi_identifiers"] == ["age", "sex", "town_code"]
    assert "levels" not in run.metrics and set(run.metrics["level"]) == {"age", "sex", "town_code"}
