"""Stage regulation_scan and `kogadx regulation scan` on a tiny scale (tiny training set, two fixture files)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from kogadx.io import read_folder_bytes
from kogadx.params import as_dict
from kogadx.regulation.learning import LABEL_COLUMNS
from kogadx.regulation.loaders import CORPUS_SUFFIXES
from kogadx.regulation.model import load_model, model_bytes
from kogadx.regulation.review import REVIEW_COLUMNS
from tests.helpers import load_stage_script
from tests.unit.test_regulation_model import TINY, tiny_training

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "regulation"
SMALL = dataclasses.replace(TINY, bootstrap_reps=20)


def test_stage_writes_model_metrics_plots_and_ranked_workbook(tmp_path, monkeypatch):
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    params = {"regulation_scan": as_dict(SMALL)}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    monkeypatch.delenv("KOGADX_PARAMS", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    import kogadx.regulation.stage as stage_module

    monkeypatch.setattr(stage_module, "load_training_data", tiny_training)
    stage = load_stage_script("regulation_scan")
    labels = tmp_path / "city_labels.csv"
    labels.write_text(",".join(LABEL_COLUMNS) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    model_dir, review, plots, metrics_path = out / "models", out / "review.xlsx", out / "plots", out / "regulation.json"
    args = [str(FIXTURE_DIR), str(labels), str(model_dir), str(review), str(plots), str(metrics_path)]
    stage.main(args)

    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    cv = metrics["cv"]
    assert cv["clauses"] == 42 and cv["positive_clauses"] == 18 and cv["budget"] == SMALL.budget
    interval = cv["model"]["recall_interval"]
    assert 0 <= interval["low"] <= cv["model"]["recall_at_budget"] <= interval["high"]
    assert metrics["scan"]["files"] == 2 and metrics["city_labels"]["rounds"] == 0 and metrics["calibrated"]
    model = load_model((model_dir / "classifier.joblib").read_bytes())
    assert model.calibrated
    rows = list(openpyxl.load_workbook(review)["見直し候補"].iter_rows(values_only=True))
    assert list(rows[0]) == REVIEW_COLUMNS and len(rows) - 1 == metrics["scan"]["clauses"]
    probabilities = [r[REVIEW_COLUMNS.index("確率")] for r in rows[1:]]
    assert probabilities == sorted(probabilities, reverse=True)
    curve = pd.read_csv(plots / "recall_at_budget.csv")
    assert set(curve["method"]) == {"判定モデル", "キーワード (DOMAIN の一覧)"} and curve["recall"].between(0, 1).all()
    assert len(pd.read_csv(plots / "category_recall.csv")) == 7

    outputs = [review, model_dir / "classifier.joblib", plots / "recall_at_budget.csv", metrics_path]
    first_bytes = [p.read_bytes() for p in outputs]
    stage.main(args)
    assert [p.read_bytes() for p in outputs] == first_bytes


def test_cli_scan_with_saved_model(tmp_path):
    from kogadx.regulation.cli import app
    from kogadx.regulation.stage import train

    model_path = tmp_path / "classifier.joblib"
    model_path.write_bytes(model_bytes(train(tiny_training(3), SMALL)[0]))
    out = tmp_path / "review.xlsx"
    result = CliRunner().invoke(app, ["scan", str(FIXTURE_DIR), "--out", str(out), "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    assert "条項を順位付けし" in result.output and "まず上位" in result.output
    sheet = openpyxl.load_workbook(out)["見直し候補"]
    assert sheet.cell(row=1, column=1).value == "順位"
    nowhere = str(tmp_path / "nowhere")
    missing = CliRunner().invoke(app, ["scan", nowhere, "--out", str(out), "--model", str(model_path)])
    assert missing.exit_code == 2 and "フォルダがありません" in missing.output


def test_default_corpus_is_in_the_repo_with_a_source_per_file():
    corpus = ROOT / "data" / "regulation" / "corpus"
    files = sorted(p for p in corpus.iterdir() if p.suffix in CORPUS_SUFFIXES)
    assert len(files) >= 15
    for path in files:
        head = path.read_text(encoding="utf-8")[:400]
        assert "出典: http" in head and "取得: 20" in head and "著作権法第13条" in head, path.name


@pytest.mark.shared
def test_real_reiki_base_folder_scans_without_code_change(shared_dir):
    from kogadx.regulation.stage import scan_corpus, train

    model = train(tiny_training(3), SMALL)[0]
    folder = shared_dir / "benchmarks" / "analog_regulation" / "ordinances"
    result = scan_corpus(read_folder_bytes(folder, CORPUS_SUFFIXES), model, SMALL, str(folder))
    assert result.clauses["source_file"].nunique() == 3
    assert result.clauses["clause_ref"].str.startswith("第").all()
    assert len(result.review) == len(result.clauses)
