"""PBL 08 self-checks: right answers pass, typical wrong ones fail with a hint (never the answer)."""

from __future__ import annotations

from kogadx.counter.queue import erlang_c, servers_for_target
from kogadx.pbl import checks


def test_utilisation_check(capsys):
    assert checks.check_utilisation(30 * 6 / (60 * 4), 30, 6, 4)
    assert not checks.check_utilisation(30 * 6 / 60, 30, 6, 4)  # forgot the counters
    assert "窓口数で割ります" in capsys.readouterr().out
    assert not checks.check_utilisation(None, 30, 6, 4)


def test_erlang_c_wait_check(capsys):
    lam, mu = 30 / 60, 1 / 6
    right = erlang_c(4, lam / mu) / (4 * mu - lam)
    assert checks.check_erlang_c_wait(right, 30, 6, 4)
    assert not checks.check_erlang_c_wait(right / 60, 30, 6, 4)
    out = capsys.readouterr().out
    assert "分で答えます" in out and f"{right:.2f}" not in out


def test_counters_needed_check(capsys):
    right = servers_for_target(30, 10, 15.0)
    assert checks.check_counters_needed(right, 30, 10, 15.0)
    assert not checks.check_counters_needed(right - 1, 30, 10, 15.0)
    assert not checks.check_counters_needed(right + 1, 30, 10, 15.0)
    assert "もっと少ない" in capsys.readouterr().out
