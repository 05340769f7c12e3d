"""Params of the pseudonymize and anonymize sections: the project's values load, a bad value names its key."""

from __future__ import annotations

from datetime import date

import pytest

from kogadx.params import ParamsError, load_params, validate_params
from kogadx.privacy.params import AnonymizeParams, PseudonymizeParams
from tests.helpers import PROJECT_ROOT

ANONYMIZE = {"quasi_identifiers": ["age", "sex", "town_code", "relationship"], "derive": ["household_size"],
             "sensitive": "household_size", "k": 5, "l": 2, "max_suppression": 0.05, "metric": "entropy",
             "max_levels": {"age": 2},
             "keep_columns": ["age", "sex", "town_code", "relationship", "household_size"]}


def test_project_params_load():
    pseudo = load_params(PseudonymizeParams, PROJECT_ROOT / "params.yaml")
    assert pseudo.reference_date == date(2024, 2, 29) and pseudo.tables is None and pseudo.towns_table == "towns"
    anon = load_params(AnonymizeParams, PROJECT_ROOT / "params.yaml")
    assert anon == validate_params(AnonymizeParams, ANONYMIZE)
    assert anon.quasi_identifiers == ("age", "sex", "town_code", "relationship") and anon.k == 5 and anon.l == 2
    assert anon.sensitive == "household_size"  # 続柄 is a quasi-identifier, not the sensitive attribute (#19)


def test_defaults_live_in_the_classes():
    assert PseudonymizeParams() == PseudonymizeParams(reference_date=None, chunk_rows=1_000_000, tables=None,
                                                      towns_table="towns")
    anon = validate_params(AnonymizeParams, {"quasi_identifiers": ["age"], "k": 2})
    assert (anon.sensitive, anon.l, anon.max_suppression, anon.keep_columns) == (None, 1, 0.05, None)


@pytest.mark.parametrize(("key", "value"), [
    ("chunk_rows", 0), ("chunk_rows", "many"), ("reference_date", "2024-02-30"), ("tables", []),
    ("towns_table", ["towns"]), ("chunk_row", 10),
])
def test_bad_pseudonymize_value_names_the_key(key, value):
    with pytest.raises(ParamsError, match=rf"pseudonymize\.{key}:"):
        validate_params(PseudonymizeParams, {key: value}, prefix="pseudonymize")


@pytest.mark.parametrize(("key", "value"), [
    ("k", 1), ("k", 2.5), ("l", 0), ("max_suppression", -0.1), ("max_suppression", 1.5),
    ("quasi_identifiers", []), ("keep_columns", "age"), ("sensitive", 3), ("kk", 5),
])
def test_bad_anonymize_value_names_the_key(key, value):
    with pytest.raises(ParamsError, match=rf"anonymize\.{key}:"):
        validate_params(AnonymizeParams, {**ANONYMIZE, key: value}, prefix="anonymize")


def test_missing_required_key_is_named():
    with pytest.raises(ParamsError, match=r"anonymize\.k: 値がありません"):
        validate_params(AnonymizeParams, {"quasi_identifiers": ["age"]}, prefix="anonymize")
