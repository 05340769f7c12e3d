"""Footer provenance: git commit and its date, params hash, hashes of the data a report read.

The date is the commit date (or ``SOURCE_DATE_EPOCH`` when set), never "now", so that the
same commit, params and data render byte-identical HTML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kogadx.io import sha256_file
from kogadx.paths import git_commit


@dataclass(frozen=True)
class Provenance:
    """What a report was made from: code, params and data."""

    commit: str
    date: str
    params_sections: tuple[str, ...]
    params_sha256: str
    data: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (relative path, sha256)
    # True when the inputs are the embedded synthetic Koga (decided by the pipeline: ingest's
    # ``synthetic_demo``, i.e. the raw files' hashes match SYNTHETIC_DEMO.json), never hand-set.
    synthetic: bool = False
    department: str = ""  # 担当課, from params (report.department)
    author: str = ""  # 作成者, from params (report.author)
    version: str = ""  # 版, from params (report.version)
    data_date: str = ""  # データの基準日 (ingest.reference_date)


def synthetic_input(metrics_dir: Path) -> bool:
    """Whether this run's raw input is the embedded synthetic Koga, as ingest recorded it.

    Read from ``metrics/ingest.json`` (``synthetic_demo``), which the ingest stage sets only when
    every raw file's SHA-256 matches the generator's SYNTHETIC_DEMO.json; a real export (or a
    missing metrics file) gives False, so a real report is never labelled synthetic by default.
    """
    path = Path(metrics_dir) / "ingest.json"
    if not path.is_file():
        return False
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("synthetic_demo", False))
    except (ValueError, OSError):
        return False


def commit_date(root: Path) -> str:
    """ISO date (YYYY-MM-DD) of HEAD's commit, or of ``SOURCE_DATE_EPOCH``; '未コミット' otherwise."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%cI"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "未コミット"
    return out[:10] if out else "未コミット"


def params_hash(all_params: Mapping[str, Any], sections: Iterable[str]) -> tuple[tuple[str, ...], str]:
    """SHA-256 of the canonical JSON of the named params sections (missing ones are skipped)."""
    present = tuple(s for s in sections if s in all_params)
    canonical = json.dumps({s: all_params[s] for s in present}, ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"), default=str)
    return present, hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def data_hashes(paths: Iterable[str | Path], root: Path) -> tuple[tuple[str, str], ...]:
    """SHA-256 of every file read: files as given, folders file by file (sorted); missing skipped."""
    rows: dict[str, str] = {}
    for item in paths:
        path = Path(item)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                rows[_relative(file, root)] = sha256_file(file)
    return tuple(sorted(rows.items()))


def collect_provenance(all_params: Mapping[str, Any], sections: Iterable[str],
                       inputs: Iterable[str | Path], root: Path, synthetic: bool = False) -> Provenance:
    """Provenance of one report: HEAD commit (``-dirty`` if modified), its date, hashes, and the
    document's owner fields from params (``report.department/author/version``)."""
    present, digest = params_hash(all_params, sections)
    report = all_params.get("report") or {}
    ingest = all_params.get("ingest") or {}
    return Provenance(commit=git_commit(root), date=commit_date(root), params_sections=present,
                      params_sha256=digest, data=data_hashes(inputs, root), synthetic=synthetic,
                      department=str(report.get("department") or ""), author=str(report.get("author") or ""),
                      version=str(report.get("version") or ""), data_date=str(ingest.get("reference_date") or ""))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name
