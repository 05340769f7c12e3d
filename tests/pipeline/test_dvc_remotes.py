"""Two DVC remotes: secure-zone outputs can only ever go to the secure remote."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kogadx.paths import SECURE_DIRS
from tests.helpers import PROJECT_ROOT

CANARY = "KOGA-CANARY-個人番号-123456789018"


def _outs(dvc_yaml: dict) -> list[tuple[str, str, dict]]:
    found = []
    for stage_name, stage in dvc_yaml["stages"].items():
        for out in stage.get("outs", []):
            path, spec = (out, {}) if isinstance(out, str) else next(iter(out.items()))
            found.append((stage_name, path, spec or {}))
    return found


def _is_secure(path: str) -> bool:
    return any(path == d or path.startswith(d + "/") for d in SECURE_DIRS)


def test_every_output_names_the_remote_of_its_zone():
    dvc_yaml = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    outs = _outs(dvc_yaml)
    assert outs
    for stage, path, spec in outs:
        if spec.get("cache") is False:
            continue  # kept in git (small metrics), never pushed to any remote
        expected = "secure" if _is_secure(path) else "shareable"
        assert spec.get("remote") == expected, f"{stage}: {path} must declare remote: {expected}"
    config = (PROJECT_ROOT / ".dvc" / "config").read_text(encoding="utf-8")
    assert "['remote \"secure\"']" in config and "['remote \"shareable\"']" in config


def _dvc(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("dvc")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, check=True)


def test_raw_outputs_never_reach_the_shareable_remote(tmp_path):
    """A miniature of the project's pipeline with the project's own remote declarations:
    even `dvc push -r shareable` sends raw data to nowhere but the secure remote."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    dvc_yaml = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    remote_of = {path: spec.get("remote") for _, path, spec in _outs(dvc_yaml)}
    repo, secure, shareable = tmp_path / "repo", tmp_path / "secure", tmp_path / "shareable"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    _dvc(["init", "-q"], repo)
    _dvc(["remote", "add", "secure", str(secure)], repo)
    _dvc(["remote", "add", "-d", "shareable", str(shareable)], repo)
    script = repo / "make.py"
    script.write_text(
        "import pathlib, sys\n"
        "out = pathlib.Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)\n"
        "src = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None\n"
        f"text = {CANARY!r} if src is None else 'pseudonym-' + str(len((src / 'x.txt').read_text(encoding='utf-8')))\n"
        "(out / 'x.txt').write_text(text, encoding='utf-8')\n",
        encoding="utf-8",
    )
    mini = {
        "stages": {
            "raw": {"cmd": f"{sys.executable} make.py data/raw", "deps": ["make.py"],
                    "outs": [{"data/raw": {"remote": remote_of["data/raw"]}}]},
            "validated": {"cmd": f"{sys.executable} make.py data/raw_validated data/raw",
                          "deps": ["make.py", "data/raw"],
                          "outs": [{"data/raw_validated": {"remote": remote_of["data/raw_validated"]}}]},
            "shared": {"cmd": f"{sys.executable} make.py data/pseudonymized data/raw_validated",
                       "deps": ["make.py", "data/raw_validated"],
                       "outs": [{"data/pseudonymized": {"remote": remote_of.get("data/pseudonymized", "shareable")}}]},
        }
    }
    (repo / "dvc.yaml").write_text(yaml.safe_dump(mini), encoding="utf-8")
    _dvc(["repro", "-q"], repo)
    _dvc(["push", "-r", "shareable"], repo)  # an attempt to push everything to the shareable remote
    _dvc(["push"], repo)

    def contents(folder: Path) -> list[bytes]:
        return [p.read_bytes() for p in folder.rglob("*") if p.is_file()] if folder.exists() else []

    assert any(CANARY.encode() in blob for blob in contents(secure)), "raw data should be in the secure remote"
    assert not any(CANARY.encode() in blob for blob in contents(shareable)), "raw data leaked to the shareable remote"
    assert any(b"pseudonym-" in blob for blob in contents(shareable))
