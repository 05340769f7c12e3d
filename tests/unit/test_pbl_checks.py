"""kogadx.pbl.checks: each check rejects a wrong answer with a hint (without the answer) and
accepts a right one; none of them raises."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from kogadx.demand.metrics import point_metrics
from kogadx.energy.factors import load_emission_factors, select_emission_factors
from kogadx.io import write_parquet
from kogadx.pbl import checks
from kogadx.privacy.anonymity import k_anonymity, l_diversity


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A tiny project root: dvc.yaml with two stages and one pseudonymized table."""
    dvc = {"stages": {
        "features": {"cmd": "python f.py", "params": ["features"]},
        "forecast": {"cmd": "python g.py", "params": ["forecast", {"other.yaml": ["extra.key"]}]},
    }}
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(dvc), encoding="utf-8")
    write_parquet(pd.DataFrame({"request_id": [f"R{i}" for i in range(37)]}),
                  tmp_path / "data/pseudonymized/ride_requests.parquet")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture()
def people():
    rng = np.random.default_rng(3)
    n = 400
    return pd.DataFrame({
        "age": rng.integers(60, 70, n), "sex": rng.choice(["男", "女"], n),
        "town": rng.choice(["A", "B", "C"], n), "relationship": rng.choice(["世帯主", "妻", "子"], n),
    })


@pytest.fixture()
def rides():
    rng = np.random.default_rng(5)
    n = 300
    hours = rng.choice([9, 10, 10, 10, 11, 14, 15], n)
    return pd.DataFrame({
        "desired_pickup_at": pd.Timestamp("2024-05-01") + pd.to_timedelta(hours, unit="h"),
        "origin_stop_id": rng.choice(["S001", "S002", "S003"], n, p=[0.5, 0.3, 0.2]),
        "destination_stop_id": rng.choice(["S001", "S004"], n),
        "outcome": rng.choice(["完了", "キャンセル"], n, p=[0.8, 0.2]),
    })


def _mentions(text: str, value) -> bool:
    """Whether ``text`` shows ``value`` (as a standalone number/word, or rounded)."""
    if isinstance(value, str):
        return value in text
    if isinstance(value, (set, list, tuple)):
        return any(_mentions(text, v) for v in value)
    number = float(value)
    candidates = {f"{number:g}", f"{number:.2f}", f"{number:.3f}", f"{number:.1f}", f"{100 * number:.1f}"}
    if number == int(number):
        candidates.add(str(int(number)))
    return any(re.search(rf"(?<![\d.]){re.escape(c)}(?![\d])", text) for c in candidates)


def _assert_rejects(capsys, call, right) -> None:
    assert call() is False
    out = capsys.readouterr().out
    assert "不正解" in out and "ヒント" in out
    assert not _mentions(out, right), f"the hint shows the answer: {out}"


def _assert_accepts(capsys, call) -> None:
    assert call() is True
    assert "✅ 正解" in capsys.readouterr().out


def test_secure_dirs(capsys):
    from kogadx.paths import SECURE_DIRS

    _assert_rejects(capsys, lambda: checks.check_secure_dirs(["data/raw", "data/pseudonymized"]), "data/truth")
    _assert_rejects(capsys, lambda: checks.check_secure_dirs(["data/raw"]), "data/secure")
    _assert_accepts(capsys, lambda: checks.check_secure_dirs(list(reversed(SECURE_DIRS))))


def test_row_count_reads_the_shareable_zone(project, capsys):
    _assert_rejects(capsys, lambda: checks.check_row_count(36), 37)
    _assert_accepts(capsys, lambda: checks.check_row_count(37))


def test_pseudonym_columns_come_from_the_policy(capsys):
    _assert_rejects(capsys, lambda: checks.check_pseudonym_columns(["person_id", "age"]), "household_id")
    _assert_rejects(capsys, lambda: checks.check_pseudonym_columns(["person_id"]), "household_id")
    _assert_accepts(capsys, lambda: checks.check_pseudonym_columns(["household_id", "person_id"]))


def test_k_anonymity(people, capsys):
    qi = ["age", "sex", "town"]
    right = k_anonymity(people, qi)
    assert right > 1
    for wrong in (right + 3, right - 1, float(people.groupby(qi).size().mean())):
        _assert_rejects(capsys, lambda w=wrong: checks.check_k_anonymity(w, df=people, quasi_identifiers=qi), right)
    _assert_accepts(capsys, lambda: checks.check_k_anonymity(right, df=people, quasi_identifiers=qi))


