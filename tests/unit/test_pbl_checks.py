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


def test_pseudonym_columns_come_from_the_policy(capsys):
    _assert_rejects(capsys, lambda: checks.check_pseudonym_columns(["person_id", "age"]), "household_id")
    _assert_rejects(capsys, lambda: checks.check_pseudonym_columns(["person_id"]), "household_id")
    _assert_accepts(capsys, lambda: checks.check_pseudonym_columns(["household_id", "person_id"]))


def _constant(value):
    return lambda *args: value


def test_k_anonymity(people, capsys):
    qi = ["age", "sex", "town"]
    right = k_anonymity(people, qi)
    assert right > 1
    for wrong in (lambda d, q: d.groupby(q).size().max(), lambda d, q: d.groupby(q).size().mean(),
                  lambda d, q: d.groupby([*q, "relationship"]).size().min()):
        _assert_rejects(capsys, lambda w=wrong: checks.check_k_anonymity(w, df=people, quasi_identifiers=qi), right)
    _assert_accepts(capsys, lambda: checks.check_k_anonymity(
        lambda d, q: int(d.groupby(q, observed=True).size().min()), df=people, quasi_identifiers=qi))


def test_l_diversity(people, capsys):
    qi = ["age", "sex"]
    right = l_diversity(people, qi, "relationship")
    _assert_rejects(capsys, lambda: checks.check_l_diversity(lambda d, q, s: d.groupby(q).size().min(), people,
                                                             qi, "relationship"), right)
    _assert_accepts(capsys, lambda: checks.check_l_diversity(
        lambda d, q, s: d.groupby(q, observed=True)[s].nunique().min(), people, qi, "relationship"))


def test_peak_hour_busiest_stop_completion(rides, capsys):
    _assert_rejects(capsys, lambda: checks.check_peak_hour(lambda r: r["desired_pickup_at"].dt.hour.min(), rides), 10)
    _assert_accepts(capsys, lambda: checks.check_peak_hour(
        lambda r: int(r["desired_pickup_at"].dt.hour.value_counts().idxmax()), rides))
    origin_only = lambda r: r["origin_stop_id"].value_counts().idxmax()  # noqa: E731
    _assert_rejects(capsys, lambda: checks.check_busiest_stop(origin_only, rides), "S004")
    _assert_accepts(capsys, lambda: checks.check_busiest_stop(
        lambda r: pd.concat([r["origin_stop_id"], r["destination_stop_id"]]).value_counts().idxmax(), rides))
    rate = float((rides["outcome"] == "完了").mean())
    _assert_rejects(capsys, lambda: checks.check_completion_rate(lambda r: (r["outcome"] == "完了").mean() * 100,
                                                                 rides), rate)
    _assert_accepts(capsys, lambda: checks.check_completion_rate(lambda r: (r["outcome"] == "完了").mean(), rides))


def test_busiest_stop_hint_names_both_ends(rides, capsys):
    checks.check_busiest_stop(lambda r: r["origin_stop_id"].value_counts().idxmax(), rides)
    assert "両方" in capsys.readouterr().out


def test_seasonal_lag(capsys):
    _assert_rejects(capsys, lambda: checks.check_seasonal_lag(24, horizon=24), 168)
    _assert_rejects(capsys, lambda: checks.check_seasonal_lag(1, horizon=24), 168)
    _assert_accepts(capsys, lambda: checks.check_seasonal_lag(168, horizon=24))


def _wape(a, f):
    return float(np.abs(np.asarray(f) - np.asarray(a)).sum() / np.asarray(a).sum())


def test_wape(capsys):
    y_true, y_pred = np.array([3.0, 0.0, 5.0, 2.0]), np.array([2.0, 1.0, 5.0, 4.0])
    right = point_metrics(y_true, y_pred)["wape"]
    _assert_rejects(capsys, lambda: checks.check_wape(lambda a, f: float(np.mean(np.abs(f - a))), y_true, y_pred),
                    right)
    _assert_rejects(capsys, lambda: checks.check_wape(lambda a, f: _wape(a, f) * 100, y_true, y_pred), right)
    _assert_accepts(capsys, lambda: checks.check_wape(_wape, y_true, y_pred))


