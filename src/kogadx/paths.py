"""Project-root constants (cookiecutter-data-science style) and the checkout's git commit; no side effects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

BUNDLE_ENV = "KOGADX_BUNDLE"  # a PBL student bundle's theme folder (kogadx.pbl.bundle)
BUNDLE_MARKER = "bundle.json"  # marks a student bundle's theme folder


def find_project_root(start: Path | None = None) -> Path:
    """The root the project's files are read from: ``KOGADX_BUNDLE`` (a student bundle's theme
    folder) if set, else ``KOGADX_ROOT``, else the nearest folder upwards holding a bundle's
    ``bundle.json`` or ``dvc.yaml``."""
    for name in (BUNDLE_ENV, "KOGADX_ROOT"):
        env = os.environ.get(name)
        if env:
            return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / BUNDLE_MARKER).is_file() or (candidate / "dvc.yaml").is_file():
            return candidate
    # Installed in editable mode: src/kogadx/paths.py -> project root is two levels up.
    return Path(__file__).resolve().parents[2]


def git_commit(root: Path | None = None) -> str:
    """Current git commit (with ``-dirty`` when the tree has changes), or ``unknown``."""
    root = root or find_project_root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if status else commit


# Zones (ARCHITECTURE.md). Secure: personal data, never leaves the city.
SECURE_DIRS = ("data/raw", "data/truth", "data/raw_validated", "data/secure")
# Shareable with the university under the agreement.
SHAREABLE_DIRS = (
    "data/pseudonymized",
    "data/anonymized",
    "data/student",  # the students' tier (policy.yaml student_tiers, #19)
    "data/features",
    "models",
    "metrics",
    "reports",
)
