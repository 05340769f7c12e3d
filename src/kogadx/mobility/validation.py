"""Does the simulator reproduce the operator's log? Logged versus replayed KPIs.

The replay set's requests (:func:`kogadx.mobility.inputs.prepare_replay`) are replayed
with the operator's settings (``dispatch.rules``, the default fleet, policy ``none`` — the
operator's vans stay where they stop) and the same three KPIs are computed from the log
and from the replay in the same way:

* **mean wait** of completed rides (minutes): pick-up − request for ride-now requests
  (booked less than ``rules.ride_now_lead_min`` before the desired time), pick-up − desired
  time for reservations. Logged from 実乗車日時; replayed from the planned pick-up.
* **rejection share**: requests the operator could not serve (配車不可; replay: rejected or
  declined) over the replayed requests.
* **vehicle-km**: each vehicle's day as the chain depot → its completed rides' pick-ups and
  drop-offs in time order, distances by the stage's travel model. The log records no
  odometer, so this is what it shows; both sides use the same chain (no-shows and empty
  repositioning are in neither).

Tolerances (issue #17): wait ±0.5 min, rejection share ±1 point, vehicle-km ±3 %.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kogadx.mobility.params import DispatchRules
from kogadx.mobility.simulation import DispatchResult, TravelTimeModel

TOLERANCE = {"wait_mean_min": 0.5, "rejection_share": 0.01, "vehicle_km_rel": 0.03}


def chain_km(frame: pd.DataFrame, travel: TravelTimeModel, depot_xy: tuple[float, float]) -> float:
    """Kilometres of every (day, vehicle) chain depot → stops in time order.

    ``frame``: one row per stop with day, vehicle, t, x, y."""
    if frame.empty:
        return 0.0
    f = frame.sort_values(["day", "vehicle", "t"], kind="stable")
    first = f[["day", "vehicle"]].ne(f[["day", "vehicle"]].shift()).any(axis=1).to_numpy()
    px = np.where(first, depot_xy[0], f["x"].shift().to_numpy(float))
    py = np.where(first, depot_xy[1], f["y"].shift().to_numpy(float))
    return float(np.asarray(travel.km(px, py, f["x"].to_numpy(float), f["y"].to_numpy(float)), float).sum())


def _stops_of(day, vehicle, pick_t, drop_t, req: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "day": np.concatenate([day, day]), "vehicle": np.concatenate([vehicle, vehicle]),
        "t": np.concatenate([pick_t, drop_t]),
        "x": np.concatenate([req["origin_x"].to_numpy(float), req["dest_x"].to_numpy(float)]),
        "y": np.concatenate([req["origin_y"].to_numpy(float), req["dest_y"].to_numpy(float)]),
    })


def logged_kpis(requests: pd.DataFrame, rides: pd.DataFrame, rules: DispatchRules, travel: TravelTimeModel,
                depot_xy: tuple[float, float]) -> dict[str, float]:
    """The three KPIs from the log (``requests``: the replay set with outcome; ``rides``:
    pseudonymized ride requests with actual_pickup_at, actual_dropoff_at, vehicle_id)."""
    log = rides.set_index(rides["request_id"].astype(str))
    req = requests.set_index(requests["request_id"].astype(str))
    done = req[req["outcome"] == "完了"]
    got = log.loc[done.index]
    ok = got["actual_pickup_at"].notna() & got["actual_dropoff_at"].notna() & got["vehicle_id"].notna()
    done, got = done[ok.to_numpy()], got[ok.to_numpy()]
    lead = (done["desired_pickup_time"] - done["request_time"]) / pd.Timedelta(minutes=1)
    ride_now = (lead < rules.ride_now_lead_min) & (
        done["request_time"].dt.normalize() == done["desired_pickup_time"].dt.normalize())
    origin = done["request_time"].where(ride_now, done["desired_pickup_time"])
    wait = (got["actual_pickup_at"].to_numpy() - origin.to_numpy()) / np.timedelta64(60, "s")
    day = got["actual_pickup_at"].dt.normalize().to_numpy()
    km = chain_km(_stops_of(day, got["vehicle_id"].astype(str).to_numpy(), got["actual_pickup_at"].to_numpy(),
                            got["actual_dropoff_at"].to_numpy(), done), travel, depot_xy)
    return {"n_requests": int(len(req)), "n_completed": int(len(done)),
            "wait_mean_min": float(np.mean(wait)) if len(wait) else float("nan"),
            "rejection_share": float((req["outcome"] == "配車不可").mean()) if len(req) else float("nan"),
            "vehicle_km": km}


def replayed_kpis(requests: pd.DataFrame, result: DispatchResult, travel: TravelTimeModel,
                  depot_xy: tuple[float, float], realised: tuple[np.ndarray, np.ndarray] | None = None
                  ) -> dict[str, float]:
    """The same three KPIs from a replay of ``requests`` (completed rides: served and
    logged 完了, so that no-shows are left out as in the log). ``realised``: pick-up and
    drop-off minutes per trip row after driving the plans on variable roads
    (:func:`kogadx.mobility.variability.execute_plans`); None = the planned times."""
    trips = result.trips.copy()
    if realised is not None:
        trips["pickup_min"], trips["dropoff_min"] = realised
        trips["wait_min"] = trips["pickup_min"] - trips["wait_from_min"]
    trips = trips.set_index(trips["request_id"].astype(str))
    req = requests.set_index(requests["request_id"].astype(str))
    trips = trips.loc[req.index]
    done_mask = ((trips["status"] == "served") & (req["outcome"] == "完了")).to_numpy()
    done, t = req[done_mask], trips[done_mask]
    km = chain_km(_stops_of(t["service_date"].to_numpy(), t["vehicle"].astype(str).to_numpy(),
                            t["pickup_min"].to_numpy(float), t["dropoff_min"].to_numpy(float), done), travel, depot_xy)
    return {"n_requests": int(len(req)), "n_completed": int(done_mask.sum()),
            "wait_mean_min": float(t["wait_min"].mean()) if len(t) else float("nan"),
            "rejection_share": float((trips["status"] != "served").mean()) if len(trips) else float("nan"),
            "vehicle_km": km}


def mean_kpis(runs: list[dict[str, float]]) -> dict[str, float]:
    """Average of several replays' KPIs (executions with different random delays)."""
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def compare(logged: dict[str, float], replayed: dict[str, float]) -> dict[str, Any]:
    """Side by side with differences and whether each lies within :data:`TOLERANCE`."""
    d_wait = replayed["wait_mean_min"] - logged["wait_mean_min"]
    d_rej = replayed["rejection_share"] - logged["rejection_share"]
    rel_km = (replayed["vehicle_km"] / logged["vehicle_km"] - 1.0) if logged["vehicle_km"] > 0 else float("nan")
    within = {"wait_mean_min": bool(abs(d_wait) <= TOLERANCE["wait_mean_min"]),
              "rejection_share": bool(abs(d_rej) <= TOLERANCE["rejection_share"]),
              "vehicle_km": bool(abs(rel_km) <= TOLERANCE["vehicle_km_rel"])}
    return {"logged": logged, "replayed": replayed,
            "difference": {"wait_mean_min": d_wait, "rejection_share": d_rej, "vehicle_km_rel": rel_km},
            "tolerance": dict(TOLERANCE), "within": within, "all_within": all(within.values())}