def test_served_rate_and_fleet_needed(capsys):
    trips = pd.DataFrame({"status": ["served"] * 7 + ["rejected"] * 3})
    _assert_rejects(capsys, lambda: checks.check_served_rate(lambda t: (t["status"] != "served").mean(), trips), 0.7)
    _assert_accepts(capsys, lambda: checks.check_served_rate(lambda t: (t["status"] == "served").mean(), trips))
    table = pd.DataFrame({"n_vehicles": [1, 2, 3, 4], "demand_factor": 1.5, "policy": "none",
                          "rejection_rate": [0.4, 0.12, 0.04, 0.01]})
    _assert_rejects(capsys, lambda: checks.check_fleet_needed(2, table, 0.05, demand_factor=1.5), 3)
    _assert_rejects(capsys, lambda: checks.check_fleet_needed(4, table, 0.05, demand_factor=1.5), 3)
    _assert_accepts(capsys, lambda: checks.check_fleet_needed(3, table, 0.05, demand_factor=1.5))


def test_fleet_needed_never_accepts_zero_vehicles(capsys):
    """checks.py used to accept 0 vehicles when no fleet in the table met the target."""
    table = pd.DataFrame({"n_vehicles": [1, 2], "demand_factor": 1.5, "policy": "none",
                          "rejection_rate": [0.4, 0.3]})
    assert checks.check_fleet_needed(0, table, 0.05, demand_factor=1.5) is False
    assert checks.check_fleet_needed(-1, table, 0.05, demand_factor=1.5) is False
    assert "不正解" in capsys.readouterr().out
    _assert_accepts(capsys, lambda: checks.check_fleet_needed(3, table, 0.05, demand_factor=1.5))


def _wait_change(b, n):
    return n.loc[n["status"] == "served", "wait_min"].mean() - b.loc[b["status"] == "served", "wait_min"].mean()


def test_wait_change(capsys):
    base = pd.DataFrame({"status": ["served", "served", "rejected"], "wait_min": [2.0, 4.0, float("nan")]})
    faster = pd.DataFrame({"status": ["served", "served", "served"], "wait_min": [1.0, 2.0, 0.0]})
    _assert_rejects(capsys, lambda: checks.check_wait_change(lambda b, n: -_wait_change(b, n), base, faster), -2.0)
    _assert_rejects(capsys, lambda: checks.check_wait_change(
        lambda b, n: n["wait_min"].fillna(0).mean() - b["wait_min"].fillna(0).mean(), base, faster), -2.0)
    _assert_accepts(capsys, lambda: checks.check_wait_change(_wait_change, base, faster))


def _t_co2(amount, fuel, factors):
    row = factors.set_index("fuel").loc[fuel]
    per_factor_unit = 1.0 if fuel == "electricity" else 1000.0  # kWh stays kWh; L, m3, kg → kL, 千m3, t
    return amount / per_factor_unit * float(row["factor"])


def test_emissions_unit_conversion(capsys):
    factors = select_emission_factors(load_emission_factors(), 2023)
    right = 2000 / 1000 * float(factors.set_index("fuel").loc["kerosene", "factor"])
    _assert_rejects(capsys, lambda: checks.check_emissions(
        lambda a, f, t: a * float(t.set_index("fuel").loc[f, "factor"]), factors), right)
    _assert_accepts(capsys, lambda: checks.check_emissions(_t_co2, factors))


def _dd(weather, year_month, bc, bh):
    daily = weather.groupby(weather["time"].dt.floor("D"))["temperature_c"].mean()
    daily = daily[daily.index.strftime("%Y-%m") == year_month]
    return float((daily - bc).clip(lower=0).sum()), float((bh - daily).clip(lower=0).sum())


