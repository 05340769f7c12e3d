"""DVC stage ``dispatch``: replay のるーと古賀 ride requests through the online dispatcher.

One call, :func:`run_dispatch_stage`, turns the pseudonymized ride requests and stops, the
demand forecast and (for the oracle only) the true intensity λ into KPIs per repositioning
policy, a fleet what-if table and figures; :func:`log_dispatch_runs` logs each scenario as
an MLflow run. See :mod:`kogadx.mobility.simulation` for the dispatcher itself.

Conventions (documented choices, all in params ``dispatch``):

* **Replay set**: requests whose desired pick-up falls in ``replay.start`` … ``replay.end``
  (dates, inclusive) and whose recorded outcome is in ``replay_outcomes`` (default: completed,
  refused by the real dispatcher, no-show — i.e. trips a van had to plan for; cancellations
  are left out because their cancel time is unknown). Rows with a booking time after the
  desired pick-up, an unknown stop or no party size are quarantined with a reason.
* **Places**: stops converted from JGD2011 lat/lon to EPSG:6670 (metres); zones are the
  demand stage's stop clusters (``kogadx.demand.features.stop_zones``).
* **Where an idle van waits in a zone**: the zone's stop nearest to the centroid of its stops
  weighted by pick-ups *before* the replay period (vans wait at a real stop).
* **Expected demand for the forecast policy** (zone × hour), ``expected_demand.source``:
  ``file`` = the forecast file (only when it covers every replayed service hour; the
  forecast stage forecasts the period *after* the data, so normally it does not);
  ``backtest`` = the demand stage's LightGBM model trained on the features panel before the
  replay start and forecasting each replayed hour from counts at least
  ``backtest_horizon_h`` hours old (:func:`expected_from_backtest`); ``history`` = "mean
  count in the same hour of the week over the previous ``history_weeks`` weeks"; ``auto`` =
  file if it covers, else backtest if the panel is given, else history. The MAE of the
  table used and of the history estimate (vs counts and true λ) go to the metrics.
* **Travel model calibration**: ``travel.speed_kmh: calibrated`` and/or ``rules.dwell_min:
  calibrated`` take the values fitted on completed solo rides before the replay start
  (:func:`kogadx.mobility.calibration.calibrate_travel`); the fit is in the metrics.
* **Slack repositioning** (``rules.reposition_in_slack``): vans whose next booked stop is
  later may reposition too, only where they still start that stop exactly on plan.
* **Oracle**: the synthetic generator's true λ (``data/truth``, secure zone; read only here,
  only aggregated KPIs leave the stage).
* **Replications** (``replications``, synthetic data only): one replay is one draw of the
  requests, so policy differences on it carry that draw's luck. :func:`run_replications`
  draws ``n`` more periods from the true λ (:func:`resample_requests`) and runs the default
  fleet with each policy, plus two controls (``uniform``: vans spread evenly, no spatial
  information; ``history``: the 4-week average instead of the model); paired differences
  have t 95 % intervals over the replications.
* **Repositioning rule**: ``rules.reposition_rule`` (see
  :class:`kogadx.mobility.simulation.DispatchRules`; default ``coverage``).
* **Demand +x %**: :func:`kogadx.mobility.simulation.scale_demand` with a generator seeded
  from ``seed`` and the factor: every request kept plus ``round((f-1)·N)`` copies of random
  requests (same stops, party size and lead time) shifted by U(-15, +15) minutes.
* **Wait** = pick-up start - desired pick-up time (bookings are made ahead; the van never
  comes early). ``short_notice_*`` KPIs: requests booked < ``short_lead_min`` minutes ahead.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.demand.features import service_calendar, stop_zones
from kogadx.demand.params import FeaturesParams, ForecastParams
from kogadx.geo.reference import CRS_GEOGRAPHIC, CRS_METRIC
from kogadx.io import InputFileError, read_text_table
from kogadx.mobility.calibration import calibrate_travel
from kogadx.mobility.simulation import (
    DispatchResult,
    DispatchRules,
    Fleet,
    MatrixTravelTime,
    StraightLineTravelTime,
    TravelTimeModel,
    check_dispatch,
    iter_fleet_scenarios,
    simulate_dispatch,
)
from kogadx.rng import stream_rng

KPI_KEYS = (
    "n_requests", "n_served", "n_rejected", "served_rate", "rejection_rate", "wait_mean_min",
    "wait_p95_min", "ride_over_direct_mean", "vehicle_km", "empty_km", "occupancy",
    "passengers_per_vehicle_hour", "short_notice_n_requests", "short_notice_served_rate",
    "short_notice_wait_mean_min",
)
POLICY_LABELS = {"none": "再配置なし (降車地で待機)", "depot": "車庫 (JR古賀駅) へ戻る",
                 "forecast": "予測に基づく再配置", "oracle": "真の需要 (オラクル)",
                 "uniform": "区域を区別せず均等に配置", "history": "過去 4 週の平均で再配置"}


@dataclass
class DispatchStageOutputs:
    """Everything the stage writes: ``metrics`` (JSON-ready), ``scenarios`` (one row per
    fleet size × demand factor × policy), ``default_results`` (policy → simulation at the
    default fleet and demand 1.0), ``figures`` (name → matplotlib Figure), ``runs``
    (MLflow run name → (params, metrics)), ``quarantine`` (rows left out, with reason)."""

    metrics: dict
    scenarios: pd.DataFrame
    default_results: dict[str, DispatchResult]
    figures: dict[str, Any]
    runs: dict[str, tuple[dict, dict]] = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None


# --------------------------------------------------------------------------- inputs
def stop_positions(stops: pd.DataFrame, zone_level: str, n_clusters: int) -> pd.DataFrame:
    """stop_id, x, y (metres, EPSG:6670) and zone (the demand stage's zones) per stop."""
    for col in ("stop_id", "lat", "lon"):
        if col not in stops.columns:
            raise InputFileError(f"stops: 列 {col} がありません")
    bad = stops["lat"].isna() | stops["lon"].isna()
    if bad.any():
        raise InputFileError(f"stops: 行 {int(np.flatnonzero(bad.to_numpy())[0]) + 1} 列 lat/lon が欠損しています")
    pts = gpd.GeoSeries(gpd.points_from_xy(stops["lon"], stops["lat"]), crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC)
    return pd.DataFrame({
        "stop_id": stops["stop_id"].astype(str).to_numpy(),
        "stop_name": stops["stop_name"].astype(str).to_numpy() if "stop_name" in stops else "",
        "x": pts.x.to_numpy(), "y": pts.y.to_numpy(),
        "zone": stop_zones(stops, zone_level=zone_level, n_clusters=n_clusters).astype(str).to_numpy(),
    })


def latlon_to_metric(lat: float, lon: float) -> tuple[float, float]:
    """JGD2011 latitude/longitude (degrees) → EPSG:6670 x, y (metres)."""
    pt = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=CRS_GEOGRAPHIC).to_crs(CRS_METRIC)
    return float(pt.x.iloc[0]), float(pt.y.iloc[0])