def test_l_diversity(people, capsys):
    qi = ["age", "sex"]
    right = l_diversity(people, qi, "relationship")
    _assert_rejects(capsys, lambda: checks.check_l_diversity(right + 5, df=people, quasi_identifiers=qi,
                                                             sensitive="relationship"), right)
    _assert_accepts(capsys, lambda: checks.check_l_diversity(right, df=people, quasi_identifiers=qi,
                                                             sensitive="relationship"))


def test_peak_hour_busiest_stop_completion(rides, capsys):
    _assert_rejects(capsys, lambda: checks.check_peak_hour(15, rides), 10)
    _assert_accepts(capsys, lambda: checks.check_peak_hour(10, rides))
    both = pd.concat([rides["origin_stop_id"], rides["destination_stop_id"]]).value_counts()
    busiest, other = both.index[0], both.index[-1]
    _assert_rejects(capsys, lambda: checks.check_busiest_stop(other, rides), busiest)
    _assert_accepts(capsys, lambda: checks.check_busiest_stop(busiest, rides))
    rate = float((rides["outcome"] == "完了").mean())
    _assert_rejects(capsys, lambda: checks.check_completion_rate(rate * 100, rides), rate)
    _assert_rejects(capsys, lambda: checks.check_completion_rate(rate - 0.1, rides), rate)
    _assert_accepts(capsys, lambda: checks.check_completion_rate(rate, rides))


def test_seasonal_lag(capsys):
    _assert_rejects(capsys, lambda: checks.check_seasonal_lag(24, horizon=24), 168)
    _assert_rejects(capsys, lambda: checks.check_seasonal_lag(1, horizon=24), 168)
    _assert_accepts(capsys, lambda: checks.check_seasonal_lag(168, horizon=24))


def test_wape(capsys):
    y_true, y_pred = np.array([3.0, 0.0, 5.0, 2.0]), np.array([2.0, 1.0, 5.0, 4.0])
    right = point_metrics(y_true, y_pred)["wape"]
    mae = float(np.mean(np.abs(y_pred - y_true)))
    _assert_rejects(capsys, lambda: checks.check_wape(mae, y_true, y_pred), right)
    _assert_rejects(capsys, lambda: checks.check_wape(right * 100, y_true, y_pred), right)
    _assert_accepts(capsys, lambda: checks.check_wape(right, y_true, y_pred))


def test_served_rate_and_fleet_needed(capsys):
    trips = pd.DataFrame({"status": ["served"] * 7 + ["rejected"] * 3})
    _assert_rejects(capsys, lambda: checks.check_served_rate(0.3, trips), 0.7)
    _assert_accepts(capsys, lambda: checks.check_served_rate(0.7, trips))
    table = pd.DataFrame({"n_vehicles": [1, 2, 3, 4], "demand_factor": 1.5, "policy": "none",
                          "rejection_rate": [0.4, 0.12, 0.04, 0.01]})
    _assert_rejects(capsys, lambda: checks.check_fleet_needed(2, table, 0.05, demand_factor=1.5), 3)
    _assert_rejects(capsys, lambda: checks.check_fleet_needed(4, table, 0.05, demand_factor=1.5), 3)
    _assert_accepts(capsys, lambda: checks.check_fleet_needed(3, table, 0.05, demand_factor=1.5))


def test_wait_change(capsys):
    base = pd.DataFrame({"status": ["served", "served", "rejected"], "wait_min": [2.0, 4.0, float("nan")]})
    moved = pd.DataFrame({"status": ["served", "served", "served"], "wait_min": [1.0, 2.0, 6.0]})
    right = 3.0 - 3.0  # both served means are 3 min: no change
    _assert_accepts(capsys, lambda: checks.check_wait_change(right, base, moved))
    faster = moved.assign(wait_min=[1.0, 2.0, 0.0])  # mean 1.0 → 1.0 − 3.0 = −2
    _assert_rejects(capsys, lambda: checks.check_wait_change(2.0, base, faster), -2.0)
    _assert_rejects(capsys, lambda: checks.check_wait_change(-120.0, base, faster), -2.0)
    _assert_accepts(capsys, lambda: checks.check_wait_change(-2.0, base, faster))


def test_emissions_unit_conversion(capsys):
    factor = float(select_emission_factors(load_emission_factors(), 2023).set_index("fuel").loc["kerosene", "factor"])
    right = 2000 / 1000 * factor
    _assert_rejects(capsys, lambda: checks.check_emissions(2000 * factor, 2000, "kerosene", 2023), right)
    _assert_rejects(capsys, lambda: checks.check_emissions(right * 1.1, 2000, "kerosene", 2023), right)
    _assert_accepts(capsys, lambda: checks.check_emissions(right, 2000, "kerosene", 2023))


