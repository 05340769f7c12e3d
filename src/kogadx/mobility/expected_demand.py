"""Expected demand (zone × hour) of the forecast policy, and how good it is.

:func:`choose_expected_demand` picks the source (``dispatch.expected_demand.source``):

* ``file`` — the forecast file, only when it covers every replayed service hour (the forecast
  stage forecasts the period *after* the data, so normally it does not);
* ``backtest`` — the demand stage's LightGBM model trained on the features panel before the
  replay start, forecasting each replayed hour from counts at least ``backtest_horizon_h``
  hours old (:func:`expected_from_backtest`);
* ``history`` — the mean count in the same hour of the week over the previous
  ``history_weeks`` weeks (:func:`expected_from_history`);
* ``auto`` — file if it covers, else backtest if the panel is given, else history.

The MAE of the table used and of the history estimate (against the counts and, on synthetic
data, the true λ) go to the metrics. The true λ (``oracle``) is read only here and in the
replications; only aggregated KPIs leave the stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kogadx.demand.forecast import ForecastConfig, build_design, fit_lightgbm, predict_lightgbm
from kogadx.demand.lags import GROUP, TIME, panel_spec_from_params, prepare_panel
from kogadx.demand.params import ForecastParams
from kogadx.io import InputFileError
from kogadx.mobility.params import ExpectedDemand as ExpectedDemandParams
from kogadx.mobility.simulation import round_metric


@dataclass(frozen=True)
class ExpectedDemand:
    """Expected-demand tables (zone, hour, expected) of the replay period: ``table`` feeds the
    forecast policy (from ``source``), ``history`` is the 4-week estimate (a control),
    ``oracle`` the true λ (None without truth); ``accuracy`` their MAE (metrics)."""

    table: pd.DataFrame
    source: str
    history: pd.DataFrame
    oracle: pd.DataFrame | None
    accuracy: dict[str, Any]


def choose_expected_demand(
    config: ExpectedDemandParams,
    *,
    counts: pd.DataFrame,
    zones: list[str],
    replay_hours: set[pd.Timestamp],
    service_hours: Mapping[pd.Timestamp, tuple[float, float]],
    start: str,
    end: str,
    forecast: pd.DataFrame | None = None,
    panel: pd.DataFrame | None = None,
    forecast_params: ForecastParams | None = None,
    truth: pd.DataFrame | None = None,
) -> ExpectedDemand:
    """The expected demand of the replay ``start`` … ``end`` from the source ``config`` asks for.

    Args:
        config: the ``dispatch.expected_demand`` settings.
        counts: zone, hour, y — observed requests per zone-hour (:func:`hourly_counts`).
        zones: every zone of the service area.
        replay_hours: the hour starts of the replayed requests (a forecast file must cover them).
        service_hours: (open, close) hour per service date (accuracy over service hours only).
        forecast: the forecast stage's table (zone, time, expected) or None.
        panel, forecast_params: the demand features panel and the ``forecast`` section, for
            the backtest forecast; None = no backtest.
        truth: the true intensity (zone, time, lambda) or None.
    """
    source = config.source
    expected = None
    if source in ("auto", "file") and forecast is not None:
        table = expected_from_table(forecast, "expected", start, end)
        if replay_hours <= set(pd.to_datetime(table["hour"])):
            expected, source = table, "file"
    if expected is None and source == "file":
        raise InputFileError(f"需要予測ファイルが再生期間 {start} … {end} を覆っていません "
                             "(expected_demand.source を auto / backtest / history にしてください)")
    if expected is None and source in ("auto", "backtest"):
        if panel is None or forecast_params is None:
            if source == "backtest":
                raise InputFileError("expected_demand.source = backtest には需要パネル (引数 PANEL) が必要です")
        else:
            expected = expected_from_backtest(panel, forecast_params, start, end, config.backtest_horizon_h)
            source = "backtest"
    history = expected_from_history(counts, zones, start, end, config.history_weeks)
    if expected is None:
        expected, source = history, "history"
    oracle = expected_from_table(truth, "lambda", start, end) if truth is not None else None
    accuracy = {"forecast_used": demand_accuracy(expected, counts, oracle, service_hours),
                "history": demand_accuracy(history, counts, oracle, service_hours)}
    return ExpectedDemand(table=expected, source=source, history=history, oracle=oracle, accuracy=accuracy)


def hourly_counts(rides: pd.DataFrame, stops_xy: pd.DataFrame, outcomes: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """zone × hour (hour start) request counts by origin zone and desired pick-up hour, as
    in the demand panel's target ``y`` (outcomes counted = ``outcomes``)."""
    zone_of = dict(zip(stops_xy["stop_id"], stops_xy["zone"], strict=True))
    sel = rides[rides["outcome"].isin(outcomes)]
    frame = pd.DataFrame({"zone": sel["origin_stop_id"].astype(str).map(zone_of),
                          "hour": sel["desired_pickup_at"].dt.floor("h").astype("datetime64[us]")}).dropna()
    return frame.groupby(["zone", "hour"]).size().rename("y").reset_index()


