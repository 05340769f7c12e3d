"""Speed of the synthetic のるーと古賀 generators at default scale (target: < 30 s).

Run: .venv/bin/python benchmarks/synth_rides.py  → benchmarks/results/synth_rides.json
Uses the project's residents generator at scale 1.0 (its time is reported separately).
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from kogadx.demand.features import build_demand_panel
from kogadx.demand.params import FeaturesParams
from kogadx.geo.reference import load_reference_boundary, load_reference_bus_stops, load_reference_towns, town_polygons
from kogadx.io import write_json
from kogadx.params import load_params
from kogadx.rng import stream_rng
from kogadx.synth.params import Rides, SynthesizeParams
from kogadx.synth.residents import generate_residents
from kogadx.synth.rides import generate_members, generate_ride_requests, generate_stops, residents_from_register_export
from kogadx.synth.weather import generate_hourly_weather
from kogadx.weather import to_jma_csv


def main() -> None:
    params = load_params(SynthesizeParams)
    seed = params.seed
    rides = Rides()  # the generators' defaults: two years of requests, town zones
    towns = town_polygons(load_reference_towns(), load_reference_boundary())
    timings: dict[str, float] = {}
    t = time.perf_counter()
    raw, _ = generate_residents(stream_rng(seed, "residents"), towns, params.residents, 1.0)
    residents = residents_from_register_export(raw)
    timings["residents_register_s (not ours)"] = time.perf_counter() - t
    t0 = time.perf_counter()
    weather = generate_hourly_weather(stream_rng(seed, "weather"), rides.start, rides.end)
    timings["weather_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    to_jma_csv(weather)
    timings["weather_jma_csv_s"] = time.perf_counter() - t
    t = time.perf_counter()
    stops = generate_stops(stream_rng(seed, "ride_stops"), towns, load_reference_bus_stops(), rides)
    timings["stops_s"] = time.perf_counter() - t
    t = time.perf_counter()
    members = generate_members(stream_rng(seed, "ride_members"), residents, stops, rides.n_members, rides)
    timings["members_s"] = time.perf_counter() - t
    t = time.perf_counter()
    requests, truth = generate_ride_requests(stream_rng(seed, "ride_requests"), members, stops, weather, rides)
    timings["requests_s"] = time.perf_counter() - t
    timings["generation_total_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    features = FeaturesParams(start="2022-10-01", end="2024-09-30", zone_level="town")  # the weather's period
    panel = build_demand_panel(requests, stops, towns, None, weather, features)
    timings["panel_town_s"] = time.perf_counter() - t
    result = {
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "sizes": {"residents": len(residents), "stops": len(stops), "members": len(members),
                  "requests": len(requests), "truth_rows": len(truth), "panel_rows": len(panel),
                  "weather_rows": len(weather)},
        "outcomes": requests["結果"].value_counts().to_dict(),
        "requests_per_week_last_26_weeks": round(
            float((requests["希望乗車日時"] >= "2024/04/01").sum() / 26.1), 1),
    }
    write_json(result, Path(__file__).parent / "results" / "synth_rides.json")
    print(result)


if __name__ == "__main__":
    main()
