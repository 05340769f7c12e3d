"""Loader for Cordeau (2006) DARP instance files (original whitespace layout).

Header ``K n T Q L``, then one line ``id x y d q e l`` per node ``0 .. 2n+1``
(see ``benchmarks/darp_cordeau2006/FORMAT.md`` in the shared folder).
"""

from __future__ import annotations

from kogadx.io import InputFileError
from kogadx.mobility.model import DarpInstance, DarpNode, DarpVehicle

_NODE_COLUMNS = ("id", "x", "y", "d", "q", "e", "l")


def parse_cordeau(text: str, name: str, source: str | None = None) -> DarpInstance:
    """One Cordeau instance (the file's text) as a :class:`DarpInstance` named ``name``.

    Travel time equals Euclidean distance (speed 1). Raises :class:`InputFileError` naming
    the file (``source``, else ``name``), line and column on malformed input. Reading the
    file is the caller's (:func:`kogadx.mobility.cli.load_cordeau`).
    """
    path = source or name
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InputFileError(f"{path}: 空のファイルです")
    header = lines[0].split()
    if len(header) < 5:
        raise InputFileError(f"{path}: 1 行目は 'K n T Q L' の 5 項目が必要です: {lines[0]!r}")
    try:
        n_vehicles, n_requests = int(header[0]), int(header[1])
        max_duration, capacity, max_ride = float(header[2]), int(header[3]), float(header[4])
    except ValueError as exc:
        raise InputFileError(f"{path}: 1 行目の数値が読めません: {lines[0]!r}") from exc
    expected = 2 * n_requests + 2
    if len(lines) - 1 < expected:
        raise InputFileError(
            f"{path}: ノード行が {len(lines) - 1} 行しかありません (2n+2 = {expected} 行必要)"
        )
    nodes = []
    for row, line in enumerate(lines[1 : expected + 1], start=2):
        parts = line.split()
        if len(parts) < len(_NODE_COLUMNS):
            raise InputFileError(f"{path}: {row} 行目の項目数が足りません (id x y d q e l): {line!r}")
        values = []
        for col, raw in zip(_NODE_COLUMNS, parts, strict=False):  # extra columns ignored
            try:
                values.append(float(raw))
            except ValueError as exc:
                raise InputFileError(f"{path}: {row} 行目 列 {col} が数値ではありません: {raw!r}") from exc
        nid, x, y, d, q, e, lt = values
        nodes.append(DarpNode(int(nid), x, y, d, int(q), e, lt))
    vehicles = tuple(DarpVehicle(capacity, max_duration) for _ in range(n_vehicles))
    try:
        return DarpInstance(
            name=name,
            n_requests=n_requests,
            nodes=tuple(nodes),
            vehicles=vehicles,
            max_ride_time=max_ride,
            meta={"source": path, "T": max_duration},
        )
    except ValueError as exc:
        raise InputFileError(f"{path}: {exc}") from exc
