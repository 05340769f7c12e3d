"""Stage `report` on tiny fixture outputs: five self-contained reports, checked in Chromium.

The fixture writes small metrics JSON, figures and tables shaped like the pipeline's, runs
the stage once (module scope), then checks the HTML and the browser checker, including that
the checker catches a broken image and a visible code cell.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from kogadx.io import write_json, write_parquet
from kogadx.params import load_params, read_params_file
from kogadx.plotting import save_figure, setup
from kogadx.regulation.review import review_workbook
from kogadx.reporting.browser import check_reports, find_chromium
from kogadx.reporting.page import external_references, figure_alt_problems
from kogadx.reporting.params import ReportParams
from kogadx.reporting.render import ReportError
from kogadx.reporting.stage import ReportInputs, render_reports
from tests.helpers import PROJECT_ROOT, write_params
from tests.regulation_fixtures import candidates, regulation_metrics

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium がありません (CI は .ci/run で apt-get install chromium)")
REPORTS = ["norute", "co2", "wellbeing", "privacy", "regulation", "counter"]
FIGURES = {
    "demand": ["forecast_vs_actual", "residuals_by_hour", "feature_importance"],
    "co2": ["city_monthly_emissions", "city_weather_normalised_yoy", "city_scenario_waterfall"],
    "wellbeing": ["district_profile", "district_profile_heatmap", "map_happiness", "map_life_satisfaction",
                  "map_mobility", "drivers"],
    "counter": ["arrivals_heatmap", "waits_by_scenario"],
}


def _figure(path: Path, label: str) -> None:
    plt = setup()
    fig, ax = plt.subplots(figsize=(2.4, 1.6), dpi=60)
    ax.plot([0, 1, 2], [1, 3, 2])
    ax.set_title(label)
    save_figure(fig, path)
    plt.close(fig)


def _co2_metrics(total: float, fiscal_year: int) -> dict:
    return {"baseline": {"anomaly_months": 3, "businesses_pass_g14_share": 0.75, "median_abs_nmbe": 0.0,
                         "median_cv_rmse": 0.03, "models_fitted": 6, "models_pass_g14_share": 0.8, "meters": 7,
                         "status_counts": {"fitted": 6, "insufficient_baseline": 1}, "measures": 1,
                         "reporting_check_pass_share": 0.9},
            "city_scope1_t_co2_latest_fy": total * 0.4, "city_scope2_t_co2_latest_fy": total * 0.6,
            "city_t_co2_latest_fy": total, "estimated_share_of_t_co2": 0.012,
            "fiscal_year_factors": fiscal_year, "n_businesses_counted": 4, "n_businesses_without_factor": 0,
            "latest_fiscal_year": fiscal_year, "n_businesses": 4, "scenario_city_reduction_share": 0.25,
            "scenario_city_reduction_t_co2": total * 0.25, "scenario_city_reduction_t_co2_adjusted": total * 0.3}


def _counter_outputs(d: dict[str, Path]) -> None:
    """Stand-ins for the counter stage (issue #22): two venue days and one ordinary day, three scenarios."""
    k = d["features"] / "counter"
    dates = pd.to_datetime(["2025-08-04", "2025-08-05", "2025-08-12"])
    cells = pd.DataFrame([(dd, part, pos, h) for dd, part, pos in zip(dates, ["venue", "venue", "regular"], [0, 1, 0],
                                                                      strict=True) for h in range(9, 17)],
                         columns=["date", "part", "position", "hour"])
    cells["mean"] = np.where(cells["part"] == "venue", 8.0, 1.0) + (cells["hour"] == 16) * 4.0
    write_parquet(cells.assign(low=cells["mean"] - 3, high=cells["mean"] + 3), k / "arrival_forecast.parquet")
    names = ["オンライン 0 %", "オンライン 30 %", "オンライン 60 %"]
    write_parquet(pd.DataFrame({"scenario": names, "venue_days": [2, 2, 2], "staff_hours": [40.0, 36.0, 30.0],
                                "max_counters": [4, 3, 3], "mean_wait_min": [1.0, 1.2, 1.1],
                                "p90_wait_min": [4.0, 5.0, 4.5], "past_counters": [3, 3, 3],
                                "past_counters_p90_wait_min": [18.0, 10.0, 6.0]}), k / "scenarios.parquet")
    write_parquet(pd.DataFrame([(n, day, h, 8.0, 2 + (h == 16), 5.0) for n in names for day in (1, 2)
                                for h in range(9, 17)],
                               columns=["scenario", "day", "hour", "arrivals", "counters", "p90_wait_min"]),
                  k / "staffing_plan.parquet")
    write_parquet(pd.DataFrame({"test_year": [2024], "train_years": [3], "part": ["all"], "cells": [24],
                                "arrivals": [150], "wape": [0.4], "wape_naive": [0.5], "coverage": [0.85]}),
                  k / "backtest.parquet")
    write_json({"households": 150, "wait_target_min": 15.0,
                "forecast": {"backtest_years": [2024], "wape": 0.4, "wape_naive": 0.5, "coverage": 0.85,
                             "interval_level": 0.8, "dispersion": 0.0}}, d["metrics"] / "counter.json")


def make_fixture_outputs(root: Path) -> dict[str, Path]:
    """Small stand-ins for metrics/, reports/figures/, data/features/, data/pseudonymized/, reports/privacy/,
    reports/regulation/."""
    rng = np.random.default_rng(7)
    d = {name: root / name for name in ("metrics", "figures", "features", "pseudonymized", "privacy", "regulation")}
    for group, names in FIGURES.items():
        for name in names:
            _figure(d["figures"] / group / f"{name}.png", f"{group} 図")
    # のるーと: demand metrics, panel, forecast, ride requests, stops, towns
    model = lambda w: {"by_series_step": {"wape": w + 0.5}, "interval": {"coverage": 0.79, "nominal": 0.8},  # noqa: E731
                       "total_by_day": {"wape": w}}
    write_json({"backtest": {"h24": {"lightgbm": model(0.12), "seasonal_naive": model(0.2)}},
                "comparison": {"h24": {"seasonal_naive": {"wape_diff": -0.08, "ci95_low": -0.1, "ci95_high": -0.05,
                                                          "excludes_zero": True, "origins": 1}}},
                "origins": {"h24": ["2024-09-02T23:00:00"]}, "rows": 96, "series": 2,
                "top_features": [{"feature": "lag_168", "gain_share": 0.31}]},
               d["metrics"] / "demand.json")
    times = pd.date_range("2024-09-01", periods=48, freq="h")
    panel = pd.DataFrame({"zone": np.repeat(["C01", "C02"], 48), "time": np.tile(times, 2),
                          "y": rng.poisson(1.0, 96).astype("int32")})
    panel["hour"] = panel["time"].dt.hour.astype("int8")
    panel["day_type"] = np.where(panel["time"].dt.day_of_week >= 5, "土日祝", "平日")
    panel["in_service"] = ((panel["hour"] >= 9) & (panel["hour"] < 17)).astype("int8")
    write_parquet(panel, d["features"] / "demand_panel.parquet")
    write_parquet(pd.DataFrame({"zone": ["C01", "C02"], "time": pd.to_datetime(["2024-10-01 09:00"] * 2),
                                "horizon_step": [1, 1], "expected": [1.5, 0.5], "lower": [0.0, 0.0],
                                "upper": [3.0, 2.0]}), d["features"] / "demand_forecast.parquet")
    n = 40
    requested = pd.Timestamp("2024-08-01 09:00") + pd.to_timedelta(np.arange(n) * 29, unit="h")
    outcome = np.array(["完了"] * 30 + ["キャンセル"] * 4 + ["無断キャンセル"] * 2 + ["配車不可"] * 4)
    done = outcome == "完了"
    desired = requested + pd.Timedelta(minutes=20)
    pickup = pd.Series(desired + pd.to_timedelta(rng.integers(0, 10, n), unit="m")).where(done)
    write_parquet(pd.DataFrame({
        "request_id": [f"R{i:03d}" for i in range(n)], "member_id": [f"m{i % 7}" for i in range(n)],
        "requested_at": requested, "desired_pickup_at": desired,
        "origin_stop_id": [f"S00{i % 3 + 1}" for i in range(n)],
        "destination_stop_id": [f"S00{(i + 1) % 3 + 2}" for i in range(n)],
        "passengers": pd.array([1] * n, dtype="Int64"), "outcome": outcome, "actual_pickup_at": pickup,
        "actual_dropoff_at": pickup + pd.Timedelta(minutes=9)}), d["pseudonymized"] / "ride_requests.parquet")
    write_parquet(pd.DataFrame({"stop_id": [f"S00{i}" for i in range(1, 5)],
                                "stop_name": ["JR古賀駅", "花鶴丘公民館", "日吉一丁目", "美明二丁目"],
                                "lat": [33.7328, 33.7269, 33.7288, 33.7219],
                                "lon": [130.4669, 130.4600, 130.4550, 130.4585],
                                "kind": ["station", "community_centre", "residential", "residential"]}),
                  d["pseudonymized"] / "stops.parquet")
    gpd.GeoDataFrame({"town_code": ["1", "2"], "geometry": [box(130.45, 33.72, 130.46, 33.735),
                                                            box(130.46, 33.72, 130.47, 33.735)]},
                     crs="EPSG:6668").to_parquet(d["pseudonymized"] / "towns.parquet")
    # CO2
    write_json(_co2_metrics(1234.0, 2023), d["metrics"] / "co2.json")
    c = d["features"] / "co2"
    ids = ["B0001", "B0002", "B0003", "B0004"]
    write_parquet(pd.DataFrame({"business_id": ids, "t_co2": [10.0, 20.0, 30.0, 40.0],
                                "sector_code": ["06", "09", "09", "83"],
                                "sector_name": ["総合工事業", "食料品製造業", "食料品製造業", "医療業"],
                                "employees": [5.0, 50.0, 20.0, 80.0], "floor_area_m2": [300.0, 2000.0, 800.0, 4000.0],
                                "t_co2_per_m2": [0.03, 0.01, 0.04, 0.01], "t_co2_per_employee": [2.0, 0.4, 1.5, 0.5]}),
                  c / "intensity.parquet")
    write_parquet(pd.DataFrame({"fiscal_year": [2022, 2022, 2023, 2023, 2023],
                                "sector_code": ["06", "09", "06", "09", "83"],
                                "scope": [1, 2, 1, 2, 2], "t_co2": [100.0, 200.0, 110.0, 190.0, 60.0]}),
                  c / "emissions_by_sector.parquet")
    # monthly sums behind figure 1-1: their fiscal-year totals are table 1-1's (300 and 360)
    write_parquet(pd.DataFrame({"year_month": ["2022-04", "2023-01", "2023-05", "2024-03"],
                                "fuel": ["electricity", "city_gas", "electricity", "electricity"],
                                "t_co2": [150.0, 150.0, 200.0, 160.0]}), c / "emissions_city_monthly.parquet")
    write_parquet(pd.DataFrame({"business_id": np.repeat(ids, 2), "fiscal_year": [2022, 2023] * 4,
                                "t_co2": np.arange(8, dtype=float) + 10,
                                "t_co2_normalised": np.arange(8, dtype=float) + 9}),
                  c / "weather_normalised_yoy.parquet")
    write_parquet(pd.DataFrame({"fiscal_year": [2023], "fuel": ["electricity"], "unit": ["kWh"], "factor": [0.000399],
                                "basis": ["basic"], "supplier": ["九州電力"], "menu": ["*"],
                                "result_fiscal_year": ["2022"], "source": ["九州電力 2022年度のCO2排出係数"]}),
                  c / "emission_factor_table.parquet")
    write_parquet(pd.DataFrame({"business_id": pd.Series([], dtype=str), "factor_reason": pd.Series([], dtype=str)}),
                  c / "emission_factor_status.parquet")
    write_parquet(pd.DataFrame({"business_id": ids, "fuel": "electricity", "status": "fitted",
                                "intervention_month": ["2022-10", "", "", ""], "model_type": "cdd_only",
                                "heating_balance_point_c": np.nan, "cooling_balance_point_c": 21.5,
                                "cv_rmse": 0.04, "g14_reason": "合格", "savings": [900.0, 1.0, 2.0, 3.0],
                                "savings_half_width": 100.0, "avoided_t_co2": [0.36, 0.0, 0.0, 0.0]}),
                  c / "mv_models.parquet")
    steps = pd.DataFrame({"order": [0, 1], "step": ["baseline", "led"], "label": ["現状", "LED化"],
                          "t_co2": [1234.0, -50.0], "cost_yen_per_yr": [1e6, -1e4], "capex_yen": [0.0, 5e5]})
    write_parquet(steps, c / "scenarios_city.parquet")
    write_parquet(steps, c / "scenarios_city_adjusted.parquet")
    write_parquet(pd.concat([steps.assign(business_id=b) for b in ids]), c / "scenarios.parquet")
    write_parquet(pd.DataFrame({"business_id": ids, "pass_g14": [True, True, False, True]}),
                  c / "baseline_business_g14.parquet")
    # Well-being
    w = d["features"] / "wellbeing"
    districts = ["市全体", "花鶴丘", "日吉"]
    labels = [("happiness", "幸福度"), ("life_satisfaction", "生活満足度")]
    labels += [("mobility", "移動・交通")]
    rows = [{"district": dd, "indicator": ind, "indicator_label": lab, "n": [27, 12, 15][k], "mean": 6.0 + k,
             "ci_low": 5.5 + k, "ci_high": 6.5 + k, "mean_eb": 6.0 + k, "ci_low_eb": 5.5 + k, "ci_high_eb": 6.5 + k,
             "withheld": False}
            for k, dd in enumerate(districts) for ind, lab in labels]
    write_parquet(pd.DataFrame(rows), w / "district_indicators.parquet")
    write_parquet(pd.DataFrame({"item": ["health", "self_efficacy", "housing"],
                                "item_label": ["健康状態", "自己効力感", "住宅環境"],
                                "coef_std": [0.6, 0.4, 0.3], "coef_ci_low": [0.5, 0.3, 0.2],
                                "coef_ci_high": [0.7, 0.5, 0.4],
                                "perm_importance": [0.05, 0.03, 0.02], "rank_linear": [1, 2, 3]}),
                  w / "driver_importance.parquet")
    summary = pd.DataFrame({"district": ["花鶴丘", "日吉"], "n": [12, 15]})
    for ind in ("happiness", "life_satisfaction"):
        summary[f"{ind}_mean_eb"] = [6.1, 6.3]
        summary[f"{ind}_ci_low_eb"] = [5.2, 5.6]
        summary[f"{ind}_ci_high_eb"] = [7.0, 7.1]
    write_parquet(summary, w / "district_summary.parquet")
    write_parquet(pd.DataFrame({"district": ["花鶴丘", "日吉"], "n": [12, 15]}), w / "profile_figure.parquet")
    write_parquet(pd.DataFrame({"district": ["花鶴丘", "日吉"], "population": [3000, 2500], "share_65plus": [0.4, 0.35],
                                "density_per_km2": [3000.0, 2800.0], "dist_stop_m": [300.0, 450.0]}),
                  w / "district_objective.parquet")
    write_json({"drivers": {"cv": {"linear_ridge": {"r2_mean": 0.55, "r2_sd": 0.05}}},
                "happiness": {"city_ci_high": 6.5, "city_ci_low": 6.3, "city_mean_unweighted": 6.2,
                              "city_mean_weighted": 6.4, "median_shrinkage": 0.45},
                "n_districts": 2, "n_districts_without_respondents": 0, "n_respondents": 27,
                "profile_districts": ["花鶴丘", "日吉"],
                "raking": {"converged": True, "iterations": 5, "kish_deff": 1.3, "max_weight_over_mean": 3.2}},
               d["metrics"] / "wellbeing.json")
    # Privacy
    col = lambda name, action, appi, out: {"column": name, "action": action, "appi": appi, "output": out,  # noqa: E731
                                           "distinct_before": 10, "distinct_after": 0 if action == "delete" else 10,
                                           "rows": 10}
    write_json({"key": {"demo_key": True, "source": "demo"}, "passed": True,
                "policy": {"sha256": "ab" * 32, "version": "1.0.0"},
                "pseudonym": {"algorithm": "HMAC-SHA256", "bits": 64, "hex_length": 16, "persons_observed": 10,
                              "collision_probability_n100000": 2.7e-10, "collision_probability_observed": 2.7e-18},
                "synthetic_demo": True,
                "tables": {"residents": {"rows": 10, "passed": True, "deleted_columns_surviving": [],
                                         "raw_value_survivals": {},
                                         "columns": [col("my_number", "delete", "item2", None),
                                                     col("name", "delete", "item1", None),
                                                     col("resident_code", "pseudonym", "item2", "person_id"),
                                                     col("birth_date", "generalise", "item1", "age"),
                                                     col("sex", "keep", "not_personal", "sex")]},
                           "members": {"rows": 10, "passed": True, "deleted_columns_surviving": [],
                                       "raw_value_survivals": {},
                                       "columns": [col("card_number", "delete", "item3", None)]}}},
               d["privacy"] / "pseudonymize_audit.json")
    write_json({"k": 7, "k_target": 5, "l": 2, "l_target": 2, "levels": {"age": 2, "sex": 0}, "max_suppression": 0.05,
                "n_classes": 3, "quasi_identifiers": ["age", "sex"], "records_suppressed": 1,
                "released_columns": ["age", "sex", "relationship"], "rows_in": 10, "rows_released": 9,
                "suppression_rate": 0.1, "sensitive": "household_size", "sensitive_ja": "世帯人員",
                "age_band_10y_or_narrower_share": 0.96},
               d["metrics"] / "anonymize.json")
    write_json({"residents": {"rows_in": 11, "rows_out": 10, "rows_quarantined": 1, "reasons": {"行: 重複行です": 1}},
                "synthetic_demo": True}, d["metrics"] / "ingest.json")
    _counter_outputs(d)
    # analog regulation: metrics and the staff workbook
    write_json(regulation_metrics(), d["metrics"] / "regulation.json")
    d["regulation"].mkdir(parents=True, exist_ok=True)
    workbook = review_workbook(candidates(), pd.DataFrame({"類型": ["目視規制"], "上位の目安に入った条項": [1]}))
    (d["regulation"] / "review.xlsx").write_bytes(workbook)
    return d


def _stage_module():
    spec = importlib.util.spec_from_file_location("report_stage", PROJECT_ROOT / "pipelines" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _argv(d: dict[str, Path], out: Path) -> list[str]:
    return [str(PROJECT_ROOT / "notebooks" / "reports"), str(d["metrics"]), str(d["figures"]), str(d["features"]),
            str(d["pseudonymized"]), str(d["privacy"]), str(d["regulation"] / "review.xlsx"), str(out),
            str(out / "screenshots")]


def _render(d: dict[str, Path], only: list[str]) -> dict[str, bytes]:
    """The named reports rendered from the fixture outputs with the params of KOGADX_PARAMS."""
    inputs = ReportInputs(PROJECT_ROOT / "notebooks" / "reports", d["metrics"], d["figures"], d["features"],
                          d["pseudonymized"], d["privacy"], d["regulation"] / "review.xlsx",
                          all_params=read_params_file(), root=PROJECT_ROOT)
    return render_reports(inputs, load_params(ReportParams), only=only)


REPORT_PARAMS = {"top_od_pairs": 5, "max_mb": 5, "browser_check": CHROMIUM is not None,
                 "chromium_path": CHROMIUM or "/usr/bin/chromium", "viewport_width": 900}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Run the stage once on the fixture outputs; yield (inputs, out folder)."""
    root = tmp_path_factory.mktemp("report")
    d = make_fixture_outputs(root / "in")
    params = write_params(root, {"report": REPORT_PARAMS})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params))
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        _stage_module().main(_argv(d, root / "out"))
    return d, root / "out"


def _visible_text(html_text: str) -> str:
    body = re.sub(r"<style.*?</style>", "", html_text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_stage_writes_five_small_self_contained_reports(rendered):
    _, out = rendered
    for name in REPORTS:
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert (out / f"{name}.html").stat().st_size < 5_000_000
        assert external_references(page) == []
        assert not re.search(r"""(?:src|href)\s*=\s*["']?https?://""", page)
        assert "@font-face" in page and "data:font/woff;base64," in page
        assert "この報告の要点" in page and "出典と再現情報" in page
        assert "2023-11-14" in page  # SOURCE_DATE_EPOCH, not today's date
        assert "import " not in _visible_text(page) and "def show" not in page


def test_reports_read_numbers_from_fixture_outputs(rendered):
    _, out = rendered
    co2 = _visible_text((out / "co2.html").read_text(encoding="utf-8"))
    assert "1,234 t-CO2" in co2 and "2023 年度" in co2 and "対象事業所の合計" in co2
    # the factor table in Japanese, not the table's codes
    raw = (out / "co2.html").read_text(encoding="utf-8")
    assert "0.000399 t-CO2/kWh" in co2 and "基礎排出係数" in co2 and "全メニュー共通" in co2
    assert all(code not in raw for code in ("<td>electricity</td>", "<td>basic</td>", "<td>*</td>"))
    norute = _visible_text((out / "norute.html").read_text(encoding="utf-8"))
    assert "40 件" in norute and "75.0%" in norute  # 30 of 40 requests completed
    assert "配車シミュレーションの結果はまだありません" in norute
    privacy = _visible_text((out / "privacy.html").read_text(encoding="utf-8"))
    assert "3 列を削除" in privacy and "第3号 1 列" in privacy
    wellbeing = _visible_text((out / "wellbeing.html").read_text(encoding="utf-8"))
    assert "6.40 点" in wellbeing and "順位" in wellbeing
    regulation = _visible_text((out / "regulation.html").read_text(encoding="utf-8"))
    assert "40 条項を、アナログ規制に当たりそうな順" in regulation and "第1条第1項 (目視規制、確率 0.93)" in regulation
    assert "表 1-1 まず読む条項 (上位の目安 1 条項 / 全 4 条項" in regulation and "該当する条項の 70%" in regulation


def test_footer_lists_hashes_of_data_read(rendered):
    d, out = rendered
    from kogadx.io import sha256_file

    page = (out / "co2.html").read_text(encoding="utf-8")
    assert sha256_file(d["metrics"] / "co2.json")[:16] in page
    assert sha256_file(d["figures"] / "co2" / "city_monthly_emissions.png")[:16] in page


def test_rendering_is_reproducible(rendered, tmp_path):
    """Same inputs, params and commit → byte-identical HTML (the co2 report, rendered again)."""
    d, out = rendered
    params = write_params(tmp_path, {"report": REPORT_PARAMS})  # same params → same params hash
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params))
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        again = _render(d, only=["co2"])
    assert list(again) == ["co2"]

    # The commit is masked: the lead may commit between the two renders of this test.
    def masked(page: bytes) -> bytes:
        return re.sub(rb"<code>[0-9a-f]{40}(-dirty)?</code>", b"<code>COMMIT</code>", page)

    assert masked(again["co2"]) == masked((out / "co2.html").read_bytes())


