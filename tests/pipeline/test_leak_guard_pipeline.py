"""The worst bug this project can have is a leak: canaries planted in the raw exports of every
personal-data kind must not appear in any file of the shareable zone after `dvc repro`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from tests.helpers import TEST_KEY_HEX
from tests.leak_guard import find_leaks_in
from tests.tiny_project import SHAREABLE


@pytest.fixture(scope="module")
def built(tiny_project):
    project, canaries = tiny_project
    return project, canaries


def test_enough_canaries_of_every_kind(built):
    _, canaries = built
    kinds = Counter(c.kind for c in canaries)
    assert len(canaries) >= 50
    for kind in ("name", "kana", "phone", "my_number", "resident_code", "address", "card_number", "email",
                 "phone_in_comment"):
        assert kinds[kind] >= 1, f"no canary of kind {kind}"


def test_canaries_reached_the_secure_zone(built):
    """The guard looks in the right places: the planted values are really in the validated data."""
    project, canaries = built
    hits = find_leaks_in([project / "data" / "raw_validated"], canaries)
    found_kinds = {h.kind for h in hits}
    assert {"name", "phone", "my_number", "card_number", "email", "address"} <= found_kinds


def test_no_canary_in_the_shareable_zone(built):
    project, canaries = built
    shareable = [project / rel for rel in SHAREABLE if (project / rel).exists()]
    assert any(p.name == "mlflow.db" for p in shareable), "the MLflow store must be searched"
    assert any(p.name == "logs" for p in shareable), "the run logs must be searched"
    assert any(p.name == "student" for p in shareable), "the students' tier must be searched (#19)"
    assert any(p.name == "student_bundle" for p in shareable), "the student bundle must be searched (#24)"
    hits = find_leaks_in(shareable, canaries)
    assert hits == [], "\n".join(f"{h.kind} in {h.path} ({h.form})" for h in hits[:20])


def test_the_guard_fails_when_one_policy_line_keeps_phones(built, tmp_path):
    """Re-run the pseudonymize stage of the same project with one line weakened: hits appear."""
    project, canaries = built
    policy = project / "src" / "kogadx" / "privacy" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    old = "      phone:         {action: delete, appi: item1}"
    assert old in text
    weak = tmp_path / "policy_weak.yaml"
    weak.write_text(text.replace(old, "      phone:         {action: keep, appi: not_personal}", 1), encoding="utf-8")
    out = tmp_path / "pseudonymized"
    env_cmd = [sys.executable, str(project / "pipelines" / "pseudonymize.py"), str(project / "data" / "raw_validated"),
               str(weak), str(out), str(tmp_path / "secure"), str(tmp_path / "audit")]
    # The project's raw folder is a copy with canaries planted (not the demo): a real key, as the repro had.
    env = {**os.environ, "KOGADX_PSEUDONYM_KEY": TEST_KEY_HEX}
    result = subprocess.run(env_cmd, cwd=project, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    hits = find_leaks_in([out], canaries)
    assert any(h.kind == "phone" for h in hits)
