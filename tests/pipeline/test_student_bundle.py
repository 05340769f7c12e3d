"""Stage student_bundle: main() on a tiny project writes one theme folder per notebook group,
nothing from the secure zone, the same bytes twice, and the measured uniqueness."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from kogadx.paths import SECURE_DIRS
from kogadx.pbl.bundle import THEMES
from tests.unit.test_pbl_bundle import _sources

STAGE_PARAMS = "student_bundle:\n  age_band_years: 5\n  top_age: 90\n  seed: 1\n"


def _project(root: Path) -> Path:
    for rel, data in _sources().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "params.yaml").write_text(STAGE_PARAMS, encoding="utf-8")
    (root / "data/raw").mkdir(parents=True)
    (root / "data/raw/residents.csv").write_text("氏名\n鬼塚権兵衛\n", encoding="utf-8")
    return root


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_student_bundle_stage(tmp_path, monkeypatch):
    from pipelines.student_bundle import main

    project = _project(tmp_path / "project")
    monkeypatch.setenv("KOGADX_PARAMS", str(project / "params.yaml"))
    out, metrics = tmp_path / "bundle", tmp_path / "student_bundle.json"
    main([str(project), str(out), str(metrics)])
    assert sorted(p.name for p in out.iterdir()) == sorted(t.name for t in THEMES)
    for theme in THEMES:
        folder = out / theme.name
        marker = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
        assert marker["notebooks"] == list(theme.notebooks)
        assert "一意な記録" in (folder / "README.md").read_text(encoding="utf-8")
        files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
        assert not [f for f in files if f.startswith(SECURE_DIRS)], theme.name
    assert "鬼塚" not in "".join(p.read_text(encoding="utf-8", errors="ignore") for p in out.rglob("*") if p.is_file())
    measured = json.loads(metrics.read_text(encoding="utf-8"))
    assert measured["privacy"]["tables"]["data/student/residents.parquet"]["rows"] == 40
    first = _digest(out)
    main([str(project), str(tmp_path / "again"), str(tmp_path / "again.json")])
    assert _digest(tmp_path / "again") == first  # byte-identical
