"""Stage ``student_bundle``: the per-theme student bundle (kogadx.pbl.bundle) as StageOutputs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from kogadx.pbl.bundle import MARKER, THEMES, build_theme, marker, readme, shares, summary_metrics
from kogadx.pbl.params import StudentBundleParams
from kogadx.stage import Artifact, BytesFile, StageOutputs, TextFile


@dataclass(frozen=True)
class StudentBundleInputs:
    """Every file the themes read, as bytes keyed by project-relative POSIX path."""

    files: Mapping[str, bytes]


def run_student_bundle(inputs: StudentBundleInputs, params: StudentBundleParams) -> StageOutputs:
    built = [build_theme(theme, inputs.files, params) for theme in THEMES]
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, Artifact] = {}
    for b in built:
        base = f"bundle/{b.theme.name}"
        tables.update({f"{base}/{path}": table for path, table in b.tables.items()})
        files.update({f"{base}/{path}": BytesFile(data) for path, data in b.files.items()})
        files[f"{base}/README.md"] = TextFile(readme(b))
        files[f"{base}/{MARKER}"] = TextFile(json.dumps(marker(b), ensure_ascii=False, indent=1) + "\n")
    values = shares(built)
    worst = f"{values.max() * 100:.1f} %" if len(values) else "—"
    return StageOutputs(tables=tables, files=files, metrics=summary_metrics(built),
                        summary=f"student_bundle: {len(built)} テーマ、個票の表 {len(values)} 個 "
                                f"(一意な記録の割合 最大 {worst})")