def test_degree_days(capsys):
    time = pd.date_range("2023-08-01 00:00", "2023-08-31 23:00", freq="h")
    temp = 27 + 3 * np.sin(np.arange(len(time)) / 24 * 2 * np.pi)
    weather = pd.DataFrame({"time": time, "temperature_c": temp})

    def hourly(w, ym, bc, bh):
        part = w[w["time"].dt.strftime("%Y-%m") == ym]["temperature_c"]
        return float((part - bc).clip(lower=0).sum()), float((bh - part).clip(lower=0).sum())

    _assert_rejects(capsys, lambda: checks.check_degree_days(hourly, weather, "2023-08"), _dd(weather, "2023-08",
                                                                                              22, 14)[0])
    _assert_accepts(capsys, lambda: checks.check_degree_days(_dd, weather, "2023-08"))


def test_cv_rmse(capsys):
    y, y_hat = np.array([10.0, 12, 9, 11, 13, 8]), np.array([10.5, 11, 9.5, 11, 12, 9])
    right = float(np.sqrt(np.sum((y - y_hat) ** 2) / (len(y) - 2)) / y.mean())

    def plain(a, f, p):
        return float(np.sqrt(np.mean((a - f) ** 2)) / a.mean())

    def guideline(a, f, p):
        return float(np.sqrt(np.sum((a - f) ** 2) / (len(a) - p)) / a.mean())

    _assert_rejects(capsys, lambda: checks.check_cv_rmse(plain, y, y_hat, n_params=2), right)
    _assert_accepts(capsys, lambda: checks.check_cv_rmse(guideline, y, y_hat, n_params=2))


def _weighted_mean(values, weights):
    x = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce")
    w = pd.Series(np.asarray(weights, float))
    ok = x.notna()
    return float((x[ok] * w[ok]).sum() / w[ok].sum())


def test_weighted_mean_and_effective_sample_size(capsys):
    values = pd.Series(["6", "8", "", "3", "10"])
    weights = np.array([1.0, 2.0, 5.0, 0.5, 1.5])
    right = _weighted_mean(values, weights)
    _assert_rejects(capsys, lambda: checks.check_weighted_mean(
        lambda v, w: float(pd.to_numeric(pd.Series(np.asarray(v)), errors="coerce").mean()), values, weights), right)
    _assert_rejects(capsys, lambda: checks.check_weighted_mean(
        lambda v, w: float(np.nansum(pd.to_numeric(pd.Series(np.asarray(v)), errors="coerce") * np.asarray(w))
                           / np.sum(w)), values, weights), right)
    _assert_accepts(capsys, lambda: checks.check_weighted_mean(_weighted_mean, values, weights))
    n_eff = float(weights.sum() ** 2 / np.sum(weights**2))
    _assert_rejects(capsys, lambda: checks.check_effective_sample_size(len, weights), n_eff)
    _assert_accepts(capsys, lambda: checks.check_effective_sample_size(
        lambda w: np.sum(w) ** 2 / np.sum(np.asarray(w) ** 2), weights))


# A copied or passed-in value cannot pass a computation check: the value that is right on the
# notebook's data, passed directly or returned by a function, meets the tables the check draws.
COMPUTATION_CHECKS = {
    "check_weighted_mean": lambda: (lambda right: checks.check_weighted_mean(right, [1.0, 3.0], [1.0, 1.0]),
                                    lambda right: checks.check_weighted_mean(_constant(right), [1.0, 3.0],
                                                                             [1.0, 1.0]), 2.0),
    "check_effective_sample_size": lambda: (lambda r: checks.check_effective_sample_size(r, [1.0, 1.0]),
                                            lambda r: checks.check_effective_sample_size(_constant(r), [1.0, 1.0]),
                                            2.0),
    "check_wape": lambda: (lambda r: checks.check_wape(r, [1.0, 3.0], [2.0, 3.0]),
                           lambda r: checks.check_wape(_constant(r), [1.0, 3.0], [2.0, 3.0]), 0.25),
    "check_cv_rmse": lambda: (lambda r: checks.check_cv_rmse(r, [1.0, 2.0, 3.0], [1.0, 2.0, 4.0], 1),
                              lambda r: checks.check_cv_rmse(_constant(r), [1.0, 2.0, 3.0], [1.0, 2.0, 4.0], 1),
                              float(np.sqrt(1 / 2) / 2)),
}


