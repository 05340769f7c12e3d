"""Forecast engine units: panel preparation, metrics, intervals, models, backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.demand.backtest import rolling_origins, run_backtest
from kogadx.demand.evaluation import compare_models, summarize
from kogadx.demand.forecast import (
    ForecastConfig,
    build_design,
    fit_lightgbm,
    forecast_mstl,
    predict_lightgbm,
    seasonal_naive,
)
from kogadx.demand.intervals import apply_interval, conformal_quantile, conformity_scores
from kogadx.demand.lags import PanelSpec, prepare_panel
from kogadx.demand.metrics import interval_metrics, point_metrics
from kogadx.demand.params import ForecastParams
from kogadx.demand.toy import toy_hourly_panel
from kogadx.params import ParamsError, validate_params


def _config(**settings) -> ForecastConfig:
    """The engine's config from a ``forecast`` section (weather as recorded: the toy panel's)."""
    return ForecastConfig.from_params(ForecastParams(**{"seed": 20221001, "weather": "observed", **settings}))


def test_point_metrics_by_hand():
    m = point_metrics([2, 0, 4], [1, 1, 4])
    assert m["wape"] == pytest.approx(2 / 6)
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert m["bias"] == pytest.approx(0.0)
    # deviance of a perfect forecast is 0; negative forecasts are clipped to 0 first
    assert point_metrics([3, 1], [3, 1])["poisson_deviance"] == pytest.approx(0.0)
    assert point_metrics([0, 2], [-5, 2])["mae"] == pytest.approx(0.0)


def test_interval_metrics_coverage():
    m = interval_metrics([1, 5, 10], [0, 0, 0], [2, 4, 10])
    assert m["coverage"] == pytest.approx(2 / 3)
    assert m["mean_width"] == pytest.approx(16 / 3)


def test_conformal_interval_covers_poisson_counts():
    rng = np.random.default_rng(0)
    lam = rng.uniform(0.2, 20, 40_000)
    y = rng.poisson(lam)
    calib, test = slice(0, 20_000), slice(20_000, None)
    q = conformal_quantile(conformity_scores(y[calib], lam[calib]), 0.8)
    lo, hi = apply_interval(lam[test], q)
    coverage = interval_metrics(y[test], lo, hi)["coverage"]
    assert 0.78 < coverage < 0.88
    assert (lo >= 0).all()


def test_prepare_panel_fills_gaps_and_names_bad_rows():
    times = pd.date_range("2024-01-01", periods=6, freq="h")
    frame = pd.DataFrame({"t": times.delete(2), "n": [1, 2, 4, 5, 6], "temp": [1.0, 2, 4, 5, 6]})
    zero = prepare_panel(frame, PanelSpec("t", "n", freq="h", fill="zero"))
    assert zero.filled_steps == 1 and zero.frame["y"].tolist() == [1, 2, 0, 4, 5, 6]
    interp = prepare_panel(frame, PanelSpec("t", "n", freq="h", fill="interpolate"))
    assert interp.frame["y"].tolist() == [1, 2, 3, 4, 5, 6]
    assert interp.frame["temp"].tolist() == [1, 2, 2, 4, 5, 6]  # exogenous: carried forward
    with pytest.raises(ValueError, match="欠けた時刻"):
        prepare_panel(frame, PanelSpec("t", "n", freq="h", fill="error"))
    bad = frame.assign(n=["1", "2", "x", "5", "6"])
    with pytest.raises(ValueError, match=r"行 4 列 'n'"):
        prepare_panel(bad, PanelSpec("t", "n", freq="h", source="rides.csv"))
    dup = pd.concat([frame, frame.iloc[[1]]], ignore_index=True)
    with pytest.raises(ValueError, match="重複"):
        prepare_panel(dup, PanelSpec("t", "n", freq="h"))
    assert len(prepare_panel(dup, PanelSpec("t", "n", freq="h", duplicates="first")).frame) == 6


def test_seasonal_naive_is_same_hour_last_week():
    raw = toy_hourly_panel(2, 21, seed=5)
    panel = prepare_panel(raw, PanelSpec("time", "y", "zone", "h"))
    naive = seasonal_naive(panel.frame, 24, "h")
    frame = panel.frame.assign(naive=naive)
    row = frame.iloc[400]
    week_ago = frame[(frame["unique_id"] == row["unique_id"]) & (frame["ds"] == row["ds"] - pd.Timedelta(days=7))]
    assert row["naive"] == week_ago["y"].iloc[0]


def test_rolling_origins_and_short_history():
    raw = toy_hourly_panel(1, 29, seed=1)
    panel = prepare_panel(raw, PanelSpec("time", "y", "zone", "h"))
    origins = rolling_origins(panel, _config(horizons=(24, 168), n_folds=2))
    assert origins[1] - origins[0] == pd.Timedelta(hours=168)
    assert origins[-1] == panel.frame["ds"].max() - pd.Timedelta(hours=168)
    with pytest.raises(ValueError, match="履歴が短すぎます"):
        rolling_origins(panel, _config(horizons=(24, 168), n_folds=3))


def test_backtest_lightgbm_beats_naive_and_is_deterministic(monkeypatch):
    raw = toy_hourly_panel(3, 49, seed=2)
    panel = prepare_panel(raw, PanelSpec("time", "y", "zone", "h", truth_col="lambda_true"))
    config = _config(horizons=(24,), n_folds=3, step=24, models=("seasonal_naive", "lightgbm", "oracle"),
                     num_boost_round=60, seed=4)
    monkeypatch.setenv("KOGADX_WORKERS", "1")
    first = run_backtest(panel, config).predictions
    # the folds in two worker processes: the same predictions, in the same order (#25)
    monkeypatch.setenv("KOGADX_WORKERS", "2")
    second = run_backtest(panel, config).predictions
    pd.testing.assert_frame_equal(first, second)
    summary = summarize(first, 0.8)["h24"]
    wape = {m: summary[m]["by_series_step"]["wape"] for m in summary}
    assert wape["lightgbm"] < wape["seasonal_naive"]
    assert wape["oracle"] < wape["seasonal_naive"]
    paired = compare_models(first, seed=1, n_boot=200)["h24"]["seasonal_naive"]
    assert paired["wape_diff"] == pytest.approx(wape["lightgbm"] - wape["seasonal_naive"])
    assert paired["ci95_low"] <= paired["wape_diff"] <= paired["ci95_high"]
    # fold 0 only calibrates the intervals; later folds carry bounds
    lgbm = first[first["model"] == "lightgbm"]
    assert lgbm.loc[lgbm["fold"] == 0, "lower"].isna().all()
    assert lgbm.loc[lgbm["fold"] > 0, "lower"].notna().all()


def test_lightgbm_refit_every_k_origins_forecasts_with_the_run_s_first_model(monkeypatch):
    """``lightgbm_refit`` (#25): fold 1 is forecast by the model fitted at fold 0's origin (on
    the lags known at its own origin); fold 2 starts a new run; any worker count, same bytes."""
    panel = prepare_panel(toy_hourly_panel(2, 42, seed=5), PanelSpec("time", "y", "zone", "h"))
    settings = {"horizons": (24,), "n_folds": 3, "step": 24, "models": ("lightgbm",), "num_boost_round": 20,
                "seed": 4}
    config = _config(**settings, lightgbm_refit=((24, 2),))
    monkeypatch.setenv("KOGADX_WORKERS", "1")
    each = run_backtest(panel, _config(**settings)).predictions
    result = run_backtest(panel, config)
    monkeypatch.setenv("KOGADX_WORKERS", "2")
    pd.testing.assert_frame_equal(result.predictions, run_backtest(panel, config).predictions)
    design = build_design(panel, 24)
    times = design.frame["ds"]
    first = fit_lightgbm(design, (times <= result.origins[24][0]).to_numpy(), config)
    origin = result.origins[24][1]
    window = ((times > origin) & (times <= origin + pd.Timedelta(hours=24)) & design.frame["y"].notna()).to_numpy()
    fold = result.predictions.set_index("fold")
    np.testing.assert_array_equal(fold.loc[1, "yhat"].to_numpy(), predict_lightgbm(first, design, window))
    for k in (0, 2):  # the first fold of each run: fitted at its own origin, as without the setting
        np.testing.assert_array_equal(fold.loc[k, "yhat"].to_numpy(), each.set_index("fold").loc[k, "yhat"].to_numpy())
    assert not np.array_equal(fold.loc[1, "yhat"].to_numpy(), each.set_index("fold").loc[1, "yhat"].to_numpy())


def test_mstl_stl_settings_reach_statsforecast():
    """``mstl_stl`` (#25): the STL loess jumps are passed to every MSTL decomposition."""
    from statsforecast.models import MSTL, AutoETS

    frame = prepare_panel(toy_hourly_panel(1, 29, seed=1), PanelSpec("time", "y", "zone", "h")).frame
    origin = frame["ds"].max() - pd.Timedelta(hours=24)
    jumps = {"seasonal_jump": 2, "trend_jump": 29, "low_pass_jump": 17}
    jumped = forecast_mstl(frame, origin, 24, "h", 336, stl=jumps)["yhat"].to_numpy()
    y = frame.loc[frame["ds"] <= origin, "y"].to_numpy(dtype="float64")[-336:]
    direct = MSTL(season_length=[24, 168], trend_forecaster=AutoETS(model="ZZN"), stl_kwargs=jumps).forecast(y=y, h=24)
    np.testing.assert_array_equal(jumped, np.clip(direct["mean"], 0.0, None))
    assert not np.array_equal(jumped, forecast_mstl(frame, origin, 24, "h", 336)["yhat"].to_numpy())
    assert _config(mstl_stl=jumps).mstl_stl == jumps
    with pytest.raises(ParamsError, match="mstl_stl"):
        validate_params(ForecastParams, {"seed": 1, "mstl_stl": {"seasonal": 7}}, prefix="forecast")


def test_params_reject_unknown_model():
    with pytest.raises(ParamsError, match=r"forecast\.models\.0: 使える値ではありません.*prophet"):
        validate_params(ForecastParams, {"seed": 1, "models": ["prophet"]}, prefix="forecast")
