"""Stage dispatch on a tiny service area (8 stops, a few days of requests) in tmp_path."""

from __future__ import annotations

import importlib.util
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from kogadx.io import write_parquet
from tests.helpers import write_params

DISPATCH = {
    "seed": 7,
    "replay": {"start": "2024-09-09", "end": "2024-09-11"},
    "replay_outcomes": ["完了", "配車不可", "無断キャンセル"],
    "fleet": {"n_vehicles": 2, "capacity": 8, "depot": {"name": "JR古賀駅", "lat": 33.732828, "lon": 130.466902}},
    "rules": {"pickup_window_min": 15, "ride_time_alpha": 1.5, "ride_time_beta_min": 5.0, "dwell_min": 1.0,
              "lookahead_min": 30.0, "wait_weight": 0.5},
    "travel": {"model": "straight_line", "detour_factor": 1.3, "speed_kmh": 25},
    "expected_demand": {"source": "auto", "history_weeks": 1},
    "short_lead_min": 20,
    "bootstrap_draws": 50,
    "scenarios": {"fleet_sizes": [1, 2], "demand_factors": [1.0, 1.5],
                  "policies": ["none", "depot", "forecast", "oracle"]},
    "map": {"day": None, "policy": "forecast"},
    "replications": {"n": 3, "policies": ["none", "uniform", "history", "forecast", "oracle"]},
    "grid": {"fleet_sizes": [1, 2], "demand_factors": [1.0, 2.0], "policy": "none"},
    "frontier": {"move_weights": [0.0, 2.0], "policy": "forecast"},
    "reopt": {"interval_min": 10, "replications": 2},
    "workers": 1,
}
LAT = 33.720 + 0.006 * np.array([0, 1, 2, 3, 0, 1, 2, 3])
LON = 130.455 + np.array([0, 0, 0, 0, 0.02, 0.02, 0.02, 0.02])


