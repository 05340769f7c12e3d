"""What every simulation of the dispatch stage shares, built from the stage's inputs.

* **Replay set** (:func:`prepare_requests`): requests whose desired pick-up falls in the
  replay dates and whose recorded outcome is replayed; rows with a booking time after the
  desired pick-up, an unknown stop or no party size are quarantined with a reason.
* **Places** (:func:`stop_positions`): stops converted from JGD2011 lat/lon to EPSG:6670
  (metres); zones are the demand stage's (``kogadx.demand.features.stop_zones``).
* **Waiting points** (:func:`zone_waiting_points`): where an idle van waits in a zone — the
  zone's stop nearest to the centroid of its stops weighted by pick-ups *before* the replay.
* **Service hours** (:func:`service_hours_by_day`): weekday vs weekend/holiday hours of the
  features calendar.
* **Travel model** (:func:`calibrated_settings`, :func:`travel_model`): ``calibrated`` speed
  and/or dwell are fitted on completed solo rides before the replay
  (:func:`kogadx.mobility.calibration.calibrate_travel`); ``matrix`` reads a stop × stop
  table of minutes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.demand.features import service_calendar, stop_zones
from kogadx.geo.reference import CRS_GEOGRAPHIC, CRS_METRIC
from kogadx.io import InputFileError
from kogadx.mobility.calibration import calibrate_travel
from kogadx.mobility.params import DEFAULT_DWELL_MIN, DispatchRules, Travel
from kogadx.mobility.simulation import (
    DispatchResult,
    Fleet,
    MatrixTravelTime,
    StraightLineTravelTime,
    TravelTimeModel,
    simulate_dispatch,
)

QUARANTINE_COLUMNS = ["request_id", "row", "column", "reason"]


@dataclass(frozen=True)
class Replay:
    """The replayed requests (simulator columns plus stop ids and outcome), the rows left out
    (request_id, row, column, reason), and the earlier requests (every counted outcome) that
    redrawn periods copy (:func:`kogadx.mobility.replications.resample_requests`)."""

    requests: pd.DataFrame
    quarantine: pd.DataFrame
    templates: pd.DataFrame
    start: str
    end: str
    outcomes: tuple[str, ...]  # recorded outcomes that are replayed


@dataclass(frozen=True)
class Service:
    """The default service every simulation shares: fleet, rules (dwell as a number), travel
    model, the zones' waiting points, the hours per service date and the short-notice lead."""

    fleet: Fleet
    rules: DispatchRules
    travel: TravelTimeModel
    waiting: pd.DataFrame
    hours: dict[pd.Timestamp, tuple[float, float]]
    short_lead_min: float

    def simulate(self, requests: pd.DataFrame, policy: str = "none", demand: pd.DataFrame | None = None,
                 fleet: Fleet | None = None, reopt_interval_min: float = 0.0) -> DispatchResult:
        """One replay of ``requests`` (``demand``: zone, hour, expected for the repositioning
        policies; ``fleet``: another fleet size than the default; ``reopt_interval_min`` > 0:
        rolling re-optimisation of the open requests at that interval)."""
        return simulate_dispatch(requests, fleet or self.fleet, self.rules, self.travel, policy, demand,
                                 None if demand is None else self.waiting, self.hours, self.short_lead_min,
                                 reopt_interval_min)


# --------------------------------------------------------------------------- places
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


