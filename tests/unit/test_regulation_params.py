"""Section regulation_scan of params.yaml: typed, defaults in one place, bad values named."""

from __future__ import annotations

import pytest

from kogadx.params import ParamsError, load_params, validate_params
from kogadx.regulation.params import RegulationScanParams
from tests.helpers import write_params


def test_project_params_load_and_match_the_defaults():
    assert load_params(RegulationScanParams) == RegulationScanParams()


@pytest.mark.parametrize(("values", "key"), [
    ({"threshold": 1.5}, "regulation_scan.threshold"),
    ({"cv_folds": 1}, "regulation_scan.cv_folds"),
    ({"c": "大きめ"}, "regulation_scan.c"),
    ({"budget": 0}, "regulation_scan.budget"),
    ({"features": "bert"}, "regulation_scan.features"),
    ({"use_sumaries": False}, "regulation_scan.use_sumaries"),
    ({"ngram_min": 4, "ngram_max": 3}, "ngram_min"),
])
def test_a_bad_value_names_the_key(values, key):
    with pytest.raises(ParamsError, match=key.replace(".", r"\.")):
        validate_params(RegulationScanParams, values, prefix="regulation_scan")


def test_a_bad_value_in_the_file_stops_the_load(tmp_path):
    path = write_params(tmp_path, {"regulation_scan": {"hash_features_log2": 40}})
    with pytest.raises(ParamsError, match=r"regulation_scan\.hash_features_log2") as error:
        load_params(RegulationScanParams, path)
    assert "params.yaml" in str(error.value)
