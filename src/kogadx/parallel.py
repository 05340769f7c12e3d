"""Independent pieces of work in parallel processes, results in submission order.

Used where a stage repeats the same deterministic computation many times (backtest folds).
Each task is computed exactly as it would be in the main process (same code, same inputs,
single-threaded models), and results come back in submission order, so the outputs do not
depend on the number of workers. ``KOGADX_WORKERS`` sets the number of processes
(default: the CPU count, at most 4; 1 = everything in the main process, as in the tests).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

R = TypeVar("R")

_ENV = "KOGADX_WORKERS"


def worker_count() -> int:
    """Processes to use: ``KOGADX_WORKERS`` if set (≥ 1), else the CPU count capped at 4."""
    forced = os.environ.get(_ENV, "").strip()
    if forced:
        try:
            return max(1, int(forced))
        except ValueError as exc:
            raise ValueError(f"環境変数 {_ENV} は 1 以上の整数で指定してください (指定値: {forced!r})") from exc
    return max(1, min(4, os.cpu_count() or 1))


def chunks(n: int, workers: int, per_worker: int = 6) -> list[range]:
    """Split ``range(n)`` into contiguous pieces: about ``per_worker`` per worker, so that a
    slow piece does not leave the other workers idle and progress moves in small steps."""
    if n <= 0:
        return []
    pieces = min(n, max(1, workers * per_worker if workers > 1 else 1))
    bounds = [round(i * n / pieces) for i in range(pieces + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(pieces) if bounds[i + 1] > bounds[i]]


def ordered_map(fn: Callable[..., R], tasks: Sequence[tuple[Any, ...]], workers: int) -> Iterator[R]:
    """``fn(*task)`` for each task, yielded in task order as they finish.

    ``workers <= 1`` or a single task: in this process. Otherwise joblib's loky processes
    (spawned, so safe with OpenMP/numba state in the parent, and reused between calls).
    """
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield fn(*task)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=min(workers, len(tasks)), return_as="generator")
    yield from parallel(delayed(fn)(*task) for task in tasks)
