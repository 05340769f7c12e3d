"""Synthetic ride requests for the dispatcher's tests, benchmarks and notebooks.

Unlike :mod:`kogadx.synth.rides` (the booking system's export, with stops, members and
outcomes), these are requests already in the dispatcher's layout
(:data:`kogadx.mobility.simulation.REQUEST_COLUMNS`): points in EPSG:6670 metres around zone
centroids, drawn from a known intensity per zone and hour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def generate_synthetic_requests(
    rng: np.random.Generator,
    zone_rates: pd.DataFrame,
    zone_centroids: pd.DataFrame,
    zone_radius_m: float = 600.0,
    lead_min: tuple[float, float] = (10.0, 60.0),
    max_passengers: int = 3,
) -> pd.DataFrame:
    """Ride requests drawn from a Poisson intensity per zone and hour.

    Args:
        rng: seeded generator (``kogadx.rng.stream_rng``).
        zone_rates: zone, hour (datetime64 hour start), expected (λ, requests per hour).
        zone_centroids: zone, x, y (metres, EPSG:6670).
        zone_radius_m: spread (std, metres) of origins/destinations around a centroid.
        lead_min: booking lead time range (minutes before the desired pick-up).
        max_passengers: party size drawn uniformly in 1..max.

    Returns:
        DataFrame with the dispatcher's request columns; destinations in a zone drawn ∝ its
        λ that hour.
    """
    cent = zone_centroids.set_index(zone_centroids["zone"].astype(str))
    rows = []
    for hour, grp in zone_rates.sort_values(["hour", "zone"]).groupby("hour", sort=True):
        zones = grp["zone"].astype(str).to_numpy()
        lam = grp["expected"].to_numpy(float)
        share = lam / lam.sum() if lam.sum() > 0 else np.full(len(lam), 1 / len(lam))
        counts = rng.poisson(lam)
        for z, k in zip(zones, counts, strict=True):
            for _ in range(int(k)):
                dz = zones[rng.choice(len(zones), p=share)]
                offset = rng.uniform(0, 60)
                desired = pd.Timestamp(hour) + pd.Timedelta(minutes=float(np.round(offset, 1)))
                lead = float(np.round(rng.uniform(*lead_min), 1))
                ox, oy = cent.loc[z, ["x", "y"]].to_numpy(float) + rng.normal(0, zone_radius_m, 2)
                dx, dy = cent.loc[dz, ["x", "y"]].to_numpy(float) + rng.normal(0, zone_radius_m, 2)
                rows.append((desired - pd.Timedelta(minutes=lead), desired, ox, oy, dx, dy,
                             int(rng.integers(1, max_passengers + 1)), z, dz))
    frame = pd.DataFrame(rows, columns=["request_time", "desired_pickup_time", "origin_x", "origin_y",
                                        "dest_x", "dest_y", "passengers", "origin_zone", "dest_zone"])
    frame = frame.sort_values(["request_time", "desired_pickup_time"], kind="stable").reset_index(drop=True)
    frame.insert(0, "request_id", [f"R{k:06d}" for k in range(len(frame))])
    return frame