def test_changed_metrics_change_the_summary_number(rendered, tmp_path):
    """A params change that moves the co2 total (e.g. fiscal_year → other factors) moves the summary."""
    d, out = rendered
    changed = {k: tmp_path / k for k in d}
    for key, folder in d.items():
        shutil.copytree(folder, changed[key])
    write_json(_co2_metrics(987.0, 2023), changed["metrics"] / "co2.json")
    params = write_params(tmp_path, {"report": {**REPORT_PARAMS, "browser_check": False}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params))
        changed_page = _render(changed, only=["co2"])["co2"]

    def summary(page: bytes) -> str:
        text = page.decode("utf-8")
        return _visible_text(re.search(r'<section class="summary">.*?</section>', text, re.S).group(0))

    before, after = summary((out / "co2.html").read_bytes()), summary(changed_page)
    assert "1,234 t-CO2" in before and "2022年度実績" in before
    assert "987 t-CO2" in after and "対象事業所の合計" in after
    assert "1,234 t-CO2" not in after


@needs_chromium
def test_screenshots_kept_and_reports_pass_the_browser_check(rendered):
    _, out = rendered
    for name in REPORTS:
        shot = out / "screenshots" / f"{name}.png"
        assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = check_reports([out / f"{n}.html" for n in REPORTS], None)
    assert [r.problems for r in results] == [[]] * len(REPORTS)
    assert all(r.n_images >= 1 for r in results[:3])


