"""Section report of params.yaml (typed, bad values named) and the note when no browser checks the reports."""

from __future__ import annotations

import pytest

from kogadx.params import ParamsError, load_params, validate_params
from kogadx.reporting.params import ReportParams
from kogadx.reporting.stage import NOT_CHECKED_FILE, check_and_screenshot
from kogadx.stage import TextFile


def test_project_params_load():
    params = load_params(ReportParams)
    assert params.regulation_top_n == 30 and params.max_mb == 5 and params.chromium_path == "/usr/bin/chromium"


@pytest.mark.parametrize(("values", "key"), [
    ({"max_mb": 0}, "report.max_mb"),
    ({"top_od_pairs": "多め"}, "report.top_od_pairs"),
    ({"browser_check": "たぶん"}, "report.browser_check"),
    ({"viewport": 900}, "report.viewport"),
])
def test_a_bad_value_names_the_key(values, key):
    with pytest.raises(ParamsError, match=key.replace(".", r"\.")):
        validate_params(ReportParams, values, prefix="report")


def test_no_browser_check_leaves_a_note_instead_of_screenshots(monkeypatch):
    shots = check_and_screenshot({"co2": b"<html></html>"}, ReportParams(browser_check=False))
    assert list(shots) == [NOT_CHECKED_FILE]
    assert isinstance(shots[NOT_CHECKED_FILE], TextFile) and "browser_check" in shots[NOT_CHECKED_FILE].text

    import kogadx.reporting.browser as browser

    monkeypatch.setattr(browser, "find_chromium", lambda preferred=None: None)
    shots = check_and_screenshot({"co2": b"<html></html>"}, ReportParams())
    assert list(shots) == [NOT_CHECKED_FILE] and "apt-get install chromium" in shots[NOT_CHECKED_FILE].text
