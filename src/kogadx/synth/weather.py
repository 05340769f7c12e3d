"""Synthetic hourly weather for Koga from Fukuoka climatology (written in the JMA layout of
:mod:`kogadx.weather`).

Climatology: 気象庁 平年値 福岡 (47807) 1991–2020, monthly means — APPROXIMATE values
rounded from the public normals table, used only to give the synthetic series a plausible
seasonal shape. Nothing here is an observation.

Time convention: as :mod:`kogadx.weather` (JMA: ``time`` is the end of the hour, JST).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.weather import COMPASS_16, WEATHER_COLUMNS

# --- Reference table: 気象庁 平年値 福岡 1991–2020 (approximate, rounded) --------------------
# Index 0 = January. Used as climatology targets, not as observations.
CLIMATE_NORMALS_FUKUOKA = {
    "source": "気象庁 平年値 福岡 1991–2020 (概数)",
    "mean_temperature_c": (6.9, 7.8, 10.8, 15.4, 19.9, 23.3, 27.4, 28.4, 24.7, 19.6, 14.2, 9.1),
    "precipitation_mm": (74, 70, 104, 118, 134, 254, 278, 210, 175, 95, 91, 68),
    # days with >= 1 mm (approximate)
    "wet_days": (10.9, 10.0, 10.8, 10.2, 9.3, 12.2, 11.6, 10.0, 9.8, 6.9, 8.9, 9.9),
    "relative_humidity_pct": (63, 63, 64, 65, 68, 75, 76, 73, 72, 67, 66, 64),
    "wind_speed_ms": (3.2, 3.1, 3.2, 3.1, 2.9, 2.8, 3.0, 2.8, 2.9, 2.8, 2.9, 3.1),
    # daily temperature range (max - min), °C, approximate
    "diurnal_range_c": (6.5, 7.0, 7.5, 8.0, 8.0, 6.5, 6.5, 7.0, 7.0, 8.0, 7.5, 6.5),
}

def _monthly_interp(values: tuple[float, ...], day_of_year: np.ndarray, year_days: np.ndarray) -> np.ndarray:
    """Smoothly interpolate monthly normals (placed mid-month) to each day, cyclically."""
    mids = (np.arange(12) + 0.5) / 12.0
    pos = (day_of_year - 0.5) / year_days
    xs = np.concatenate([mids - 1, mids, mids + 1])
    ys = np.tile(np.asarray(values, dtype=float), 3)
    return np.interp(pos, xs, ys)


def _normals(name: str) -> tuple[float, ...]:
    """One monthly series of :data:`CLIMATE_NORMALS_FUKUOKA` (January first)."""
    values = CLIMATE_NORMALS_FUKUOKA[name]
    assert isinstance(values, tuple)
    return values


def generate_hourly_weather(
    rng: np.random.Generator,
    start: str,
    end: str,
    *,
    temperature_ar1: float = 0.75,
    temperature_anomaly_sd_c: float = 2.2,
    wet_persistence: float = 0.55,
    spell_hours_mean: float = 7.0,
) -> pd.DataFrame:
    """Hourly synthetic weather for the days ``start`` … ``end`` (inclusive, JST).

    Model (all parameters are assumptions, not fitted):
    - temperature: monthly normal (smoothly interpolated) + diurnal cycle (min ~06:00,
      max ~14:00, amplitude from the normal daily range) + AR(1) day-to-day anomaly
      (``temperature_ar1``, stationary sd ``temperature_anomaly_sd_c`` °C) + small hourly noise;
      wet days are cooler by day and have a smaller range;
    - rain: wet/dry days from a two-state Markov chain whose stationary wet fraction equals
      the normal number of wet days and whose persistence P(wet|wet) - P(wet|dry) is
      ``wet_persistence``; a wet day holds one rain spell (mean ``spell_hours_mean`` h) with a
      gamma daily total matching the monthly normal; hourly totals rounded to 0.5 mm as JMA reports;
    - humidity, wind speed/direction and sunshine follow the normals with noise.

    Returns columns ``WEATHER_COLUMNS``; ``time`` is datetime64[us] (JST, naive), the JMA
    observation time (end of the hour), from ``start`` 01:00 to ``end``+1 day 00:00.
    Units: °C, mm/h, m/s, 16-point compass, hours (0–1), %.
    """
    days = pd.date_range(start, end, freq="D")
    if len(days) == 0:
        raise ValueError(f"weather: empty period {start} … {end}")
    normal = _DailyNormals.of(days)
    # Day-level draws, in a fixed order so that the stream is reproducible.
    draws = _DayDraws.draw(rng, len(days), temperature_anomaly_sd_c * np.sqrt(1 - temperature_ar1**2),
                           spell_hours_mean)
    anomaly, wet = _day_states(draws, normal.wet_frac, temperature_ar1, wet_persistence)

    # Hour index h: interval (h, h+1], observation time h+1. Diurnal shape: piecewise-linear
    # through anchors, minimum at 06:00, maximum at 14:00, max − min = 1 (× the daily range).
    obs_hour = np.arange(24) + 1
    diurnal = np.interp(obs_hour, [0, 6, 14, 24], [-0.3, -0.5, 0.5, -0.3])
    diurnal = diurnal - diurnal.mean()  # keep the daily mean on the normal
    day_range = normal.diurnal_range * np.where(wet, 0.55, 1.0)
    temp = (
        (normal.temperature + anomaly + normal.wet_frac - np.where(wet, 1.0, 0.0))[:, None]  # wet days cooler
        + day_range[:, None] * diurnal[None, :]
        + rng.normal(0.0, 0.3, (len(days), 24))
    )
    precip = _precipitation(rng, wet, draws, normal.mean_wet_total)
    sunshine = _sunshine(rng, obs_hour, wet, precip)
    rh = (normal.humidity[:, None] - 12 * diurnal[None, :]
          + (np.where(wet, 10.0, 0.0) - 10.0 * normal.wet_frac)[:, None] + rng.normal(0, 4, (len(days), 24)))
    rh = np.where(precip > 0, np.maximum(rh, 85), rh)
    rh = np.clip(np.round(rh), 15, 100)
    wind, wind_dir = _wind(rng, normal.wind_speed, draws, diurnal)

    times = pd.date_range(days[0] + pd.Timedelta(hours=1), periods=len(days) * 24, freq="h").as_unit("us")
    return pd.DataFrame(
        {
            "time": times,
            "temperature_c": np.round(temp.ravel(), 1),
            "precipitation_mm": precip.ravel(),
            "wind_speed_ms": wind.ravel(),
            "wind_direction": pd.array(wind_dir.ravel(), dtype="string"),
            "sunshine_h": sunshine.ravel(),
            "relative_humidity_pct": rh.ravel(),
        }
    )[WEATHER_COLUMNS]


@dataclass(frozen=True)
class _DailyNormals:
    """The climate normals interpolated to each day of the period."""

    temperature: np.ndarray
    diurnal_range: np.ndarray
    humidity: np.ndarray
    wind_speed: np.ndarray
    wet_frac: np.ndarray  # normal share of wet days in the day's month
    mean_wet_total: np.ndarray  # mm on a wet day of the month

    @classmethod
    def of(cls, days: pd.DatetimeIndex) -> _DailyNormals:
        doy = days.day_of_year.to_numpy()
        year_days = np.where(days.is_leap_year, 366, 365)
        month_days = days.days_in_month.to_numpy()
        month_idx = days.month.to_numpy() - 1
        wet_days = np.asarray(_normals("wet_days"))[month_idx]
        return cls(
            temperature=_monthly_interp(_normals("mean_temperature_c"), doy, year_days),
            diurnal_range=_monthly_interp(_normals("diurnal_range_c"), doy, year_days),
            humidity=_monthly_interp(_normals("relative_humidity_pct"), doy, year_days),
            wind_speed=_monthly_interp(_normals("wind_speed_ms"), doy, year_days),
            wet_frac=wet_days / month_days,
            mean_wet_total=np.asarray(_normals("precipitation_mm"))[month_idx] / wet_days,
        )


@dataclass(frozen=True)
class _DayDraws:
    """The day-level random draws."""

    innov: np.ndarray  # temperature anomaly innovations
    wet_u: np.ndarray
    totals: np.ndarray  # gamma shape 0.8: many light, some heavy days
    spell_len: np.ndarray  # hours of the day's rain spell
    spell_start: np.ndarray
    day_wind: np.ndarray
    wind_dir_day: np.ndarray  # index into COMPASS_16

    @classmethod
    def draw(cls, rng: np.random.Generator, n_days: int, innov_sd: float, spell_hours_mean: float) -> _DayDraws:
        return cls(
            innov=rng.normal(0.0, innov_sd, n_days),
            wet_u=rng.random(n_days),
            totals=rng.gamma(0.8, 1.0, n_days),
            spell_len=np.clip(rng.poisson(spell_hours_mean - 1, n_days) + 1, 1, 23),
            spell_start=rng.integers(0, 24, n_days),
            day_wind=rng.lognormal(0.0, 0.25, n_days),
            wind_dir_day=rng.integers(0, 16, n_days),
        )


def _day_states(draws: _DayDraws, wet_frac: np.ndarray, ar1: float,
                persistence: float) -> tuple[np.ndarray, np.ndarray]:
    """AR(1) temperature anomaly and wet/dry Markov chain, day by day."""
    n_days = len(wet_frac)
    anomaly = np.empty(n_days)
    wet = np.zeros(n_days, dtype=bool)
    prev_a, prev_wet = 0.0, False
    for i in range(n_days):
        prev_a = ar1 * prev_a + draws.innov[i]
        anomaly[i] = prev_a
        # P(wet|dry)=p*(1-r), P(wet|wet)=p+r*(1-p): stationary wet fraction p, persistence r.
        p = wet_frac[i]
        p_wet = p + persistence * (1 - p) if prev_wet else p * (1 - persistence)
        prev_wet = bool(draws.wet_u[i] < p_wet)
        wet[i] = prev_wet
    return anomaly, wet


def _precipitation(rng: np.random.Generator, wet: np.ndarray, draws: _DayDraws,
                   mean_wet_total: np.ndarray) -> np.ndarray:
    """Hourly precipitation (mm), days × 24: one spell per wet day, rounded to 0.5 mm."""
    precip = np.zeros((len(wet), 24))
    spell_weights = rng.dirichlet(np.ones(23) * 1.5, len(wet))
    for i in np.flatnonzero(wet):
        total = max(1.0, draws.totals[i] / 0.8 * mean_wet_total[i])
        length = int(draws.spell_len[i])
        idx = (draws.spell_start[i] + np.arange(length)) % 24
        w = spell_weights[i, :length]
        precip[i, idx] = total * w / w.sum()
    return np.round(precip * 2) / 2  # JMA hourly precipitation resolution 0.5 mm


def _sunshine(rng: np.random.Generator, obs_hour: np.ndarray, wet: np.ndarray, precip: np.ndarray) -> np.ndarray:
    """Hourly sunshine (hours, 0–1, 0.1 steps), days × 24; none while it rains."""
    sun_hours = (obs_hour >= 7) & (obs_hour <= 18)
    sun_base = np.where(sun_hours, np.clip(np.sin((obs_hour - 6) / 13 * np.pi), 0, 1), 0.0)
    cloud = rng.random((len(wet), 24))
    sunny = sun_base[None, :] * np.where(wet[:, None], 0.15, 0.75) > cloud * 0.9
    sunshine = np.where(sunny, np.round(np.clip(sun_base[None, :] + rng.normal(0, 0.1, (len(wet), 24)), 0, 1), 1), 0.0)
    return np.where(precip > 0, 0.0, sunshine)


def _wind(rng: np.random.Generator, wind_normal: np.ndarray, draws: _DayDraws,
          diurnal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hourly wind speed (m/s, 0.1 steps) and 16-point direction (静穏 below 0.3 m/s), days × 24."""
    n_days = len(wind_normal)
    wind = (wind_normal[:, None] * draws.day_wind[:, None] * (1 + 0.25 * diurnal[None, :])
            * rng.lognormal(0, 0.2, (n_days, 24)))
    wind = np.round(np.clip(wind, 0.0, 20.0), 1)
    wind_dir_idx = (draws.wind_dir_day[:, None] + rng.integers(-1, 2, (n_days, 24))) % 16
    return wind, np.where(wind < 0.3, "静穏", np.asarray(COMPASS_16)[wind_dir_idx])
