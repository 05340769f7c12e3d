"""A small panel with a known intensity, for tests and speed benchmarks of the engine.

Not the synthetic Koga ride data (that lives in ``kogadx.synth``): just Poisson counts
per zone and hour with a daily profile, a weekend effect, rain and a zone size, and the
true intensity in ``lambda_true`` so the oracle and the noise floor can be checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kogadx.rng import stream_rng


def toy_hourly_panel(n_zones: int, days: int, seed: int, start: str = "2023-01-02") -> pd.DataFrame:
    """Hourly counts ``y`` per ``zone`` with true intensity ``lambda_true`` (requests/hour).

    Intensity = zone size × daily profile (peaks at 9 h and 15 h, zero at night) × 0.6 on
    weekends × (1 − 0.25 when it rains) × a slow upward trend. Exogenous columns:
    ``is_weekend`` (0/1), ``rain_mm`` (mm/h), ``population`` (static per zone).
    """
    rng = stream_rng(seed, "demand_toy_panel")
    times = pd.date_range(start, periods=days * 24, freq="h")
    hour = times.hour.to_numpy()
    weekend = (times.day_of_week.to_numpy() >= 5).astype("int8")
    profile = np.exp(-0.5 * ((hour - 9) / 1.5) ** 2) + 0.8 * np.exp(-0.5 * ((hour - 15) / 2.0) ** 2)
    profile[(hour < 7) | (hour > 19)] = 0.0
    trend = 1.0 + 0.3 * np.arange(times.size) / max(times.size, 1)
    wet_day = rng.random(days) < 0.3
    rain = np.where(np.repeat(wet_day, 24), rng.gamma(1.5, 2.0, times.size), 0.0).round(1)
    frames = []
    for z in range(n_zones):
        population = int(rng.integers(800, 6000))
        size = population / 1000.0
        lam = size * profile * np.where(weekend == 1, 0.6, 1.0) * np.where(rain > 0, 0.75, 1.0) * trend
        frames.append(
            pd.DataFrame(
                {
                    "zone": f"Z{z:02d}",
                    "time": times,
                    "y": rng.poisson(lam).astype("int64"),
                    "is_weekend": weekend,
                    "rain_mm": rain,
                    "population": population,
                    "lambda_true": lam,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
