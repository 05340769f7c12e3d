"""Stage pseudonymize on a tiny register: outputs, audit, secure zone, refusals, determinism, CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from kogadx.io import write_parquet
from kogadx.privacy.canaries import canary_residents
from kogadx.privacy.keys import ENV_VAR, KeyRefusedError
from kogadx.privacy.policy import PolicyError, default_policy_path, load_policy
from kogadx.privacy.stage import PrivacyCheckError
from pipelines.pseudonymize import main
from tests.helpers import OTHER_TEST_KEY_HEX, TEST_KEY_HEX, write_demo_marker

PARAMS = {"pseudonymize": {"reference_date": "2024-02-29", "chunk_rows": 5}}


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS), encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    residents, _ = canary_residents(n_people=23)
    write_parquet(residents, tmp_path / "data/raw_validated/residents.parquet")
    write_demo_marker(tmp_path / "data/raw_validated")
    return tmp_path


def _run(root, out="data/pseudonymized", audit="reports/privacy", policy=None, secure="data/secure"):
    main([str(root / "data/raw_validated"), str(policy or default_policy_path()), str(root / out), str(root / secure),
          str(root / audit)])


def test_stage_outputs_audit_and_deletion_info(project):
    _run(project)
    out = pd.read_parquet(project / "data/pseudonymized/residents.parquet")
    assert list(out.columns) == ["person_id", "age", "sex", "town_name", "town_code", "household_id", "relationship"]
    assert len(out) == 23 and out["person_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    audit = json.loads((project / "reports/privacy/pseudonymize_audit.json").read_text(encoding="utf-8"))
    table = audit["tables"]["residents"]
    assert audit["passed"] and table["deleted_columns_surviving"] == [] and table["rows"] == 23
    by_column = {c["column"]: c for c in table["columns"]}
    assert by_column["my_number"]["appi"] == "item2" and by_column["my_number"]["distinct_after"] == 0
    assert by_column["resident_code"]["distinct_before"] == by_column["resident_code"]["distinct_after"] == 23
    assert audit["key"]["demo_key"] is True
    md = (project / "reports/privacy/pseudonymize_audit.md").read_text(encoding="utf-8")
    assert "デモ用公開キー" in md and "施行規則第31条第2号" in md
    secure = json.loads((project / "data/secure/deletion_info.json").read_text(encoding="utf-8"))
    assert secure["key_fingerprint"] not in json.dumps(audit) + md
    assert not list((project / "data/pseudonymized").glob("deletion*"))
    import mlflow

    runs = mlflow.search_runs(experiment_names=["privacy"], filter_string="tags.dvc_stage = 'pseudonymize'")
    assert len(runs) >= 1 and (runs["metrics.residents.rows"] == 23).any()


def test_deterministic_and_chunk_independent(project):
    _run(project, out="a")
    _run(project, out="b")
    assert (project / "a/residents.parquet").read_bytes() == (project / "b/residents.parquet").read_bytes()
    (project / "params.yaml").write_text(
        yaml.safe_dump({"pseudonymize": {"reference_date": "2024-02-29", "chunk_rows": 1000}}), encoding="utf-8")
    _run(project, out="c")
    pd.testing.assert_frame_equal(pd.read_parquet(project / "a/residents.parquet"),
                                  pd.read_parquet(project / "c/residents.parquet"))


def test_real_data_refused_with_demo_key(project):
    (project / "data/raw_validated/SYNTHETIC_DEMO.json").unlink()
    with pytest.raises(KeyRefusedError, match="実データ"):
        _run(project)
    assert not (project / "data/pseudonymized/residents.parquet").exists()


def test_real_key_changes_every_pseudonym(project, monkeypatch):
    _run(project, out="demo")
    monkeypatch.setenv(ENV_VAR, TEST_KEY_HEX)
    _run(project, out="k1")
    _run(project, out="k1b")
    monkeypatch.setenv(ENV_VAR, OTHER_TEST_KEY_HEX)
    _run(project, out="k2")
    ids = {name: pd.read_parquet(project / name / "residents.parquet")["person_id"]
           for name in ("demo", "k1", "k1b", "k2")}
    assert ids["k1"].equals(ids["k1b"])
    assert not (ids["k1"] == ids["k2"]).any() and not (ids["k1"] == ids["demo"]).any()


def test_new_column_stops_the_stage(project):
    frame = pd.read_parquet(project / "data/raw_validated/residents.parquet").assign(email="a@b.jp")
    write_parquet(frame, project / "data/raw_validated/residents.parquet")
    write_demo_marker(project / "data/raw_validated")
    with pytest.raises(PolicyError, match="residents.*email"):
        _run(project)
    assert not (project / "data/pseudonymized").exists()


def test_cli_csv_in_csv_out(project, tmp_path):
    from kogadx.privacy.cli import app

    frame, _ = canary_residents(n_people=8)
    frame["birth_date"] = frame["birth_date"].dt.strftime("%Y-%m-%d")
    in_dir = tmp_path / "csv_in"
    in_dir.mkdir()
    frame.to_csv(in_dir / "residents.csv", index=False, encoding="cp932")
    write_demo_marker(in_dir)
    result = CliRunner().invoke(app, ["pseudonymize", "--in", str(in_dir), "--out", str(tmp_path / "csv_out"),
                                      "--secure", str(tmp_path / "sec"), "--reference-date", "2024-02-29"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "csv_out/residents.csv", dtype=str, encoding="utf-8-sig")
    assert "name" not in out.columns and len(out) == 8
    assert (tmp_path / "csv_out/pseudonymize_audit.json").is_file()
    assert (tmp_path / "sec/deletion_info.json").is_file()
    parquet_run = pd.read_parquet(project / "data/raw_validated/residents.parquet")  # sanity: inputs untouched
    assert "name" in parquet_run.columns


def test_public_table_copied_verbatim(project):
    columns = list(load_policy().table("towns").rules)
    towns = pd.DataFrame({"town_code": ["40223001001"], "town_name": ["花鶴丘一丁目"], "population": [1200],
                          "households": [500], "area_m2": [123456.0], "geometry": [b"\x01\x02"]})[columns]
    write_parquet(towns, project / "data/raw_validated/towns.parquet")
    write_demo_marker(project / "data/raw_validated")
    _run(project)
    assert (project / "data/pseudonymized/towns.parquet").read_bytes() == (
        project / "data/raw_validated/towns.parquet").read_bytes()


def test_public_geoparquet_passes_through_byte_for_byte(project):
    import geopandas as gpd
    from shapely.geometry import Point

    columns = list(load_policy().table("towns").rules)
    towns = gpd.GeoDataFrame({"town_code": ["40223001001", "40223001002"],
                              "town_name": ["花鶴丘一丁目", "花鶴丘二丁目"], "population": [1200, 800],
                              "households": [500, 300], "area_m2": [123456.0, 654321.5]},
                             geometry=[Point(130.47, 33.72), Point(130.48, 33.73)], crs="EPSG:6668")[columns]
    write_parquet(towns, project / "data/raw_validated/towns.parquet")
    write_demo_marker(project / "data/raw_validated")
    _run(project)
    out = project / "data/pseudonymized/towns.parquet"
    assert out.read_bytes() == (project / "data/raw_validated/towns.parquet").read_bytes()
    assert gpd.read_parquet(out).crs == towns.crs


def test_raw_value_surviving_stops_the_stage_before_writing(project, tmp_path):
    """A kept column holding the 住民票コード fails the post-run check: nothing is written anywhere."""
    frame = pd.read_parquet(project / "data/raw_validated/residents.parquet")
    write_parquet(frame.assign(memo=frame["resident_code"]), project / "data/raw_validated/residents.parquet")
    write_demo_marker(project / "data/raw_validated")
    policy = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    policy["tables"]["residents"]["columns"]["memo"] = {"action": "keep", "appi": "not_personal"}
    weak = tmp_path / "policy_memo.yaml"
    weak.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PrivacyCheckError, match="memo"):
        _run(project, policy=weak)
    for folder in ("data/pseudonymized", "reports/privacy", "data/secure"):
        assert not (project / folder).exists(), folder


def test_deletion_info_never_beside_the_output(project):
    with pytest.raises(ValueError, match="削除情報等の保管先"):
        _run(project, secure="data/pseudonymized/secure")
    with pytest.raises(ValueError, match="削除情報等の保管先"):
        _run(project, secure="reports/privacy")
    assert not (project / "data/pseudonymized").exists() and not (project / "reports/privacy").exists()
