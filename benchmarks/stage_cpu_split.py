"""CPU of one stage split into its main process and its worker processes (#25).

On a shared machine wall time says little; CPU seconds do. For a stage that hands work to
``kogadx.parallel`` workers, the total CPU alone hides what the workers buy: this runs the
stage's command (as locked in ``dvc.lock``) in this process and prints the CPU seconds of the
main process and of the worker processes. On an otherwise idle machine with W cores the stage
takes about ``main + workers / W`` seconds of wall time (the main process waits while the
workers run), against ``main`` alone with ``KOGADX_WORKERS=1``.

Usage: KOGADX_WORKERS=2 python benchmarks/stage_cpu_split.py co2
       KOGADX_WORKERS=1 python benchmarks/stage_cpu_split.py co2
(The stage writes its outputs where dvc.lock says, as `dvc repro -s -f co2` would.)
"""

from __future__ import annotations

import atexit
import os
import resource
import runpy
import shlex
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _report(stage: str, started: float) -> None:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_cpu = own.ru_utime + own.ru_stime
    worker_cpu = workers.ru_utime + workers.ru_stime
    n = os.environ.get("KOGADX_WORKERS", "default")
    cores = os.cpu_count() or 1
    print(f"{stage}: KOGADX_WORKERS={n} main {main_cpu:.2f} s CPU, workers {worker_cpu:.2f} s CPU, "
          f"wall {time.perf_counter() - started:.1f} s (load {os.getloadavg()[0]:.1f}); "
          f"idle-machine estimate {main_cpu + worker_cpu / cores:.1f} s wall on {cores} cores", file=sys.stderr)


def main(stage: str) -> None:
    started = time.perf_counter()
    # Registered before the stage runs, so it runs after loky's own exit handlers have
    # waited for the worker processes (their CPU is counted only once they are reaped).
    atexit.register(_report, stage, started)
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text(encoding="utf-8"))
    argv = shlex.split(lock["stages"][stage]["cmd"])[1:]
    os.chdir(ROOT)
    sys.argv = argv
    sys.path.insert(0, str(ROOT / Path(argv[0]).parent))
    try:
        runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise


if __name__ == "__main__":
    main(sys.argv[1])