def prepare_requests(rides: pd.DataFrame, stops_xy: pd.DataFrame, start: str, end: str,
                     outcomes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replay set and quarantine from pseudonymized ride requests.

    Returns ``(requests, quarantine)``: requests with the simulator's columns (xy in
    EPSG:6670 metres, zones of origin/destination stops) plus origin/destination stop ids,
    for desired pick-ups on dates ``start`` … ``end`` (inclusive) with outcome in
    ``outcomes``; quarantine: request_id, row (1-based in the input), column, reason.
    """
    need = ["request_id", "requested_at", "desired_pickup_at", "origin_stop_id",
            "destination_stop_id", "passengers", "outcome"]
    missing = [c for c in need if c not in rides.columns]
    if missing:
        raise InputFileError(f"ride_requests: 列 {missing} がありません")
    frame = rides.reset_index(drop=True)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    in_period = (frame["desired_pickup_at"] >= lo) & (frame["desired_pickup_at"] < hi)
    frame = frame.assign(_row=np.arange(len(frame)) + 1)[in_period & frame["outcome"].isin(outcomes)]
    known = set(stops_xy["stop_id"])
    checks = [
        ("requested_at", frame["requested_at"].isna() | (frame["requested_at"] > frame["desired_pickup_at"]),
         "予約日時が欠損しているか希望乗車日時より後"),
        ("origin_stop_id", ~frame["origin_stop_id"].astype(str).isin(known), "乗車停留所 ID が stops にない"),
        ("destination_stop_id", ~frame["destination_stop_id"].astype(str).isin(known), "降車停留所 ID が stops にない"),
        ("passengers", frame["passengers"].isna() | (frame["passengers"].fillna(0) < 1), "人数が欠損または 1 未満"),
    ]
    flagged = pd.Series(False, index=frame.index)
    quarantine = []
    for col, mask, reason in checks:
        new = mask.fillna(True) & ~flagged
        for rid, row in zip(frame.loc[new, "request_id"], frame.loc[new, "_row"]):
            quarantine.append((str(rid), int(row), col, reason))
        flagged |= new
    frame = frame[~flagged]
    pos = stops_xy.set_index("stop_id")
    o = pos.loc[frame["origin_stop_id"].astype(str)]
    d = pos.loc[frame["destination_stop_id"].astype(str)]
    requests = pd.DataFrame({
        "request_id": frame["request_id"].astype(str).to_numpy(),
        "request_time": frame["requested_at"].astype("datetime64[us]").to_numpy(),
        "desired_pickup_time": frame["desired_pickup_at"].astype("datetime64[us]").to_numpy(),
        "origin_x": o["x"].to_numpy(), "origin_y": o["y"].to_numpy(),
        "dest_x": d["x"].to_numpy(), "dest_y": d["y"].to_numpy(),
        "passengers": frame["passengers"].astype(int).to_numpy(),
        "origin_zone": o["zone"].to_numpy(), "dest_zone": d["zone"].to_numpy(),
        "origin_stop_id": frame["origin_stop_id"].astype(str).to_numpy(),
        "destination_stop_id": frame["destination_stop_id"].astype(str).to_numpy(),
        "outcome": frame["outcome"].astype(str).to_numpy(),
    })
    requests = requests.sort_values(["request_time", "request_id"], kind="stable").reset_index(drop=True)
    return requests, pd.DataFrame(quarantine, columns=["request_id", "row", "column", "reason"])


def resample_requests(templates: pd.DataFrame, intensity: pd.DataFrame, outcomes: list[str],
                      rng: np.random.Generator, prefix: str = "S") -> pd.DataFrame:
    """Another realisation of the replay period drawn from a known intensity (oracle runs).

    For every zone × hour of ``intensity`` (zone, hour, expected = λ over all outcomes) the
    number of requests is Poisson(λ); each is a copy of a random earlier request
    (``templates``, from :func:`prepare_requests` with every outcome) with the same origin
    zone and hour of day (any hour of the zone if that pool is empty): its stops, party
    size, booking lead, minute within the hour and outcome. Copies whose outcome is not in
    ``outcomes`` (cancellations) are dropped, exactly as in the replay set.
    """
    tpl = templates.assign(_hod=templates["desired_pickup_time"].dt.hour,
                           _minute=(templates["desired_pickup_time"] - templates["desired_pickup_time"].dt.floor("h"))
                           / pd.Timedelta(minutes=1),
                           _lead=templates["desired_pickup_time"] - templates["request_time"])
    pools = {key: grp.index.to_numpy() for key, grp in tpl.groupby(["origin_zone", "_hod"], sort=True)}
    by_zone = {z: grp.index.to_numpy() for z, grp in tpl.groupby("origin_zone", sort=True)}
    lam = intensity.sort_values(["hour", "zone"], kind="stable")
    lam = lam[lam["expected"] > 0]
    n = rng.poisson(lam["expected"].to_numpy(float))
    picks, hours = [], []
    missing = sorted(set(lam["zone"].astype(str)) - set(by_zone))
    if missing:  # λ there cannot be drawn: say so rather than thin the period silently
        logging.getLogger("kogadx.dispatch").warning(
            "ゾーン %s には過去の予約がないため、作り直した期間に含めていません", "、".join(missing))
    for zone, hour, k in zip(lam["zone"].astype(str), pd.to_datetime(lam["hour"]), n):
        if k == 0:
            continue
        pool = pools.get((zone, hour.hour), by_zone.get(zone))
        if pool is None or len(pool) == 0:
            continue
        picks.append(pool[rng.integers(0, len(pool), int(k))])
        hours.extend([hour] * int(k))
    if not picks:
        return templates.iloc[:0].drop(columns="outcome", errors="ignore")
    rows = tpl.loc[np.concatenate(picks)].reset_index(drop=True)
    desired = pd.Series(pd.to_datetime(hours)).astype("datetime64[us]") + pd.to_timedelta(rows["_minute"], unit="min")
    out = rows.assign(desired_pickup_time=desired.to_numpy(), request_time=(desired - rows["_lead"]).to_numpy())
    out = out[out["outcome"].isin(outcomes)].reset_index(drop=True)
    out["request_id"] = [f"{prefix}{k:06d}" for k in range(len(out))]
    out = out.drop(columns=["_hod", "_minute", "_lead", "outcome"])
    return out.sort_values(["request_time", "request_id"], kind="stable").reset_index(drop=True)


def zone_waiting_points(stops_xy: pd.DataFrame, rides: pd.DataFrame, before: str) -> pd.DataFrame:
    """zone, stop_id, x, y: where an idle van waits for each zone (metres, EPSG:6670).

    The zone's stop nearest to the centroid of its stops weighted by pick-ups with a desired
    time before ``before`` (+1 per stop, so zones without history use the plain centroid).
    """
    hist = rides[rides["desired_pickup_at"] < pd.Timestamp(before)]
    counts = hist["origin_stop_id"].astype(str).value_counts()
    frame = stops_xy.assign(w=stops_xy["stop_id"].map(counts).fillna(0).to_numpy(float) + 1.0)
    rows = []
    for zone, grp in frame.groupby("zone", sort=True):
        cx = float(np.average(grp["x"], weights=grp["w"]))
        cy = float(np.average(grp["y"], weights=grp["w"]))
        best = grp.iloc[int(np.argmin(np.hypot(grp["x"] - cx, grp["y"] - cy)))]
        rows.append((zone, best["stop_id"], float(best["x"]), float(best["y"])))
    return pd.DataFrame(rows, columns=["zone", "stop_id", "x", "y"])


def hourly_counts(rides: pd.DataFrame, stops_xy: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """zone × hour (hour start) request counts by origin zone and desired pick-up hour, as
    in the demand panel's target ``y`` (outcomes counted = ``outcomes``)."""
    zone_of = dict(zip(stops_xy["stop_id"], stops_xy["zone"]))
    sel = rides[rides["outcome"].isin(outcomes)]
    frame = pd.DataFrame({"zone": sel["origin_stop_id"].astype(str).map(zone_of),
                          "hour": sel["desired_pickup_at"].dt.floor("h").astype("datetime64[us]")}).dropna()
    return frame.groupby(["zone", "hour"]).size().rename("y").reset_index()


