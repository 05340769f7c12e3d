"""Stage regulation_scan and `kogadx regulation scan` on a tiny scale."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from kogadx.io import read_folder_bytes
from kogadx.params import as_dict
from kogadx.regulation.dataset import load_training_data
from kogadx.regulation.keywords import LABELLED_CATEGORIES
from kogadx.regulation.loaders import CORPUS_SUFFIXES
from kogadx.regulation.model import fit_classifier, load_model, model_bytes, score_clauses
from kogadx.regulation.params import RegulationScanParams

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "regulation"
SMALL = dataclasses.replace(RegulationScanParams(), hash_features_log2=14, cv_folds=3, max_chars=300)


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


def test_stage_writes_model_metrics_plots_and_workbook(tmp_path, monkeypatch, small_training):
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    params = {"regulation_scan": as_dict(SMALL)}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    monkeypatch.delenv("KOGADX_PARAMS", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    import kogadx.regulation.stage as stage_module

    monkeypatch.setattr(stage_module, "load_training_data", lambda: small_training)
    stage = _load_stage()
    out = tmp_path / "out"
    model_dir, review, plots, metrics_path = out / "models", out / "review.xlsx", out / "plots", out / "regulation.json"
    args = [str(FIXTURE_DIR), str(model_dir), str(review), str(plots), str(metrics_path)]
    stage.main(args)

    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    clause_cv = metrics["cv"]["clause"]
    assert set(clause_cv["classifier"]["per_category"]) == set(clause_cv["keywords"]["per_category"])
    assert metrics["scan"]["files"] == 1 and metrics["scan"]["clauses"] == 5
    assert metrics["training"]["rows"] == len(small_training)
    model = load_model((model_dir / "classifier.joblib").read_bytes())
    probe = pd.DataFrame({"caption": ["（掲示）"], "text": ["公告は、役場前の掲示場に掲示して行う。"]})
    assert score_clauses(model, probe, SMALL.max_chars).shape == (1, len(LABELLED_CATEGORIES))

    rows = list(openpyxl.load_workbook(review)["見直し候補"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:7] == ("法令名", "条項", "条文", "類型", "該当キーワード", "スコア", "デジタル代替案")
    assert {r[0] for r in body} == {"試験町掲示及び閲覧に関する規則(テスト用)"}
    flagged = {(r[1], r[3]) for r in body}
    assert ("第2条第1項", "書面掲示") in flagged
    assert ("第3条第1項", "書面掲示") not in flagged

    series = pd.read_csv(plots / "clause_cv_by_category.csv")
    assert len(series) == 2 * len(LABELLED_CATEGORIES)
    classifier = series[series["method"] == "分類器"].set_index("category")
    for category, entry in clause_cv["classifier"]["per_category"].items():
        assert classifier.loc[category, "precision"] == pytest.approx(entry["precision"])
        assert classifier.loc[category, "recall"] == pytest.approx(entry["recall"])

    outputs = [review, model_dir / "classifier.joblib", plots / "clause_cv_by_category.csv", metrics_path]
    first_bytes = [p.read_bytes() for p in outputs]
    stage.main(args)
    assert [p.read_bytes() for p in outputs] == first_bytes


def test_cli_scan_with_saved_model(tmp_path, small_training):
    from kogadx.regulation.cli import app

    model_path = tmp_path / "classifier.joblib"
    model_path.write_bytes(model_bytes(fit_classifier(small_training, SMALL)))
    out = tmp_path / "review.xlsx"
    result = CliRunner().invoke(app, ["scan", str(FIXTURE_DIR), "--out", str(out), "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    assert "見直し候補" in result.output
    sheet = openpyxl.load_workbook(out)["見直し候補"]
    assert sheet.cell(row=1, column=1).value == "法令名"
    nowhere = str(tmp_path / "nowhere")
    missing = CliRunner().invoke(app, ["scan", nowhere, "--out", str(out), "--model", str(model_path)])
    assert missing.exit_code == 2 and "フォルダがありません" in missing.output


@pytest.mark.shared
def test_real_reiki_base_folder_scans_without_code_change(shared_dir, small_training):
    from kogadx.regulation.stage import scan_corpus

    model = fit_classifier(small_training, SMALL)
    folder = shared_dir / "benchmarks" / "analog_regulation" / "ordinances"
    result = scan_corpus(read_folder_bytes(folder, CORPUS_SUFFIXES), model, SMALL, str(folder))
    assert result.clauses["source_file"].nunique() == 3
    assert result.clauses["clause_ref"].str.startswith("第").all()
    assert set(result.review["ファイル"]) <= set(result.clauses["source_file"])
    assert len(result.review) < len(result.clauses)  # format/negative samples: few candidates
