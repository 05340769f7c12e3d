"""Typed params of the synthesize and ingest sections: params.yaml loads, a bad value names its key."""

from __future__ import annotations

import pytest

from kogadx.ingest.params import IngestParams
from kogadx.params import ParamsError, load_params
from kogadx.synth.params import Rides, SynthesizeParams, SynthesizeStageParams
from tests.helpers import write_params


def test_project_params_load_with_their_values(tmp_path):
    params = load_params(SynthesizeStageParams, write_params(tmp_path))
    synth = params.synthesize
    assert synth.seed == 20240229 and synth.scale == 1.0
    assert synth.residents.stations_latlon[0] == (33.732828, 130.466902)
    assert synth.rides.zone_level == "stop_cluster" and synth.rides.intensity.plateau_requests_per_week == 400
    assert isinstance(synth.rides.fare_yen, int)  # written as text: 200, not 200.0
    assert synth.energy.n_businesses == 300 and synth.survey.survey_date == "2024-02-29"
    assert params.ingest.towns_file == "towns/koga_small_areas.shp"
    assert params.ingest.towns_hcode == (8101,)
    assert params.ingest.tables["residents"] == "residents.csv"


@pytest.mark.parametrize(("overrides", "key"), [
    ({"synthesize": {"rides": {"intensity": {"rain_factor": -1}}}}, "synthesize.rides.intensity.rain_factor"),
    ({"synthesize": {"rides": {"zone_level": "district"}}}, "synthesize.rides.zone_level"),
    ({"synthesize": {"residents": {"fault_rate": 1.5}}}, "synthesize.residents.fault_rate"),
    ({"synthesize": {"energy": {"start": "2021/04"}}}, "synthesize.energy.start"),
    ({"synthesize": {"survey": {"n_targte": 100}}}, "synthesize.survey.n_targte"),
])
def test_a_bad_synthesize_value_names_its_key(tmp_path, overrides, key):
    with pytest.raises(ParamsError) as excinfo:
        load_params(SynthesizeParams, write_params(tmp_path, overrides))
    assert key in str(excinfo.value)


@pytest.mark.parametrize(("overrides", "key"), [
    ({"ingest": {"towns_hcode": ["ordinary"]}}, "ingest.towns_hcode.0"),
    ({"ingest": {"tables": ["residents.csv"]}}, "ingest.tables"),
    ({"ingest": {"weather": "x.csv"}}, "ingest.weather"),
])
def test_a_bad_ingest_value_names_its_key(tmp_path, overrides, key):
    with pytest.raises(ParamsError) as excinfo:
        load_params(IngestParams, write_params(tmp_path, overrides))
    assert key in str(excinfo.value)


def test_defaults_live_in_the_dataclasses():
    rides = Rides()
    assert (rides.start, rides.end, rides.n_stops, rides.detour_factor) == ("2022-10-01", "2024-09-30", 63, 1.4)
    assert rides.intensity.ramp_midpoint_days == 150.0
