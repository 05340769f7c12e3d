"""Input standardisation: districts, age bands, headers, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.rng import stream_rng
from kogadx.synth.params import SurveySynth
from kogadx.synth.survey import generate_survey, toy_register, toy_towns
from kogadx.wellbeing.categories import CATEGORIES, INDICATOR_LABELS
from kogadx.wellbeing.data import SurveyDataError, parse_age_band, standardize_register, standardize_survey
from kogadx.wellbeing.districts import assign_districts, base_name

EDGES = [18, 30, 40, 50, 60, 70, 80, 90]


@pytest.mark.parametrize(
    ("town", "base"),
    [("花鶴丘一丁目", "花鶴丘"), ("駅東五丁目", "駅東"), ("薦野", "薦野"), ("青柳町", "青柳町"),
     ("今の庄三丁目", "今の庄")],
)
def test_base_name(town, base):
    assert base_name(town) == base


def test_coarser_grouping_is_applied():
    towns = pd.DataFrame({"town_code": ["1", "2", "3"], "town_name": ["花鶴丘一丁目", "日吉二丁目", "薦野"]})
    out = assign_districts(towns, {"花鶴丘": "西部丘陵", "日吉": "西部丘陵"})
    assert out["district"].tolist() == ["西部丘陵", "西部丘陵", "薦野"]


def test_age_band_labels():
    lower, upper = parse_age_band(pd.Series(["20-24", "20～24歳", "90以上", "90+", "30代"]))
    assert lower.tolist() == [20, 20, 90, 90, 30]
    assert upper.tolist() == [25, 25, 100, 100, 40]
    with pytest.raises(SurveyDataError, match="1 行目"):
        parse_age_band(pd.Series(["20-24", "不明"]))


@pytest.fixture(scope="module")
def survey_and_towns():
    towns = toy_towns({"花鶴丘": 2, "駅東": 2, "薦野": 0})
    register = toy_register(stream_rng(8, "register"), towns, 1_200)
    raw, _ = generate_survey(stream_rng(8, "survey"), register, towns, SurveySynth(n_target=200))
    return raw, towns, register


def test_japanese_and_english_headers_agree(survey_and_towns):
    raw, towns, _ = survey_and_towns
    ja = standardize_survey(raw, towns, EDGES)
    english = raw.rename(columns={v: k for k, v in INDICATOR_LABELS.items()}).rename(
        columns={"年齢": "age", "性別": "sex", "町丁目コード": "town_code"}
    )
    en = standardize_survey(english, towns, EDGES)
    pd.testing.assert_frame_equal(ja.drop(columns="person_id"), en.drop(columns="person_id"))
    assert set(ja["district"]) <= {"花鶴丘", "駅東", "薦野"}
    assert ja["age_group"].notna().all()


def test_age_band_input_gives_same_raking_bands(survey_and_towns):
    raw, towns, _ = survey_and_towns
    exact = standardize_survey(raw, towns, EDGES)
    lo = (raw["年齢"] // 5) * 5
    banded = raw.drop(columns="年齢").assign(age_band=[f"{a}-{a + 4}" for a in lo])
    band = standardize_survey(banded, towns, EDGES)
    assert (band["age_group"] == exact["age_group"]).all()


def test_out_of_range_answer_names_row_and_column(survey_and_towns):
    raw, towns, _ = survey_and_towns
    bad = raw.copy()
    bad[CATEGORIES[3].name_ja] = bad[CATEGORIES[3].name_ja].astype("Float64")
    bad.loc[7, CATEGORIES[3].name_ja] = 6
    with pytest.raises(SurveyDataError, match=r"7 行目.*mobility"):
        standardize_survey(bad, towns, EDGES)


def test_unknown_town_and_bad_sex_are_reported(survey_and_towns):
    raw, towns, _ = survey_and_towns
    bad = raw.copy()
    bad.loc[4, "町丁目コード"] = "40223999999"
    with pytest.raises(SurveyDataError, match="4 行目.*40223999999"):
        standardize_survey(bad, towns, EDGES)
    bad = raw.copy()
    bad.loc[2, "性別"] = "X"
    with pytest.raises(SurveyDataError, match="2 行目.*sex"):
        standardize_survey(bad, towns, EDGES)


def test_missing_item_column_is_reported(survey_and_towns):
    raw, towns, _ = survey_and_towns
    with pytest.raises(SurveyDataError, match="health"):
        standardize_survey(raw.drop(columns="健康状態"), towns, EDGES)


def test_register_adult_fraction_from_bands():
    towns = toy_towns({"花鶴丘": 1})
    register = pd.DataFrame(
        {"person_id": ["a", "b", "c", "d"], "age_band": ["15-19", "20-24", "85-89", "90-94"],
         "sex": ["男", "女", "女", "男"], "town_code": [towns["town_code"].iloc[0]] * 4}
    )
    out = standardize_register(register, towns, EDGES)
    assert np.allclose(out["adult_fraction"], [0.4, 1.0, 1.0, 0.0])
    assert out["age_group"].astype("string").tolist()[:3] == ["18-29", "18-29", "80-89"]
