"""Stage anonymize: a pseudonymized table → anonymized release (k-anonymity, l-diversity).

Usage (dvc.yaml): python pipelines/anonymize.py IN_TABLE HIERARCHIES OUT_TABLE METRICS_JSON
"""

from __future__ import annotations

import sys

from kogadx.io import get_stage_logger
from kogadx.params import load_params
from kogadx.privacy.anonymize import anonymize_file


def main(argv: list[str]) -> None:
    in_table, hierarchies, out_table, metrics_path = argv
    params = load_params("anonymize")
    logger = get_stage_logger("anonymize")
    report = anonymize_file(in_table, hierarchies, out_table, metrics_path, params)
    logger.info(
        "k=%d l=%s 削除 %d 行 (%.2f%%) → %s",
        report["k"], report["l"], report["records_suppressed"], 100 * report["suppression_rate"], out_table,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
