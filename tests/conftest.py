"""Shared fixtures: ../shared location, MLflow isolation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# pytest-xdist already keeps every core busy: stages run their folds and reports in-process
# (tests that check the parallel path set KOGADX_WORKERS themselves).
os.environ.setdefault("KOGADX_WORKERS", "1")


def _shared_dir() -> Path | None:
    env = os.environ.get("KOGADX_SHARED_DIR")
    candidate = Path(env) if env else PROJECT_ROOT.parent / "shared"
    return candidate if (candidate / "benchmarks").is_dir() else None


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ``../shared`` folder with real reference data; skip when absent."""
    found = _shared_dir()
    if found is None:
        pytest.skip("../shared (real benchmark data) is not present in this clone")
    return found


@pytest.fixture(scope="session", autouse=True)
def _isolated_mlflow(tmp_path_factory: pytest.TempPathFactory):
    """Tests never write into the project's own mlflow.db (one store for the session)."""
    store = tmp_path_factory.mktemp("mlflow")
    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "KOGADX_MLFLOW_ARTIFACTS")}
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{(store / 'mlflow.db').as_posix()}"
    os.environ["KOGADX_MLFLOW_ARTIFACTS"] = (store / "artifacts").as_posix()
    yield store
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory: pytest.TempPathFactory):
    """A copy of the project where `dvc repro` ran at a tiny scale with canaries planted.

    Returns (project_path, canaries). Built once per run (about 1.5 min on 2 cores): under
    pytest-xdist the first worker builds it behind a file lock and the others reuse it, because
    building it per worker would cost more than the parallel run saves.
    """
    from tests.tiny_project import build_tiny_project, load_tiny_project, save_tiny_project

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return build_tiny_project(tmp_path_factory.mktemp("tiny"))
    from filelock import FileLock

    shared_root = tmp_path_factory.getbasetemp().parent  # common to all workers of this run
    target = shared_root / "tiny_shared"
    with FileLock(str(shared_root / "tiny_shared.lock")):
        if (target / "canaries.json").is_file():
            return load_tiny_project(target)
        result = build_tiny_project(target)
        save_tiny_project(target, result[1])
        return result
