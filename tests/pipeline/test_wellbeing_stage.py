"""Stage ``wellbeing`` end to end at a tiny scale in tmp_path."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kogadx.io import InputFileError
from kogadx.rng import stream_rng
from kogadx.synth.params import SurveySynth
from kogadx.synth.survey import generate_survey, toy_register, toy_towns
from tests.helpers import differing_outputs, outputs_under_blas_variants

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PARAMS = {
    "wellbeing": {
        "seed": 11,
        "age_edges": [18, 30, 40, 50, 60, 70, 80, 90],
        "level": 0.95,
        "district_grouping": {},
        "min_district_n": 0,
        "raking": {"margins": [["age_group", "sex"], ["district"]], "tol": 1.0e-7, "max_iter": 500,
                   "trim_ratio": [0.2, 5.0]},
        "sae": {"n_replicates": 10},
        "drivers": {"linear_model": "ridge", "alpha_log10_min": -2, "alpha_log10_max": 3, "n_alphas": 11,
                    "cv": "kfold", "cv_folds": 3, "n_bootstrap": 20, "n_bootstrap_lgbm": 2, "perm_repeats": 1,
                    "lgbm": {"n_estimators": 30}},
        "figures": {"map_indicators": ["happiness"], "profile_districts": ["花鶴丘", "日吉"]},
        "log_models": True,
    }
}
CANARY_NAME = "鳥籠 カナリア"
CANARY_PHONE = "090-0000-1234"


def _load_stage():
    spec = importlib.util.spec_from_file_location("wellbeing_stage", PROJECT_ROOT / "pipelines" / "wellbeing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("wellbeing")
    (root / "params.yaml").write_text(yaml.safe_dump(PARAMS, allow_unicode=True), encoding="utf-8")
    towns = toy_towns({"花鶴丘": 2, "日吉": 2, "駅東": 2, "薦野": 0})
    register = toy_register(stream_rng(3, "register"), towns, 1_500)
    raw, _ = generate_survey(stream_rng(3, "survey"), register, towns, SurveySynth(n_target=300))
    # What the privacy stage hands over: contact columns gone, id pseudonymised, age banded.
    # A leftover comment with a canary name/phone must never reach the outputs.
    survey = raw.drop(columns=["氏名", "電話番号", "メールアドレス", "回答ID"]).copy()
    survey["住民票コード"] = [f"P{i:05d}" for i in range(len(survey))]
    survey["年齢階級"] = [f"{a // 5 * 5}-{a // 5 * 5 + 4}" for a in survey.pop("年齢")]
    survey["自由記述"] = f"{CANARY_NAME}さん {CANARY_PHONE}"
    survey["氏名"] = CANARY_NAME  # even a contact column left over by mistake must not pass through
    on = pd.Timestamp("2024-02-29")
    age = ((on - pd.to_datetime(register["birth_date"])).dt.days // 365.25).astype(int)
    residents = pd.DataFrame({"person_id": [f"Q{i:06d}" for i in range(len(register))], "age": age,
                              "sex": register["sex"], "town_code": register["town_code"]})
    paths = {"survey": root / "survey.parquet", "residents": root / "residents.parquet",
             "towns": root / "towns.parquet", "stops": root / "stops.parquet"}
    survey.to_parquet(paths["survey"])
    residents.to_parquet(paths["residents"])
    towns.to_parquet(paths["towns"])
    centre = towns.geometry.union_all().centroid
    pd.DataFrame({"name": ["駅"], "lat": [centre.y], "lon": [centre.x]}).to_parquet(paths["stops"])
    return root, paths


def _argv(paths: dict, out: dict, stops: bool = True) -> list[str]:
    return [str(p) for p in (paths["survey"], paths["residents"], paths["towns"], paths["stops"] if stops else "-",
                             out["features"], out["figures"], out["plots"], out["metrics"])]


def _outputs(root: Path, tag: str) -> dict[str, Path]:
    return {"features": root / tag / "features", "figures": root / tag / "figures", "plots": root / tag / "plots",
            "metrics": root / tag / "wellbeing.json"}


def _run(stage, root: Path, paths: dict, tag: str) -> dict[str, Path]:
    out = _outputs(root, tag)
    stage.main(_argv(paths, out))
    return out


def test_stage_writes_features_figures_metrics(inputs, monkeypatch):
    root, paths = inputs
    monkeypatch.setenv("KOGADX_ROOT", str(root))
    stage = _load_stage()
    first = _run(stage, root, paths, "a")
    metrics = json.loads(first["metrics"].read_text(encoding="utf-8"))
    assert metrics["raking"]["max_margin_error_pp"] < 0.5
    assert metrics["raking"]["converged"] is True
    assert 150 < metrics["n_respondents"] < 450
    assert set(metrics["drivers"]["cv"]) == {"linear_ridge", "lightgbm"}
    names = {p.name for p in first["features"].glob("*.parquet")}
    assert {"survey_weights.parquet", "district_indicators.parquet", "district_objective.parquet",
            "district_summary.parquet", "driver_importance.parquet", "driver_cv_scores.parquet"} <= names
    indicators = pd.read_parquet(first["features"] / "district_indicators.parquet")
    assert set(indicators["district"]) == {"花鶴丘", "日吉", "駅東", "薦野", "市全体"}
    assert indicators["indicator"].nunique() == 26
    summary = pd.read_parquet(first["features"] / "district_summary.parquet")
    assert summary["dist_stop_m"].notna().all() and (summary["dist_stop_m"] >= 0).all()
    figures = sorted(p.name for p in first["figures"].glob("*.png"))
    assert figures == ["district_profile.png", "district_profile_heatmap.png", "drivers.png", "map_happiness.png"]

    # Canary: nothing from the comment column reaches features, metrics or figures' names.
    for path in [*first["features"].glob("*.parquet"), first["metrics"]]:
        blob = path.read_bytes() if path.suffix == ".json" else pd.read_parquet(path).to_csv().encode("utf-8")
        assert CANARY_NAME.encode("utf-8") not in blob and CANARY_PHONE.encode("utf-8") not in blob

    # MLflow run recorded in the isolated store, with both models logged.
    import mlflow

    runs = mlflow.search_runs(experiment_names=["wellbeing"])
    assert len(runs) == 1 and runs["metrics.raking.max_margin_error_pp"].iloc[0] < 0.5
    models = mlflow.search_logged_models(experiment_ids=[runs["experiment_id"].iloc[0]], output_format="list")
    logged = {m.name for m in models}
    assert {"linear", "lightgbm"} <= logged


def test_missing_input_names_the_file(inputs, monkeypatch, tmp_path):
    root, paths = inputs
    monkeypatch.setenv("KOGADX_ROOT", str(root))
    stage = _load_stage()
    with pytest.raises(InputFileError, match="nothing.parquet"):
        stage.main(_argv({**paths, "survey": tmp_path / "nothing.parquet"}, _outputs(tmp_path, "x"), stops=False))


def test_bad_answer_is_reported_with_the_file(inputs, monkeypatch, tmp_path):
    root, paths = inputs
    monkeypatch.setenv("KOGADX_ROOT", str(root))
    bad = pd.read_parquet(paths["survey"])
    bad["幸福度"] = bad["幸福度"].astype("Float64")
    bad.loc[5, "幸福度"] = 12
    bad_path = tmp_path / "bad_survey.parquet"
    bad.to_parquet(bad_path)
    with pytest.raises(InputFileError, match=r"bad_survey.parquet.*5 行目.*happiness"):
        _load_stage().main(_argv({**paths, "survey": bad_path}, _outputs(tmp_path, "x"), stops=False))


def test_outputs_are_the_same_bytes_whatever_the_blas(inputs):
    """Ridge fits differ by BLAS kernel in the last digits; the stage's stated precision
    (kogadx.wellbeing.stage.FLOAT_DIGITS) must make every output identical."""
    root, paths = inputs
    runs = outputs_under_blas_variants(
        PROJECT_ROOT / "pipelines" / "wellbeing.py", lambda tag: _argv(paths, _outputs(root, f"blas_{tag}")),
        lambda tag: [_outputs(root, f"blas_{tag}")[k] for k in ("features", "plots", "metrics")],
        env={"KOGADX_ROOT": str(root)})
    assert len(runs["default"]) > 8
    assert differing_outputs(runs) == {"other_cpu": []}
