"""Small I/O helpers shared by the stages: encodings, deterministic writes, logging.

Functions here do I/O only when called; importing this module touches nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


class InputFileError(ValueError):
    """A raw input that cannot be read or lacks a required column; names the file."""


def get_stage_logger(stage: str) -> logging.Logger:
    """A logger that prints one line per step; configured by the caller, not at import."""
    logger = logging.getLogger(f"kogadx.{stage}")
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def detect_encoding(path: str | Path) -> str:
    """Return 'utf-8-sig', 'utf-8' or 'cp932' for a text export; raise if none decodes.

    Municipal core systems emit CP932 (Shift_JIS with Microsoft extensions); Excel
    writes UTF-8 with BOM; modern tools UTF-8. Strict decoding decides.
    """
    raw = Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp932"):
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        f"{path}: 文字コードを判定できません (UTF-8 / UTF-8 BOM / CP932 のいずれでもありません)"
    )


def read_text_table(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read a CSV export as all-string columns, keeping blanks as empty strings.

    Returns the frame and the detected encoding. Every value stays text so that the
    contract, not the CSV parser, decides what is valid.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: ファイルがありません")
    encoding = detect_encoding(path)
    try:
        frame = pd.read_csv(
            path, encoding=encoding, dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path}: CSV として読めません: {exc}") from exc
    return frame, encoding


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write Parquet deterministically (no index, fixed compression, fixed row groups)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)
    return path


def write_csv_for_excel(frame: pd.DataFrame, path: str | Path) -> Path:
    """CSV at the edges people open in Excel: UTF-8 with BOM, LF line ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON with sorted keys and Japanese kept readable (ensure_ascii=False)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default)
        + "\n",
        encoding="utf-8",
    )
    return path


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
