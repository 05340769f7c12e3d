"""DVC stage `report`: render the HTML reports for policy staff and check them in Chromium.

argv: TEMPLATES_DIR METRICS_DIR FIGURES_DIR FEATURES_DIR PSEUDONYMIZED_DIR PRIVACY_DIR OUT_DIR SCREENSHOTS_DIR
Writes OUT_DIR/{norute,co2,wellbeing,privacy,regulation}.html (regulation reads OUT_DIR/regulation/review.xlsx) and SCREENSHOTS_DIR/<report>.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kogadx.io import get_stage_logger
from kogadx.params import load_params
from kogadx.paths import find_project_root
from kogadx.reporting.stage import StagePaths, build_reports, check_and_screenshot


def main(argv: list[str]) -> None:
    paths = StagePaths(*(Path(a) for a in argv))
    log = get_stage_logger("report")
    params = load_params("report")
    reports = build_reports(paths, params, load_params(), find_project_root())
    check_and_screenshot(reports, paths.screenshots, params)
    log.info("レポート %d 件を書き出しました: %s", len(reports), paths.out)


if __name__ == "__main__":
    main(sys.argv[1:])
