"""Project-root constants (cookiecutter-data-science style): paths only, no side effects."""

from __future__ import annotations

import os
from pathlib import Path


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder upwards that holds ``dvc.yaml`` (or ``KOGADX_ROOT`` if set)."""
    env = os.environ.get("KOGADX_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "dvc.yaml").is_file():
            return candidate
    # Installed in editable mode: src/kogadx/paths.py -> project root is two levels up.
    return Path(__file__).resolve().parents[2]


# Zones (ARCHITECTURE.md). Secure: personal data, never leaves the city.
SECURE_DIRS = ("data/raw", "data/truth", "data/raw_validated", "data/secure")
# Shareable with the university under the agreement.
SHAREABLE_DIRS = (
    "data/pseudonymized",
    "data/anonymized",
    "data/features",
    "models",
    "metrics",
    "reports",
)
