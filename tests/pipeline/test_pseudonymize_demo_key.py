"""The demo key end to end (finding 2): the synthetic raw folder qualifies after synthesize, a copy
of it with other data does not, whatever marker it carries; the substring leak check raises no
false alarm on the normal synthetic output (finding 1)."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from kogadx.privacy.keys import ENV_VAR, KeyRefusedError
from kogadx.privacy.policy import default_policy_path
from tests.helpers import PROJECT_ROOT, TEST_KEY_HEX, write_params

SCALE = 0.01


def _stage(name):
    spec = importlib.util.spec_from_file_location(f"stage_{name}", PROJECT_ROOT / "pipelines" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """synthesize + ingest at a tiny scale; returns (root, params path)."""
    root = tmp_path_factory.mktemp("demo")
    params_path = write_params(root, {"synthesize": {"scale": SCALE}})
    mp = pytest.MonkeyPatch()
    mp.setenv("KOGADX_PARAMS", str(params_path))
    try:
        _stage("synthesize").main([str(root / "raw"), str(root / "truth")])
        _stage("ingest").main([str(root / "raw"), str(root / "validated"), str(root / "ingest.json")])
    finally:
        mp.undo()
    return root, params_path


def _pseudonymize(root, params_path, raw, out, monkeypatch):
    monkeypatch.setenv("KOGADX_PARAMS", str(params_path))
    _stage("pseudonymize").main([str(root / "validated"), str(default_policy_path()), str(root / out / "p"),
                                 str(root / out / "secure"), str(root / out / "audit"), str(raw)])
    return json.loads((root / out / "audit" / "pseudonymize_audit.json").read_text(encoding="utf-8"))


def test_marker_records_every_raw_file(synthetic):
    root, _ = synthetic
    marker = json.loads((root / "raw" / "SYNTHETIC_DEMO.json").read_text(encoding="utf-8"))
    files = {p.relative_to(root / "raw").as_posix() for p in (root / "raw").rglob("*") if p.is_file()}
    shapefile_parts = {f for f in files if f.startswith(tuple(marker["public_shapefiles"]))}
    assert set(marker["files_sha256"]) == files - shapefile_parts - {"SYNTHETIC_DEMO.json"}
    assert "residents.csv" in marker["files_sha256"] and len(shapefile_parts) >= 3


def test_synthetic_raw_folder_gets_the_demo_key_and_passes_the_audit(synthetic, monkeypatch):
    root, params_path = synthetic
    monkeypatch.delenv(ENV_VAR, raising=False)
    audit = _pseudonymize(root, params_path, root / "raw", "demo", monkeypatch)
    assert audit["key"]["demo_key"] is True and audit["synthetic_demo"] is True
    assert audit["passed"] is True  # no false alarm from the substring check on normal output
    assert all(t["raw_value_inside_text"] == {} for t in audit["tables"].values())


def test_copied_raw_folder_with_other_data_is_refused(synthetic, tmp_path, monkeypatch):
    """Finding 2: data/raw copied as a template, a file replaced — the marker travels along."""
    root, params_path = synthetic
    copy = tmp_path / "real_2024"
    shutil.copytree(root / "raw", copy)
    residents = copy / "residents.csv"
    residents.write_bytes(residents.read_bytes().replace(b"\r\n", b"\r\n", 1) + b"\r\n")
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(KeyRefusedError, match="residents.csv") as refused:
        _pseudonymize(root, params_path, copy, "copied", monkeypatch)
    assert "README" in str(refused.value) and ENV_VAR in str(refused.value)
    monkeypatch.setenv(ENV_VAR, TEST_KEY_HEX)  # a real key: the copy is processed as real data
    audit = _pseudonymize(root, params_path, copy, "copied", monkeypatch)
    assert audit["key"]["demo_key"] is False and audit["synthetic_demo"] is False
