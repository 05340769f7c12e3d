"""Seeded random streams: one independent, reproducible generator per named purpose."""

from __future__ import annotations

import zlib

import numpy as np


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """An independent, reproducible random stream per name.

    Adding a stream (a new generator, a new replication) never shifts another's draws,
    because each name spawns its own child of ``seed``.
    """
    spawn_key = (zlib.crc32(stream.encode("utf-8")),)
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=spawn_key))
