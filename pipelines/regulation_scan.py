"""DVC stage regulation_scan: grouped CV, fit, scan a corpus folder, write the review workbook.

Usage: python pipelines/regulation_scan.py CORPUS_DIR MODEL_DIR METRICS_JSON REVIEW_XLSX
"""

from __future__ import annotations

import sys
from pathlib import Path

from kogadx.io import get_stage_logger, write_json
from kogadx.params import load_params
from kogadx.regulation.model import save_model
from kogadx.regulation.review import write_review_workbook
from kogadx.regulation.scan import headline_metrics, run_regulation_scan
from kogadx.tracking import start_run


def main(argv: list[str] | None = None) -> None:
    corpus_dir, model_dir, metrics_path, review_path = (Path(a) for a in (argv or sys.argv[1:]))
    log = get_stage_logger("regulation_scan")
    params = load_params("regulation_scan")
    with start_run("regulation", stage="regulation_scan", params=params) as run:
        result = run_regulation_scan(corpus_dir, params)
        model_path = save_model(result.model, model_dir / "classifier.joblib")
        write_review_workbook(result.scan.review, result.scan.summary, review_path)
        write_json(result.metrics, metrics_path)
        run.log_metrics(headline_metrics(result.metrics))
        run.log_artifact(metrics_path)
        run.log_artifact(review_path)
        run.log_artifact(model_path, artifact_path="model")
    clause = result.cv["clause"]
    log.info(
        "条項CV macro F1: 分類器 %.3f / キーワード %.3f; 候補 %d 件 (%d 条項中) → %s",
        clause["classifier"]["macro_f1"], clause["keywords"]["macro_f1"],
        len(result.scan.review), len(result.scan.clauses), review_path,
    )


if __name__ == "__main__":
    main()
