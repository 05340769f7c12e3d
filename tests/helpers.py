"""Test helpers shared across tiers (not fixtures: plain functions)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def load_stage_script(name: str) -> Any:
    """``pipelines/<name>.py`` as a module, so a test calls its ``main`` in process."""
    spec = importlib.util.spec_from_file_location(f"stage_{name}", PROJECT_ROOT / "pipelines" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


# OpenBLAS picks its kernels by CPU (OPENBLAS_CORETYPE forces one, as another machine would)
# and splits work by thread count; results differ from about the 11th digit on.
BLAS_VARIANTS = {
    "default": {},
    "other_cpu": {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
}


def outputs_under_blas_variants(script: Path, argv: Callable[[str], list[str]],
                                outputs: Callable[[str], list[Path]], env: dict[str, str] | None = None,
                                ) -> dict[str, dict[str, bytes]]:
    """Run a stage script once per BLAS variant; bytes of every output file by relative name.

    ``argv(tag)`` gives the script's arguments and ``outputs(tag)`` its output files and
    folders for a variant tag.
    """
    result: dict[str, dict[str, bytes]] = {}
    for tag, variant in BLAS_VARIANTS.items():
        subprocess.run([sys.executable, str(script), *argv(tag)], env={**os.environ, **(env or {}), **variant},
                       check=True, capture_output=True)
        files: dict[str, bytes] = {}
        for index, out in enumerate(outputs(tag)):
            found = [out] if out.is_file() else sorted(p for p in out.rglob("*") if p.is_file())
            files |= {f"{index}/{p.relative_to(out) if p != out else ''}": p.read_bytes() for p in found}
        result[tag] = files
    return result


def differing_outputs(by_variant: dict[str, dict[str, bytes]]) -> dict[str, list[str]]:
    """Variant → output files whose bytes differ from the default run's (empty when none)."""
    base = by_variant["default"]
    return {tag: [k for k in sorted(set(base) | set(files)) if base.get(k) != files.get(k)]
            for tag, files in by_variant.items() if tag != "default"}


# Two fixed test keys (32 random bytes each, hex): weak patterns such as "5a" * 32 are refused.
TEST_KEY_HEX = "88172e2bc5bd86b4d932f41bbdef7d4613331b72aeda059decb1604c5facff4a"
OTHER_TEST_KEY_HEX = "ad1b4c93c88e383791047a4b801f47fa825b1807efdffa2f7b08e9ae9bd631ff"


def write_demo_marker(folder: Path) -> Path:
    """A synthetic-demo marker over the files now in ``folder`` (as the synthesize stage writes
    it), so that the demo key is allowed for this folder and for nothing else."""
    import hashlib
    import json

    files = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "SYNTHETIC_DEMO.json"}
    marker = folder / "SYNTHETIC_DEMO.json"
    marker.write_text(json.dumps({"synthetic": True, "generator": "tests", "files_sha256": files,
                                  "public_shapefiles": []}, sort_keys=True), encoding="utf-8")
    return marker


def synthesize_and_ingest(root: Path, scale: float) -> Path:
    """Run the synthesize and ingest stages at ``scale`` into ``root`` (raw/, truth/, validated/,
    ingest.json) with params written there; returns the params file."""
    import pytest

    params_path = write_params(root, {"synthesize": {"scale": scale}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params_path))
        load_stage_script("synthesize").main([str(root / "raw"), str(root / "truth")])
        load_stage_script("ingest").main([str(root / "raw"), str(root / "validated"), str(root / "ingest.json")])
    return params_path
