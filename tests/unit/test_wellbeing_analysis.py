"""analyse_wellbeing end to end (no I/O): determinism, weighting helps, tables consistent."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from kogadx.io import write_parquet
from kogadx.params import validate_params
from kogadx.rng import stream_rng
from kogadx.synth.params import SurveySynth
from kogadx.synth.survey import generate_survey, toy_register, toy_towns
from kogadx.wellbeing.params import WellbeingParams
from kogadx.wellbeing.stage import WellbeingInputs, analyse_wellbeing

PARAMS = validate_params(WellbeingParams, {
    "seed": 5,
    "min_district_n": 0,
    "age_edges": [18, 30, 40, 50, 60, 70, 80, 90],
    "level": 0.95,
    "raking": {"margins": [["age_group", "sex"], ["district"]], "tol": 1e-8, "max_iter": 500, "trim_ratio": [0.2, 5.0]},
    "drivers": {"linear_model": "ridge", "alpha_log10_min": -2, "alpha_log10_max": 3, "n_alphas": 6, "cv": "group",
                "cv_folds": 3, "n_bootstrap": 10, "n_bootstrap_lgbm": 2, "perm_repeats": 1,
                "lgbm": {"n_estimators": 20}},
})


@pytest.fixture(scope="module")
def setup_data():
    towns = toy_towns({"花鶴丘": 2, "日吉": 1, "駅東": 2, "薦野": 0, "千鳥": 1})
    register = toy_register(stream_rng(9, "register"), towns, 3_000)
    raw, truth = generate_survey(stream_rng(9, "survey"), register, towns, SurveySynth(n_target=500))
    survey = raw.drop(columns=["氏名", "電話番号", "メールアドレス", "自由記述"])
    age = ((pd.Timestamp("2024-02-29") - pd.to_datetime(register["birth_date"])).dt.days // 365.25).astype(int)
    residents = pd.DataFrame({"person_id": register["resident_code"], "age": age, "sex": register["sex"],
                              "town_code": register["town_code"]})
    return survey, residents, towns, truth


def _bytes(frame: pd.DataFrame, tmp_path, name: str) -> bytes:
    return write_parquet(frame, tmp_path / f"{name}.parquet").read_bytes()


def test_same_inputs_same_tables(setup_data, tmp_path):
    survey, residents, towns, _ = setup_data
    a = analyse_wellbeing(WellbeingInputs(survey, residents, towns), PARAMS, make_figures=False)
    b = analyse_wellbeing(WellbeingInputs(survey, residents, towns), PARAMS, make_figures=False)
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        assert _bytes(a.tables[name], tmp_path / "a", name) == _bytes(b.tables[name], tmp_path / "b", name), name
    assert a.metrics == b.metrics


def test_weights_reproduce_register_margins_and_metrics_agree(setup_data):
    survey, residents, towns, _ = setup_data
    result = analyse_wellbeing(WellbeingInputs(survey, residents, towns), PARAMS, make_figures=False)
    assert result.metrics["raking"]["max_margin_error_pp"] < 0.5
    weights = result.tables["survey_weights"]
    adults = residents[(residents["age"] >= 18) & (residents["age"] <= 89)]
    assert weights["weight"].sum() == pytest.approx(len(adults), rel=1e-6)
    # Weighted district shares equal register shares.
    share_w = weights.groupby("district")["weight"].sum() / weights["weight"].sum()
    district = adults["town_code"].map(towns.set_index("town_code")["base_name"])
    share_r = district.value_counts(normalize=True)
    assert np.allclose(share_w.sort_index(), share_r.sort_index(), atol=0.005)
    summary = result.tables["district_summary"].set_index("district")
    ind = result.tables["district_indicators"]
    hap = ind[ind["indicator"] == "happiness"].set_index("district")
    assert np.allclose(summary["happiness_mean"], hap.loc[summary.index, "mean"])
    assert (result.tables["driver_cv_scores"]["model"].unique().tolist() == ["linear_ridge", "lightgbm"])


def test_small_districts_are_withheld_from_what_is_published(setup_data):
    survey, residents, towns, _ = setup_data
    full = analyse_wellbeing(WellbeingInputs(survey, residents, towns), PARAMS, make_figures=False)
    per = full.tables["district_summary"].set_index("district")["n"]  # respondents per district
    cut = int(per[per > 0].median()) + 1  # at least half of the answered districts fall below it
    result = analyse_wellbeing(WellbeingInputs(survey, residents, towns), replace(PARAMS, min_district_n=cut))
    summary = result.tables["district_summary"].set_index("district")
    small = ((per > 0) & (per < cut)).reindex(summary.index)
    assert small.any() and (~small & (summary["n"] > 0)).any()
    assert summary.loc[small, "withheld"].all() and not summary.loc[~small, "withheld"].any()
    for col in ("happiness_mean", "happiness_mean_eb", "happiness_ci_low_eb", "life_satisfaction_mean"):
        assert summary.loc[small, col].isna().all() and summary.loc[~small & (summary["n"] > 0), col].notna().all()
    assert result.metrics["n_districts_withheld"] == int(small.sum()) and result.metrics["min_district_n"] == cut
    # the full table for analysts keeps the numbers, flagged; the city row is never withheld
    ind = result.tables["district_indicators"]
    hap = ind[ind["indicator"] == "happiness"].set_index("district")
    assert hap.loc[small[small].index, "mean"].notna().all() and hap.loc[small[small].index, "withheld"].all()
    assert not hap.loc["市全体", "withheld"] and "map_happiness.png" in result.figures
    # without the rule nothing is withheld
    assert full.metrics["n_districts_withheld"] == 0
