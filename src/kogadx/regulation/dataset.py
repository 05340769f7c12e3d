"""The embedded, versioned training set (package data, rebuilt from ../shared with
``kogadx regulation build-training-data``; see :mod:`kogadx.regulation.build_training_data`)."""

from __future__ import annotations

import io

import pandas as pd

from kogadx.io import InputFileError, read_package_file

TRAINING_FILE = "data/labelled_clauses.csv.gz"
REQUIRED_COLUMNS = ("source", "group", "law_title", "clause_ref", "caption", "text", "labels")


def training_data_bytes() -> bytes:
    """The gzip CSV ``src/kogadx/regulation/data/labelled_clauses.csv.gz`` as shipped in the package."""
    return read_package_file("kogadx.regulation", TRAINING_FILE)


def load_training_data(data: bytes | None = None, source: str = TRAINING_FILE) -> pd.DataFrame:
    """Parse the labelled clauses (gzip CSV; all columns as strings, blanks kept as "").

    ``data`` defaults to the embedded set (:func:`training_data_bytes`); ``source`` names it
    in messages.
    """
    raw = training_data_bytes() if data is None else data
    frame = pd.read_csv(io.BytesIO(raw), compression="gzip", dtype=str, keep_default_na=False, na_filter=False,
                        encoding="utf-8")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{source}: 列がありません: {', '.join(missing)}")
    return frame
