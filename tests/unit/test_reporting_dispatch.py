"""Unit tests for the dispatch part of the のるーと report: summary sentence, tables, captions."""

from __future__ import annotations

import copy
import math

import pandas as pd
import pytest

from kogadx.reporting import norute
from kogadx.reporting.findings import dispatch_finding


def _kpis(wait: float, served: float, empty_km: float, short_wait: float) -> dict:
    return {"served_rate": served, "rejection_rate": 1 - served, "wait_mean_min": wait, "wait_p95_min": wait * 6,
            "ride_over_direct_mean": 1.3, "vehicle_km": 2500.0 + empty_km, "empty_km": empty_km,
            "occupancy": 0.85, "passengers_per_vehicle_hour": 1.8, "short_notice_wait_mean_min": short_wait,
            "n_requests": 200, "n_served": round(200 * served), "n_rejected": 200 - round(200 * served)}


def dispatch_metrics(forecast_low: float = -0.30, forecast_high: float = 0.06) -> dict:
    """A small metrics/dispatch.json shaped like the dispatch stage's (3 vans by default)."""
    what_if = []
    for factor in (1.0, 1.5):
        for n in (2, 3, 4):
            for policy, bonus in (("none", 0.0), ("forecast", -0.05)):
                what_if.append({"demand_factor": factor, "n_vehicles": n, "policy": policy,
                                "wait_mean_min": round(2.0 * factor / n + bonus, 4),
                                "served_rate": round(1.0 - 0.01 * (factor - 1) * (5 - n), 4)})
    return {
        "default_fleet": {"n_vehicles": 3, "check_violations": {"none": 0, "forecast": 0},
                          "policies": {"none": _kpis(0.47, 0.985, 800.0, 0.52),
                                       "depot": _kpis(0.58, 0.98, 950.0, 0.61),
                                       "forecast": _kpis(0.41, 0.99, 1010.0, 0.44),
                                       "oracle": _kpis(0.39, 0.99, 1000.0, 0.40)}},
        "expected_demand_source": "history",
        "replay": {"start": "2024-09-03", "end": "2024-09-16", "n_days": 12, "n_requests": 200, "n_quarantined": 1,
                   "lead_min_median": 31.0, "short_notice_share": 0.214},
        "route_map": {"day": "2024-09-10", "policy": "forecast"},
        "travel_model": "straight_line",
        "vs_none": {"depot": {"wait_mean_diff_min": 0.11, "ci95_low": 0.02, "ci95_high": 0.2,
                              "share_requests_faster": 0.01, "share_requests_slower": 0.03},
                    "forecast": {"wait_mean_diff_min": -0.12, "ci95_low": forecast_low, "ci95_high": forecast_high,
                                 "share_requests_faster": 0.05, "share_requests_slower": 0.02}},
        "what_if": what_if,
    }


def test_summary_reads_policy_numbers_and_says_within_error_when_interval_contains_zero():
    text = dispatch_finding(dispatch_metrics(-0.30, 0.06))
    assert "標準の 3 台・「再配置なし」" in text
    assert "98.5%" in text and "0.47 分" in text  # served rate and mean wait of policy none
    assert "0.12 分" in text and "短くなりました" in text
    assert "-0.30〜+0.06 分" in text
    assert "誤差の範囲" in text and "誤差を超える" not in text
    # what-if: demand ×1.5 at the default 3 vans, policy none (wait 2·1.5/3 = 1.00 min, served 1 − 0.01·0.5·2 = 99.0 %)
    assert "1.5 倍" in text and "1.00 分" in text and "99.0%" in text
    assert "2024-09-03〜2024-09-16" in text and "200 件" in text


def test_summary_wording_changes_when_interval_excludes_zero():
    text = dispatch_finding(dispatch_metrics(-0.20, -0.04))
    assert "誤差の範囲" not in text
    assert "誤差を超える" in text and "短くなりました" in text and "-0.20〜-0.04 分" in text
    longer = dispatch_metrics(0.05, 0.4)
    longer["vs_none"]["forecast"]["wait_mean_diff_min"] = 0.2
    text = dispatch_finding(longer)
    assert "長くなりました" in text and "誤差の範囲" not in text


