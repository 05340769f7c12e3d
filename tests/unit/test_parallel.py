"""Work split over processes comes back complete and in submission order (#25)."""

from __future__ import annotations

import pytest

from kogadx.parallel import chunks, ordered_map, worker_count


def _square_after(delay: float, x: int) -> int:
    import time

    time.sleep(delay)
    return x * x


def test_chunks_cover_every_index_once_in_order():
    for n, workers in [(63, 2), (19, 2), (5, 4), (1, 2), (7, 1)]:
        pieces = chunks(n, workers)
        assert [i for piece in pieces for i in piece] == list(range(n))
        assert len(pieces) <= max(1, n)
    assert chunks(0, 2) == []


def test_ordered_map_returns_results_in_task_order_from_two_processes():
    # the first task is the slowest: results must still come back in task order
    tasks = [(0.3 if i == 0 else 0.0, i) for i in range(6)]
    assert list(ordered_map(_square_after, tasks, workers=2)) == [i * i for i in range(6)]
    assert list(ordered_map(_square_after, tasks, workers=1)) == [i * i for i in range(6)]


def test_worker_count_reads_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KOGADX_WORKERS", "3")
    assert worker_count() == 3
    monkeypatch.setenv("KOGADX_WORKERS", "zwei")
    with pytest.raises(ValueError, match="KOGADX_WORKERS"):
        worker_count()
    monkeypatch.delenv("KOGADX_WORKERS")
    assert 1 <= worker_count() <= 4
