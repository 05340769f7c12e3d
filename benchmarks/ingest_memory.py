"""Peak memory of the ingest stage on a 1.5 M-row residents register (~200 MB, CP932).

The register is the synthetic one in data/raw/residents.csv (run `dvc repro synthesize` first)
replicated with fresh unique 個人番号 (valid check digits) and 住民票コード until it has
``--rows`` records; the other tables are left out (params ``ingest.tables`` = residents only),
the e-Stat towns file is the synthetic one. The generator's planted faults (exact copies, unknown
towns, impossible dates; 0.1 % each) are replicated with it. The stage runs as the pipeline runs it
(`python pipelines/ingest.py RAW OUT METRICS`) in a fresh interpreter; its peak RSS is
resource.getrusage(RUSAGE_CHILDREN).ru_maxrss. Target: ≤ 2 GB (issue #15; 8.1 GB before).
Results: benchmarks/results/ingest_memory.json (machine noted).
Run: .venv/bin/python benchmarks/ingest_memory.py [--rows 1500000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from kogadx.idcodes import my_number_check_digit
from kogadx.io import write_json

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 2048


def make_register(source: Path, target: Path, rows: int) -> int:
    """Replicate ``source`` (a residents export) to ``rows`` records with fresh unique ids;
    returns the file size in bytes."""
    base = pd.read_csv(source, encoding="cp932", dtype=str, keep_default_na=False)
    # The generator's planted exact copies stay exact copies (same fresh ids as their
    # original): ingest's duplicate-row path is part of what is measured.
    record = pd.factorize(pd.util.hash_pandas_object(base, index=False))[0]
    per_copy = int(record.max()) + 1
    written = 0
    with target.open("w", encoding="cp932", newline="") as fh:
        first = True
        while written < rows:
            n = min(len(base), rows - written)
            chunk = base.iloc[:n].copy()
            serial = record[:n] + (written // len(base)) * per_copy
            bodies = [f"{50_000_000_000 + int(i):011d}" for i in serial]
            chunk["個人番号"] = [b + str(my_number_check_digit(b)) for b in bodies]
            chunk["住民票コード"] = [f"{70_000_000_000 + int(i):011d}" for i in serial]
            chunk.to_csv(fh, index=False, header=first, lineterminator="\r\n")
            first = False
            written += n
    return target.stat().st_size


def run_stage(raw: Path, out: Path, params: Path) -> tuple[float, float, int]:
    """(peak RSS MB of the stage process, seconds, return code)."""
    env = {**os.environ, "KOGADX_PARAMS": str(params)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "pipelines" / "ingest.py"), str(raw), str(out),
                             str(out / "ingest.json")], env=env, cwd=ROOT)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        print("warning: an earlier child had a higher peak; the figure is a lower bound", file=sys.stderr)
    return peak / 1024.0, seconds, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the generated register in")
    args = parser.parse_args()
    source = ROOT / "data" / "raw" / "residents.csv"
    if not source.is_file():
        print("data/raw/residents.csv がありません: 先に `dvc repro synthesize` を実行してください", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="ingest_memory_"))
    raw = work / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "data" / "raw" / "towns", raw / "towns", dirs_exist_ok=True)
    started = time.perf_counter()
    size = make_register(source, raw / "residents.csv", args.rows)
    generate_seconds = time.perf_counter() - started
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["ingest"]["tables"] = {"residents": "residents.csv"}
    params_path = work / "params.yaml"
    params_path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    out = work / "out"
    peak_mb, seconds, code = run_stage(raw, out, params_path)
    summary = json.loads((out / "ingest.json").read_text(encoding="utf-8"))["residents"] if code == 0 else {}
    result = {
        "benchmark": "ingest_memory",
        "rows": args.rows,
        "register_mb": round(size / 2**20, 1),
        "generate_seconds": round(generate_seconds, 1),
        "stage_seconds": round(seconds, 1),
        "stage_exit_code": code,
        "peak_rss_mb": round(peak_mb, 1),
        "target_mb": TARGET_MB,
        "meets_target": bool(code == 0 and peak_mb <= TARGET_MB),
        "rows_in": summary.get("rows_in"),
        "rows_out": summary.get("rows_out"),
        "rows_quarantined": summary.get("rows_quarantined"),
        "reasons": summary.get("reasons"),
        "before_issue_15_peak_mb": 8100,  # as reported in issue #15 (main 3f63c5d)
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": os.cpu_count()},
        "command": "python pipelines/ingest.py RAW OUT METRICS (fresh interpreter, residents only)",
    }
    write_json(result, ROOT / "benchmarks" / "results" / "ingest_memory.json")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
