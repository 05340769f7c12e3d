"""`make bench`: run every benchmark in turn; results are written to benchmarks/results/.

Benchmarks that need the real reference data in ../shared (Cordeau DARP, Bike Sharing, CTA,
pycanon Adult, the analog-regulation labels) are skipped with a message when it is absent.
Usage: python benchmarks/run_all.py [--only NAME ...] [--quick]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "benchmarks"

# (name, script, arguments, needs ../shared, quick arguments)
BENCHMARKS = [
    ("synth_rides", "synth_rides.py", [], False, []),
    ("privacy_pseudonym_speed", "privacy_pseudonym_speed.py", [], False,
     ["--rows", "1000000", "--baseline-rows", "1000000"]),
    ("privacy_pycanon", "privacy_pycanon.py", [], True, []),
    ("privacy_arx_adult", "privacy_arx_adult.py", [], True, []),
    ("forecast_speed", "forecast_speed.py", [], False, ["--zones", "6", "--days", "180"]),
    ("bike_sharing", "bike_sharing.py", [], True, []),
    ("cta_daily", "cta_daily.py", [], True, []),
    ("forecast_koga", "forecast_koga.py", [], False, []),
    # the forecast stage's cheaper settings (STL jumps, weekly LightGBM refit) vs the exact ones (issue #25)
    ("forecast_settings", "forecast_settings.py", [], False, []),
    ("darp_cordeau", "darp_cordeau.py", ["--time-limit", "25"], True,
     ["--time-limit", "5", "--instances", "a2-16", "a2-20"]),
    ("dispatch_insertion", "dispatch_insertion.py", [], False, []),
    ("dispatch_information", "dispatch_information.py", ["--reps", "30"], False, ["--reps", "3"]),
    # peak memory of the ingest stage on a 1.5 M-row register (needs data/raw from `dvc repro synthesize`)
    ("ingest_memory", "ingest_memory.py", [], False, ["--rows", "300000"]),
    # needs the pipeline's dispatch inputs (dvc repro forecast); budget 90 s on 2 cores
    ("dispatch_stage", "dispatch_stage.py", [], False, ["--no-parts"]),
    ("co2_caltrack", "co2_caltrack.py", ["--seeds", "3"], False, ["--seeds", "1"]),
    ("wellbeing_coverage", "wellbeing_coverage.py", [], False, ["--seeds", "2"]),
    ("wellbeing_sae", "wellbeing_sae.py", [], False, ["--seeds", "2", "--replicates", "20", "--driver-seeds", "1"]),
    ("regulation_eval", "regulation_eval.py", [], True, []),
    # simpy counter queue vs Erlang C within 5 % (issue #22)
    ("counter_erlang", "counter_erlang.py", [], False, ["--seeds", "1", "--visitors", "100000"]),
    # a full pipeline run as another CPU would run it; compares every output hash with dvc.lock
    ("machine_independence", "machine_independence.py", [], False, []),
    # cost growth ×1 → ×10 (→ ×100: add --factors 100) per stage, pandas vs Dask hashes (issue #25; needs data/raw)
    ("scale", "scale.py", ["--x1-from", "data/raw", "--factors", "1", "10"], False,
     ["--x1-from", "data/raw", "--factors", "1", "--name", "scale_quick"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="benchmark names to run")
    parser.add_argument("--quick", action="store_true", help="small settings (smoke run)")
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"machine: {platform.platform()} / {cpu} / cpus={__import__('os').cpu_count()}")
    failed = []
    for name, script, arguments, needs_shared, quick in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        if needs_shared and not SHARED.is_dir():
            print(f"[skip] {name}: ../shared/benchmarks がありません (実データのベンチマーク)")
            continue
        cmd = [sys.executable, str(HERE / script), *(quick if args.quick else arguments)]
        print(f"[run ] {name}: {' '.join(cmd[1:])}", flush=True)
        started = time.perf_counter()
        result = subprocess.run(cmd, cwd=HERE.parent)
        status = "ok" if result.returncode == 0 else f"FAILED ({result.returncode})"
        print(f"[{status}] {name} {time.perf_counter() - started:.1f} s", flush=True)
        if result.returncode:
            failed.append(name)
    print(f"results: {HERE / 'results'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