def test_summary_follows_the_numbers_in_the_json():
    changed = dispatch_metrics()
    changed["default_fleet"]["policies"]["none"]["wait_mean_min"] = 1.234
    changed["default_fleet"]["n_vehicles"] = 2
    text = dispatch_finding(changed)
    assert "1.23 分" in text and "0.47 分" not in text
    assert "標準の 2 台" in text and "2 台・再配置なしのまま" in text
    only_baseline_demand = dispatch_metrics()
    only_baseline_demand["what_if"] = [r for r in only_baseline_demand["what_if"] if r["demand_factor"] == 1.0]
    text = dispatch_finding(only_baseline_demand)  # no ×1.5 rows: the smaller fleet is the what-if
    assert "車両を 2 台に減らすと" in text and "1.00 分" in text


def test_policy_kpi_table_has_japanese_labels_and_values_from_json():
    d = dispatch_metrics()
    table = norute.policy_kpi_table(d)
    assert list(table.columns) == ["kpi", "none", "depot", "forecast", "oracle"]
    rows = table.set_index("kpi")
    assert rows.loc["乗車できた予約の割合", "none"] == "98.5%"
    assert rows.loc["平均待ち時間 (分)", "forecast"] == "0.41"
    assert rows.loc["うち空車の走行 (km)", "depot"] == "950"
    assert [norute.policy_label(p) for p in table.columns[1:]] == ["再配置なし", "車庫に戻る", "予測に基づく再配置",
                                                                  "真の需要 (参考)"]


def test_fleet_whatif_table_pivots_policies_side_by_side():
    table = norute.fleet_whatif_table(dispatch_metrics()["what_if"])
    assert len(table) == 6 and list(table["n_vehicles"]) == [2, 3, 4, 2, 3, 4]
    row = table[(table["demand_factor"] == 1.5) & (table["n_vehicles"] == 3)].iloc[0]
    assert row["none_wait"] == pytest.approx(1.0) and row["forecast_wait"] == pytest.approx(0.95)
    assert row["none_served"] == pytest.approx(0.99)


def test_vs_none_table_verdicts():
    table = norute.vs_none_table(dispatch_metrics(-0.3, 0.06)).set_index("policy")
    assert table.loc["予測に基づく再配置", "verdict"] == "誤差の範囲"
    assert table.loc["車庫に戻る", "verdict"] == "長くなる"
    assert table.loc["車庫に戻る", "interval"] == "+0.02〜+0.20"


def test_repositioning_note_explains_small_effect_only_when_interval_contains_zero():
    note = norute.repositioning_note(dispatch_metrics(-0.3, 0.06), 2.3)
    assert "31 分" in note and "21.4%" in note and "2.3 km" in note
    assert "800 km から 1,010 km" in note and "210 km" in note
    clear = norute.repositioning_note(dispatch_metrics(-0.2, -0.04), 2.3)
    assert "31 分" not in clear and "0 を含みません" in clear and "0.12 分短く" in clear


def test_figure_captions_are_japanese_and_never_file_names():
    d = dispatch_metrics()
    assert norute.dispatch_figure_caption("route_map", d).startswith("運行経路 (2024-09-10、方針: 予測に基づく再配置")
    assert "車両 3 台" in norute.dispatch_figure_caption("kpi_by_policy", d)
    assert "1 倍と 1.5 倍" in norute.dispatch_figure_caption("wait_vs_fleet", d)
    unknown = norute.dispatch_figure_caption("fleet_whatif_extra", d)
    assert "fleet_whatif_extra" not in unknown and unknown
    assert norute.order_dispatch_figures(["zeta", "route_map", "kpi_by_policy"]) == ["kpi_by_policy", "route_map", "zeta"]


def test_max_stop_distance_matches_haversine():
    stops = pd.DataFrame({"lat": [33.72, 33.73, 33.725], "lon": [130.46, 130.47, 130.465]})
    lat1, lon1, lat2, lon2 = map(math.radians, (33.72, 130.46, 33.73, 130.47))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    haversine_km = 2 * 6371.0 * math.asin(math.sqrt(a))
    assert norute.max_stop_distance_km(stops) == pytest.approx(haversine_km, rel=0.005)
    assert norute.max_stop_distance_km(stops.head(1)) == 0.0


def test_fixture_is_not_mutated():
    d = dispatch_metrics()
    before = copy.deepcopy(d)
    dispatch_finding(d)
    norute.policy_kpi_table(d)
    norute.repositioning_note(d, 1.0)
    assert d == before
