"""The I/O side of the leak guard: walk folders, read every file, let kogadx.privacy.leaks match.

``kogadx.privacy.leaks`` decodes and matches files given as bytes (pure); this helper lists
the files under the shareable folders and reads them one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from kogadx.privacy.leaks import Canary, LeakHit, ScannedFile, find_leaks


def iter_files(paths: Iterable[str | Path]) -> list[Path]:
    """Every file under the given folders (and the given files), sorted."""
    files: set[Path] = set()
    for base in map(Path, paths):
        if base.is_file():
            files.add(base)
        elif base.is_dir():
            files |= {p for p in base.rglob("*") if p.is_file()}
    return sorted(files)


def read_files(paths: Iterable[str | Path]) -> Iterator[ScannedFile]:
    """The files under ``paths``, read lazily (one file's bytes in memory at a time)."""
    for path in iter_files(paths):
        yield ScannedFile(str(path), path.read_bytes())


def find_leaks_in(paths: Iterable[str | Path], canaries: Sequence[Canary | str]) -> list[LeakHit]:
    """Search every file under ``paths`` for the canaries (see :func:`kogadx.privacy.leaks.find_leaks`)."""
    return find_leaks(read_files(paths), canaries)
