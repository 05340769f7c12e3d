"""Stage `features` on a tiny synthetic のるーと古賀 in tmp_path."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
import yaml

from kogadx.geo.reference import load_reference_boundary, load_reference_bus_stops, load_reference_towns, town_polygons
from kogadx.io import InputFileError, sha256_file, write_parquet
from kogadx.rng import stream_rng
from kogadx.synth.params import Rides
from kogadx.synth.rides import generate_members, generate_ride_requests, generate_stops
from kogadx.synth.weather import generate_hourly_weather
from kogadx.weather import to_jma_csv

START, END = "2023-05-01", "2023-05-14"
PARAMS = {
    "features": {
        "zone_level": "town",
        "n_clusters": 8,
        "start": START,
        "end": END,
        "count_outcomes": ["完了", "キャンセル", "無断キャンセル", "配車不可"],
        "weekday_hours": [9, 17],
        "weekend_hours": [8, 18],
        "school_holiday_end": "08-19",
        "school_holiday_days": 25,
        "event_dates": ["2023-05-05"],
    }
}


def _load_stage(project_root):
    spec = importlib.util.spec_from_file_location("features_stage", project_root / "pipelines" / "features.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def inputs(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS, allow_unicode=True), encoding="utf-8")
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    towns = town_polygons(load_reference_towns(), load_reference_boundary())
    towns["population"] = 800
    towns["households"] = 350
    stops = generate_stops(stream_rng(5, "stops"), towns, load_reference_bus_stops())
    rng = np.random.default_rng(5)
    n = 3000
    t = rng.integers(0, len(towns), n)
    residents = pd.DataFrame({
        "resident_code": [f"{2 * 10**10 + i:011d}" for i in range(n)],
        "name": [f"舞野 一郎{i}" for i in range(n)],
        "birth_date": pd.Timestamp("1935-01-01") + pd.to_timedelta(rng.integers(0, 365 * 80, n), unit="D"),
        "phone": "092-940-0000",
        "address": [f"福岡県古賀市{towns.town_name.iloc[k]}1番1号" for k in t],
        "town_name": towns.town_name.iloc[t].to_numpy(),
        "town_code": towns.town_code.iloc[t].to_numpy(),
    })
    members = generate_members(stream_rng(5, "members"), residents, stops, 200, Rides(end=END),
                               launch_date="2022-10-01")
    weather = generate_hourly_weather(stream_rng(5, "weather"), START, END)
    requests, truth = generate_ride_requests(stream_rng(5, "rides"), members, stops, weather,
                                             Rides(start=START, end=END))
    # What the privacy stage hands over: member pseudonyms, timestamps to the minute.
    pseudo = requests.drop(columns=["会員ID"]).assign(member_pseudonym=[f"P{i % 97:04d}" for i in range(len(requests))])
    pseudo["予約日時"] = pseudo["予約日時"].str.slice(0, 16)
    rides_dir = tmp_path / "data" / "pseudonymized" / "rides"
    write_parquet(pseudo, rides_dir / "ride_requests.parquet")
    write_parquet(stops, rides_dir / "stops.parquet")
    write_parquet(weather, tmp_path / "weather.parquet")
    (tmp_path / "weather_jma.csv").write_bytes(to_jma_csv(weather))
    towns.to_parquet(tmp_path / "towns.parquet")
    # Pseudonymized register: 20 people per town, 7 of them aged 65+ (share 0.35).
    register = pd.DataFrame({"town_code": np.repeat(towns["town_code"].to_numpy(), 20),
                             "age": np.tile([70] * 7 + [40] * 13, len(towns))})
    write_parquet(register, tmp_path / "residents_agg.parquet")
    return {"root": tmp_path, "rides_dir": rides_dir, "requests": requests, "stops": stops, "members": members,
            "truth": truth}


def test_features_stage_writes_panel_deterministically(inputs, project_root) -> None:
    stage = _load_stage(project_root)
    root = inputs["root"]
    rides = inputs["rides_dir"]
    args = [str(rides / "ride_requests.parquet"), str(rides / "stops.parquet"), str(root / "weather.parquet"),
            str(root / "towns.parquet"), str(root / "residents_agg.parquet")]
    out = root / "data" / "features" / "demand_panel.parquet"
    stage.main(args + [str(out)])
    panel = pd.read_parquet(out)
    n_zones = inputs["stops"]["town_code"].nunique()
    assert len(panel) == n_zones * 14 * 24
    assert panel["y"].sum() == len(inputs["requests"])
    assert panel["temperature_c"].notna().all() and panel["share_65plus"].eq(0.35).all()
    assert panel.loc[panel["time"].dt.normalize() == pd.Timestamp("2023-05-05"), "is_event"].eq(1).all()
    # Same truth zones as the generator's intensity.
    assert set(panel["zone"]) == set(inputs["truth"]["zone"])
    first_hash = sha256_file(out)
    out_csv = root / "data" / "features" / "demand_panel_jma.parquet"
    stage.main([*args[:2], str(root / "weather_jma.csv"), *args[3:], str(out_csv)])
    stage.main(args + [str(out)])
    assert sha256_file(out) == first_hash
    assert sha256_file(out_csv) == first_hash  # JMA CSV and Parquet weather give the same panel
    # Nothing personal reaches the shareable panel.
    raw = out.read_bytes()
    for value in list(inputs["members"]["氏名"].head(20)) + list(inputs["members"]["会員ID"].head(20)):
        assert value.encode("utf-8") not in raw


def test_features_stage_rejects_missing_input(inputs, project_root) -> None:
    stage = _load_stage(project_root)
    root = inputs["root"]
    rides = inputs["rides_dir"]
    with pytest.raises(InputFileError, match="weather_missing.parquet"):
        stage.main([str(rides / "ride_requests.parquet"), str(rides / "stops.parquet"),
                    str(root / "weather_missing.parquet"), str(root / "towns.parquet"),
                    str(root / "residents_agg.parquet"), str(root / "out.parquet")])
    with pytest.raises(SystemExit):
        stage.main([str(rides / "ride_requests.parquet")])
