"""Fixtures for executing the PBL notebooks: the tiny project and a kernel of this interpreter."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pbl_project(tiny_project) -> Path:
    """Root of the lead's tiny project (tests/conftest.py: `dvc repro` at a tiny scale)."""
    project = tiny_project[0] if isinstance(tiny_project, tuple) else tiny_project  # (project, canaries)
    return Path(project)


@pytest.fixture(scope="session")
def pbl_canaries(tiny_project) -> list:
    """Personal values planted in the tiny project's raw exports (must never show up)."""
    return list(tiny_project[1]) if isinstance(tiny_project, tuple) else []


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A kernelspec that runs *this* interpreter, so a fresh venv needs no `ipykernel install`.

    Written to a temporary Jupyter data dir put first on ``JUPYTER_PATH`` (restored after).
    """
    data_dir = tmp_path_factory.mktemp("jupyter")
    name = "kogadx-pbl-test"
    spec_dir = data_dir / "kernels" / name
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python (kogadx, tests)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", os.pathsep.join(p for p in (str(data_dir), os.environ.get("JUPYTER_PATH", "")) if p))
    yield name
    mp.undo()