@pytest.mark.parametrize("name", sorted(COMPUTATION_CHECKS))
def test_a_passed_in_or_copied_value_cannot_pass(name, capsys):
    as_value, as_constant_function, right = COMPUTATION_CHECKS[name]()
    assert as_value(right) is False
    assert as_constant_function(right) is False
    assert "不正解" in capsys.readouterr().out


def test_the_known_bad_call_does_not_pass(capsys):
    """The issue's example: the check used to trust the data passed in with the answer."""
    assert checks.check_weighted_mean(1, [1], [1]) is False
    assert checks.check_weighted_mean(_constant(1.0), [1], [1]) is False


@pytest.mark.parametrize("name", [
    "check_k_anonymity", "check_l_diversity", "check_peak_hour", "check_busiest_stop", "check_completion_rate",
    "check_served_rate", "check_wait_change", "check_emissions", "check_degree_days",
])
def test_data_checks_reject_a_constant_answer(name, people, rides, capsys):
    """Each remaining computation check: the right value for the notebook's data, returned as a
    constant, fails on the check's own tables."""
    trips = pd.DataFrame({"status": ["served"] * 7 + ["rejected"] * 3, "wait_min": [5.0] * 7 + [np.nan] * 3})
    weather = pd.DataFrame({"time": pd.date_range("2023-08-01", "2023-08-31 23:00", freq="h")}).assign(
        temperature_c=lambda d: 27 + 3 * np.sin(np.arange(len(d)) / 24 * 2 * np.pi))
    calls = {
        "check_k_anonymity": lambda f: checks.check_k_anonymity(f, people, ["age", "sex", "town"]),
        "check_l_diversity": lambda f: checks.check_l_diversity(f, people, ["age", "sex"], "relationship"),
        "check_peak_hour": lambda f: checks.check_peak_hour(f, rides),
        "check_busiest_stop": lambda f: checks.check_busiest_stop(f, rides),
        "check_completion_rate": lambda f: checks.check_completion_rate(f, rides),
        "check_served_rate": lambda f: checks.check_served_rate(f, trips),
        "check_wait_change": lambda f: checks.check_wait_change(f, trips, trips),
        "check_emissions": lambda f: checks.check_emissions(f),
        "check_degree_days": lambda f: checks.check_degree_days(f, weather, "2023-08"),
    }
    rights = {
        "check_k_anonymity": k_anonymity(people, ["age", "sex", "town"]),
        "check_l_diversity": l_diversity(people, ["age", "sex"], "relationship"),
        "check_peak_hour": 10, "check_busiest_stop": "S001", "check_completion_rate":
        float((rides["outcome"] == "完了").mean()), "check_served_rate": 0.7, "check_wait_change": 0.0,
        "check_emissions": 1.0, "check_degree_days": _dd(weather, "2023-08", 22, 14),
    }
    assert calls[name](rights[name]) is False  # the value itself
    assert calls[name](_constant(rights[name])) is False  # a function that returns it
    assert "不正解" in capsys.readouterr().out


def test_setup_problems_are_not_wrong_answers(tmp_path, monkeypatch, capsys):
    """A missing data file is the environment's fault: the check says so, not 不正解."""
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    assert checks.check_table_shape(lambda df: df.shape, "data/student/ride_requests.parquet") is False
    out = capsys.readouterr().out
    assert "準備の問題" in out and "不正解" not in out


