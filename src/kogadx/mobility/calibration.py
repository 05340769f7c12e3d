"""Calibrating the straight-line travel-time model from the ride log.

The simulator's travel time between two points is ``straight-line km × detour_factor /
speed_kmh`` (:class:`kogadx.mobility.simulation.StraightLineTravelTime`). Recorded actual
pick-up and drop-off times identify only the *ratio* ``speed_kmh / detour_factor`` (the
effective straight-line speed); the detour factor stays an assumption that sets vehicle-km.
So the calibrated speed is ``detour_factor × effective straight-line speed``.

Which rides: completed rides with both actual times, on a vehicle that carried nobody else
between that pick-up and drop-off ("solo" rides: no other ride of the same vehicle was
picked up or dropped off in between), so the time is a direct drive and not a shared detour.
For a solo ride the simulator's drop-off - pick-up is ``dwell_min`` (boarding) + drive.

Estimator: a median (least-absolute-deviation) regression of drop-off - pick-up minutes on
straight-line km — robust to the log's one-minute resolution and odd rows — whose slope
gives the speed and whose intercept the per-stop dwell (see :func:`calibrate_travel`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def solo_rides(rides: pd.DataFrame) -> pd.Series:
    """Boolean mask (index of ``rides``): completed rides with actual times during which
    their vehicle served no other ride (no other pick-up/drop-off strictly inside).

    Needs columns outcome, vehicle_id, actual_pickup_at, actual_dropoff_at.
    """
    ok = (rides["outcome"] == "完了") & rides["actual_pickup_at"].notna() & rides["actual_dropoff_at"].notna()
    ok &= rides["vehicle_id"].notna() & (rides["actual_dropoff_at"] > rides["actual_pickup_at"])
    frame = rides.loc[ok, ["vehicle_id", "actual_pickup_at", "actual_dropoff_at"]].copy()
    frame = frame.sort_values(["vehicle_id", "actual_pickup_at", "actual_dropoff_at"], kind="stable")
    veh = frame["vehicle_id"].astype(str)
    pick = frame["actual_pickup_at"]
    drop = frame["actual_dropoff_at"]
    # latest drop-off of any earlier ride of the same vehicle, and the next ride's pick-up
    prev_drop = drop.groupby(veh, sort=False).transform(lambda s: s.cummax().shift(1))
    next_pick = pick.groupby(veh, sort=False).shift(-1)
    solo = (prev_drop.isna() | (prev_drop <= pick)) & (next_pick.isna() | (next_pick >= drop))
    out = pd.Series(False, index=rides.index)
    out.loc[solo.index] = solo.to_numpy(bool)
    return out


def _solo_distance_duration(used: pd.DataFrame, stops_xy: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Solo rides between known stops, their straight-line km and ride minutes (drop-off − pick-up)."""
    pos = stops_xy.set_index(stops_xy["stop_id"].astype(str))[["x", "y"]]
    known = used["origin_stop_id"].astype(str).isin(pos.index) & used["destination_stop_id"].astype(str).isin(pos.index)
    used = used[known]
    o = pos.loc[used["origin_stop_id"].astype(str)].to_numpy(float)
    d = pos.loc[used["destination_stop_id"].astype(str)].to_numpy(float)
    km = np.hypot(o[:, 0] - d[:, 0], o[:, 1] - d[:, 1]) / 1000.0
    duration = ((used["actual_dropoff_at"] - used["actual_pickup_at"]) / pd.Timedelta(minutes=1)).to_numpy(float)
    return used, km, duration


