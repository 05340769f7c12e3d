"""Data tier: the synthetic Koga at full scale against the facts it must reproduce."""

from __future__ import annotations

import pandas as pd
import pytest

from kogadx.geo.reference import CRS_METRIC, load_reference_boundary, load_reference_towns, town_polygons
from kogadx.ingest.contracts import RESIDENTS
from kogadx.ingest.core import ingest_table
from kogadx.params import validate_params
from kogadx.synth.koga import generate_koga
from kogadx.synth.params import SynthesizeParams
from kogadx.synth.stage import SynthesizeInputs
from tests.helpers import project_params


@pytest.fixture(scope="module")
def koga():
    params = validate_params(SynthesizeParams, project_params()["synthesize"] | {"scale": 1.0})
    geography = SynthesizeInputs.embedded()
    return generate_koga(params, geography.towns, geography.boundary, geography.bus_stops)


@pytest.fixture(scope="module")
def residents(koga):
    towns = dict(zip(koga.small_areas["S_NAME"], koga.small_areas["KEY_CODE"], strict=True))
    return ingest_table(koga.tables["residents"].frame, RESIDENTS, towns).valid


def test_population_and_households_within_two_percent(residents):
    facts = project_params()["synthesize"]["residents"]
    assert abs(len(residents) / facts["population"] - 1) < 0.02
    assert abs(residents["household_id"].nunique() / facts["households"] - 1) < 0.02


def test_every_town_of_the_table_is_present(koga, residents):
    reference = load_reference_towns()
    assert set(koga.small_areas["KEY_CODE"]) == set(reference["town_code"])
    assert set(residents["town_code"]) == set(reference["town_code"])
    assert (koga.small_areas["JINKO"] > 0).all()


def test_every_generated_geometry_is_inside_the_boundary(koga):
    city = load_reference_boundary().to_crs(CRS_METRIC).geometry.iloc[0]
    areas = koga.small_areas.to_crs(CRS_METRIC)
    # Clipped Voronoi cells: inside up to floating-point noise.
    assert (areas.geometry.difference(city).area < 1.0).all()
    assert abs(areas.area.sum() - city.area) / city.area < 1e-6
    assert load_reference_towns().to_crs(CRS_METRIC).within(city).all()


def test_age_structure_is_that_of_an_ageing_commuter_town(residents):
    age = (pd.Timestamp("2024-02-29") - residents["birth_date"]).dt.days / 365.25
    share_65 = (age >= 65).mean()
    assert 0.24 < share_65 < 0.31  # Koga ≈ 27 % (UNCONFIRMED); Japan 2020 census 28.6 %
    assert 0.11 < (age < 15).mean() < 0.18
    towns = load_reference_towns().set_index("town_code")["base_name"]
    base = residents["town_code"].map(towns)
    hillside = age[base.isin(["花鶴丘", "日吉", "美明"])]
    station = age[base.isin(["駅東", "中央", "千鳥", "天神"])]
    assert (hillside >= 65).mean() > (station >= 65).mean() + 0.05


def test_identifiers_are_unique_and_valid(residents):
    from kogadx.idcodes import is_valid_my_number

    assert residents["my_number"].is_unique
    assert residents["resident_code"].is_unique
    assert residents["my_number"].map(is_valid_my_number).all()
    heads = residents[residents["relationship"] == "世帯主"]
    assert heads["household_id"].is_unique


def test_town_polygons_are_valid_and_nonempty():
    polygons = town_polygons(load_reference_towns(), load_reference_boundary())
    assert polygons.geometry.is_valid.all()
    assert (polygons["area_m2"] > 0).all()