# --------------------------------------------------------------------------- requests
def prepare_requests(rides: pd.DataFrame, stops_xy: pd.DataFrame, start: str, end: str,
                     outcomes: tuple[str, ...] | list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    frame, quarantine = _quarantine(frame, set(stops_xy["stop_id"]))
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
    return requests, quarantine


def _quarantine(frame: pd.DataFrame, known_stops: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that cannot be replayed, each with the first failed check: (kept rows, quarantine)."""
    checks = [
        ("requested_at", frame["requested_at"].isna() | (frame["requested_at"] > frame["desired_pickup_at"]),
         "予約日時が欠損しているか希望乗車日時より後"),
        ("origin_stop_id", ~frame["origin_stop_id"].astype(str).isin(known_stops), "乗車停留所 ID が stops にない"),
        ("destination_stop_id", ~frame["destination_stop_id"].astype(str).isin(known_stops),
         "降車停留所 ID が stops にない"),
        ("passengers", frame["passengers"].isna() | (frame["passengers"].fillna(0) < 1), "人数が欠損または 1 未満"),
    ]
    flagged = pd.Series(False, index=frame.index)
    quarantine = []
    for col, mask, reason in checks:
        new = mask.fillna(True) & ~flagged
        for rid, row in zip(frame.loc[new, "request_id"], frame.loc[new, "_row"], strict=True):
            quarantine.append((str(rid), int(row), col, reason))
        flagged |= new
    return frame[~flagged], pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS)


def prepare_replay(rides: pd.DataFrame, stops_xy: pd.DataFrame, start: str, end: str, outcomes: tuple[str, ...],
                   counted_outcomes: tuple[str, ...]) -> Replay:
    """The replay set of ``start`` … ``end`` and the templates: every request before
    ``start`` with an outcome the demand panel counts (``counted_outcomes``)."""
    requests, quarantine = prepare_requests(rides, stops_xy, start, end, outcomes)
    if requests.empty:
        raise InputFileError(f"ride_requests: 期間 {start} … {end} に再生する依頼がありません")
    templates, _ = prepare_requests(rides, stops_xy, str(rides["desired_pickup_at"].min().date()),
                                    str((pd.Timestamp(start) - pd.Timedelta(days=1)).date()), counted_outcomes)
    return Replay(requests=requests, quarantine=quarantine, templates=templates, start=start, end=end,
                  outcomes=tuple(outcomes))


# --------------------------------------------------------------------------- hours and travel
def service_hours_by_day(start: str, end: str, weekday_hours: tuple[int, int],
                         weekend_hours: tuple[int, int]) -> dict[pd.Timestamp, tuple[float, float]]:
    """(open hour, close hour) per service date from the features calendar (weekday vs
    weekend/holiday hours, first and last service hour)."""
    cal = service_calendar(start, end, weekday_hours=weekday_hours, weekend_hours=weekend_hours)
    on = cal[cal["in_service"] == 1]
    span = on.groupby(on["time"].dt.normalize())["hour"].agg(["min", "max"])
    return {pd.Timestamp(d): (float(lo), float(hi) + 1.0)
            for d, lo, hi in zip(span.index, span["min"], span["max"], strict=True)}


def calibrated_settings(travel: Travel, rules: DispatchRules, rides: pd.DataFrame, stops_xy: pd.DataFrame,
                        before: str) -> tuple[Travel, DispatchRules, dict[str, Any] | None]:
    """``travel`` and ``rules`` with every ``calibrated`` value replaced by the fit on solo
    rides before ``before``, and the fit (None when nothing is calibrated)."""
    speed, dwell = travel.speed_kmh == "calibrated", rules.dwell_min == "calibrated"
    if not (speed or dwell):
        return travel, rules, None
    assumed_dwell = DEFAULT_DWELL_MIN if dwell else rules.dwell
    try:
        fit = calibrate_travel(rides, stops_xy, travel.detour_factor, assumed_dwell, before=before)
    except ValueError as exc:
        raise InputFileError(f"ride_requests: 走行速度を較正できません: {exc}") from exc
    if speed:
        travel = dataclasses.replace(travel, speed_kmh=fit["speed_kmh"])
    if dwell:
        rules = dataclasses.replace(rules, dwell_min=fit["dwell_min"])
    return travel, rules, fit


def travel_model(travel: Travel, stops_xy: pd.DataFrame, matrix: pd.DataFrame | None = None,
                 matrix_file: str = "matrix") -> TravelTimeModel:
    """``straight_line`` (detour_factor, speed_kmh) or ``matrix``: ``matrix`` is the table
    read as text (from_stop, to_stop, minutes[, km] for every ordered pair of stops; points
    snap to the nearest stop), ``matrix_file`` names it in messages."""
    if travel.model == "straight_line":
        return StraightLineTravelTime.from_params(travel)
    if matrix is None:
        raise InputFileError("dispatch.travel.model = matrix には所要時間行列 (引数 MATRIX) が必要です")
    missing = [c for c in ("from_stop", "to_stop", "minutes") if c not in matrix.columns]
    if missing:
        raise InputFileError(f"{matrix_file}: 列 {missing} がありません")
    table = matrix.copy()
    for col in [c for c in ("minutes", "km") if c in matrix.columns]:
        values = pd.to_numeric(matrix[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            pair = f"{matrix['from_stop'].iloc[row]}→{matrix['to_stop'].iloc[row]}"
            raise InputFileError(
                f"{matrix_file}: {row + 2} 行目 列 {col} (停留所 {pair}): 0 以上の数値ではありません: "
                f"{matrix[col].iloc[row]!r}")
        table[col] = values.astype(float)
    try:
        return MatrixTravelTime(stops_xy[["stop_id", "x", "y"]], table)
    except InputFileError as exc:
        raise InputFileError(f"{matrix_file}: {exc}") from exc
