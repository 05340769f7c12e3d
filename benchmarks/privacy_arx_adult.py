"""kogadx.privacy.lattice against ARX's own regression cases on Adult (optimal k-anonymity).

ARX's TestAnonymizationKAnonymity.java (github.com/arx-deidentifier/arx,
src/test/org/deidentifier/arx/test/TestAnonymizationKAnonymity.java) runs Flash on
data-junit/adult.csv with all nine attributes as quasi-identifiers and
``Metric.createEntropyMetric(true)`` (monotonic non-uniform entropy) and asserts the optimum
and its information loss. The same data and hierarchies are in
``../shared/benchmarks/adult_anonymization/arx/`` (read-only). Cases (k, suppression limit):
(5, 4 %), (100, 4 %), (5, 0 %), (100, 0 %). Also reported: the non-monotonic entropy and Loss
optima at (5, 4 %) (no ARX number to compare; shown for speed and to see the models differ).

Results: benchmarks/results/privacy_arx_adult.json.
Run: .venv/bin/python benchmarks/privacy_arx_adult.py
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

from kogadx.io import write_json
from kogadx.privacy.lattice import Hierarchy, hierarchy_from_table, optimal_generalisation

ROOT = Path(__file__).resolve().parents[1]
ARX = Path(os.environ.get("KOGADX_SHARED_DIR", ROOT.parent / "shared")) / "benchmarks" / "adult_anonymization" / "arx"
# source: TestAnonymizationKAnonymity.java (arx-deidentifier/arx), cases 0–3
CASES = [
    (5, 0.04, [1, 0, 1, 1, 3, 2, 2, 0, 1], 255559.85455731067),
    (100, 0.04, [1, 1, 1, 1, 3, 2, 2, 1, 1], 379417.3460570988),
    (5, 0.0, [1, 2, 1, 1, 3, 2, 2, 1, 1], 407289.5388925293),
    (100, 0.0, [0, 4, 1, 1, 3, 2, 2, 1, 1], 453196.8932458743),
]


def load_adult(folder: Path) -> tuple[pd.DataFrame, list[Hierarchy]]:
    """Adult (ARX's column order) and one hierarchy per column, from ARX's semicolon CSVs."""
    frame = pd.read_csv(folder / "adult.csv", sep=";", dtype=str)
    hierarchies = [
        hierarchy_from_table(c, frame[c], pd.read_csv(folder / f"adult_hierarchy_{c}.csv", sep=";", header=None,
                                                      dtype=str))
        for c in frame.columns
    ]
    return frame, hierarchies


def main() -> int:
    if not ARX.is_dir():
        print(f"{ARX} がありません (../shared が必要です)", file=sys.stderr)
        return 1
    frame, hierarchies = load_adult(ARX)
    n = len(frame)
    rows = []
    for k, limit, levels_ref, loss_ref in CASES:
        started = time.perf_counter()
        result = optimal_generalisation(hierarchies, k=k, max_suppressed=math.floor(limit * n),
                                        metric="entropy_monotonic")
        seconds = time.perf_counter() - started
        assert result is not None
        row = {
            "k": k, "suppression_limit": limit, "metric": "entropy_monotonic",
            "levels": list(result.levels), "levels_arx": levels_ref,
            "loss": round(result.loss, 6), "loss_arx": loss_ref,
            "relative_difference": abs(result.loss - loss_ref) / loss_ref,
            "same_transformation": list(result.levels) == levels_ref,
            "suppressed": result.suppressed, "n_classes": result.n_classes,
            "lattice_size": result.lattice_size, "nodes_checked": result.nodes_checked,
            "nodes_pruned": result.nodes_pruned, "seconds": round(seconds, 2),
        }
        rows.append(row)
        print(f"k={k} 削除上限 {limit:.0%}: {row['levels']} (ARX {levels_ref}) 損失 {result.loss:,.2f} "
              f"(ARX {loss_ref:,.2f}, 差 {row['relative_difference']:.2e}) 評価 {result.nodes_checked} ノード "
              f"{seconds:.1f} 秒")
    others = []
    for metric in ("entropy", "loss"):
        started = time.perf_counter()
        result = optimal_generalisation(hierarchies, k=5, max_suppressed=math.floor(0.04 * n), metric=metric)
        seconds = time.perf_counter() - started
        assert result is not None
        others.append({"k": 5, "suppression_limit": 0.04, "metric": metric, "levels": list(result.levels),
                       "loss": round(result.loss, 6), "suppressed": result.suppressed,
                       "nodes_checked": result.nodes_checked, "seconds": round(seconds, 2)})
        print(f"{metric}: {list(result.levels)} 損失 {result.loss:,.4f} 削除 {result.suppressed} 行 {seconds:.1f} 秒")
    ok = all(r["same_transformation"] and r["relative_difference"] < 1e-3 for r in rows)
    write_json({
        "benchmark": "privacy_arx_adult",
        "source": "arx-deidentifier/arx src/test/org/deidentifier/arx/test/TestAnonymizationKAnonymity.java",
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "rows": n, "quasi_identifiers": list(frame.columns),
        "all_equal": ok, "cases": rows, "other_metrics": others,
    }, ROOT / "benchmarks" / "results" / "privacy_arx_adult.json")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
