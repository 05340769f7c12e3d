"""The as-operated ride log: the generated demand served by the project's own dispatcher.

:mod:`kogadx.synth.rides` draws who asks for a ride, where and when. This module decides
what then happened, as an operator's booking system would record it:

1. **Booking kind.** A share ``operations.ride_now_share`` of the requests are ride-now
   ("as soon as possible"): booked 0–59 s before the desired minute. The rest are
   reservations made ahead with the promised window [desired, desired + pickup_window_min].
2. **Cancellations** decided before any van plans for them (``p_cancel``: キャンセル) and
   no-shows (``p_no_show``: 無断キャンセル — the van drives there, nobody boards).
3. **Dispatch.** The other requests are served day by day by
   :func:`kogadx.mobility.simulation.simulate_dispatch` with the operator's settings
   (``operations.rules``, ``fleet_size`` vans from JR古賀駅, policy ``none``): a ride-now
   rider is offered the planned pick-up of the cheapest insertion and declines it when
   it is later than their tolerance (→ キャンセル); a request no van can take within the
   promises is 配車不可.
4. **Roads.** The vans drive their plans under travel conditions drawn once per run
   (:mod:`kogadx.mobility.variability`): peaks, random delays. The recorded pick-up and
   drop-off are these realised times, rounded to the minute.

The drawn conditions and the per-request causes are returned for the truth folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.mobility.inputs import service_hours_by_day
from kogadx.mobility.simulation import Fleet, StraightLineTravelTime, simulate_dispatch
from kogadx.mobility.variability import TravelConditions, draw_conditions, execute_plans
from kogadx.synth.params import Rides


@dataclass(frozen=True)
class Operated:
    """Per request (input order): outcome (結果), realised pick-up / drop-off (datetime64,
    NaT unless completed), vehicle number (0 = none), the cause of a rejection or decline,
    the request time as booked, and the run's travel conditions."""

    outcome: np.ndarray
    pickup: np.ndarray
    dropoff: np.ndarray
    vehicle: np.ndarray
    cause: np.ndarray
    requested: np.ndarray
    conditions: TravelConditions


def ride_now_times(rng: np.random.Generator, desired: np.ndarray, requested: np.ndarray,
                   share: float) -> tuple[np.ndarray, np.ndarray]:
    """(is ride-now, request time): ride-now requests are booked 0–59 s before the desired minute."""
    ride_now = rng.random(len(desired)) < share
    seconds = rng.integers(0, 60, len(desired)).astype("timedelta64[s]")
    return ride_now, np.where(ride_now, desired.astype("datetime64[s]") - seconds, requested.astype("datetime64[s]"))


def operate(rng: np.random.Generator, requested: np.ndarray, desired: np.ndarray, origin_xy: np.ndarray,
            dest_xy: np.ndarray, passengers: np.ndarray, outcome_u: np.ndarray, depot_xy: tuple[float, float],
            config: Rides) -> Operated:
    """Serve the requests as the operator would and record what happened (see the module doc).

    ``requested`` / ``desired``: datetime64 per request; ``origin_xy`` / ``dest_xy``: (n, 2)
    metres (EPSG:6670); ``outcome_u``: the request's uniform draw for cancellations.
    """
    ops = config.operations
    n = len(desired)
    world = draw_conditions(rng, ops.speed_kmh, ops.detour_factor, ops.peak_slowdown, ops.leg_sigma, ops.dwell_min)
    ride_now, requested = ride_now_times(rng, desired, requested, ops.ride_now_share)
    accept = rng.uniform(*ops.accept_wait_min, n)
    cancelled = outcome_u < config.p_cancel
    no_show = (~cancelled) & (outcome_u < config.p_cancel + config.p_no_show)
    ids = np.array([f"q{i}" for i in range(n)])
    dispatched = np.flatnonzero(~cancelled)
    requests = pd.DataFrame({
        "request_id": ids[dispatched],
        "request_time": requested[dispatched].astype("datetime64[us]"),
        "desired_pickup_time": desired[dispatched].astype("datetime64[us]"),
        "origin_x": origin_xy[dispatched, 0], "origin_y": origin_xy[dispatched, 1],
        "dest_x": dest_xy[dispatched, 0], "dest_y": dest_xy[dispatched, 1],
        "passengers": passengers[dispatched].astype(int),
        "origin_zone": "", "dest_zone": "",
        "accept_wait_min": np.where(ride_now[dispatched], accept[dispatched], np.inf),
    })
    # The operator plans on its mean roads (it knows its area; peaks and delays it cannot plan).
    plan = StraightLineTravelTime(world.detour_factor, world.speed_kmh)
    hours = service_hours_by_day(config.start, config.end, config.weekday_hours, config.weekend_hours)
    open_h, close_h = config.weekday_hours
    fleet = Fleet(config.fleet_size, depot_xy[0], depot_xy[1], ops.capacity, float(open_h), float(close_h))
    result = simulate_dispatch(requests, fleet, ops.rules, plan, "none", service_hours=hours)
    trips = result.trips
    pick_min, drop_min = execute_plans(trips, requests, depot_xy, {d: h[0] * 60 for d, h in hours.items()},
                                       world, rng, result.breaks)
    row_of = {rid: int(rid[1:]) for rid in trips["request_id"].astype(str)}
    rows = np.array([row_of[r] for r in trips["request_id"].astype(str)], dtype=int)
    day = trips["service_date"].to_numpy().astype("datetime64[s]")

    def at(minutes: np.ndarray) -> np.ndarray:
        # realised times rounded to the nearest minute, as a booking system stores them
        return day + np.round(np.nan_to_num(minutes) * 60).astype("timedelta64[s]")

    outcome = np.full(n, "キャンセル", dtype=object)
    cause = np.full(n, "利用者がキャンセル", dtype=object)
    pickup = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    dropoff = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    vehicle = np.zeros(n, dtype=int)
    status = trips["status"].to_numpy(str)
    served = status == "served"
    outcome[rows] = np.where(served, "完了", np.where(status == "declined", "キャンセル", "配車不可"))
    cause[rows] = trips["reason"].to_numpy(str)
    vehicle[rows] = np.where(served, trips["vehicle"].to_numpy(int) + 1, 0)
    pickup[rows] = np.where(served, at(pick_min), np.datetime64("NaT"))
    # a ride between neighbouring stops can round to the pick-up minute; the log never shows a
    # drop-off at the minute of boarding (boarding and alighting take at least that long)
    drop_at = np.maximum(at(drop_min), at(pick_min) + np.timedelta64(60, "s"))
    dropoff[rows] = np.where(served, drop_at, np.datetime64("NaT"))
    shown = no_show & np.isin(np.arange(n), rows[served])
    outcome[shown] = "無断キャンセル"
    cause[shown] = "無断キャンセル"
    pickup[shown] = np.datetime64("NaT")
    dropoff[shown] = np.datetime64("NaT")
    return Operated(outcome.astype(str), pickup, dropoff, vehicle, cause.astype(str), requested, world)