def test_degree_days(capsys):
    time = pd.date_range("2023-08-01 01:00", "2023-09-01 00:00", freq="h")
    temp = 27 + 3 * np.sin(np.arange(len(time)) / 24 * 2 * np.pi)
    weather = pd.DataFrame({"time": time, "temperature_c": temp})
    daily = weather.groupby(weather["time"].dt.floor("D"))["temperature_c"].mean()
    daily = daily[daily.index.strftime("%Y-%m") == "2023-08"]
    cdd = float((daily - 22).clip(lower=0).sum())
    hourly_cdd = float((weather["temperature_c"] - 22).clip(lower=0).sum())
    _assert_rejects(capsys, lambda: checks.check_degree_days(hourly_cdd, 0.0, weather, "2023-08"), cdd)
    _assert_accepts(capsys, lambda: checks.check_degree_days(cdd, 0.0, weather, "2023-08"))


def test_cv_rmse(capsys):
    y, y_hat = np.array([10.0, 12, 9, 11, 13, 8]), np.array([10.5, 11, 9.5, 11, 12, 9])
    right = float(np.sqrt(np.sum((y - y_hat) ** 2) / (len(y) - 2)) / y.mean())
    plain = float(np.sqrt(np.mean((y - y_hat) ** 2)) / y.mean())
    _assert_rejects(capsys, lambda: checks.check_cv_rmse(plain, y, y_hat, n_params=2), right)
    _assert_accepts(capsys, lambda: checks.check_cv_rmse(right, y, y_hat, n_params=2))


def test_weighted_mean_and_effective_sample_size(capsys):
    values = pd.Series(["6", "8", "", "3", "10"])
    weights = np.array([1.0, 2.0, 5.0, 0.5, 1.5])
    x = pd.to_numeric(values, errors="coerce")
    ok = x.notna().to_numpy()
    right = float(np.sum(weights[ok] * x[ok]) / np.sum(weights[ok]))
    _assert_rejects(capsys, lambda: checks.check_weighted_mean(float(x.mean()), values, weights), right)
    wrong_denominator = float(np.sum(weights[ok] * x[ok]) / weights.sum())
    _assert_rejects(capsys, lambda: checks.check_weighted_mean(wrong_denominator, values, weights), right)
    _assert_accepts(capsys, lambda: checks.check_weighted_mean(right, values, weights))
    n_eff = float(weights.sum() ** 2 / np.sum(weights**2))
    _assert_rejects(capsys, lambda: checks.check_effective_sample_size(len(weights), weights), n_eff)
    _assert_accepts(capsys, lambda: checks.check_effective_sample_size(n_eff, weights))


def test_stage_for_param_reads_dvc_yaml(project, capsys):
    _assert_rejects(capsys, lambda: checks.check_stage_for_param("features", "forecast.num_boost_round"), "forecast")
    _assert_rejects(capsys, lambda: checks.check_stage_for_param("nosuchstage", "forecast.num_boost_round"), "forecast")
    _assert_accepts(capsys, lambda: checks.check_stage_for_param("forecast", "forecast.num_boost_round"))
    _assert_accepts(capsys, lambda: checks.check_stage_for_param("forecast", "extra.key"))


def test_exp_run_command(capsys):
    key = "forecast.num_boost_round"
    for wrong in ("dvc repro", "dvc exp run", "dvc exp run -S forecast.num_boost_round=200",
                  "dvc exp run -S forecast.n_folds=300"):
        _assert_rejects(capsys, lambda w=wrong: checks.check_exp_run_command(w, key, 300), f"{key}=300")
    _assert_accepts(capsys, lambda: checks.check_exp_run_command(f"dvc exp run --set-param {key}=300", key, 300))
    _assert_accepts(capsys, lambda: checks.check_exp_run_command(f"dvc exp run -n t300 -S {key}=300", key, 300))


@pytest.mark.parametrize("name", checks.__all__)
def test_unanswered_is_a_hint_not_an_error(name, capsys):
    """``None`` (the notebooks' placeholder) gets a hint; bad data is reported, never raised."""
    func = getattr(checks, name)
    assert func(None) is False
    assert "まだ答えが入っていません" in capsys.readouterr().out
    assert func("x", object(), object()) is False  # nonsense arguments: a hint, no exception
    assert "不正解" in capsys.readouterr().out


def test_wape_without_any_actual_says_so(capsys):
    # all-zero actuals leave WAPE undefined: the check says why instead of a numeric hint
    assert not checks.check_wape(0.0, [0, 0, 0], [1, 0, 2])
    assert "0 件" in capsys.readouterr().out
