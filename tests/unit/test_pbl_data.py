"""kogadx.pbl.data: the notebook helpers read the shareable zone only."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from kogadx.io import write_parquet
from kogadx.paths import SECURE_DIRS
from kogadx.pbl import data


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A project root with one file in every secure folder and a few shareable files."""
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    for folder in SECURE_DIRS:
        write_parquet(pd.DataFrame({"name": ["山田 太郎"], "phone": ["090-0000-0000"]}),
                      tmp_path / folder / "residents.parquet")
    write_parquet(pd.DataFrame({"person_id": ["a1b2"], "age": [70]}), tmp_path / "data/pseudonymized/residents.parquet")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/demand.json").write_text('{"wape": 0.25}', encoding="utf-8")
    (tmp_path / "params.yaml").write_text("x: 1\n", encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    return tmp_path


def test_reads_the_shareable_zone_relative_to_kogadx_root(project, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))  # the notebook's cwd does not matter
    assert data.project_root() == project.resolve()
    assert data.load_residents()["person_id"].tolist() == ["a1b2"]
    assert data.load_metrics("demand") == {"wape": 0.25}
    listed = data.list_shareable_files()
    assert set(listed["path"]) == {"data/pseudonymized/residents.parquet", "metrics/demand.json"}


@pytest.mark.parametrize("folder", SECURE_DIRS)
def test_secure_zone_read_raises_with_the_reason(project, folder):
    for path in (f"{folder}/residents.parquet", project / folder / "residents.parquet", folder):
        with pytest.raises(data.SecureZoneError) as info:
            data.read_table(path)
        message = str(info.value)
        assert folder in message and "個人情報保護法" in message and "協定" in message


def test_dot_dot_into_the_secure_zone_raises(project):
    with pytest.raises(data.SecureZoneError):
        data.read_table("data/pseudonymized/../raw/residents.parquet")
    with pytest.raises(data.SecureZoneError):
        data.read_table("metrics/../data/raw_validated/residents.parquet")
    # ``..`` that stays in the shareable zone is fine
    assert len(data.read_table("data/anonymized/../pseudonymized/residents.parquet")) == 1


@pytest.mark.skipif(os.name == "nt", reason="symlinks need extra rights on Windows")
def test_symlink_from_shareable_into_secure_raises(project):
    link = project / "data/pseudonymized/looks_harmless.parquet"
    link.symlink_to(project / "data/raw_validated/residents.parquet")
    folder_link = project / "data/features/secure_copy"
    folder_link.parent.mkdir(parents=True, exist_ok=True)
    folder_link.symlink_to(project / "data/secure", target_is_directory=True)
    with pytest.raises(data.SecureZoneError):
        data.read_table("data/pseudonymized/looks_harmless.parquet")
    with pytest.raises(data.SecureZoneError):
        data.read_table("data/features/secure_copy/residents.parquet")
    # the listing leaves them out as well
    assert not data.list_shareable_files()["path"].str.contains("looks_harmless|secure_copy").any()


@pytest.mark.skipif(os.name == "nt", reason="symlinks need extra rights on Windows")
def test_a_secure_folder_that_is_itself_a_link_is_still_secure(tmp_path, monkeypatch):
    elsewhere = tmp_path / "vault"
    write_parquet(pd.DataFrame({"name": ["山田 太郎"]}), elsewhere / "residents.parquet")
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (root / "data/raw").symlink_to(elsewhere, target_is_directory=True)
    (root / "data/pseudonymized").mkdir()
    (root / "data/pseudonymized/alias.parquet").symlink_to(elsewhere / "residents.parquet")
    monkeypatch.setenv("KOGADX_ROOT", str(root))
    with pytest.raises(data.SecureZoneError):
        data.read_table("data/pseudonymized/alias.parquet")


def test_outside_both_zones_raises(project):
    with pytest.raises(data.OutsideShareableZoneError) as info:
        data.read_table("params.yaml")
    assert "共有ゾーン" in str(info.value)
    with pytest.raises(data.OutsideShareableZoneError):
        data.read_table(project.parent / "somewhere_else.parquet")


def test_missing_shareable_file_says_how_to_get_it(project):
    with pytest.raises(FileNotFoundError, match="dvc repro"):
        data.load_ride_requests()


def test_input_fingerprint_is_the_files_md5_and_the_locks(project):
    """The MLflow tags of notebook 03: the file's MD5 and what dvc.lock recorded for it."""
    import hashlib

    import yaml

    path = "data/pseudonymized/residents.parquet"
    digest = hashlib.md5((project / path).read_bytes(), usedforsecurity=False).hexdigest()
    assert data.input_fingerprint(path) == {f"input_md5:{path}": digest, f"dvc_lock_md5:{path}": "記録なし"}
    lock = {"stages": {"pseudonymize": {"outs": [{"path": path, "md5": digest}]}}}
    (project / "dvc.lock").write_text(yaml.safe_dump(lock), encoding="utf-8")
    tags = data.input_fingerprint(path)
    assert tags[f"input_md5:{path}"] == tags[f"dvc_lock_md5:{path}"] == digest
    write_parquet(pd.DataFrame({"person_id": ["zz"], "age": [1]}), project / path)  # the data changed
    tags = data.input_fingerprint(path)
    assert tags[f"input_md5:{path}"] != tags[f"dvc_lock_md5:{path}"]
    with pytest.raises(data.SecureZoneError):
        data.input_fingerprint("data/raw/residents.parquet")
