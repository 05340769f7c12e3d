"""k-anonymity / distinct l-diversity of kogadx.privacy.anonymity vs pyCANON on the Adult files.

Reads ../shared/benchmarks/adult_anonymization (read-only), compares our k, l and number of
equivalence classes with pyCANON's functions and with REFERENCE_VALUES.md, and writes
benchmarks/results/privacy_pycanon.json. Run: .venv/bin/python benchmarks/privacy_pycanon.py
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd
from pycanon import anonymity as pycanon

from kogadx.io import write_json
from kogadx.privacy.anonymity import measure

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KOGADX_SHARED_DIR", ROOT.parent / "shared")) / "benchmarks" / "adult_anonymization"
PYCANON_QI = ["age", "education", "occupation", "relationship", "sex", "native-country"]
ANJANA_QI = ["age", "education", "marital-status", "occupation", "sex", "native-country"]
# (rows, classes, k, l) from REFERENCE_VALUES.md
REFERENCE = {
    "pycanon/raw_adult.csv": (32_561, None, 1, 1),
    "pycanon/adult_anonymized_3.csv": (18_203, 2_837, 3, 1),
    "pycanon/adult_anonymized_10.csv": (7_303, 462, 10, 1),
    "pycanon/adult_anonymized_20.csv": (2_428, 89, 20, 1),
    "pycanon/adult_k3_anonymized_l2.csv": (9_800, 1_299, 3, 2),
    "pycanon/adult_k10_anonymized_l2.csv": (4_975, 313, 10, 2),
    "pycanon/adult_k20_anonymized_l2.csv": (1_627, 59, 20, 2),
    "anjana/adult_k10.csv": (18_327, 644, 10, 1),
}


def _read(relative: str) -> pd.DataFrame:
    frame = pd.read_csv(SHARED / relative, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda s: s.str.strip() if s.dtype == object or pd.api.types.is_string_dtype(s) else s)


def main() -> int:
    if not SHARED.is_dir():
        print(f"{SHARED} がありません (../shared が必要です)", file=sys.stderr)
        return 1
    rows = []
    for relative, (n_ref, classes_ref, k_ref, l_ref) in REFERENCE.items():
        frame = _read(relative)
        qi = ANJANA_QI if relative.startswith("anjana") else PYCANON_QI
        started = time.perf_counter()
        ours = measure(frame, qi, "salary-class")
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        k_py = int(pycanon.k_anonymity(frame, qi))
        l_py = int(pycanon.l_diversity(frame, qi, ["salary-class"]))
        pycanon_s = time.perf_counter() - started
        row = {
            "file": relative, "qi": qi, "sa": "salary-class",
            "rows": ours["n_rows"], "n_classes": ours["n_classes"],
            "k_ours": ours["k"], "k_pycanon": k_py, "l_ours": ours["l"], "l_pycanon": l_py,
            "reference": {"rows": n_ref, "n_classes": classes_ref, "k": k_ref, "l": l_ref},
            "equal_to_pycanon": ours["k"] == k_py and ours["l"] == l_py,
            "equal_to_reference": (ours["n_rows"], ours["k"], ours["l"]) == (n_ref, k_ref, l_ref)
            and (classes_ref is None or ours["n_classes"] == classes_ref),
            "seconds_ours": round(ours_s, 4), "seconds_pycanon": round(pycanon_s, 4),
        }
        rows.append(row)
        print(f"{relative}: k={ours['k']}/{k_py} l={ours['l']}/{l_py} classes={ours['n_classes']} "
              f"一致={row['equal_to_pycanon'] and row['equal_to_reference']} ({ours_s:.3f}s vs {pycanon_s:.3f}s)")
    result = {
        "benchmark": "privacy_pycanon",
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "all_equal": all(r["equal_to_pycanon"] and r["equal_to_reference"] for r in rows),
        "files": rows,
    }
    write_json(result, ROOT / "benchmarks" / "results" / "privacy_pycanon.json")
    return 0 if result["all_equal"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