def _broken_copies(out: Path, tmp_path: Path) -> dict[str, Path]:
    page = (out / "co2.html").read_text(encoding="utf-8")
    variants = {
        # a figure removed: its data URI replaced by a file that does not exist
        "missing_image": re.sub(r'src="data:image/png;base64,[^"]+"', 'src="figures/removed.png"', page, count=1),
        # a code cell left visible, as nbconvert renders one when inputs are not excluded
        "code_cell": re.sub(r"(<main[^>]*>)", r'\1<div class="jp-InputArea input_area"><div class="highlight">'
                            "<pre>import pandas as pd\nmetrics = load()</pre></div></div>", page, count=1),
        # a character outside the embedded subset (would be tofu) and an external script
        "tofu": page.replace("</main>", "<p>\u9f98\u9f98</p></main>", 1),
        "external": page.replace("</main>", '<img src="https://example.invalid/x.png" alt="外部"></main>', 1),
        # a block with a fixed width wider than a phone, outside any scrolling box
        "too_wide": page.replace("</main>", '<div style="width:900px">幅の広い箱</div></main>', 1),
    }
    paths = {}
    for name, text in variants.items():
        paths[name] = tmp_path / f"{name}.html"
        paths[name].write_text(text, encoding="utf-8")
    return paths


@needs_chromium
def test_browser_check_catches_broken_reports(rendered, tmp_path):
    _, out = rendered
    paths = _broken_copies(out, tmp_path)
    results = {r.report.stem: r.problems for r in check_reports(list(paths.values()), None)}
    assert any("表示されない画像" in p for p in results["missing_image"])
    assert any("コードセル" in p for p in results["code_cell"])
    assert any("コードらしい" in p for p in results["code_cell"])
    assert any("豆腐" in p and "\u9f98" in p for p in results["tofu"])
    assert any("外部への通信" in p for p in results["external"])
    assert any("横にはみ出して" in p and "幅の広い箱" in p for p in results["too_wide"])
    assert not any("横にはみ出して" in p for p in results["tofu"])  # the page itself fits a phone
    assert external_references(paths["external"].read_text(encoding="utf-8"))