def expected_from_history(counts: pd.DataFrame, zones: list[str], start: str, end: str, weeks: int) -> pd.DataFrame:
    """zone, hour, expected: mean count in the same hour of the week over the ``weeks``
    previous weeks (uses only hours before the predicted one: no look-ahead)."""
    hours = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(hours=23), freq="h").astype("datetime64[us]")
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
                           horizon_h: int = 168) -> pd.DataFrame:
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
    from kogadx.demand.forecast import ForecastConfig, build_design, fit_lightgbm, predict_lightgbm
    from kogadx.demand.forecast_stage import panel_spec_from_params
    from kogadx.demand.lags import GROUP, TIME, prepare_panel

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


def service_hours_by_day(start: str, end: str, features: FeaturesParams) -> dict[pd.Timestamp, tuple[float, float]]:
    """(open hour, close hour) per service date from the features calendar (weekday vs
    weekend/holiday hours)."""
    cal = service_calendar(start, end, weekday_hours=features.weekday_hours,
                           weekend_hours=features.weekend_hours)
    on = cal[cal["in_service"] == 1]
    span = on.groupby(on["time"].dt.normalize())["hour"].agg(["min", "max"])
    return {pd.Timestamp(d): (float(lo), float(hi) + 1.0) for d, lo, hi in zip(span.index, span["min"], span["max"])}


