"""Progress lines: one per step with the count, items passed through unchanged."""

from __future__ import annotations

import pytest

from kogadx.progress import note, steps


def test_lines_mode_prints_one_line_per_step_with_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KOGADX_PROGRESS", "lines")
    out = list(steps([10, 20, 30], desc="テスト", unit="回"))
    assert out == [10, 20, 30]
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in err] == [
        "[テスト] 1/3 回 完了",
        "[テスト] 2/3 回 完了",
        "[テスト] 3/3 回 完了",
    ]


def test_generator_without_length_counts_without_total(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KOGADX_PROGRESS", "lines")
    assert list(steps((i for i in range(2)), desc="g")) == [0, 1]
    assert capsys.readouterr().err.splitlines()[-1].startswith("[g] 2 件 完了")


def test_off_mode_is_silent(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KOGADX_PROGRESS", "off")
    assert list(steps(range(3), desc="x")) == [0, 1, 2]
    note("x", "解いています")
    assert capsys.readouterr().err == ""


def test_min_interval_keeps_the_last_line_only_for_quick_steps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KOGADX_PROGRESS", "lines")
    assert list(steps(range(1000), desc="世帯", unit="世帯", min_interval=60.0)) == list(range(1000))
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in err] == ["[世帯] 1000/1000 世帯 完了"]