def test_dispatch_section_appears_when_results_exist(rendered, tmp_path):
    """A real-shaped dispatch.json: summary and section 4 read its numbers; figures get Japanese captions."""
    from tests.unit.test_reporting_dispatch import dispatch_metrics

    d, _ = rendered
    changed = {k: tmp_path / k for k in d}
    for key, folder in d.items():
        shutil.copytree(folder, changed[key])
    write_json(dispatch_metrics(-0.30, 0.06), changed["metrics"] / "dispatch.json")
    _figure(changed["figures"] / "dispatch" / "route_map.png", "経路")
    _figure(changed["figures"] / "dispatch" / "fleet_whatif_extra.png", "台数")
    params = write_params(tmp_path, {"report": {**REPORT_PARAMS, "browser_check": False}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params))
        html_text = _render(changed, only=["norute"])["norute"].decode("utf-8")
    page = _visible_text(html_text)
    summary = _visible_text(re.search(r'<section class="summary">.*?</section>', html_text, re.S).group(0))
    assert "まだありません" not in page
    assert "98.5%" in summary and "0.47 分" in summary and "誤差の範囲" in summary
    assert "-0.30〜+0.06 分" in summary
    for label in ("再配置なし", "車庫に戻る", "予測に基づく再配置", "真の需要 (参考)", "平均待ち時間 (分)"):
        assert label in page
    assert "2024-09-03〜2024-09-16 (12 日)" in page and "31 分" in page and "21.4%" in page
    assert "運行経路 (2024-09-10、方針: 予測に基づく再配置" in page
    assert "配車シミュレーションの補足図" in page
    body = _visible_text(re.sub(r"<footer.*?</footer>", "", html_text, flags=re.S))  # footer lists input files
    assert "fleet_whatif_extra" not in body and "route_map" not in body


