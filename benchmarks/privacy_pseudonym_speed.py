"""Pseudonymising a ride-log-shaped table: vectorised keyed HMAC vs a per-row hmac.new apply.

Table: N rows (default 10,000,000) of member_id (~1,500 distinct), origin/destination stop ids
(~120 distinct), requested_at (second resolution). The vectorised path is
kogadx.privacy.transform.pseudonymize_frame applied chunk by chunk (1,000,000 rows): member_id →
keyed pseudonym, requested_at → minute, stops kept. The baseline is
``series.map(lambda v: hmac.new(key, domain + sep + v, sha256).hexdigest()[:16])`` on the same
member_id column, also chunk by chunk (so both hold one chunk of results at a time); the outputs
are checked equal. A third figure runs the whole stage (kogadx.privacy.stage.run_pseudonymize, then
kogadx.stage.write_outputs) on the table written as Parquet: read whole, transformed chunk by chunk.
Peak memory: resource.getrusage ru_maxrss (whole process, includes the 10M-row input table
and its Parquet write), the stage's own peak RSS (run in a fresh interpreter; the stage holds the
input and output tables in memory), and a tracemalloc peak for one chunk of the vectorised transform.
Results: benchmarks/results/privacy_pseudonym_speed.json.
Run: .venv/bin/python benchmarks/privacy_pseudonym_speed.py [--rows N] [--baseline-rows N]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kogadx.io import read_table_files, write_json, write_parquet
from kogadx.privacy.keys import KeyMaterial
from kogadx.privacy.params import PseudonymizeParams
from kogadx.privacy.policy import TablePolicy, default_policy_path, parse_policy
from kogadx.privacy.stage import PseudonymizeInputs, run_pseudonymize
from kogadx.privacy.transform import TransformContext, pseudonymize_frame
from kogadx.rng import stream_rng
from kogadx.stage import StageArgs, write_outputs

ROOT = Path(__file__).resolve().parents[1]
KEY = bytes.fromhex("3c" * 32)  # benchmark-only key
CHUNK = 1_000_000
RIDE_TABLE = {
    "person_key": None,
    "columns": {
        "member_id": {"action": "pseudonym", "domain": "ride_member", "output": "member_pid", "appi": "item1"},
        "origin_stop_id": {"action": "keep", "appi": "not_personal"},
        "destination_stop_id": {"action": "keep", "appi": "not_personal"},
        "requested_at": {"action": "generalise", "method": "floor_minute", "appi": "not_personal"},
    },
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def make_ride_log(rows: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic ride-log-shaped table (not real data)."""
    rng = stream_rng(seed, "privacy_benchmark")
    members = np.array([f"M{i:06d}" for i in range(1500)], dtype=object)
    stops = np.array([f"S{i:03d}" for i in range(120)], dtype=object)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    return pd.DataFrame({
        "member_id": pd.array(members[rng.integers(0, 1500, rows)], dtype="str"),
        "origin_stop_id": pd.array(stops[rng.integers(0, 120, rows)], dtype="str"),
        "destination_stop_id": pd.array(stops[rng.integers(0, 120, rows)], dtype="str"),
        "requested_at": start + rng.integers(0, 366 * 86400, rows).astype("timedelta64[s]"),
    })


def per_row(values: pd.Series) -> pd.Series:
    prefix = b"ride_member\x1f"
    return values.map(lambda v: hmac.new(KEY, prefix + v.encode("utf-8"), hashlib.sha256).hexdigest()[:16])


def vectorised_pseudonyms(
    table: pd.DataFrame, policy: TablePolicy, context: TransformContext
) -> tuple[float, pd.Series]:
    """Seconds for the vectorised transform, chunk by chunk, and the member pseudonyms it gave."""
    started = time.perf_counter()
    pseudonyms = []
    for begin in range(0, len(table), CHUNK):
        out = pseudonymize_frame(table.iloc[begin:begin + CHUNK], policy, context)
        pseudonyms.append(out["member_pid"])
    return time.perf_counter() - started, pd.concat(pseudonyms)


def per_row_equal(table: pd.DataFrame, vectorised: pd.Series, baseline_rows: int) -> tuple[float, bool]:
    """Seconds for the per-row hmac.new apply on the first rows, chunk by chunk, and whether it agrees."""
    started = time.perf_counter()
    equal = True
    for begin in range(0, baseline_rows, CHUNK):
        end = min(begin + CHUNK, baseline_rows)
        expected = per_row(table["member_id"].iloc[begin:end])
        equal &= bool((expected.to_numpy(dtype=object) == vectorised.iloc[begin:end].to_numpy(dtype=object)).all())
    return time.perf_counter() - started, equal