def _load_stage(project_root):
    spec = importlib.util.spec_from_file_location("dispatch_stage", project_root / "pipelines" / "dispatch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inputs(root):
    rng = np.random.default_rng(11)
    ids = [f"S{k:03d}" for k in range(1, 9)]
    stops = pd.DataFrame({"stop_id": ids, "stop_name": [f"停留所{k}" for k in range(1, 9)], "lat": LAT, "lon": LON,
                          "town_code": "40223000001", "town_name": "テスト町", "kind": "bus_stop"})
    rows = []
    for day in pd.date_range("2024-09-02", "2024-09-11"):  # a week of history + 3 replayed days
        for _ in range(12):
            desired = day + pd.Timedelta(hours=9) + pd.Timedelta(minutes=int(rng.integers(0, 470)))
            lead = int(rng.choice([8, 12, 30, 90]))
            o, d = rng.choice(8, 2, replace=False)
            rows.append((desired - pd.Timedelta(minutes=lead), desired, ids[o], ids[d], int(rng.integers(1, 3)),
                         rng.choice(["完了", "完了", "完了", "キャンセル", "配車不可"])))
    rides = pd.DataFrame(rows, columns=["requested_at", "desired_pickup_at", "origin_stop_id", "destination_stop_id",
                                        "passengers", "outcome"])
    rides.insert(0, "request_id", [f"R{k:05d}" for k in range(len(rides))])
    rides["member_id"] = "m"
    # one faulty row in the replay period: booked after the desired pick-up
    rides.loc[len(rides) - 1, "requested_at"] = rides.loc[len(rides) - 1, "desired_pickup_at"] + pd.Timedelta(hours=2)
    rides.loc[len(rides) - 1, "outcome"] = "完了"
    rides["passengers"] = rides["passengers"].astype("Int64")
    hours = pd.date_range("2024-09-02", "2024-09-12", freq="h", inclusive="left")
    zones = ["C01", "C02", "C03"]
    truth = pd.DataFrame({"zone": np.repeat(zones, len(hours)), "time": np.tile(hours, 3),
                          "lambda": np.tile(np.where((hours.hour >= 9) & (hours.hour < 17), 0.6, 0.0), 3)})
    october = pd.date_range("2024-10-01", periods=24, freq="h")
    forecast = pd.DataFrame({"zone": np.repeat(zones, 24), "time": np.tile(october, 3),
                             "horizon_step": np.tile(np.arange(1, 25), 3), "expected": 0.5, "lower": 0.0, "upper": 1.0})
    towns = gpd.GeoDataFrame({"town_code": ["40223000001"], "town_name": ["テスト町"]},
                             geometry=[box(130.45, 33.715, 130.48, 33.745)], crs="EPSG:6668")
    data = root / "data"
    write_parquet(rides, data / "ride_requests.parquet")
    write_parquet(stops, data / "stops.parquet")
    write_parquet(truth, data / "truth.parquet")
    write_parquet(forecast, data / "forecast.parquet")
    towns.to_parquet(data / "towns.parquet")
    return data, rides


def _argv(data, out, truth="truth.parquet", matrix="-"):
    """RIDES STOPS TOWNS FORECAST TRUTH PANEL MATRIX SCENARIOS FIGURES PLOTS METRICS ("-": none)."""
    return [str(a) for a in (data / "ride_requests.parquet", data / "stops.parquet", data / "towns.parquet",
                             data / "forecast.parquet", "-" if truth == "-" else data / truth, "-", matrix,
                             out / "scenarios.parquet", out / "figures", out / "plots", out / "dispatch.json")]


def _run(stage, data, out, matrix="-"):
    stage.main(_argv(data, out, matrix=matrix))
    return json.loads((out / "dispatch.json").read_text(encoding="utf-8"))


@pytest.fixture()
def tiny(tmp_path, monkeypatch, project_root):
    params = write_params(tmp_path, {"dispatch": DISPATCH, "features": {"n_clusters": 3}})
    monkeypatch.setenv("KOGADX_PARAMS", str(params))
    data, rides = _inputs(tmp_path)
    return _load_stage(project_root), data, rides, tmp_path


def test_dispatch_stage_kpis_consistent_and_deterministic(tiny, monkeypatch):
    stage, data, rides, root = tiny
    metrics = _run(stage, data, root / "a")
    replay = rides[(rides["desired_pickup_at"] >= "2024-09-09") & rides["outcome"].isin(DISPATCH["replay_outcomes"])]
    assert metrics["replay"]["n_quarantined"] == 1
    assert metrics["replay"]["n_requests"] == len(replay) - 1
    assert metrics["expected_demand_source"] == "history"  # the forecast file is for October
    default = metrics["default_fleet"]["policies"]
    assert set(default) == {"none", "depot", "forecast", "oracle"}
    for kpis in default.values():
        assert kpis["n_served"] + kpis["n_rejected"] == kpis["n_requests"] == len(replay) - 1
        assert kpis["served_rate"] + kpis["rejection_rate"] == pytest.approx(1.0)
        assert kpis["wait_mean_min"] >= 0 and kpis["wait_p95_min"] >= kpis["wait_mean_min"] - 1e-9
        assert kpis["wait_p95_min"] <= DISPATCH["rules"]["pickup_window_min"] + 1e-9
        assert 0 <= kpis["empty_km"] <= kpis["vehicle_km"]
    assert set(metrics["default_fleet"]["check_violations"].values()) == {0}
    table = pd.read_parquet(root / "a" / "scenarios.parquet")
    assert len(table) == 2 * 2 * 4
    assert (table["n_served"] + table["n_rejected"] == table["n_requests"]).all()
    plus = table[table["demand_factor"] == 1.5]["n_requests"]
    assert set(plus) == {round(1.5 * (len(replay) - 1))}
    figs = {p.name for p in (root / "a" / "figures").glob("*.png")}
    assert figs == {"wait_vs_fleet.png", "served_vs_fleet.png", "kpi_by_policy.png", "route_map.png",
                    "replications.png", "grid.png", "frontier.png"}
    assert [(r["n_vehicles"], r["demand_factor"]) for r in metrics["grid"]["rows"]] == [(1, 1.0), (2, 1.0),
                                                                                        (1, 2.0), (2, 2.0)]
    assert [p["move_weight"] for p in metrics["frontier"]["points"]] == [0.0, 2.0]
    reopt = metrics["reopt"]  # insertion and re-optimisation on the replay and 2 redrawn periods, paired
    assert reopt["replications"] == 2 and set(reopt["replay"]) == {"insertion", "reopt"}
    assert reopt["paired"]["wait_mean_min"]["ci95_low"] <= reopt["paired"]["wait_mean_min"]["wait_mean_diff_min"]
    assert reopt["replay"]["insertion"]["served_rate"] == default["none"]["served_rate"]
    # the headline series: mean wait by fleet size per policy at demand 1.0, as in the table
    series = pd.read_csv(root / "a" / "plots" / "wait_vs_fleet.csv")
    assert list(series.columns) == ["n_vehicles", "none", "depot", "forecast", "oracle"]
    base = table[table["demand_factor"] == 1.0].pivot(index="n_vehicles", columns="policy", values="wait_mean_min")
    np.testing.assert_allclose(series.set_index("n_vehicles")[base.columns].to_numpy(), base.to_numpy())
    # same inputs + params, but 2 worker processes instead of 1 (re-optimisation on) → byte-identical
    # metrics, table and figures
    (root / "two_workers").mkdir()
    two = write_params(root / "two_workers", {"dispatch": {**DISPATCH, "workers": 2}, "features": {"n_clusters": 3}})
    monkeypatch.setenv("KOGADX_PARAMS", str(two))
    _run(stage, data, root / "b")
    assert (root / "a" / "dispatch.json").read_bytes() == (root / "b" / "dispatch.json").read_bytes()
    assert (root / "a" / "scenarios.parquet").read_bytes() == (root / "b" / "scenarios.parquet").read_bytes()
    series_b = root / "b" / "plots" / "wait_vs_fleet.csv"
    assert (root / "a" / "plots" / "wait_vs_fleet.csv").read_bytes() == series_b.read_bytes()
    for name in figs:
        assert (root / "a" / "figures" / name).read_bytes() == (root / "b" / "figures" / name).read_bytes(), name
    # replicated periods drawn from the true λ: every policy, paired differences that match the means
    rep = metrics["replications"]
    assert rep["n"] == 3 and rep["n_vehicles"] == 2
    assert set(rep["policies"]) == {"none", "uniform", "history", "forecast", "oracle"}
    # λ = 0.6 per zone-hour, 3 zones × 8 h × 3 days, minus the cancelled share of the templates
    kept = 1 - (rides[rides["desired_pickup_at"] < "2024-09-09"]["outcome"] == "キャンセル").mean()
    assert rep["n_requests_mean"] == pytest.approx(0.6 * 3 * 8 * 3 * kept, rel=0.35)
    pol = rep["policies"]
    for a, b in [("forecast", "none"), ("oracle", "none"), ("forecast", "oracle"), ("uniform", "forecast")]:
        c = rep["paired"][f"{a}_vs_{b}"]
        assert c["wait_mean_diff_min"] == pytest.approx(pol[a]["wait_mean_min"] - pol[b]["wait_mean_min"], abs=2e-4)
        assert c["ci95_low"] <= c["wait_mean_diff_min"] <= c["ci95_high"]
    assert rep["oracle_at_most_forecast"] == (pol["oracle"]["wait_mean_min"] <= pol["forecast"]["wait_mean_min"])
    import mlflow

    runs = mlflow.search_runs(experiment_names=["dispatch"], output_format="list")
    names = {r.info.run_name for r in runs}
    assert {"forecast_v2_d1", "oracle_v1_d1.5", "none_v2_d1", "replications_oracle_v2"} <= names
    run = next(r for r in runs if r.info.run_name == "none_v2_d1")
    assert run.data.tags["dvc_stage"] == "dispatch" and "wait_mean_min" in run.data.metrics


def test_dispatch_stage_matrix_travel_times_without_code_change(tiny, monkeypatch):
    stage, data, _, root = tiny
    ids = [f"S{k:03d}" for k in range(1, 9)]
    # every pair 6 minutes (diagonal 0) and 2 km: clearly different from the straight-line model
    pairs = [(a, b, 0.0 if a == b else 6.0, 0.0 if a == b else 2.0) for a in ids for b in ids]
    matrix = root / "matrix.csv"
    pd.DataFrame(pairs, columns=["from_stop", "to_stop", "minutes", "km"]).to_csv(matrix, index=False)
    params = write_params(root, {"dispatch": DISPATCH | {"travel": {"model": "matrix", "speed_kmh": 25},
                                                         "scenarios": {"fleet_sizes": [2], "demand_factors": [1.0],
                                                                       "policies": ["none"]},
                                                         "map": {"day": None, "policy": "none"}},
                                 "features": {"n_clusters": 3}})
    monkeypatch.setenv("KOGADX_PARAMS", str(params))
    metrics = _run(stage, data, root / "m", matrix=str(matrix))
    assert metrics["travel_model"] == "matrix"
    none = metrics["default_fleet"]["policies"]["none"]
    assert none["n_served"] + none["n_rejected"] == none["n_requests"]
    # vehicle-km is a sum of matrix legs of 2 km each (repositioning-free policy)
    assert none["vehicle_km"] == pytest.approx(2.0 * round(none["vehicle_km"] / 2.0), abs=1e-3)
    # every served ride is at least the 6-minute matrix time: ride/direct ≥ 1 with direct = 6
    assert none["ride_over_direct_mean"] >= 1.0 - 1e-9


def test_without_truth_there_is_no_oracle_and_no_replication(tiny):
    stage, data, _, root = tiny
    out = root / "nt"
    stage.main(_argv(data, out, truth="-"))
    metrics = json.loads((out / "dispatch.json").read_text(encoding="utf-8"))
    assert "replications" not in metrics
    assert not (out / "figures" / "replications.png").exists()
    assert "oracle" not in metrics["default_fleet"]["policies"] and "forecast" in metrics["default_fleet"]["policies"]