def test_synthetic_banner_follows_the_runs_provenance(rendered, tmp_path):
    """The banner comes from ingest's verdict on the raw files, never from the template: on for the
    synthetic fixture, off for the same outputs when ingest says the export is real."""
    d, out = rendered
    synthetic = (out / "co2.html").read_text(encoding="utf-8")
    assert 'class="synthetic-banner"' in synthetic and "<title>【合成データによる試算】" in synthetic
    assert synthetic.count('class="synthetic-tag"') == synthetic.count("<figcaption>") > 0
    assert "入力データ</th><td>合成データ (架空)" in synthetic
    assert "用語の説明" in synthetic and "<dt>合成データ</dt>" in synthetic
    # the regulation report reads ordinance texts, not the exports: no banner
    assert 'class="synthetic-banner"' not in (out / "regulation.html").read_text(encoding="utf-8")

    real = {k: tmp_path / k for k in d}
    for key, folder in d.items():
        shutil.copytree(folder, real[key])
    ingest = json.loads((real["metrics"] / "ingest.json").read_text(encoding="utf-8"))
    write_json({**ingest, "synthetic_demo": False}, real["metrics"] / "ingest.json")
    params = write_params(tmp_path, {"report": {**REPORT_PARAMS, "browser_check": False}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params))
        page = _render(real, only=["co2"])["co2"].decode("utf-8")
    assert 'class="synthetic-banner"' not in page and 'class="synthetic-tag"' not in page
    assert "合成データ (架空)" not in page
    assert "<title>事業所の CO2 排出量レポート" in page


