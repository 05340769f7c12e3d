"""Quality and speed of the analog-regulation classifier (grouped CV across laws).

Run: .venv/bin/python benchmarks/regulation_eval.py  → benchmarks/results/regulation_eval.json
Reports per-category precision / recall / F1 of the classifier and of keyword matching alone,
on clause rows (15 e-Gov files) and on 工程表 summaries, plus wall time per step.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from kogadx.io import read_folder_bytes, write_json
from kogadx.params import as_dict
from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.evaluate import comparison_table, grouped_cross_validation
from kogadx.regulation.loaders import CORPUS_SUFFIXES
from kogadx.regulation.model import fit_classifier
from kogadx.regulation.params import RegulationScanParams
from kogadx.regulation.stage import scan_corpus

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "regulation_eval.json"
SAMPLE_CORPUS = ROOT / "src" / "kogadx" / "regulation" / "data" / "sample_corpus"


def main() -> None:
    params = RegulationScanParams()  # the defaults, as in params.yaml
    timings = {}
    start = time.perf_counter()
    training = load_training_data()
    timings["load_s"] = time.perf_counter() - start
    start = time.perf_counter()
    cv = grouped_cross_validation(training, params)
    timings["grouped_cv_s"] = time.perf_counter() - start
    start = time.perf_counter()
    model = fit_classifier(training, params)
    timings["final_fit_s"] = time.perf_counter() - start
    start = time.perf_counter()
    scan = scan_corpus(read_folder_bytes(SAMPLE_CORPUS, CORPUS_SUFFIXES), model, params, str(SAMPLE_CORPUS))
    timings["scan_sample_corpus_s"] = time.perf_counter() - start
    table = comparison_table(cv)
    print(table.to_string(index=False))
    for population in ("clause", "summary"):
        print(population, "macro F1: classifier", cv[population]["classifier"]["macro_f1"],
              "keywords", cv[population]["keywords"]["macro_f1"])
    write_json(
        {
            "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                        "python": platform.python_version()},
            "params": as_dict(params),
            "timings": {k: round(v, 2) for k, v in timings.items()},
            "cv": cv,
            "scan": {"clauses": len(scan.clauses), "candidate_rows": len(scan.review)},
        },
        RESULTS,
    )
    print(f"→ {RESULTS}  timings {timings}")


if __name__ == "__main__":
    main()
