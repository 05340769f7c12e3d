"""`kogadx counter simulate` and `kogadx counter plan`: results, and clear refusals (exit 2, Japanese)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from kogadx.cli import app


def _invoke(*args: str):
    return CliRunner().invoke(app, ["counter", *args])


def test_simulate_writes_simulation_beside_erlang_c(tmp_path):
    out = tmp_path / "sim.json"
    result = _invoke("simulate", "--rate", "30", "--service-min", "6", "--servers", "4", "--hours", "300",
                     "--seed", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["erlang_c"]["utilisation"] == pytest.approx(0.75)
    assert data["simulated"]["mean_wait_min"] == pytest.approx(data["erlang_c"]["mean_wait_min"], rel=0.3)
    assert data["simulated"]["p90_wait_min"] >= data["simulated"]["mean_wait_min"]
    assert "平均待ち" in result.output


@pytest.mark.parametrize(("args", "words"), [
    (["--rate", "40", "--service-min", "6", "--servers", "4"], "不安定"),   # λ = capacity exactly
    (["--rate", "90", "--service-min", "6", "--servers", "4"], "不安定"),   # λ above capacity
    (["--rate", "10", "--service-min", "0", "--servers", "2"], "正の値"),
    (["--rate", "10", "--service-min", "-3", "--servers", "2"], "正の値"),
    (["--rate", "10", "--service-min", "5", "--servers", "0"], "窓口数"),
])
def test_simulate_refuses_settings_without_a_steady_state(args, words):
    result = _invoke("simulate", *args, "--hours", "1000000")
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output


def test_plan_from_a_csv_meets_the_target(tmp_path):
    rows = [(d, h, 6.0 if h in (12, 16) else 3.0) for d in (1, 2) for h in range(9, 17)]
    pd.DataFrame(rows, columns=["日", "時", "来庁数"]).to_csv(tmp_path / "arrivals.csv", index=False)
    result = _invoke("plan", "--arrivals", str(tmp_path / "arrivals.csv"), "--out", str(tmp_path / "plan"),
                     "--service-min", "15", "--target-min", "15")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text(encoding="utf-8"))
    plan = pd.read_csv(tmp_path / "plan" / "staffing_plan.csv", encoding="utf-8-sig")
    assert len(plan) == 16 and summary["staff_hours"] == plan["窓口数"].sum()
    assert (plan["待ち時間90%点(分)"] <= 15.0).all()
    # The busy hours need more counters than the quiet ones.
    busy = plan[plan["時"].isin([12, 16])]["窓口数"].mean()
    assert busy > plan[~plan["時"].isin([12, 16])]["窓口数"].mean()


def test_plan_names_the_bad_row_and_column(tmp_path):
    path = tmp_path / "arrivals.csv"
    path.write_text("日,時,来庁数\n1,9,3\n1,10,たくさん\n", encoding="utf-8")
    result = _invoke("plan", "--arrivals", str(path), "--out", str(tmp_path / "plan"))
    assert result.exit_code == 2
    assert "3 行目" in result.output and "来庁数" in result.output
    missing = tmp_path / "no_hour.csv"
    missing.write_text("日,来庁数\n1,3\n", encoding="utf-8")
    result = _invoke("plan", "--arrivals", str(missing), "--out", str(tmp_path / "plan"))
    assert result.exit_code == 2 and "「時」" in result.output
