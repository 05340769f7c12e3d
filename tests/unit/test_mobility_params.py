"""Params of the dispatch stage: params.yaml loads, a bad value stops the load naming its key."""

from __future__ import annotations

import copy

import pytest
import yaml

from kogadx.mobility.params import DispatchParams, DispatchRules, DispatchStageParams, FleetParams, Travel
from kogadx.mobility.simulation import Fleet, StraightLineTravelTime
from kogadx.params import ParamsError, load_params, validate_params
from tests.helpers import PROJECT_ROOT, project_params


def test_project_params_load_with_calibrated_values():
    params = load_params(DispatchStageParams, PROJECT_ROOT / "params.yaml")
    d = params.dispatch
    assert d.travel.speed_kmh == "calibrated" and d.rules.dwell_min == "calibrated"
    assert d.rules.reposition_rule == "coverage"
    assert d.scenarios.policies == ("none", "depot", "forecast", "oracle")
    assert params.features.zone_level and params.forecast.seed


def _dispatch(**changes) -> dict:
    section = copy.deepcopy(project_params()["dispatch"])
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = section
        for parent in parents:
            target = target[parent]
        target[key] = value
    return section


@pytest.mark.parametrize(("change", "key"), [
    ({"rules__reposition_rule": "nearest"}, "dispatch.rules.reposition_rule"),
    ({"travel__speed_kmh": "fast"}, "dispatch.travel.speed_kmh"),
    ({"travel__speed_kmh": 0}, "dispatch.travel.speed_kmh"),
    ({"rules__dwell_min": -1}, "dispatch.rules.dwell_min"),
    ({"travel__matrix_file": "matrix.csv"}, "dispatch.travel.matrix_file"),  # a path: argv MATRIX now
    ({"expected_demand__source": "oracle"}, "dispatch.expected_demand.source"),
    ({"scenarios__policies": ["none", "uniform"]}, "dispatch.scenarios.policies.1"),
    ({"replications__n": -1}, "dispatch.replications.n"),
    ({"replay__start": "2024/09/03"}, "dispatch.replay.start"),
    ({"fleet__n_vehicles": 0}, "dispatch.fleet.n_vehicles"),
])
def test_bad_value_names_the_key(change, key):
    with pytest.raises(ParamsError, match=rf"\b{key.replace('.', '[.]')}: "):
        validate_params(DispatchParams, _dispatch(**change), "params.yaml", "dispatch")


def test_missing_section_key_is_named(tmp_path):
    params = project_params()
    del params["dispatch"]["seed"]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError, match=r"dispatch[.]seed: 値がありません"):
        load_params(DispatchStageParams, path)


def test_defaults_live_in_the_params_classes():
    # the simulator's defaults are the params' defaults (written once)
    travel = StraightLineTravelTime.from_params()
    assert (travel.detour_factor, travel.speed_kmh) == (Travel().detour_factor, Travel().speed_kmh)
    assert Fleet(1, 0.0, 0.0).capacity == FleetParams.capacity
    assert DispatchRules().dwell == DispatchRules().dwell_min


def test_calibrated_values_must_be_filled_in_before_simulating():
    with pytest.raises(ValueError, match="calibrated"):
        _ = DispatchRules(dwell_min="calibrated").dwell
    with pytest.raises(ValueError, match="calibrated"):
        StraightLineTravelTime.from_params(Travel(speed_kmh="calibrated"))


@pytest.mark.parametrize(("change", "needle"), [
    ({"scenarios__fleet_sizes": [2, 3]}, "fleet.n_vehicles"),
    ({"scenarios__demand_factors": [1.2]}, "demand_factors"),
])
def test_scenario_grid_must_contain_the_default_run(change, needle):
    # the KPIs and the route map are read from the default fleet at demand 1.0
    with pytest.raises(ParamsError, match=needle):
        validate_params(DispatchParams, _dispatch(**change), "params.yaml", "dispatch")
