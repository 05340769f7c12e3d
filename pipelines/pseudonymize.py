"""Stage pseudonymize: data/raw_validated → data/pseudonymized (+ audit, 削除情報等 in data/secure).

Usage (dvc.yaml): python pipelines/pseudonymize.py IN_DIR OUT_DIR SECURE_DIR AUDIT_DIR POLICY
"""

from __future__ import annotations

import sys

from kogadx.io import get_stage_logger
from kogadx.params import load_params
from kogadx.privacy.stage import pseudonymize_dir


def main(argv: list[str]) -> None:
    in_dir, out_dir, secure_dir, audit_dir, policy = argv
    params = load_params("pseudonymize")
    logger = get_stage_logger("pseudonymize")
    result = pseudonymize_dir(in_dir, out_dir, secure_dir, audit_dir, policy, params, logger=logger)
    logger.info("監査記録 %s (判定: %s)", result.audit_json, "合格" if result.audit["passed"] else "不合格")


if __name__ == "__main__":
    main(sys.argv[1:])