def test_business_sheets_stay_out_of_the_public_report(rendered, tmp_path):
    """A business's own figures (staff, floor area) are never in the public co2 report; its sheet is a
    separate file for that business only."""
    from kogadx.reporting.render import render_report

    d, out = rendered
    public = _visible_text((out / "co2.html").read_text(encoding="utf-8"))
    assert "business-sheet" in public
    assert "従業員数" not in public.replace("従業員数や床面積から", "")  # only the sentence saying why
    assert "貴事業所" not in public and not re.search(r"5-\d 事業所", public)  # no per-business sheet
    business = pd.read_parquet(d["features"] / "co2" / "intensity.parquet")["business_id"].iloc[0]
    page = render_report(PROJECT_ROOT / "notebooks" / "reports" / "co2_business.py",
                         {"co2_metrics": str(d["metrics"] / "co2.json"), "co2_tables": str(d["features"] / "co2"),
                          "business_id": business}, f"事業所別 CO2 シート ({business})", "<footer></footer>",
                         cwd=PROJECT_ROOT).decode("utf-8")
    text = _visible_text(page)
    assert f"事業所 {business} の概要" in text and "従業員数" in text and "この事業所にだけ渡してください" in text


def test_figure_and_table_mismatch_stops_the_report(rendered, tmp_path):
    """Planted: figure 1-1's panel says 255 respondents for 花鶴丘, table 1-1 says 12 — the
    wellbeing report must fail while rendering, naming both and the district (the 天神 bug)."""
    d, _ = rendered
    changed = {k: tmp_path / k for k in d}
    for key, folder in d.items():
        shutil.copytree(folder, changed[key])
    write_parquet(pd.DataFrame({"district": ["花鶴丘", "日吉"], "n": [255, 15]}),
                  changed["features"] / "wellbeing" / "profile_figure.parquet")
    params = write_params(tmp_path, {"report": {**REPORT_PARAMS, "browser_check": False}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params))
        with pytest.raises(ReportError) as failed:
            _render(changed, only=["wellbeing"])
    message = str(failed.value)
    assert "図 1-1と表 1-1が食い違っています" in message and "花鶴丘" in message and "255" in message


def test_every_figure_has_alt_text_that_reads_the_figure(rendered):
    """Each <img> says what its figure shows: a sentence with a number, never the caption again."""
    _, out = rendered
    for name in REPORTS:
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert figure_alt_problems(page) == [], name
        alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
        assert len(alts) == page.count('<figure class="fig">'), name  # the privacy report has no figure
        assert all(re.search(r"\d", a) for a in alts), (name, [a for a in alts if not re.search(r"\d", a)])
