"""Travel that varies: speeds by time of day, random delays, and plans executed under them.

The dispatcher plans with a fixed travel-time model (:mod:`kogadx.mobility.simulation`);
roads do not keep to it. :class:`TravelConditions` is one "world": a base speed and road
detour, a slowdown in the morning and evening peaks and a random factor on every leg, all
drawn once per run (:func:`draw_conditions`) so that fitting speed and dwell from a log
made under them (:mod:`kogadx.mobility.calibration`) is a real estimate, not the
generator's constant read back.

:func:`execute_plans` drives each vehicle's planned stop sequence in such a world: a van
leaves for its next stop when the plan says (or later, when it is running late), the leg
takes the world's time, and it never starts a pick-up before the rider's earliest time.
Each van keeps its planned order of stops and drives on as soon as it is done; it never
starts a pick-up before the rider's earliest time nor sets off for a rider before the
booking. The plan is not revised when the van runs late (the operator's dispatcher made
its promises on its own model) — a simplification stated in the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

PEAK_HOURS = ((7.0, 9.5), (16.0, 18.5))  # commuting peaks on Koga's roads (assumption)


@dataclass(frozen=True)
class TravelConditions:
    """One run's roads: straight-line km × ``detour_factor`` at ``speed_kmh``, slower by
    ``peak_slowdown`` (a share of the time) in :data:`PEAK_HOURS`, each leg × a lognormal
    factor of mean 1 and log-sd ``leg_sigma``; boarding takes ``dwell_min`` per stop."""

    speed_kmh: float
    detour_factor: float
    peak_slowdown: float
    leg_sigma: float
    dwell_min: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}

    def slowdown(self, minute_of_day: np.ndarray) -> np.ndarray:
        """Travel-time factor ≥ 1 at each time (minutes since midnight)."""
        hour = np.asarray(minute_of_day, float) / 60.0
        peak = np.zeros(hour.shape, dtype=bool)
        for lo, hi in PEAK_HOURS:
            peak |= (hour >= lo) & (hour < hi)
        return np.where(peak, 1.0 + self.peak_slowdown, 1.0)


def draw_conditions(rng: np.random.Generator, speed_kmh: tuple[float, float], detour_factor: tuple[float, float],
                    peak_slowdown: tuple[float, float], leg_sigma: tuple[float, float],
                    dwell_min: tuple[float, float]) -> TravelConditions:
    """A run's conditions, each drawn uniformly from its (low, high) range."""
    return TravelConditions(*(float(rng.uniform(lo, hi)) for lo, hi in
                              (speed_kmh, detour_factor, peak_slowdown, leg_sigma, dwell_min)))


def execute_plans(trips: pd.DataFrame, requests: pd.DataFrame, depot_xy: tuple[float, float],
                  open_min: dict[pd.Timestamp, float], world: TravelConditions,
                  rng: np.random.Generator, breaks: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Realised pick-up and drop-off start (minutes of the day) of every served trip.

    ``trips``: :class:`kogadx.mobility.simulation.DispatchResult` trips (planned
    ``pickup_min`` / ``dropoff_min``, ``desired_min`` = the earliest pick-up, vehicle,
    service_date); ``requests``: the simulated requests (request_id, origin/dest xy);
    ``plan_minutes(ax, ay, bx, by)``: the dispatcher's travel model; ``open_min``: service
    opening per date; ``breaks``: the drivers' breaks of the plans (``DispatchResult.breaks``),
    driven to and kept in order (the break lasts as planned, from when the van gets there).
    Trips that were not served get NaN. Deterministic for a seeded ``rng``.
    """
    xy = requests.set_index(requests["request_id"].astype(str))[["origin_x", "origin_y", "dest_x", "dest_y"]]
    served = trips[trips["status"] == "served"]
    pos = xy.loc[served["request_id"].astype(str)].to_numpy(float)
    n = len(served)
    # one event per stop: (day, vehicle, planned start, x, y, earliest, trip row, is pick-up)
    events = pd.DataFrame({
        "day": np.concatenate([served["service_date"].to_numpy()] * 2),
        "vehicle": np.concatenate([served["vehicle"].to_numpy()] * 2),
        "planned": np.concatenate([served["pickup_min"].to_numpy(float), served["dropoff_min"].to_numpy(float)]),
        "x": np.concatenate([pos[:, 0], pos[:, 2]]), "y": np.concatenate([pos[:, 1], pos[:, 3]]),
        "earliest": np.concatenate([served["desired_min"].to_numpy(float), np.full(n, -np.inf)]),
        # a van cannot set off for a rider before the booking exists
        "known": np.concatenate([served["request_min"].to_numpy(float), np.full(n, -np.inf)]),
        "row": np.concatenate([np.arange(n)] * 2),
        "pickup": np.concatenate([np.ones(n, bool), np.zeros(n, bool)]),
        "stay": world.dwell_min,
    })
    if breaks is not None and len(breaks):
        events = pd.concat([events, pd.DataFrame({
            "day": breaks["service_date"].to_numpy(), "vehicle": breaks["vehicle"].to_numpy(),
            "planned": breaks["start_min"].to_numpy(float), "x": breaks["x"].to_numpy(float),
            "y": breaks["y"].to_numpy(float), "earliest": breaks["start_min"].to_numpy(float), "known": -np.inf,
            "row": -1, "pickup": False,
            "stay": (breaks["end_min"] - breaks["start_min"]).to_numpy(float)})], ignore_index=True)
    events = events.sort_values(["day", "vehicle", "planned", "pickup"], kind="stable").reset_index(drop=True)
    noise = np.exp(rng.normal(-world.leg_sigma ** 2 / 2, world.leg_sigma, len(events)))
    km_per_min = world.speed_kmh / 60.0
    real = np.full(len(events), np.nan)
    ex, ey, earliest, known, stay = (events[c].to_numpy(float) for c in ("x", "y", "earliest", "known", "stay"))
    group_key = events["day"].astype(str) + "|" + events["vehicle"].astype(str)
    starts = np.flatnonzero(group_key.ne(group_key.shift()).to_numpy())
    bounds = list(starts) + [len(events)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        px, py = depot_xy
        t_end = open_min.get(pd.Timestamp(events.at[a, "day"]), 0.0)
        for k in range(a, b):
            depart = max(t_end, known[k])
            km = float(np.hypot(ex[k] - px, ey[k] - py)) / 1000.0 * world.detour_factor
            leg = km / km_per_min * float(world.slowdown(np.array([depart]))[0]) * noise[k]
            real[k] = max(earliest[k], depart + leg)
            t_end = real[k] + stay[k]
            px, py = ex[k], ey[k]
    pick = np.full(len(trips), np.nan)
    drop = np.full(len(trips), np.nan)
    served_idx = np.flatnonzero((trips["status"] == "served").to_numpy())
    rows = events["row"].to_numpy(int)
    is_pick = events["pickup"].to_numpy(bool) & (rows >= 0)
    is_drop = ~events["pickup"].to_numpy(bool) & (rows >= 0)
    pick[served_idx[rows[is_pick]]] = real[is_pick]
    drop[served_idx[rows[is_drop]]] = real[is_drop]
    return pick, drop
