"""Stage regulation_scan and `kogadx regulation scan` on a tiny scale."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.model import DEFAULT_PARAMS, fit_classifier, save_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "regulation"
SMALL = {**DEFAULT_PARAMS, "hash_features_log2": 14, "cv_folds": 3, "max_chars": 300}


def _small_training() -> pd.DataFrame:
    training = load_training_data()
    rng = np.random.default_rng(1)
    keep = (training["source"] == "clause") & (training["labels"] != "")
    negatives = np.flatnonzero((training["source"] == "clause") & (training["labels"] == ""))
    summaries = np.flatnonzero(training["source"] == "summary")
    keep.iloc[rng.choice(negatives, 500, replace=False)] = True
    keep.iloc[rng.choice(summaries, 800, replace=False)] = True
    return training[keep].reset_index(drop=True)


@pytest.fixture(scope="module")
def small_training() -> pd.DataFrame:
    return _small_training()


def _load_stage():
    spec = importlib.util.spec_from_file_location("regulation_scan_stage", ROOT / "pipelines" / "regulation_scan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage_writes_model_metrics_and_workbook(tmp_path, monkeypatch, small_training):
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"regulation_scan": SMALL}, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    import kogadx.regulation.scan as scan

    monkeypatch.setattr(scan, "load_training_data", lambda: small_training)
    stage = _load_stage()
    out = tmp_path / "out"
    args = [str(FIXTURE_DIR), str(out / "models"), str(out / "metrics" / "regulation.json"), str(out / "review.xlsx")]
    stage.main(args)

    metrics = json.loads((out / "metrics" / "regulation.json").read_text(encoding="utf-8"))
    clause_cv = metrics["cv"]["clause"]
    assert set(clause_cv["classifier"]["per_category"]) == set(clause_cv["keywords"]["per_category"])
    assert metrics["scan"]["files"] == 1 and metrics["scan"]["clauses"] == 5
    assert (out / "models" / "classifier.joblib").stat().st_size > 0

    rows = list(openpyxl.load_workbook(out / "review.xlsx")["見直し候補"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:7] == ("法令名", "条項", "条文", "類型", "該当キーワード", "スコア", "デジタル代替案")
    assert {r[0] for r in body} == {"試験町掲示及び閲覧に関する規則(テスト用)"}
    flagged = {(r[1], r[3]) for r in body}
    assert ("第2条第1項", "書面掲示") in flagged
    assert ("第3条第1項", "書面掲示") not in flagged

    first_bytes = (out / "review.xlsx").read_bytes(), (out / "models" / "classifier.joblib").read_bytes()
    stage.main(args)
    assert ((out / "review.xlsx").read_bytes(), (out / "models" / "classifier.joblib").read_bytes()) == first_bytes


def test_cli_scan_with_saved_model(tmp_path, small_training):
    from kogadx.regulation.cli import app

    model_path = save_model(fit_classifier(small_training, SMALL), tmp_path / "classifier.joblib")
    out = tmp_path / "review.xlsx"
    result = CliRunner().invoke(app, ["scan", str(FIXTURE_DIR), "--out", str(out), "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    assert "見直し候補" in result.output
    sheet = openpyxl.load_workbook(out)["見直し候補"]
    assert sheet.cell(row=1, column=1).value == "法令名"
    missing = CliRunner().invoke(app, ["scan", str(tmp_path / "nowhere"), "--out", str(out), "--model", str(model_path)])
    assert missing.exit_code == 2 and "フォルダがありません" in missing.output


@pytest.mark.shared
def test_real_reiki_base_folder_scans_without_code_change(shared_dir, tmp_path, small_training):
    from kogadx.regulation.scan import scan_folder

    model = fit_classifier(small_training, SMALL)
    result = scan_folder(shared_dir / "benchmarks" / "analog_regulation" / "ordinances", model, SMALL)
    assert result.clauses["source_file"].nunique() == 3
    assert result.clauses["clause_ref"].str.startswith("第").all()
    assert set(result.review["ファイル"]) <= set(result.clauses["source_file"])
    assert len(result.review) < len(result.clauses)  # format/negative samples: few candidates
