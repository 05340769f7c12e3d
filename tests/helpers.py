"""Test helpers shared across tiers (not fixtures: plain functions)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def project_params() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))


def write_params(tmp_path: Path, overrides: dict[str, Any] | None = None) -> Path:
    """Copy params.yaml into tmp_path with nested overrides ({"synthesize": {"scale": 0.02}})."""
    params = project_params()
    for section, values in (overrides or {}).items():
        merge_params(params.setdefault(section, {}), values)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def merge_params(target: dict, values: dict) -> None:
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_params(target[key], value)
        else:
            target[key] = value


def tree_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, keyed by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
