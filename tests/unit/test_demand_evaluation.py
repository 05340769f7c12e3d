"""The evaluation protocol: closed hours not scored, calibrated integer intervals, paired tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.demand.backtest import run_backtest
from kogadx.demand.evaluation import block_bootstrap_indices, diebold_mariano, paired_comparisons, summarize
from kogadx.demand.forecast import ForecastConfig
from kogadx.demand.intervals import fit_interval_model, nb_quantile, sequential_intervals
from kogadx.demand.lags import PanelSpec, prepare_panel
from kogadx.demand.metrics import interval_metrics, interval_score
from kogadx.demand.params import ForecastParams
from kogadx.demand.toy import toy_hourly_panel


def _nb_counts(rng: np.random.Generator, mu: np.ndarray, size: float) -> np.ndarray:
    return rng.poisson(rng.gamma(size, mu / size))


def test_interval_score_by_hand() -> None:
    # width 2; y = 5 above the upper bound 3 by 2 → + 2/0.2 · 2 = 20; y inside → width only
    assert interval_score([5, 2], [1, 1], [3, 3], 0.8) == pytest.approx(((2 + 20) + 2) / 2)


def test_calibrated_nb_interval_covers_the_nominal_share_of_small_counts() -> None:
    rng = np.random.default_rng(1)
    mu = rng.uniform(0.3, 4.0, 6000)
    y = _nb_counts(rng, mu, 5.0)
    band = (np.arange(mu.size) % 4)
    model = fit_interval_model(y[:3000], mu[:3000], band[:3000], 0.8)
    assert 2.5 < model.size < 10  # the fitted dispersion finds the true size 5
    lo, hi = model.bounds(mu[3000:], band[3000:])
    assert np.array_equal(lo, np.floor(lo)) and np.array_equal(hi, np.floor(hi))  # integer bounds
    assert 0.77 <= interval_metrics(y[3000:], lo, hi)["coverage"] <= 0.83
    # the uncalibrated central 80 % interval of the same NB overshoots (counts are discrete)
    raw = interval_metrics(y[3000:], nb_quantile(mu[3000:], model.size, 0.1), nb_quantile(mu[3000:], model.size, 0.9))
    assert raw["coverage"] > 0.86


def test_sequential_intervals_use_only_earlier_folds() -> None:
    rng = np.random.default_rng(2)
    n = 400
    frame = pd.DataFrame({"model": "m", "horizon": 24, "fold": np.repeat([0, 1, 2, 3], n // 4),
                          "yhat": 2.0, "band": 0, "scored": True})
    frame["y"] = rng.poisson(2.0, n).astype(float)
    first = sequential_intervals(frame, 0.8, warmup=1)
    changed = frame.copy()
    changed.loc[changed["fold"] == 3, "y"] = 50.0  # the last fold's outcomes must not move its own bounds
    second = sequential_intervals(changed, 0.8, warmup=1)
    assert first["lower"][frame["fold"] == 0].isna().all()
    pd.testing.assert_series_equal(first["upper"], second["upper"])


def test_closed_hours_are_zero_and_not_scored() -> None:
    raw = toy_hourly_panel(2, 35, seed=3)
    raw["open"] = ((raw["time"].dt.hour >= 7) & (raw["time"].dt.hour <= 19)).astype(int)
    panel = prepare_panel(raw.drop(columns=["lambda_true"]), PanelSpec("time", "y", "zone", "h", service_col="open"))
    config = ForecastConfig.from_params(ForecastParams(
        seed=1, weather="observed", horizons=(24,), origins=((24, 8, 24),), warmup=3, service_col="open",
        models=("seasonal_naive", "historical_average", "lightgbm"), num_boost_round=20))
    result = run_backtest(panel, config)
    pred = result.predictions
    closed = pred[~pred["scored"]]
    assert len(closed) and (closed["yhat"] == 0).all() and (closed["upper"] == 0).all()
    assert result.closed["raw_max_forecast"]["lightgbm"] < 0.5  # the model itself already says ~0 there
    summary = summarize(pred, 0.8)["h24"]
    n_open = int(pred[(pred["model"] == "historical_average") & pred["scored"]].shape[0])
    assert summary["historical_average"]["by_series_step"]["n"] == n_open < len(pred[pred["model"] == "lightgbm"])
    assert set(summary["lightgbm"]["interval"]["by_band"]) and summary["lightgbm"]["interval"]["folds"] == 5


def test_paired_comparison_finds_a_real_difference_and_not_a_fake_one() -> None:
    rng = np.random.default_rng(4)
    rows = []
    for fold in range(40):
        y = rng.poisson(5.0, 30).astype(float)
        good = y + rng.normal(0, 1.0, 30)
        bad = y + rng.normal(0, 3.0, 30)
        for model, yhat in (("lightgbm", good), ("worse", bad), ("same", good)):
            rows.append(pd.DataFrame({"fold": fold, "model": model, "y": y, "yhat": yhat}))
    frame = pd.concat(rows, ignore_index=True)
    result = paired_comparisons(frame, seed=0, n_boot=500)
    assert result["worse"]["excludes_zero"] and result["worse"]["ci95_high"] < 0
    assert result["worse"]["dm_pvalue"] < 0.01
    assert result["same"]["wape_diff"] == 0 and not result["same"]["excludes_zero"]


def test_block_bootstrap_and_dm_edge_cases() -> None:
    idx = block_bootstrap_indices(56, 10, np.random.default_rng(0))
    assert idx.shape == (10, 56) and idx.min() >= 0 and idx.max() < 56
    stat, p = diebold_mariano(np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0]))
    assert p > 0.5


def test_holiday_features_know_each_countrys_public_holidays() -> None:
    from kogadx.demand.lags import holiday_features

    days = pd.Series(pd.to_datetime(["2024-01-01", "2024-07-04", "2024-07-05", "2024-07-15"]))
    jp, us = holiday_features(days, "JP"), holiday_features(days, "US")
    assert jp["cal_holiday"].tolist() == [1, 0, 0, 1]  # 元日, 海の日 (15 July 2024)
    assert us["cal_holiday"].tolist() == [1, 1, 0, 0]  # New Year's Day, Independence Day
    assert us.loc[2, "cal_days_since_holiday"] == 1 and us.loc[1, "cal_holiday_id"] > 0