def expected_from_history(counts: pd.DataFrame, zones: list[str], start: str, end: str, weeks: int) -> pd.DataFrame:
    """zone, hour, expected: mean count in the same hour of the week over the ``weeks``
    previous weeks (uses only hours before the predicted one: no look-ahead)."""
    hours = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(hours=23),
                          freq="h").astype("datetime64[us]")
    full = pd.MultiIndex.from_product([zones, hours], names=["zone", "hour"])
    lookup = counts.set_index(["zone", "hour"])["y"]
    total = np.zeros(len(full))
    for k in range(1, weeks + 1):
        shifted = pd.MultiIndex.from_arrays([full.get_level_values(0),
                                             full.get_level_values(1) - pd.Timedelta(days=7 * k)])
        total += lookup.reindex(shifted).fillna(0.0).to_numpy()
    return pd.DataFrame({"zone": full.get_level_values(0).astype(str), "hour": full.get_level_values(1),
                         "expected": total / weeks})


def expected_from_backtest(panel_frame: pd.DataFrame, forecast_params: ForecastParams, start: str, end: str,
                           horizon_h: int) -> pd.DataFrame:
    """zone, hour, expected: the demand stage's LightGBM model as it would have forecast the
    replay weeks (a backtest forecast, no look-ahead).

    One global model (``kogadx.demand``: same panel preparation, features and LightGBM
    settings as the forecast stage, params section ``forecast``) is trained on panel rows
    strictly before ``start`` (within ``train_window``) with the direct ``horizon_h``-step
    design, so every feature of an hour is a count at least ``horizon_h`` hours older — a
    forecast issued ``horizon_h`` hours ahead — and predicts every hour of ``start`` …
    ``end`` (dates inclusive). Exogenous columns of the panel (calendar, weather, zone
    attributes) are read as recorded, i.e. weather is treated as perfectly forecast.
    """
    spec = panel_spec_from_params(forecast_params, list(panel_frame.columns), "panel")
    config = ForecastConfig.from_params(forecast_params)
    panel = prepare_panel(panel_frame, spec)
    design = build_design(panel, int(horizon_h), issue_time_cols=config.issue_time_cols)
    times = design.frame[TIME]
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    train = (times < lo).to_numpy()
    if config.train_window:
        train = train & (times >= lo - pd.Timedelta(hours=int(config.train_window))).to_numpy()
    window = ((times >= lo) & (times < hi)).to_numpy()
    if not window.any():
        raise InputFileError(f"需要パネルが再生期間 {start} … {end} を含んでいません")
    booster = fit_lightgbm(design, train, config)
    yhat = predict_lightgbm(booster, design, window)
    return pd.DataFrame({"zone": design.frame.loc[window, GROUP].astype(str).to_numpy(),
                         "hour": design.frame.loc[window, TIME].astype("datetime64[us]").to_numpy(),
                         "expected": yhat.astype(float)})


def expected_from_table(table: pd.DataFrame, value_col: str, start: str, end: str) -> pd.DataFrame:
    """zone, hour, expected from a zone × time table (forecast ``expected`` or truth ``lambda``)
    restricted to ``start`` … ``end`` (dates inclusive)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    sel = table[(table["time"] >= lo) & (table["time"] < hi)]
    return pd.DataFrame({"zone": sel["zone"].astype(str).to_numpy(),
                         "hour": sel["time"].astype("datetime64[us]").to_numpy(),
                         "expected": sel[value_col].astype(float).to_numpy()})


def demand_accuracy(expected: pd.DataFrame, counts: pd.DataFrame, truth: pd.DataFrame | None,
                    hours: Mapping[pd.Timestamp, tuple[float, float]]) -> dict[str, Any]:
    """MAE (requests per zone-hour) of an expected-demand table against the observed counts
    and, when known, the true λ, over the service hours of the replayed days."""
    table = expected.assign(hour=pd.to_datetime(expected["hour"]).astype("datetime64[us]"))
    day = table["hour"].dt.normalize()
    h = table["hour"].dt.hour.to_numpy(float)
    lo = np.array([hours.get(pd.Timestamp(d), (np.nan, np.nan))[0] for d in day])
    hi = np.array([hours.get(pd.Timestamp(d), (np.nan, np.nan))[1] for d in day])
    table = table[(h >= lo) & (h < hi)]
    obs = table.merge(counts.assign(zone=counts["zone"].astype(str)), on=["zone", "hour"], how="left")["y"].fillna(0.0)
    out = {"n_zone_hours": int(len(table)),
           "mae_vs_counts": round_metric(float(np.abs(table["expected"].to_numpy() - obs.to_numpy()).mean()))}
    if truth is not None:
        lam = table.merge(truth.assign(hour=pd.to_datetime(truth["hour"]).astype("datetime64[us]")).rename(
            columns={"expected": "lam"}), on=["zone", "hour"], how="left")["lam"]
        out["mae_vs_lambda"] = round_metric(float(np.abs(table["expected"].to_numpy() - lam.to_numpy(float)).mean()))
    return out