def travel_model_from_params(travel: Mapping[str, Any], stops_xy: pd.DataFrame) -> TravelTimeModel:
    """``straight_line`` (detour_factor, speed_kmh) or ``matrix`` (``matrix_file``: CSV with
    from_stop, to_stop, minutes[, km] for every ordered pair of stops; points snap to the
    nearest stop)."""
    kind = travel.get("model", "straight_line")
    if kind == "straight_line":
        return StraightLineTravelTime(float(travel.get("detour_factor", 1.3)), float(travel.get("speed_kmh", 25.0)))
    if kind != "matrix":
        raise ValueError(f"dispatch.travel.model は straight_line か matrix です: {kind!r}")
    path = travel.get("matrix_file")
    if not path:
        raise ValueError("dispatch.travel.model = matrix には travel.matrix_file が必要です")
    raw, _ = read_text_table(path)
    missing = [c for c in ("from_stop", "to_stop", "minutes") if c not in raw.columns]
    if missing:
        raise InputFileError(f"{path}: 列 {missing} がありません")
    matrix = raw.copy()
    for col in [c for c in ("minutes", "km") if c in raw.columns]:
        values = pd.to_numeric(raw[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputFileError(f"{path}: {row + 2} 行目 列 {col}: 0 以上の数値ではありません: {raw[col].iloc[row]!r}")
        matrix[col] = values.astype(float)
    try:
        return MatrixTravelTime(stops_xy[["stop_id", "x", "y"]], matrix)
    except InputFileError as exc:
        raise InputFileError(f"{path}: {exc}") from exc


# --------------------------------------------------------------------------- the stage
def _kpis(res: DispatchResult) -> dict:
    return {k: _round(res.kpis.get(k)) for k in KPI_KEYS}


def _round(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), 4)
    return value


@dataclass
class DispatchInputs:
    """What every simulation of the stage shares (see :func:`prepare_dispatch`)."""

    requests: pd.DataFrame
    quarantine: pd.DataFrame
    templates: pd.DataFrame          # earlier requests, every outcome (replications only)
    stops_xy: pd.DataFrame
    fleet: Fleet
    rules: DispatchRules
    travel: TravelTimeModel
    travel_p: dict
    calibration: dict | None
    waiting: pd.DataFrame
    hours: dict[pd.Timestamp, tuple[float, float]]
    expected: pd.DataFrame
    source: str
    history: pd.DataFrame
    oracle: pd.DataFrame | None
    accuracy: dict
    policies: list[str]
    short_lead: float
    start: str
    end: str
    outcomes: list[str]             # recorded outcomes that are replayed


def prepare_dispatch(
    rides: pd.DataFrame,
    stops: pd.DataFrame,
    forecast: pd.DataFrame | None,
    truth: pd.DataFrame | None,
    params: Mapping[str, Any],
    features: FeaturesParams,
    panel: pd.DataFrame | None = None,
    forecast_params: ForecastParams | None = None,
) -> DispatchInputs:
    """Replay set, fleet, calibrated travel model, waiting points and expected demand
    (arguments as in :func:`run_dispatch_stage`)."""
    start, end = str(params["replay"]["start"]), str(params["replay"]["end"])
    stops_xy = stop_positions(stops, features.zone_level, features.n_clusters)
    requests, quarantine = prepare_requests(rides, stops_xy, start, end, list(params["replay_outcomes"]))
    if requests.empty:
        raise InputFileError(f"ride_requests: 期間 {start} … {end} に再生する依頼がありません")
    fp = params["fleet"]
    depot_x, depot_y = latlon_to_metric(float(fp["depot"]["lat"]), float(fp["depot"]["lon"]))
    hours = service_hours_by_day(start, end, features)
    wd = features.weekday_hours
    fleet = Fleet(int(fp["n_vehicles"]), depot_x, depot_y, int(fp["capacity"]), float(wd[0]), float(wd[1]))
    travel_p, rules_p = dict(params["travel"]), dict(params["rules"])
    calibration = None
    if travel_p.get("speed_kmh") == "calibrated" or rules_p.get("dwell_min") == "calibrated":
        assumed_dwell = 1.0 if rules_p.get("dwell_min") == "calibrated" else float(rules_p["dwell_min"])
        try:
            calibration = calibrate_travel(rides, stops_xy, float(travel_p.get("detour_factor", 1.3)),
                                           assumed_dwell, before=start)
        except ValueError as exc:
            raise InputFileError(f"ride_requests: 走行速度を較正できません: {exc}") from exc
        if travel_p.get("speed_kmh") == "calibrated":
            travel_p["speed_kmh"] = calibration["speed_kmh"]
        if rules_p.get("dwell_min") == "calibrated":
            rules_p["dwell_min"] = calibration["dwell_min"]
    rules = DispatchRules(**rules_p)
    travel = travel_model_from_params(travel_p, stops_xy)
    short_lead = float(params["short_lead_min"])

    waiting = zone_waiting_points(stops_xy, rides, start)
    zones = sorted(waiting["zone"])
    counts = hourly_counts(rides, stops_xy, list(features.count_outcomes))
    ed = params["expected_demand"]
    source = ed["source"]
    if source not in ("auto", "file", "backtest", "history"):
        raise ValueError(f"dispatch.expected_demand.source は auto / file / backtest / history です: {source!r}")
    expected = None
    if source in ("auto", "file") and forecast is not None:
        table = expected_from_table(forecast, "expected", start, end)
        replay_hours = {pd.Timestamp(h) for h in requests["desired_pickup_time"].dt.floor("h")}
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
            expected = expected_from_backtest(panel, forecast_params, start, end,
                                              int(ed.get("backtest_horizon_h", 168)))
            source = "backtest"
    history = expected_from_history(counts, zones, start, end, int(ed["history_weeks"]))
    if expected is None:
        expected, source = history, "history"
    oracle = expected_from_table(truth, "lambda", start, end) if truth is not None else None
    accuracy = {"forecast_used": _demand_accuracy(expected, counts, oracle, hours),
                "history": _demand_accuracy(history, counts, oracle, hours)}
    policies = [p for p in params["scenarios"]["policies"] if p != "oracle" or oracle is not None]
    templates, _ = prepare_requests(rides, stops_xy, str(rides["desired_pickup_at"].min().date()),
                                    str((pd.Timestamp(start) - pd.Timedelta(days=1)).date()),
                                    list(features.count_outcomes))
    return DispatchInputs(requests, quarantine, templates, stops_xy, fleet, rules, travel, travel_p, calibration,
                          waiting, hours, expected, source, history, oracle, accuracy, policies, short_lead,
                          start, end, list(params["replay_outcomes"]))



def run_dispatch_stage(
    rides: pd.DataFrame,
    stops: pd.DataFrame,
    towns: gpd.GeoDataFrame | None,
    forecast: pd.DataFrame | None,
    truth: pd.DataFrame | None,
    params: Mapping[str, Any],
    features: FeaturesParams,
    panel: pd.DataFrame | None = None,
    forecast_params: ForecastParams | None = None,
) -> DispatchStageOutputs:
    """Replay the ride requests with every policy and fleet scenario; KPIs, table, figures.

    Args:
        rides: pseudonymized ride_requests (see module docstring for the replay set).
        stops: pseudonymized stops (stop_id, stop_name, lat, lon (JGD2011), …).
        towns: town polygons (any CRS; drawn on the route map only) or None.
        forecast: demand forecast (zone, time, expected) or None.
        truth: true intensity (zone, time, lambda) for the oracle, or None (no oracle).
        params: the ``dispatch`` section of params.yaml.
        features: the ``features`` section (zone_level, n_clusters, service hours, outcomes).
        panel: the demand features panel (zone, time, y, exogenous columns) for the
            backtest forecast of the replay weeks, or None.
        forecast_params: the ``forecast`` section (model settings for the backtest forecast).
    """
    from kogadx.mobility.figures import (
        plot_kpi_bars,
        plot_replications,
        plot_route_map,
        plot_served_vs_fleet,
        plot_wait_vs_fleet,
    )

    inp = prepare_dispatch(rides, stops, forecast, truth, params, features, panel, forecast_params)
    requests, quarantine, stops_xy, fleet, rules, travel = (inp.requests, inp.quarantine, inp.stops_xy,
                                                             inp.fleet, inp.rules, inp.travel)
    travel_p, calibration, waiting, hours = inp.travel_p, inp.calibration, inp.waiting, inp.hours
    expected, source, oracle, accuracy = inp.expected, inp.source, inp.oracle, inp.accuracy
    policies, short_lead, start, end = inp.policies, inp.short_lead, inp.start, inp.end
    depot_x, depot_y = fleet.depot_x, fleet.depot_y
    seed = int(params["seed"])
    rows, default_results, runs = [], {}, {}
    by_fleet: dict[int, dict[str, DispatchResult]] = {}
    for size, factor, policy, res in iter_fleet_scenarios(
            requests, fleet, rules, params["scenarios"]["fleet_sizes"], params["scenarios"]["demand_factors"],
            policies, lambda f: stream_rng(seed, f"demand_x{f:g}"), travel, expected, oracle, waiting, hours,
            short_lead):
        kpis = _kpis(res)
        rows.append({"n_vehicles": size, "demand_factor": factor, "policy": policy, **kpis})
        name = f"{policy}_v{size}_d{factor:g}"
        ms = res.decision_ms[~np.isnan(res.decision_ms)]
        runs[name] = ({"policy": policy, "n_vehicles": size, "demand_factor": factor},
                      {**{k: v for k, v in kpis.items() if v is not None},
                       "decision_ms_mean": float(ms.mean()) if len(ms) else 0.0,
                       "decision_ms_p95": float(np.percentile(ms, 95)) if len(ms) else 0.0})
        if factor == 1.0:
            # trips only: enough for the paired comparison per fleet size
            by_fleet.setdefault(size, {})[policy] = DispatchResult(res.trips, res.legs.iloc[:0], {}, res.decision_ms[:0])
        if size == fleet.n_vehicles and factor == 1.0:
            default_results[policy] = res
    scenarios = pd.DataFrame(rows)

    violations = {p: len(check_dispatch(r, Fleet(fleet.n_vehicles, depot_x, depot_y, fleet.capacity), rules))
                  for p, r in default_results.items()}
    default = {p: _kpis(r) for p, r in default_results.items()}
    lead = (requests["desired_pickup_time"] - requests["request_time"]) / pd.Timedelta(minutes=1)
    metrics = {
        "replay": {"start": start, "end": end, "n_days": int(requests["desired_pickup_time"].dt.normalize().nunique()),
                   "n_requests": int(len(requests)), "n_quarantined": int(len(quarantine)),
                   "quarantine_reasons": {str(k): int(v) for k, v in quarantine["reason"].value_counts().sort_index().items()},
                   "lead_min_median": _round(float(lead.median())),
                   "short_notice_share": _round(float((lead < short_lead).mean()))},
        "expected_demand_source": source,
        "expected_demand_accuracy": accuracy,
        "travel_model": params["travel"]["model"],
        "travel": {"detour_factor": _round(float(travel_p.get("detour_factor", 1.3))),
                   "speed_kmh": _round(float(travel_p.get("speed_kmh", 25.0))),
                   "dwell_min": _round(float(rules.dwell_min)),
                   "reposition_in_slack": bool(rules.reposition_in_slack),
                   "calibration": {k: _round(v) for k, v in calibration.items()} if calibration else None},
        "default_fleet": {"n_vehicles": fleet.n_vehicles, "policies": default, "check_violations": violations},
        "vs_none": paired_wait_difference(default_results, stream_rng(seed, "bootstrap"),
                                          int(params["bootstrap_draws"])),
        "what_if": [{k: _round(v) for k, v in r.items()} for r in rows],
        "vs_none_by_fleet": {str(n): paired_wait_difference(res_n, stream_rng(seed, f"bootstrap_v{n}"),
                                                             int(params["bootstrap_draws"]))
                             for n, res_n in sorted(by_fleet.items())},
    }
    replications = params.get("replications") or {}
    if oracle is not None and int(replications.get("n", 0)) > 0:
        metrics["replications"], rep_runs = run_replications(inp, replications, seed)
        runs.update(rep_runs)
    map_policy = params["map"]["policy"] if params["map"]["policy"] in default_results else policies[0]
    map_res = default_results[map_policy]
    day = params["map"].get("day")
    if day is None:
        per_day = requests["desired_pickup_time"].dt.normalize().value_counts()
        day = per_day[per_day == per_day.max()].index.min()
    day = pd.Timestamp(day)
    metrics["route_map"] = {"day": day.date().isoformat(), "policy": map_policy}
    figures = {
        "wait_vs_fleet": plot_wait_vs_fleet(scenarios, POLICY_LABELS),
        "served_vs_fleet": plot_served_vs_fleet(scenarios, POLICY_LABELS),
        "kpi_by_policy": plot_kpi_bars(default, POLICY_LABELS, fleet.n_vehicles),
        "route_map": plot_route_map(map_res.legs, stops_xy, waiting, towns, day, (depot_x, depot_y),
                                    POLICY_LABELS[map_policy]),
    }
    if "replications" in metrics:
        figures["replications"] = plot_replications(metrics["replications"], POLICY_LABELS)
    return DispatchStageOutputs(metrics, scenarios, default_results, figures, runs, quarantine)


def replication_demand(inp: DispatchInputs) -> dict[str, pd.DataFrame | None]:
    """Expected-demand tables of the replicated comparison: ``forecast`` (the model),
    ``history`` (4-week average), ``uniform`` (each hour's forecast total spread evenly over
    the zones) and ``oracle`` (true λ; None without truth)."""
    flat = inp.expected.assign(expected=inp.expected.groupby("hour")["expected"].transform("mean"))
    return {"forecast": inp.expected, "history": inp.history, "uniform": flat, "oracle": inp.oracle}


def simulate_with_demand(requests: pd.DataFrame, inp: DispatchInputs, demand: pd.DataFrame | None,
                         oracle: bool = False) -> DispatchResult:
    """The default fleet on ``requests``: no repositioning when ``demand`` is None, else
    repositioning by ``demand`` (policy "oracle" when it is the true λ, "forecast" otherwise)."""
    policy = "none" if demand is None else ("oracle" if oracle else "forecast")
    return simulate_dispatch(requests, inp.fleet, inp.rules, inp.travel, policy, demand,
                             None if demand is None else inp.waiting, inp.hours, inp.short_lead)


def run_replications(inp: DispatchInputs, params: Mapping[str, Any], seed: int) -> tuple[dict, dict]:
    """The default fleet on ``params["n"]`` fresh realisations of the replay period.

    One replay is one draw of the requests, so a policy comparison on it carries that draw's
    luck. With the true intensity known (synthetic data), :func:`resample_requests` draws
    more periods from the same λ (seeded ``replication_<k>``) and every policy in
    ``params["policies"]`` runs on each; ``history`` is the forecast policy fed the 4-week
    history estimate instead of the model, ``uniform`` the forecast policy with each hour's
    forecast spread evenly over the zones (vans spread out, no spatial information) — the
    two controls that say how much of the gain needs the forecast at all. Returns (metrics, MLflow runs): mean KPIs per
    policy and paired differences of the per-replication mean wait with a t 95 % interval
    (replications are independent draws).
    """
    from scipy import stats

    n = int(params["n"])
    tables = replication_demand(inp)
    policies = [p for p in params["policies"] if p == "none" or tables.get(p) is not None]
    rows = []
    for k in range(n):
        reqs = resample_requests(inp.templates, inp.oracle, inp.outcomes, stream_rng(seed, f"replication_{k}"),
                                 prefix=f"S{k}-")
        for policy in policies:
            res = simulate_with_demand(reqs, inp, tables.get(policy), oracle=policy == "oracle")
            rows.append({"replication": k, "policy": policy, **{key: res.kpis[key] for key in
                         ("n_requests", "served_rate", "wait_mean_min", "wait_p95_min", "empty_km", "vehicle_km")}})
    table = pd.DataFrame(rows)
    wide = table.pivot(index="replication", columns="policy", values="wait_mean_min")

    def paired(a: str, b: str) -> dict:
        d = (wide[a] - wide[b]).to_numpy(float)
        half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else math.nan
        return {"wait_mean_diff_min": _round(float(d.mean())), "ci95_low": _round(float(d.mean()) - half),
                "ci95_high": _round(float(d.mean()) + half), "share_replications_lower": _round(float((d < 0).mean()))}

    comparisons = {f"{p}_vs_none": paired(p, "none") for p in policies if p != "none"}
    if {"forecast", "oracle"} <= set(policies):
        comparisons["forecast_vs_oracle"] = paired("forecast", "oracle")
    for other in ("history", "uniform"):
        if {other, "forecast"} <= set(policies):
            comparisons[f"{other}_vs_forecast"] = paired(other, "forecast")
    means = table.groupby("policy", sort=False).mean(numeric_only=True)
    metrics = {
        "n": n, "n_vehicles": inp.fleet.n_vehicles,
        "n_requests_mean": _round(float(table[table["policy"] == policies[0]]["n_requests"].mean())),
        "policies": {p: {key: _round(float(means.at[p, key])) for key in
                         ("served_rate", "wait_mean_min", "wait_p95_min", "empty_km", "vehicle_km")} for p in policies},
        "paired": comparisons,
    }
    if {"forecast", "oracle"} <= set(policies):
        metrics["oracle_at_most_forecast"] = bool(means.at["oracle", "wait_mean_min"] <= means.at["forecast", "wait_mean_min"])
    runs = {f"replications_{p}_v{inp.fleet.n_vehicles}": (
        {"policy": p, "n_vehicles": inp.fleet.n_vehicles, "demand_factor": 1.0, "replications": n},
        {key: float(v) for key, v in metrics["policies"][p].items() if v is not None}) for p in policies}
    return metrics, runs


def _demand_accuracy(expected: pd.DataFrame, counts: pd.DataFrame, truth: pd.DataFrame | None,
                     hours: Mapping[pd.Timestamp, tuple[float, float]]) -> dict:
    """MAE (requests per zone-hour) of an expected-demand table against the observed counts
    and, when known, the true λ, over the service hours of the replayed days."""
    table = expected.assign(hour=pd.to_datetime(expected["hour"]).astype("datetime64[us]"))
    day = table["hour"].dt.normalize()
    h = table["hour"].dt.hour.to_numpy(float)
    lo = np.array([hours.get(pd.Timestamp(d), (np.nan, np.nan))[0] for d in day])
    hi = np.array([hours.get(pd.Timestamp(d), (np.nan, np.nan))[1] for d in day])
    table = table[(h >= lo) & (h < hi)]
    obs = table.merge(counts.assign(zone=counts["zone"].astype(str)), on=["zone", "hour"], how="left")["y"].fillna(0.0)
    out = {"n_zone_hours": int(len(table)), "mae_vs_counts": _round(float(np.abs(table["expected"].to_numpy() - obs.to_numpy()).mean()))}
    if truth is not None:
        lam = table.merge(truth.assign(hour=pd.to_datetime(truth["hour"]).astype("datetime64[us]")).rename(
            columns={"expected": "lam"}), on=["zone", "hour"], how="left")["lam"]
        out["mae_vs_lambda"] = _round(float(np.abs(table["expected"].to_numpy() - lam.to_numpy(float)).mean()))
    return out


def paired_wait_difference(results: Mapping[str, DispatchResult], rng: np.random.Generator,
                           draws: int = 2000) -> dict:
    """Mean wait of each policy minus "none" (minutes) over the requests both served, with a
    95 % interval from a bootstrap over service days (days resampled with replacement;
    requests of a day share the vans' state, so days, not requests, are the units)."""
    if "none" not in results:
        return {}
    base = results["none"].trips.set_index("request_id")
    out = {}
    for policy, res in results.items():
        if policy == "none":
            continue
        other = res.trips.set_index("request_id")
        both = base.index[(base["status"] == "served") & (other.loc[base.index, "status"] == "served")]
        diff = (other.loc[both, "wait_min"] - base.loc[both, "wait_min"]).to_numpy(float)
        days = base.loc[both, "service_date"].to_numpy()
        uniq, inv = np.unique(days, return_inverse=True)
        sums = np.bincount(inv, weights=diff, minlength=len(uniq))
        cnts = np.bincount(inv, minlength=len(uniq)).astype(float)
        pick = rng.integers(0, len(uniq), size=(draws, len(uniq)))
        boot = sums[pick].sum(axis=1) / np.maximum(cnts[pick].sum(axis=1), 1.0)
        lo, hi = np.percentile(boot, [2.5, 97.5])
        out[policy] = {"n_paired": int(len(both)), "wait_mean_diff_min": _round(float(diff.mean())),
                       "ci95_low": _round(float(lo)), "ci95_high": _round(float(hi)),
                       "share_requests_faster": _round(float((diff < -1e-9).mean())),
                       "share_requests_slower": _round(float((diff > 1e-9).mean()))}
    return out


def log_dispatch_runs(outputs: DispatchStageOutputs, params: Mapping[str, Any],
                      figures_dir: str | Path | None = None) -> list[str]:
    """One MLflow run per scenario (experiment ``dispatch``); figures on the default runs."""
    from kogadx.tracking import start_run

    ids = []
    flat = {k: v for k, v in params.items() if k != "scenarios"}
    for name, (run_params, metrics) in outputs.runs.items():
        with start_run("dispatch", stage="dispatch", run_name=name, params={**flat, **run_params}) as run:
            run.log_metrics(metrics)
            default = (run_params["n_vehicles"] == int(params["fleet"]["n_vehicles"])
                       and run_params["demand_factor"] == 1.0 and "replications" not in run_params)
            if default and figures_dir is not None:
                for fig in sorted(Path(figures_dir).glob("*.png")):
                    run.log_artifact(fig, "figures")
            ids.append(run.run_id)
    return ids
