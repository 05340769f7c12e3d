"""The embedded, versioned training set (built by ``build_training_data`` from ../shared)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from kogadx.io import InputFileError

TRAINING_FILE = "labelled_clauses.csv.gz"
REQUIRED_COLUMNS = ("source", "group", "law_title", "clause_ref", "caption", "text", "labels")


def default_training_path() -> Path:
    """Path of ``src/kogadx/regulation/data/labelled_clauses.csv.gz`` inside the package."""
    return Path(str(resources.files("kogadx.regulation") / "data" / TRAINING_FILE))


def default_corpus_dir() -> Path:
    """The small sample corpus shipped with the package (Reiki-Base HTML; see its SOURCES.md)."""
    return Path(str(resources.files("kogadx.regulation") / "data" / "sample_corpus"))


def load_training_data(path: str | Path | None = None) -> pd.DataFrame:
    """Read the labelled clauses (all columns as strings, blanks kept as "")."""
    path = Path(path) if path is not None else default_training_path()
    if not path.is_file():
        raise InputFileError(f"{path}: 学習データがありません (build_training_data で再生成できます)")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{path}: 列がありません: {', '.join(missing)}")
    return frame
