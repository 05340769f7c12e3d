"""Set up JupyterLab for the PBL notebooks, the same way on a venv (``make lab``) and on
Windows / Anaconda (``python -m kogadx.pbl.lab``):

1. register this interpreter as the Jupyter kernel "Python (kogadx)" in the environment
   (``sys.prefix``, so no admin rights and nothing in the user's profile);
2. make "Jupytext Notebook" the default viewer of ``.py`` files, so the percent-format
   notebooks open as notebooks rather than as text (a JupyterLab ``overrides.json`` in
   ``<sys.prefix>/share/jupyter/lab/settings``, which JupyterLab reads on every platform).

``python -m kogadx.pbl.lab --start`` then opens JupyterLab on ``notebooks/pbl/`` only (the
students' folder; the instructor's solutions live in ``instructor/``, outside the root).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

KERNEL_NAME = "kogadx"
DEFAULT_VIEWERS = {"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}


def overrides_path(prefix: Path | None = None) -> Path:
    """Where JupyterLab reads the environment's settings overrides."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def write_default_viewer(prefix: Path | None = None) -> Path:
    """Merge the Jupytext default viewer into the environment's ``overrides.json`` (UTF-8)."""
    path = overrides_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for plugin, settings in DEFAULT_VIEWERS.items():
        merged = current.setdefault(plugin, {})
        merged.setdefault("defaultViewers", {}).update(settings["defaultViewers"])
    path.write_text(json.dumps(current, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def install_kernel() -> None:
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL_NAME,
                    "--display-name", "Python (kogadx)"], check=True, encoding="utf-8", errors="replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="PBL 用に JupyterLab を設定 (カーネル登録と .py ノートブックの既定の開き方)")
    parser.add_argument("--start", action="store_true", help="設定のあと notebooks/pbl/ を開いて JupyterLab を起動")
    args = parser.parse_args(argv)
    install_kernel()
    print(f"カーネル「Python (kogadx)」を登録しました。.py ノートブックの既定の開き方: {write_default_viewer()}")
    if args.start:
        from kogadx.paths import find_project_root

        root = find_project_root() / "notebooks" / "pbl"
        started = subprocess.run([sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={root}"], check=False)
        return started.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
