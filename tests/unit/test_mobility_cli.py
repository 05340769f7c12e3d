"""The ``darp solve`` CLI (mounted by the lead as ``kogadx darp``)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kogadx.mobility.checker import check_solution
from kogadx.mobility.cli import app, load_cordeau

# Two requests, one vehicle (Cordeau layout: K n T Q L, then id x y d q e l).
TINY = """1 2 100 2 20
0 0 0 0 0 0 100
1 1 0 1 1 0 1440
2 0 2 1 1 10 20
3 4 0 1 -1 5 15
4 0 5 1 -1 0 1440
5 0 0 0 0 0 100
"""


def test_solve_writes_checkable_json(tmp_path):
    inst_path = tmp_path / "tiny.txt"
    inst_path.write_text(TINY, encoding="utf-8")
    out = tmp_path / "sol.json"
    result = CliRunner().invoke(app, ["solve", str(inst_path), "--time-limit", "0.5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "実行可能 = はい" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    routes = [v["route"] for v in data["vehicles"]]
    times = [v["service_start"] for v in data["vehicles"]]
    check = check_solution(load_cordeau(inst_path), routes, times)
    assert check.feasible and data["feasible"]
    assert abs(check.cost - data["cost"]) < 1e-5


def test_solve_reports_bad_file_in_japanese(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("2 4 120\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["solve", str(bad)])
    assert result.exit_code == 2
    assert "K n T Q L" in result.output


def test_help_is_japanese():
    result = CliRunner().invoke(app, ["solve", "--help"])
    assert result.exit_code == 0
    assert "探索時間" in result.output
