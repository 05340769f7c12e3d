"""Progress for long steps: a tqdm bar on a terminal, one log line per step otherwise.

Stages run for minutes under `dvc repro`; a user must see that they move. On a terminal the
bar redraws in place; in CI or a redirected log one line per step (with the count and the
elapsed time) is easier to read than a bar's carriage returns. Messages go to stderr, so
they never enter an output file, and they carry counts only, never a value from the data.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

# KOGADX_PROGRESS=bar|lines|off forces a mode (tests use "lines"; "off" silences it).
_ENV = "KOGADX_PROGRESS"


def _mode() -> str:
    forced = os.environ.get(_ENV, "").strip().lower()
    if forced in {"bar", "lines", "off"}:
        return forced
    return "bar" if sys.stderr.isatty() else "lines"


def steps(iterable: Iterable[T], *, desc: str, total: int | None = None, unit: str = "件",
          min_interval: float = 0.0) -> Iterator[T]:
    """Yield from `iterable`, showing progress as `desc` (Japanese, read by the user).

    ``min_interval`` (seconds): in line mode, a line only when that long has passed since the
    last one (and always for the last step), for loops of thousands of quick steps."""
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    mode = _mode()
    if mode == "off":
        yield from iterable
        return
    if mode == "bar":
        yield from tqdm(iterable, desc=desc, total=total, unit=unit, mininterval=1.0, file=sys.stderr)
        return
    start = last = time.monotonic()
    of = f"/{total}" if total is not None else ""
    for done, item in enumerate(iterable, start=1):
        yield item
        now = time.monotonic()
        if min_interval and now - last < min_interval and done != total:
            continue
        last = now
        print(f"[{desc}] {done}{of} {unit} 完了 (経過 {now - start:.0f} 秒)", file=sys.stderr, flush=True)


def note(desc: str, message: str) -> None:
    """One line for a single long step that has no loop to count (e.g. one solver call)."""
    if _mode() != "off":
        print(f"[{desc}] {message}", file=sys.stderr, flush=True)
