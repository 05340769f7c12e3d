"""Params of the demand stages: checked at load, bad values named by key, defaults written once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kogadx.demand.features import service_calendar
from kogadx.demand.forecast import ForecastConfig
from kogadx.demand.lags import PanelSpec
from kogadx.demand.params import (
    DEFAULT_LGBM_PARAMS,
    FeaturesParams,
    ForecastParams,
    ForecastStageParams,
    defaults_of,
)
from kogadx.params import ParamsError, load_params, validate_params

PROJECT_PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"


def test_project_params_load():
    params = load_params(ForecastStageParams, PROJECT_PARAMS)
    assert params.forecast.horizons == (24, 168) and params.forecast.train_window == 8736
    assert params.features.zone_level == "stop_cluster"
    assert load_params(FeaturesParams, PROJECT_PARAMS) == params.features


@pytest.mark.parametrize(("schema", "section", "values", "key"), [
    (ForecastParams, "forecast", {"seed": 1, "coverage": 1.5}, "forecast.coverage"),
    (ForecastParams, "forecast", {"seed": 1, "freq": "W"}, "forecast.freq"),
    (ForecastParams, "forecast", {"seed": 1, "horizons": []}, "forecast.horizons"),
    (ForecastParams, "forecast", {"seed": 1, "horizons": [24, 0]}, "forecast.horizons.1"),
    (ForecastParams, "forecast", {"seed": 1, "n_folds": 0}, "forecast.n_folds"),
    (ForecastParams, "forecast", {"seed": 1, "weather": "forecast"}, "forecast.weather"),
    (ForecastParams, "forecast", {"horizons": [24]}, "forecast.seed"),
    (ForecastParams, "forecast", {"seed": 1, "horizon": [24]}, "forecast.horizon"),
    (FeaturesParams, "features", {"start": "2024-01-01", "end": "2024-02-01", "zone_level": "mesh"},
     "features.zone_level"),
    (FeaturesParams, "features", {"start": "2024-01-01", "end": "2024-02-01", "weekday_hours": [9, 25]},
     "features.weekday_hours.1"),
    (FeaturesParams, "features", {"end": "2024-02-01"}, "features.start"),
])
def test_a_bad_value_names_its_key(schema, section, values, key):
    with pytest.raises(ParamsError, match="\n  " + re.escape(key) + ": "):
        validate_params(schema, values, prefix=section)


def test_the_forecast_stage_checks_the_features_section_too(tmp_path):
    data = yaml.safe_load(PROJECT_PARAMS.read_text(encoding="utf-8"))
    data["features"]["weekend_hours"] = [8]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"features\.weekend_hours"):
        load_params(ForecastStageParams, tmp_path / "params.yaml")


def test_engine_defaults_are_the_params_defaults():
    """Functions that also run without params take their defaults from the params classes."""
    forecast, features = defaults_of(ForecastParams), defaults_of(FeaturesParams)
    spec = PanelSpec("time", "y")
    assert (spec.freq, spec.fill) == (forecast["freq"], forecast["fill"])
    config = ForecastConfig.from_params(ForecastParams(seed=1))
    assert dict(config.lgbm_params) == DEFAULT_LGBM_PARAMS
    assert (config.horizons, config.n_folds, config.coverage) == (
        forecast["horizons"], forecast["n_folds"], forecast["coverage"])
    custom = ForecastConfig.from_params(ForecastParams(seed=1, lightgbm={"num_leaves": 7}))
    assert custom.lgbm_params == {**DEFAULT_LGBM_PARAMS, "num_leaves": 7}
    default = service_calendar("2024-07-20", "2024-08-25")
    explicit = service_calendar("2024-07-20", "2024-08-25", **{k: features[k] for k in (
        "weekday_hours", "weekend_hours", "school_holiday_end", "school_holiday_days", "event_dates")})
    assert default.equals(explicit)
