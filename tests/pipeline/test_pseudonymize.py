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
from pipelines.pseudonymize import main

PARAMS = {"pseudonymize": {"reference_date": "2024-02-29", "chunk_rows": 5}}


@pytest.fixture()
def project(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS), encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    residents, _ = canary_residents(n_people=23)
    write_parquet(residents, tmp_path / "data/raw_validated/residents.parquet")
    (tmp_path / "data/raw_validated/SYNTHETIC_DEMO").write_text("synthesize\n", encoding="utf-8")
    return tmp_path


def _run(root, out="data/pseudonymized", audit="reports/privacy"):
    main([str(root / "data/raw_validated"), str(root / out), str(root / "data/secure"),
          str(root / audit), str(default_policy_path())])


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
    (project / "data/raw_validated/SYNTHETIC_DEMO").unlink()
    with pytest.raises(KeyRefusedError, match="実データ"):
        _run(project)
    assert not (project / "data/pseudonymized/residents.parquet").exists()


def test_real_key_changes_every_pseudonym(project, monkeypatch):
    _run(project, out="demo")
    monkeypatch.setenv(ENV_VAR, "5a" * 32)
    _run(project, out="k1")
    _run(project, out="k1b")
    monkeypatch.setenv(ENV_VAR, "a5" * 32)
    _run(project, out="k2")
    ids = {name: pd.read_parquet(project / name / "residents.parquet")["person_id"] for name in ("demo", "k1", "k1b", "k2")}
    assert ids["k1"].equals(ids["k1b"])
    assert not (ids["k1"] == ids["k2"]).any() and not (ids["k1"] == ids["demo"]).any()


def test_new_column_stops_the_stage(project):
    frame = pd.read_parquet(project / "data/raw_validated/residents.parquet").assign(email="a@b.jp")
    write_parquet(frame, project / "data/raw_validated/residents.parquet")
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
    (in_dir / "SYNTHETIC_DEMO").write_text("x", encoding="utf-8")
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
    _run(project)
    assert (project / "data/pseudonymized/towns.parquet").read_bytes() == (
        project / "data/raw_validated/towns.parquet").read_bytes()
