"""Run a command-line tool (``dvc``, ``git``) from a notebook, the same way on every OS.

On Windows with a Japanese locale the console codec is CP932, so ``text=True`` would decode
``dvc``'s UTF-8 output (Japanese stage names, params) wrongly or fail. Here the child Python
is asked to write UTF-8 (``PYTHONUTF8=1``, ``PYTHONIOENCODING``) and the output is decoded
as UTF-8 with ``errors="replace"``: a stray byte becomes "�" instead of an exception.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

ENCODING = "utf-8"


def utf8_env() -> dict[str, str]:
    """This process's environment with UTF-8 I/O forced for Python children."""
    return {**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": ENCODING}


def run_command(args: Sequence[str], cwd: Path | str | None = None, capture: bool = True,
                check: bool = True) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` with UTF-8 decoding (``errors="replace"``) and the UTF-8 environment."""
    return subprocess.run(list(args), cwd=cwd, check=check, capture_output=capture, encoding=ENCODING,
                          errors="replace", env=utf8_env())
