"""The synthetic demand world the forecast does not know: overdispersion, linked return trips,
a clinic schedule, a supermarket opening, a stop closed for roadworks; λ stays the expectation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.geo.reference import load_reference_boundary, load_reference_bus_stops, load_reference_towns, town_polygons
from kogadx.rng import stream_rng
from kogadx.synth.params import DemandWorld, RideIntensity, Rides
from kogadx.synth.rides import generate_members, generate_ride_requests, generate_stops, weather_factor

START, END = "2023-10-16", "2023-11-19"  # five weeks: roadworks in week 2, the supermarket opens in week 3
WORLD = DemandWorld(roadworks_stop="日吉公民館", roadworks_start="2023-10-23", roadworks_end="2023-10-29",
                    supermarket_open="2023-11-01")
INTENSITY = RideIntensity(ramp_midpoint_days=-200, plateau_requests_per_week=900)
RIDES = Rides(start=START, end=END, intensity=INTENSITY, world=WORLD)


def residents(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    towns = load_reference_towns()
    t = rng.integers(0, len(towns), n)
    birth = pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 365 * 80, n), unit="D")
    frame = pd.DataFrame({
        "resident_code": [f"{10**10 + i:011d}" for i in range(n)],
        "name": [f"古賀 太郎{i}" for i in range(n)],
        "phone": [""] * n,
        "address": [f"福岡県古賀市{towns.town_name.iloc[k]}{i % 30 + 1}番" for i, k in enumerate(t)],
        "town_name": towns.town_name.iloc[t].to_list(),
    }).astype("string")
    frame["birth_date"] = birth.astype("datetime64[ms]")
    return frame


def make_world(world: DemandWorld = WORLD, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    polygons = town_polygons(load_reference_towns(), load_reference_boundary())
    stops = generate_stops(stream_rng(seed, "stops"), polygons, load_reference_bus_stops())
    members = generate_members(stream_rng(seed, "members"), residents(), stops, 300,
                               Rides(end=END, intensity=RideIntensity(ramp_midpoint_days=-200)))
    config = Rides(start=START, end=END, intensity=INTENSITY, world=world)
    requests, truth = generate_ride_requests(stream_rng(seed, "rides"), members, stops, None, config)
    return stops, requests, truth


@pytest.fixture(scope="module")
def world():
    return make_world()


def zone_day_counts(stops: pd.DataFrame, requests: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    from kogadx.demand.features import stop_zones

    zone_of = dict(zip(stops["stop_id"], stop_zones(stops, RIDES.zone_level, RIDES.n_clusters).astype(str),
                       strict=True))
    day = pd.to_datetime(requests["希望乗車日時"], format="%Y/%m/%d %H:%M").dt.normalize()
    counts = pd.DataFrame({"zone": requests["乗車停留所ID"].map(zone_of), "day": day}).value_counts()
    lam = truth.assign(day=truth["time"].dt.normalize()).groupby(["zone", "day"])["lambda"].sum()
    return pd.DataFrame({"y": counts.reindex(lam.index, fill_value=0), "lam": lam})


def test_lambda_is_the_expectation_and_counts_are_overdispersed(world) -> None:
    stops, requests, truth = world
    table = zone_day_counts(stops, requests, truth)
    assert abs(table["y"].sum() / table["lam"].sum() - 1) < 0.08  # λ includes the expected return trips
    busy = table[table["lam"] > 5]
    dispersion = ((busy["y"] - busy["lam"]) ** 2).mean() / busy["lam"].mean()
    assert dispersion > 1.6  # Poisson would give ≈ 1


def test_return_trips_are_linked_to_the_same_riders_outbound_trip(world) -> None:
    _, requests, _ = world
    req = requests.assign(t=pd.to_datetime(requests["希望乗車日時"], format="%Y/%m/%d %H:%M"))
    req = req.assign(day=req["t"].dt.normalize())
    pairs = req.merge(req, on=["会員ID", "day"], suffixes=("_out", "_ret"))
    linked = pairs[(pairs["乗車停留所ID_ret"] == pairs["降車停留所ID_out"])
                   & (pairs["降車停留所ID_ret"] == pairs["乗車停留所ID_out"])
                   & (pairs["t_ret"] > pairs["t_out"])]
    assert linked["予約ID_ret"].nunique() / len(req) > 0.15


def test_unseen_effects_move_the_stops(world) -> None:
    stops, requests, truth = world
    name = dict(zip(stops["stop_id"], stops["stop_name"], strict=True))
    t = pd.to_datetime(requests["希望乗車日時"], format="%Y/%m/%d %H:%M")
    origin, dest = requests["乗車停留所ID"].map(name), requests["降車停留所ID"].map(name)
    closed = (t >= "2023-10-23") & (t < "2023-10-30")
    road = WORLD.roadworks_stop
    assert not ((origin == road) | (dest == road))[closed].any()
    assert ((origin == road) | (dest == road))[~closed].sum() > 5
    shop = WORLD.supermarket_stop
    before = t < "2023-11-01"
    assert not (origin == shop)[before].any()
    assert (origin == shop)[~before].sum() > 5
    clinic = stops.loc[stops["kind"] == "clinic", "stop_id"]
    to_clinic = requests["降車停留所ID"].isin(clinic)
    monday, thursday = to_clinic[t.dt.day_of_week == 0].sum(), to_clinic[t.dt.day_of_week == 3].sum()
    assert monday > 10 and thursday < 0.3 * monday  # clinics closed on Thursdays (riders living there: a few)


def test_weather_effect_is_nonlinear_in_rain_and_temperature() -> None:
    rain = weather_factor(np.array([0.0, 1.0, 3.0, 6.0, 25.0]), np.full(5, 24.0), INTENSITY)
    assert rain[2] > rain[1] > rain[0] and rain[2] > rain[3] and rain[4] < 0.8
    temp = weather_factor(np.zeros(4), np.array([0.0, 24.0, 30.0, 35.0]), INTENSITY)
    assert temp[1] == pytest.approx(1.0) and temp[3] < temp[2] < 1.0 and temp[0] < 1.0
