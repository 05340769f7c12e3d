"""MLflow helper: one context manager for every model run.

The tracking URI comes from ``MLFLOW_TRACKING_URI``; by default a SQLite file
``mlflow.db`` in the project root (git-ignored) with artifacts in ``mlartifacts/``.
Nothing is configured at import time: the URI is set when a run starts.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from kogadx.paths import find_project_root, git_commit


def tracking_uri(root: Path | None = None) -> str:
    """The URI runs are logged to: ``MLFLOW_TRACKING_URI`` or ``sqlite:///<root>/mlflow.db``."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    root = root or find_project_root()
    return f"sqlite:///{(root / 'mlflow.db').as_posix()}"


def stage_dep_hashes(stage: str, lock_path: Path | None = None) -> dict[str, str]:
    """Hashes of a stage's deps as recorded in ``dvc.lock`` (empty if not locked yet).

    During ``dvc repro`` the lock is written after the stage, so these are the hashes of
    the previous successful run of the stage's inputs; the git commit tag pins the code.
    """
    lock_path = lock_path or find_project_root() / "dvc.lock"
    if not lock_path.is_file():
        return {}
    stat = lock_path.stat()
    lock = _read_lock(str(lock_path.resolve()), stat.st_mtime_ns, stat.st_size)
    entry = (lock.get("stages") or {}).get(stage) or {}
    hashes = {}
    for dep in entry.get("deps", []):
        value = dep.get("md5") or dep.get("hash") or dep.get("etag") or ""
        hashes[dep["path"]] = str(value)
    return hashes


@functools.lru_cache(maxsize=4)
def _read_lock(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """dvc.lock parsed once per version (a stage logs several runs; the lock has ~2,500
    lines): libyaml's C loader when PyYAML has it. mtime and size are the cache key."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader) or {}  # noqa: S506 - a safe loader


class RunLogger:
    """Thin wrapper over the active MLflow run, so stages never import mlflow directly."""

    def __init__(self, mlflow_module: Any, run: Any) -> None:
        self._mlflow = mlflow_module
        self.run = run
        self.run_id = run.info.run_id

    def log_params(self, params: Mapping[str, Any], prefix: str = "") -> None:
        flat = _flatten(params, prefix)
        # MLflow caps param values at 6000 characters; params here are short.
        self._mlflow.log_params({k: str(v)[:6000] for k, v in flat.items()})

    def log_metrics(self, metrics: Mapping[str, Any], prefix: str = "", step: int | None = None) -> None:
        flat = _flatten(metrics, prefix)
        numeric = {k: float(v) for k, v in flat.items() if _is_number(v)}
        self._mlflow.log_metrics(numeric, step=step)

    def log_figure(self, figure: Any, artifact_file: str) -> None:
        self._mlflow.log_figure(figure, artifact_file)

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> None:
        self._mlflow.log_artifact(str(path), artifact_path=artifact_path)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self._mlflow.set_tags({k: str(v) for k, v in tags.items()})

    @property
    def mlflow(self) -> Any:
        """The mlflow module, for model flavours (``mlflow.lightgbm.log_model`` …)."""
        return self._mlflow


@contextlib.contextmanager
def start_run(
    experiment: str,
    stage: str,
    run_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> Iterator[RunLogger]:
    """Start an MLflow run in ``experiment``, tagged with git commit, DVC stage and dep hashes.

    >>> with start_run("demand", stage="forecast", run_name="lightgbm") as run:  # doctest: +SKIP
    ...     run.log_metrics({"wape": 0.21})
    """
    import mlflow  # imported here: importing kogadx must not pay for or configure MLflow

    root = root or find_project_root()
    mlflow.set_tracking_uri(tracking_uri(root))
    existing = mlflow.get_experiment_by_name(experiment)
    if existing is None:
        mlflow.create_experiment(experiment, artifact_location=_artifact_location(root, experiment))
    mlflow.set_experiment(experiment)
    all_tags = {
        "git_commit": git_commit(root),
        "dvc_stage": stage,
        **{f"dvc_dep:{path}": digest for path, digest in stage_dep_hashes(stage, root / "dvc.lock").items()},
        **(tags or {}),
    }
    with mlflow.start_run(run_name=run_name, tags={k: str(v) for k, v in all_tags.items()}) as run:
        logger = RunLogger(mlflow, run)
        if params:
            logger.log_params(params)
        yield logger


def _artifact_location(root: Path, experiment: str) -> str:
    """Artifacts beside the SQLite store (``mlartifacts/<experiment>``) unless overridden."""
    base = os.environ.get("KOGADX_MLFLOW_ARTIFACTS")
    if base and "://" in base:
        return f"{base.rstrip('/')}/{experiment}"
    return Path(base or root / "mlartifacts", experiment).resolve().as_uri()


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat


def _is_number(value: Any) -> bool:
    """A finite number (NaN / inf are left out of MLflow, as None is)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool | str) and math.isfinite(number)
