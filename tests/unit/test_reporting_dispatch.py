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
    ordered = norute.order_dispatch_figures(["zeta", "route_map", "kpi_by_policy"])
    assert ordered == ["kpi_by_policy", "route_map", "zeta"]


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


def _with_replications(oracle_wait: float, fo_low: float, fo_high: float) -> dict:
    d = dispatch_metrics()
    pol = {"none": {"wait_mean_min": 0.93, "wait_p95_min": 6.1, "empty_km": 900.0, "served_rate": 1.0},
           "forecast": {"wait_mean_min": 0.75, "wait_p95_min": 5.2, "empty_km": 2000.0, "served_rate": 1.0},
           "oracle": {"wait_mean_min": oracle_wait, "wait_p95_min": 5.0, "empty_km": 1990.0, "served_rate": 0.999}}
    d["replications"] = {
        "n": 20, "n_vehicles": 3, "n_requests_mean": 1432.5, "policies": pol,
        "paired": {"forecast_vs_none": {"wait_mean_diff_min": -0.18, "ci95_low": -0.21, "ci95_high": -0.15},
                   "oracle_vs_none": {"wait_mean_diff_min": -0.19, "ci95_low": -0.22, "ci95_high": -0.16},
                   "forecast_vs_oracle": {"wait_mean_diff_min": round(0.75 - oracle_wait, 4),
                                          "ci95_low": fo_low, "ci95_high": fo_high}}}
    return d


def test_replication_tables_and_note_read_the_json():
    d = _with_replications(0.74, -0.01, 0.03)
    table = norute.replication_policy_table(d).set_index("policy")
    assert list(table.index) == ["再配置なし", "予測に基づく再配置", "真の需要 (参考)"]
    assert table.loc["予測に基づく再配置", "wait"] == "0.75" and table.loc["再配置なし", "empty_km"] == "900"
    assert table.loc["真の需要 (参考)", "served"] == "99.9%"
    comp = norute.replication_comparison_table(d).set_index("pair")
    assert comp.loc["予測に基づく再配置 − 再配置なし", "verdict"] == "短くなる"
    assert comp.loc["予測に基づく再配置 − 真の需要 (参考)", "verdict"] == "誤差の範囲"
    assert comp.loc["予測に基づく再配置 − 真の需要 (参考)", "interval"] == "-0.01〜+0.03"
    note = norute.replication_note(d)
    assert "20 回" in note and "0.18 分短く" in note and "0 を含みません" in note
    assert "誤差の範囲です" in note and "ほぼ同じ効果" in note and "-0.01〜+0.03 分" in note
    assert "900 km から 2,000 km" in note
    # the oracle doing worse than the forecast beyond noise is said, not hidden
    worse = norute.replication_note(_with_replications(0.80, -0.09, -0.01))
    assert "真の需要は上限になっていません" in worse and "ほぼ同じ効果" not in worse
    better = norute.replication_note(_with_replications(0.70, 0.01, 0.09))
    assert "精度を上げる余地" in better
    # a control that spreads vans evenly: its share of the forecast's gain decides the closing sentence
    spread = _with_replications(0.74, -0.01, 0.03)
    spread["replications"]["paired"]["uniform_vs_none"] = {"wait_mean_diff_min": -0.162, "ci95_low": -0.19,
                                                           "ci95_high": -0.13}
    text = norute.replication_note(spread)
    assert "0.16 分短く" in text and "90%" in text and "散らばらせることから" in text
    spread["replications"]["paired"]["uniform_vs_none"]["wait_mean_diff_min"] = -0.03
    assert "先回りさせることから" in norute.replication_note(spread)


def test_without_replications_the_report_says_so_and_tables_are_empty():
    d = dispatch_metrics()
    assert norute.replication_policy_table(d).empty and norute.replication_comparison_table(d).empty
    assert "合成データでのみ" in norute.replication_note(d)
    assert "作り直して" not in dispatch_finding(d)
    assert "20 回作り直して平均すると、差は -0.18 分 (95% 区間 -0.21〜-0.15 分)" in dispatch_finding(
        _with_replications(0.74, -0.01, 0.03))


def test_signed_minutes_never_prints_minus_zero():
    assert norute.signed_minutes(-0.0257) == "-0.03" and norute.signed_minutes(0.0273) == "+0.03"
    assert norute.signed_minutes(-0.0037) == "0.00" and norute.signed_minutes(0.004) == "0.00"


def test_policy_list_adds_the_replication_controls_with_explanations():
    d = _with_replications(0.74, -0.01, 0.03)
    d["replications"]["policies"]["uniform"] = d["replications"]["policies"]["none"]
    assert "uniform" not in norute.dispatch_policies(d)
    listed = norute.dispatch_policies(d, with_replications=True)
    assert listed.index("uniform") < listed.index("forecast")
    assert all(norute.POLICY_EXPLAIN_JA.get(p) for p in listed)
    assert "backtest" in norute.EXPECTED_SOURCE_JA