def run_stage(tmp: str, policy_path: str) -> None:
    """The stage alone (called in a fresh interpreter by main)."""
    tmp_path = Path(tmp)
    inputs = PseudonymizeInputs(tables=read_table_files(tmp_path / "in"), policy=Path(policy_path).read_bytes(),
                                key=KeyMaterial(file=KEY), synthetic_demo=True)
    outputs = run_pseudonymize(inputs, PseudonymizeParams(chunk_rows=CHUNK))
    outputs.runs.clear()  # no MLflow in a benchmark
    slots = ("pseudonymized", "secure", "audit")
    write_outputs(outputs, StageArgs("pseudonymize", {slot: tmp_path / slot for slot in slots}))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--stage-only":
        run_stage(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-rows", type=int, default=None, help="per-row baseline on the first N rows")
    args = parser.parse_args()
    rows = args.rows
    baseline_rows = min(args.baseline_rows or rows, rows)

    started = time.perf_counter()
    table = make_ride_log(rows)
    generate_s = time.perf_counter() - started
    rss_after_generate = _peak_rss_mb()

    policy_data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    policy_data["tables"] = {"ride_log": RIDE_TABLE}
    policy = parse_policy(policy_data)
    ride_policy = policy.table("ride_log")
    context = TransformContext(key=KEY, hex_length=16, collect_stats=False)

    vectorised_s, vectorised = vectorised_pseudonyms(table, ride_policy, context)

    tracemalloc.start()
    pseudonymize_frame(table.iloc[:CHUNK], ride_policy, context)
    _, chunk_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    per_row_s, equal = per_row_equal(table, vectorised, baseline_rows)
    per_row_full_s = per_row_s * rows / baseline_rows
    vectorised_member_only_s = vectorised_s  # includes the minute generalisation of requested_at

    # Whole stage: Parquet in, chunk by chunk, Parquet out, audit with distinct counts.
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        write_parquet(table, tmp_path / "in" / "ride_log.parquet")
        del table
        (tmp_path / "in" / "SYNTHETIC_DEMO").write_text("benchmark\n", encoding="utf-8")
        policy_path = tmp_path / "policy.yaml"
        policy_path.write_text(yaml.safe_dump(policy_data, allow_unicode=True), encoding="utf-8")
        # Fresh interpreter, so its peak RSS is the stage's own footprint.
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--stage-only", str(tmp_path), str(policy_path)], check=True)
        stage_s = time.perf_counter() - started
        stage_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        audit = json.loads((tmp_path / "audit" / "pseudonymize_audit.json").read_text(encoding="utf-8"))
        stage_distinct = audit["tables"]["ride_log"]["columns"][0]["distinct_after"]
        input_mb = (tmp_path / "in" / "ride_log.parquet").stat().st_size / 2**20

    speedup = per_row_full_s / vectorised_member_only_s
    results = {
        "benchmark": "privacy_pseudonym_speed",
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "rows": rows,
        "distinct_members": 1500,
        "chunk_rows": CHUNK,
        "generate_seconds": round(generate_s, 2),
        "vectorised_seconds": round(vectorised_s, 3),
        "vectorised_rows_per_second": round(rows / vectorised_s),
        "per_row_hmac_rows_timed": baseline_rows,
        "per_row_hmac_seconds": round(per_row_s, 3),
        "per_row_hmac_seconds_for_all_rows": round(per_row_full_s, 3),
        "per_row_extrapolated": baseline_rows < rows,
        "speedup": round(speedup, 1),
        "target_speedup": 10,
        "meets_target": speedup >= 10,
        "outputs_equal": equal,
        "stage_parquet_seconds": round(stage_s, 3),
        "stage_distinct_pseudonyms": stage_distinct,
        "stage_peak_rss_mb_subprocess": round(stage_rss_mb, 1),
        "stage_input_parquet_mb": round(input_mb, 1),
        "peak_rss_mb_after_generate": round(rss_after_generate, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "tracemalloc_peak_mb_one_chunk": round(chunk_peak / 2**20, 1),
        "notes": ("vectorised_seconds covers the whole chunk transform (member_id pseudonym and "
                  "requested_at → minute); the per-row baseline hashes member_id only, "
                  "so the speed-up is conservative."),
    }
    write_json(results, ROOT / "benchmarks" / "results" / "privacy_pseudonym_speed.json")
    for key, value in results.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
