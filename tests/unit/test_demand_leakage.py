"""No leakage: features for the forecast window do not change when the future changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.demand.forecast import build_design
from kogadx.demand.lags import PanelSpec, add_horizon_features, lag_steps, prepare_panel
from kogadx.demand.toy import toy_hourly_panel


def _perturb_after(frame: pd.DataFrame, origin: pd.Timestamp, seed: int) -> pd.DataFrame:
    """Replace every target after ``origin`` by unrelated random counts."""
    out = frame.copy()
    future = out["ds"] > origin
    out.loc[future, "y"] = np.random.default_rng(seed).poisson(50, int(future.sum())).astype("float64")
    return out


@pytest.fixture(scope="module")
def panel():
    raw = toy_hourly_panel(n_zones=3, days=35, seed=3)
    return prepare_panel(raw, PanelSpec("time", "y", "zone", "h", truth_col="lambda_true"))


@pytest.mark.parametrize("horizon", [1, 24, 168])
def test_window_features_ignore_the_future(panel, horizon):
    origin = panel.frame["ds"].max() - pd.Timedelta(hours=200)
    window = (panel.frame["ds"] > origin) & (panel.frame["ds"] <= origin + pd.Timedelta(hours=horizon))
    original, names = add_horizon_features(panel.frame, horizon, "h")
    shifted, _ = add_horizon_features(_perturb_after(panel.frame, origin, seed=horizon), horizon, "h")
    assert window.sum() == 3 * horizon
    pd.testing.assert_frame_equal(original.loc[window, names], shifted.loc[window, names])
    # the perturbation is real: rows beyond the window do see it
    beyond = panel.frame["ds"] > origin + pd.Timedelta(hours=horizon)
    assert not original.loc[beyond, names].equals(shifted.loc[beyond, names])


def test_full_design_for_lightgbm_ignores_the_future(panel):
    """Calendar, exogenous and lag columns together: the model's whole input is future-free."""
    horizon = 24
    origin = panel.frame["ds"].max() - pd.Timedelta(hours=100)
    window = ((panel.frame["ds"] > origin) & (panel.frame["ds"] <= origin + pd.Timedelta(hours=horizon))).to_numpy()
    perturbed = type(panel)(_perturb_after(panel.frame, origin, 9), panel.spec, panel.exog_cols)
    a, b = build_design(panel, horizon), build_design(perturbed, horizon)
    cols = list(a.features)
    assert "lambda_true" not in cols and "y" not in cols
    pd.testing.assert_frame_equal(a.frame.loc[window, cols], b.frame.loc[window, cols])


def test_a_too_short_lag_is_caught(panel):
    """The check can fail: lags shorter than the horizon do leak into the window."""
    horizon = 24
    origin = panel.frame["ds"].max() - pd.Timedelta(hours=200)
    window = (panel.frame["ds"] > origin) & (panel.frame["ds"] <= origin + pd.Timedelta(hours=horizon))
    leaky = [1, *lag_steps(horizon, "h")]
    original, names = add_horizon_features(panel.frame, horizon, "h", lags=leaky)
    shifted, _ = add_horizon_features(_perturb_after(panel.frame, origin, 1), horizon, "h", lags=leaky)
    assert not original.loc[window, "lag_1"].equals(shifted.loc[window, "lag_1"])


def test_lag_steps_never_below_horizon():
    for horizon in (1, 5, 24, 100, 168):
        for freq in ("h", "D"):
            lags = lag_steps(horizon, freq)
            assert lags[0] == horizon and min(lags) >= horizon


@pytest.mark.parametrize("horizon", [24, 30])
def test_weather_known_only_at_issue_time_ignores_future_weather(panel, horizon):
    """With ``weather: persistence`` the weather feature of an hour is the same hour on the last
    day known at the forecast origin; changing the future weather changes nothing in the window,
    whereas the observed (perfect-forecast) weather does see it."""
    rng = np.random.default_rng(5)
    frame = panel.frame.assign(temperature_c=rng.normal(20, 5, len(panel.frame)))
    withwx = type(panel)(frame, panel.spec, (*panel.exog_cols, "temperature_c"))
    origin = frame["ds"].max() - pd.Timedelta(hours=100)
    window = ((frame["ds"] > origin) & (frame["ds"] <= origin + pd.Timedelta(hours=horizon))).to_numpy()
    future = frame["ds"] > origin
    changed = frame.assign(temperature_c=frame["temperature_c"].where(~future, frame["temperature_c"] + 10.0))
    other = type(panel)(changed, panel.spec, withwx.exog_cols)
    issue = build_design(withwx, horizon, issue_time_cols=("temperature_c",))
    issue_b = build_design(other, horizon, issue_time_cols=("temperature_c",))
    pd.testing.assert_series_equal(issue.frame.loc[window, "temperature_c"], issue_b.frame.loc[window, "temperature_c"])
    back = 24 * int(np.ceil(horizon / 24))
    expected = frame.groupby("unique_id", sort=False)["temperature_c"].shift(back)
    pd.testing.assert_series_equal(issue.frame["temperature_c"], expected, check_names=False)
    observed = build_design(withwx, horizon)
    observed_b = build_design(other, horizon)
    assert not observed.frame.loc[window, "temperature_c"].equals(observed_b.frame.loc[window, "temperature_c"])