def calibrate_travel(
    rides: pd.DataFrame,
    stops_xy: pd.DataFrame,
    detour_factor: float,
    dwell_min: float,
    before: str | pd.Timestamp | None = None,
    min_ride_min: float = 2.0,
) -> dict:
    """Speed and per-stop dwell of the straight-line travel model from completed solo rides.

    A median (least-absolute-deviation) regression of the recorded ride duration
    ``drop-off - pick-up`` (minutes) on straight-line km gives minutes per km (→
    ``speed_kmh = detour_factor × 60 / slope``) and a fixed part (→ ``dwell_min``, the
    simulator's boarding time, since for a solo ride it models drop-off - pick-up as dwell +
    drive). The estimator suggested first, the median of km / (duration - assumed dwell),
    is reported as ``median_ratio_speed_kmh``: it folds any fixed overhead into the speed,
    so it is too slow for long rides and too fast for short ones when the overhead is > 0.

    Args:
        rides: pseudonymized ride requests (origin_stop_id, destination_stop_id, outcome,
            vehicle_id, desired_pickup_at, actual_pickup_at, actual_dropoff_at).
        stops_xy: stop_id, x, y (metres, EPSG:6670).
        detour_factor: road km / straight-line km assumed by the travel model (the log
            cannot identify it; it sets vehicle-km only).
        dwell_min: the currently assumed dwell (minutes), for the median-ratio diagnostic.
        before: use only rides with a desired pick-up before this time (no look-ahead into a
            replayed period); None = all.
        min_ride_min: drop rides shorter than this (minutes): the log's one-minute
            resolution makes them uninformative.

    Returns:
        dict: ``speed_kmh`` and ``dwell_min`` (rounded to 0.1), ``min_per_km`` and
        ``intercept_min`` (unrounded fit), ``median_ratio_speed_kmh``,
        ``straight_line_kmh_p25/p50/p75`` (per-ride, duration minus assumed dwell),
        ``n_rides`` used, ``n_solo``, ``n_completed``, ``detour_factor``.

    Raises:
        ValueError: missing columns, or fewer than 30 usable rides.
    """
    need = ["origin_stop_id", "destination_stop_id", "outcome", "vehicle_id", "actual_pickup_at", "actual_dropoff_at"]
    missing = [c for c in need if c not in rides.columns]
    if missing:
        raise ValueError(f"ride_requests: 速度の推定に列 {missing} が必要です")
    sel = rides if before is None else rides[rides["desired_pickup_at"] < pd.Timestamp(before)]
    solo = solo_rides(sel)
    used, km, duration = _solo_distance_duration(sel[solo], stops_xy)
    keep = (duration >= min_ride_min) & (km > 0)
    km, duration = km[keep], duration[keep]
    if len(km) < 30:
        raise ValueError(f"速度の推定に使える単独乗車が {len(km)} 件しかありません (30 件以上必要)")
    slope, intercept = _median_regression(km, duration)
    if slope <= 0:
        raise ValueError(f"乗車時間が距離とともに増えません (傾き {slope:.3f} 分/km): 速度を推定できません")
    drive = duration - dwell_min
    kmh = km[drive > 0] / (drive[drive > 0] / 60.0)
    p25, p50, p75 = np.percentile(kmh, [25, 50, 75])
    return {
        "speed_kmh": round(float(detour_factor * 60.0 / slope), 1),
        "dwell_min": round(max(float(intercept), 0.0), 1),
        "min_per_km": float(slope),
        "intercept_min": float(intercept),
        "detour_factor": float(detour_factor),
        "median_ratio_speed_kmh": float(detour_factor * p50),
        "straight_line_kmh_p25": float(p25),
        "straight_line_kmh_p50": float(p50),
        "straight_line_kmh_p75": float(p75),
        "n_rides": int(len(km)),
        "n_solo": int(solo.sum()),
        "n_completed": int(((sel["outcome"] == "完了") & sel["actual_dropoff_at"].notna()).sum()),
    }


def _median_regression(km: np.ndarray, minutes: np.ndarray) -> tuple[float, float]:
    """Least-absolute-deviation fit minutes ≈ intercept + slope × km (scikit-learn)."""
    from sklearn.linear_model import QuantileRegressor

    # interior point (with crossover: the same optimal vertex): the dual simplex took 30 s on
    # 22,000 rides, the interior point 2.5 s
    model = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs-ipm").fit(km[:, None], minutes)
    return float(model.coef_[0]), float(model.intercept_)


def calibrate_conditions(
    rides: pd.DataFrame,
    stops_xy: pd.DataFrame,
    detour_factor: float,
    before: str | pd.Timestamp | None = None,
    min_ride_min: float = 2.0,
) -> dict:
    """Travel conditions (:class:`kogadx.mobility.variability.TravelConditions`) from solo rides.

    A median regression of the ride duration on km and km × peak (pick-up in
    :data:`kogadx.mobility.variability.PEAK_HOURS`) gives the off-peak speed, the peak
    slowdown (peak slope / off-peak slope − 1) and the dwell (intercept). The leg noise is
    the robust spread (1.4826 × MAD) of log(duration drive / fitted drive), less the
    variance the log's one-minute rounding of both times adds (1/6 min² per ride).
    Returns speed_kmh, detour_factor, peak_slowdown, leg_sigma, dwell_min and n_rides.
    """
    from kogadx.mobility.variability import TravelConditions

    sel = rides if before is None else rides[rides["desired_pickup_at"] < pd.Timestamp(before)]
    used, km, duration = _solo_distance_duration(sel[solo_rides(sel)], stops_xy)
    pick = used["actual_pickup_at"]
    minute = ((pick - pick.dt.normalize()) / pd.Timedelta(minutes=1)).to_numpy(float)
    peak = TravelConditions(1.0, 1.0, 1.0, 0.0, 0.0).slowdown(minute) > 1.0
    keep = (duration >= min_ride_min) & (km > 0)
    km, duration, peak = km[keep], duration[keep], peak[keep]
    if len(km) < 30 or peak.sum() < 10 or (~peak).sum() < 10:
        raise ValueError(f"走行条件の推定に使える単独乗車が足りません ({len(km)} 件, うちピーク {int(peak.sum())} 件)")
    from sklearn.linear_model import QuantileRegressor

    x = np.column_stack([km, km * peak])
    model = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs-ipm").fit(x, duration)  # see above
    slope, slope_peak = float(model.coef_[0]), float(model.coef_[1])
    dwell = max(float(model.intercept_), 0.0)
    if slope <= 0:
        raise ValueError(f"乗車時間が距離とともに増えません (傾き {slope:.3f} 分/km)")
    drive_fit = km * (slope + slope_peak * peak)
    drive = duration - dwell
    ok = (drive > 0) & (drive_fit > 0)
    log_ratio = np.log(drive[ok] / drive_fit[ok])
    mad = 1.4826 * float(np.median(np.abs(log_ratio - np.median(log_ratio))))
    rounding = float(np.median((1.0 / 6.0) / drive_fit[ok] ** 2))
    return {"speed_kmh": float(detour_factor * 60.0 / slope), "detour_factor": float(detour_factor),
            "peak_slowdown": max(slope_peak / slope, 0.0), "leg_sigma": float(np.sqrt(max(mad ** 2 - rounding, 0.0))),
            "dwell_min": dwell, "n_rides": int(len(km))}
