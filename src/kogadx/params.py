"""One way to read params.yaml: ``load_params(section)``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from kogadx.paths import find_project_root


def load_params(section: str | None = None, path: str | Path | None = None) -> dict[str, Any]:
    """Return one section of ``params.yaml`` (or all of it when ``section`` is None).

    Read as UTF-8 explicitly: on a Japanese Windows laptop the default is CP932.
    """
    if path is None:
        # KOGADX_PARAMS lets tests and what-if runs point stages at another params file.
        path = os.environ.get("KOGADX_PARAMS") or find_project_root() / "params.yaml"
    params_path = Path(path)
    with params_path.open(encoding="utf-8") as fh:
        params = yaml.safe_load(fh) or {}
    if section is None:
        return params
    if section not in params:
        raise KeyError(f"params.yaml ({params_path}) に '{section}' セクションがありません")
    return params[section]
