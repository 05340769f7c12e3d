"""The demo key end to end (finding 2): the synthetic raw folder qualifies after synthesize, a copy
of it with other data does not, whatever marker it carries; the substring leak check raises no
false alarm on the normal synthetic output (finding 1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kogadx.io import read_folder_bytes, read_if_present, read_table_files
from kogadx.privacy.keys import DEMO_MARKER, ENV_VAR, KeyMaterial, KeyRefusedError, check_synthetic_demo
from kogadx.privacy.params import PseudonymizeParams
from kogadx.privacy.policy import default_policy_path
from kogadx.privacy.stage import PseudonymizeInputs, run_pseudonymize
from tests.helpers import TEST_KEY_HEX, load_stage_script, synthesize_and_ingest

SCALE = 0.005


_stage = load_stage_script


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """synthesize + ingest at a tiny scale; returns (root, params path)."""
    root = tmp_path_factory.mktemp("demo")
    return root, synthesize_and_ingest(root, SCALE)


def _pseudonymize(root, raw, key=None):
    """What pipelines/pseudonymize.py reads, then the stage function (no MLflow run: faster)."""
    marker = read_if_present(root / "validated" / DEMO_MARKER, Path.read_bytes)
    inputs = PseudonymizeInputs(
        tables=read_table_files(root / "validated"), policy=default_policy_path().read_bytes(),
        key=KeyMaterial(env=key),
        synthetic_demo=check_synthetic_demo(marker, read_folder_bytes(raw) if marker is not None else None, str(raw)),
        source=str(root / "validated"))
    outputs = run_pseudonymize(inputs, PseudonymizeParams(reference_date="2024-02-29"))
    return outputs.files["audit/pseudonymize_audit.json"].data


def test_marker_records_every_raw_file(synthetic):
    root, _ = synthetic
    marker = json.loads((root / "raw" / "SYNTHETIC_DEMO.json").read_text(encoding="utf-8"))
    files = {p.relative_to(root / "raw").as_posix() for p in (root / "raw").rglob("*") if p.is_file()}
    shapefile_parts = {f for f in files if f.startswith(tuple(marker["public_shapefiles"]))}
    assert set(marker["files_sha256"]) == files - shapefile_parts - {"SYNTHETIC_DEMO.json"}
    assert "residents.csv" in marker["files_sha256"] and len(shapefile_parts) >= 3


def test_synthetic_raw_folder_gets_the_demo_key_and_passes_the_audit(synthetic):
    root, _ = synthetic
    audit = _pseudonymize(root, root / "raw")
    assert audit["key"]["demo_key"] is True and audit["synthetic_demo"] is True
    assert audit["passed"] is True  # no false alarm from the substring check on normal output
    assert all(t["raw_value_inside_text"] == {} for t in audit["tables"].values())


def test_copied_raw_folder_with_other_data_is_refused(synthetic, tmp_path):
    """Finding 2: data/raw copied as a template, a file replaced — the marker travels along."""
    root, _ = synthetic
    copy = tmp_path / "real_2024"
    shutil.copytree(root / "raw", copy)
    residents = copy / "residents.csv"
    residents.write_bytes(residents.read_bytes() + b"\r\n")
    with pytest.raises(KeyRefusedError, match="residents.csv") as refused:
        _pseudonymize(root, copy)
    assert "README" in str(refused.value) and ENV_VAR in str(refused.value)
    audit = _pseudonymize(root, copy, key=TEST_KEY_HEX)  # a real key: the copy is processed as real data
    assert audit["key"]["demo_key"] is False and audit["synthetic_demo"] is False