def test_an_error_in_the_students_function_is_named(capsys):
    assert checks.check_wape(lambda a, f: 1 / 0) is False
    out = capsys.readouterr().out
    assert "あなたの関数がエラー" in out and "ZeroDivisionError" in out


def test_an_unfinished_function_is_unanswered(capsys):
    assert checks.check_wape(lambda a, f: None) is False
    assert "まだ答えが入っていません" in capsys.readouterr().out


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


# --- reading checks: the value a student could copy from a nearby output does not pass ----


def test_leaky_columns_are_found_by_the_check_itself(capsys):
    from kogadx.demand.forecast import build_design
    from kogadx.demand.lags import PanelSpec, prepare_panel
    from kogadx.demand.toy import toy_hourly_panel

    raw = toy_hourly_panel(2, 21, seed=3).drop(columns=["lambda_true"]).rename(columns={"rain_mm": "precipitation_mm"})
    raw["temperature_c"] = 20 + 5 * np.sin(np.arange(len(raw)) / 7.0)
    prepared = prepare_panel(raw, PanelSpec("time", "y", "zone", "h"))
    printed = list(build_design(prepared, 24).features)  # the listing the notebook shows before the exercise
    _assert_rejects(capsys, lambda: checks.check_leaky_columns(printed, prepared, 24), "temperature_c")
    _assert_rejects(capsys, lambda: checks.check_leaky_columns(["temperature_c", "lag_24"], prepared, 24),
                    "precipitation_mm")
    _assert_rejects(capsys, lambda: checks.check_leaky_columns(["temperature_c"], prepared, 24), "precipitation_mm")
    _assert_accepts(capsys, lambda: checks.check_leaky_columns(["precipitation_mm", "temperature_c"], prepared, 24))


def test_fleet_needed_rejects_the_last_row_of_the_table(capsys):
    table = pd.DataFrame({"n_vehicles": [1, 2, 3, 4], "demand_factor": 1.5, "policy": "none",
                          "rejection_rate": [0.4, 0.12, 0.04, 0.01]})
    _assert_rejects(capsys, lambda: checks.check_fleet_needed(int(table["n_vehicles"].iloc[-1]), table, 0.05,
                                                              demand_factor=1.5), 3)


def test_exp_run_examples_shown_in_notebook_07_do_not_pass(capsys):
    """07 shows example commands for num_boost_round; the exercise asks for another parameter."""
    import jupytext

    from tests.helpers import PROJECT_ROOT

    notebook = jupytext.read(PROJECT_ROOT / "notebooks" / "pbl" / "07_pipeline_reproduce.py")
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    shown = [line.split("#")[0].strip() for line in markdown.splitlines() if line.strip().startswith("dvc exp run")]
    assert shown
    for command in shown:
        _assert_rejects(capsys, lambda c=command: checks.check_exp_run_command(
            c, "forecast.lightgbm.learning_rate", 0.02), "learning_rate=0.02")


# --- notebooks 09–11 -------------------------------------------------------------------------


def _scored():
    ds = pd.date_range("2024-07-01", periods=72, freq="h")
    y = (np.arange(72) % 5).astype(float)
    return pd.DataFrame({"ds": ds, "y": y, "yhat": y + np.where(np.arange(72) % 3 == 0, 1.0, 0.0)})


def test_daily_wape(capsys):
    scored = _scored()

    def right(s):
        day = s["ds"].dt.floor("D")
        return (s["yhat"] - s["y"]).abs().groupby(day).sum() / s["y"].groupby(day).sum()

    def mean_of_hourly(s):
        return ((s["yhat"] - s["y"]).abs() / s["y"].where(s["y"] > 0)).groupby(s["ds"].dt.floor("D")).mean()

    _assert_rejects(capsys, lambda: checks.check_daily_wape(mean_of_hourly, scored), 0.1)
    _assert_accepts(capsys, lambda: checks.check_daily_wape(right, scored))
    assert checks.check_daily_wape(right(scored)) is False  # the values themselves
    assert checks.check_daily_wape(_constant(right(scored)), scored) is False


