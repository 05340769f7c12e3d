"""Synthetic survey: raw export shape, non-response, planted personal details, truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.rng import stream_rng
from kogadx.synth.params import SurveySynth
from kogadx.synth.survey import RAW_HEADERS, generate_survey, toy_register, toy_towns
from kogadx.wellbeing.categories import CATEGORIES


@pytest.fixture(scope="module")
def generated():
    towns = toy_towns()
    register = toy_register(stream_rng(21, "register"), towns, 5_000)
    raw, truth = generate_survey(stream_rng(21, "survey"), register, towns, SurveySynth(n_target=800))
    return towns, register, raw, truth


def test_raw_table_has_contact_demographics_answers_and_comment(generated):
    _, _, raw, _ = generated
    for column in ("回答ID", "住民票コード", "氏名", "電話番号", "メールアドレス", "年齢", "性別", "町丁目コード",
                   "町丁目", "自由記述"):
        assert column in raw.columns
    assert [RAW_HEADERS[c.key] for c in CATEGORIES] == [c.name_ja for c in CATEGORIES]
    assert raw["年齢"].between(18, 89).all()
    items = raw[[c.name_ja for c in CATEGORIES]]
    assert items.stack().between(1, 5).all()
    assert raw["幸福度"].dropna().between(0, 10).all()
    assert 0 < items.isna().mean().mean() < 0.05  # a little item non-response
    assert raw["回答ID"].is_unique and raw["住民票コード"].is_unique
    assert (raw["氏名"] != "").mean() > 0.3
    assert raw["メールアドレス"].str.contains("@example.jp").any()
    assert 600 < len(raw) < 1000  # about n_target


def test_respondents_link_back_to_the_register(generated):
    _, register, raw, _ = generated
    merged = raw.merge(register, left_on="住民票コード", right_on="resident_code", how="left")
    assert merged["resident_code"].notna().all()
    named = merged["氏名"] != ""
    assert (merged.loc[named, "氏名"] == merged.loc[named, "name"]).all()


def test_older_people_answer_more(generated):
    _, register, raw, _ = generated
    on = pd.Timestamp("2024-02-29")
    age = (on - pd.to_datetime(register["birth_date"])).dt.days / 365.25
    adults = age[(age >= 18) & (age < 90)]
    assert raw["年齢"].mean() > adults.mean() + 2


def test_planted_personal_details_appear_in_comments(generated):
    _, register, raw, truth = generated
    planted = truth.planted_pii
    assert set(planted["kind"]) == {"phone", "neighbour_name"}
    comments = raw.set_index("回答ID")["自由記述"]
    for row in planted.itertuples():
        assert row.value in comments[row.回答ID]
    assert set(planted.loc[planted["kind"] == "neighbour_name", "value"]) <= set(register["name"])


def test_truth_has_effects_and_district_means(generated):
    towns, _, raw, truth = generated
    effects = truth.effects
    assert len(effects) == 24 and (effects["effect_per_point"] >= 0).all()
    assert (effects["effect_per_point"] == 0).sum() >= 10  # many zero effects
    strongest = effects.sort_values("rank")["item"].head(5).tolist()
    assert strongest[0] == "health"
    means = truth.district_means
    assert set(means["district"]) == set(towns["base_name"])
    assert means["indicator"].nunique() == 26
    assert set(truth.tables()) == {"survey_effects", "survey_district_means", "survey_planted_pii", "survey_response"}


def test_same_seed_same_survey():
    towns = toy_towns({"花鶴丘": 2, "薦野": 0})
    register = toy_register(stream_rng(5, "register"), towns, 800)
    a, _ = generate_survey(stream_rng(5, "survey"), register, towns, SurveySynth(n_target=150))
    b, _ = generate_survey(stream_rng(5, "survey"), register, towns, SurveySynth(n_target=150))
    c, _ = generate_survey(stream_rng(6, "survey"), register, towns, SurveySynth(n_target=150))
    pd.testing.assert_frame_equal(a, b)
    assert not a["住民票コード"].equals(c["住民票コード"])


def test_unknown_town_code_in_register_is_an_error():
    towns = toy_towns({"花鶴丘": 2})
    register = toy_register(stream_rng(5, "register"), towns, 100)
    register.loc[3, "town_code"] = "40223999999"
    with pytest.raises(ValueError, match="40223999999"):
        generate_survey(np.random.default_rng(0), register, towns, SurveySynth(n_target=20))


@pytest.fixture(scope="module")
def both_worlds():
    towns = toy_towns()
    register = toy_register(stream_rng(22, "register"), towns, 6_000)
    return {s: generate_survey(stream_rng(22, "survey"), register, towns, SurveySynth(n_target=900, nonresponse=s))
            for s in ("mar", "mnar")}


def test_only_the_not_ignorable_world_loses_its_unhappy_people(both_worlds):
    """Invited non-respondents are unhappier than respondents in ``mnar`` (loneliness, no
    internet, happiness itself lower the response), hardly at all in ``mar``."""
    gaps = {}
    for scenario, (_, truth) in both_worlds.items():
        r = truth.response
        silent = r["invited"] - r["respondents"]
        gaps[scenario] = (np.average(r["happiness_respondents"].fillna(0), weights=r["respondents"])
                          - np.average(r["happiness_nonrespondents"].fillna(0), weights=silent))
        assert truth.model["nonresponse"] == scenario
    assert abs(gaps["mar"]) < 0.2
    assert gaps["mnar"] > 0.3


def test_happiness_is_not_a_linear_function_of_the_items(both_worlds):
    """Health ≤ 2 costs more than the linear slope says (a floor), and a positivity trait
    colours every answer: items with no effect still correlate with happiness."""
    raw, truth = both_worlds["mar"]
    towns = toy_towns()
    register = toy_register(stream_rng(22, "register"), towns, 6_000)
    linear, _ = generate_survey(stream_rng(22, "survey"), register, towns,
                                SurveySynth(n_target=900, nonresponse="mar"), model={"happiness_health_floor": 0.0})
    low = raw[RAW_HEADERS["health"]] <= 2  # same seed: the same people with the same items
    drop = raw.loc[low, "幸福度"].astype(float).mean() - linear.loc[low, "幸福度"].astype(float).mean()
    assert drop < -0.4
    assert (raw.loc[~low, "幸福度"] == linear.loc[~low, "幸福度"]).mean() > 0.95
    happy = raw["幸福度"].astype(float)
    zero = truth.effects.loc[truth.effects["effect_per_point"] == 0, "item"]
    corr = [happy.corr(raw[RAW_HEADERS[k]].astype(float)) for k in zero]
    assert np.mean(corr) > 0.1