def test_coverage_counts_the_ends(capsys):
    y, lo, hi = np.array([0.0, 1, 2, 3, 4]), np.array([0.0, 0, 0, 0, 0]), np.array([3.0, 3, 3, 3, 3])
    def strict(a, low, high):
        return np.mean((a > low) & (a < high))

    def inclusive(a, low, high):
        return np.mean((a >= low) & (a <= high))

    _assert_rejects(capsys, lambda: checks.check_coverage(strict, y, lo, hi), 0.8)
    _assert_accepts(capsys, lambda: checks.check_coverage(inclusive, y, lo, hi))
    assert checks.check_coverage(_constant(0.8), y, lo, hi) is False
    assert checks.check_coverage(0.8, y, lo, hi) is False


def test_balanced(capsys):
    ingest = {"a": {"rows_in": 10, "rows_out": 8, "rows_quarantined": 2}, "synthetic_demo": True}
    _assert_rejects(capsys, lambda: checks.check_balanced(lambda m: m["rows_in"] >= m["rows_out"], ingest), "True")
    _assert_accepts(capsys, lambda: checks.check_balanced(
        lambda m: m["rows_in"] == m["rows_out"] + m["rows_quarantined"], ingest))
    assert checks.check_balanced(_constant(True), ingest) is False
    assert checks.check_balanced(True, ingest) is False


def test_inconsistent_rows(capsys):
    t = pd.Timestamp("2024-05-01 10:00")
    rides = pd.DataFrame({
        "requested_at": [t, t, t + pd.Timedelta(hours=2), t],
        "desired_pickup_at": [t + pd.Timedelta(hours=1)] * 4,
        "outcome": ["完了", "完了", "完了", "キャンセル"],
        "actual_pickup_at": [t + pd.Timedelta(hours=1), pd.NaT, pd.NaT, pd.NaT],
    })  # row 1: no pick-up; row 2: both faults (counts once); row 3: a cancellation (fine) → 2

    def right(r):
        return int(((r["desired_pickup_at"] < r["requested_at"])
                    | ((r["outcome"] == "完了") & r["actual_pickup_at"].isna())).sum())

    def double(r):
        return int((r["desired_pickup_at"] < r["requested_at"]).sum()
                   + ((r["outcome"] == "完了") & r["actual_pickup_at"].isna()).sum())

    _assert_rejects(capsys, lambda: checks.check_inconsistent_rows(double, rides), 2)
    _assert_accepts(capsys, lambda: checks.check_inconsistent_rows(right, rides))
    assert checks.check_inconsistent_rows(_constant(2), rides) is False


def test_covered_share(capsys):
    import geopandas as gpd
    from shapely.geometry import Point, box

    towns = gpd.GeoDataFrame({"town_code": ["a", "b"]}, geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
                             crs="EPSG:6670")
    covered = Point(0, 0).buffer(50)

    def right(t, c):
        return t.geometry.intersection(c).area / t.geometry.area

    _assert_rejects(capsys, lambda: checks.check_covered_share(lambda t, c: t.geometry.intersection(c).area,
                                                               towns, covered), "0.196")
    _assert_accepts(capsys, lambda: checks.check_covered_share(right, towns, covered))
    assert checks.check_covered_share(_constant(right(towns, covered)), towns, covered) is False


def test_copying_the_policy_table_does_not_pass(capsys):
    """01 shows the policy table before exercise 1: all its output columns are not the answer."""
    from kogadx.privacy.policy import load_policy

    every = [r.output or r.column for r in load_policy().table("residents").rules.values()]
    _assert_rejects(capsys, lambda: checks.check_pseudonym_columns(every), "household_id")
