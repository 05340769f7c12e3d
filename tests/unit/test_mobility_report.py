"""Staff report helpers of the dispatch stage's validation and what-if grid (plain Japanese cells)."""

from __future__ import annotations

from kogadx.reporting.norute import degraded_cells, grid_table, validation_table

DISPATCH = {
    "validation": {
        "logged": {"wait_mean_min": 8.0, "rejection_share": 0.03, "vehicle_km": 2000.0, "n_requests": 100},
        "replayed": {"wait_mean_min": 8.3, "rejection_share": 0.045, "vehicle_km": 2030.0, "n_requests": 100},
        "difference": {"wait_mean_min": 0.3, "rejection_share": 0.015, "vehicle_km_rel": 0.015},
        "tolerance": {"wait_mean_min": 0.5, "rejection_share": 0.01, "vehicle_km_rel": 0.03},
        "within": {"wait_mean_min": True, "rejection_share": False, "vehicle_km": True},
    },
    "grid": {"rows": [
        {"n_vehicles": 2, "demand_factor": 1.0, "served_rate": 0.97, "ride_now_wait_mean_min": 4.5},
        {"n_vehicles": 4, "demand_factor": 1.0, "served_rate": 1.0, "ride_now_wait_mean_min": 2.8},
        {"n_vehicles": 2, "demand_factor": 6.0, "served_rate": 0.6, "ride_now_wait_mean_min": 20.0},
        {"n_vehicles": 4, "demand_factor": 6.0, "served_rate": 0.938, "ride_now_wait_mean_min": 10.7},
    ]},
}


def test_validation_table_side_by_side_with_verdicts():
    table = validation_table(DISPATCH).set_index("kpi")
    assert list(table["verdict"]) == ["許容範囲内", "許容範囲外", "許容範囲内"]
    assert table.iloc[0]["logged"] == "8.00" and table.iloc[0]["replayed"] == "8.30"
    assert table.iloc[1]["diff"] == "+1.5 ポイント" and table.iloc[2]["tolerance"] == "±3%"


def test_grid_table_and_the_cells_below_95_percent():
    table = grid_table(DISPATCH)
    assert list(table.columns) == ["demand_factor", "2 台", "4 台"]
    assert list(table["demand_factor"]) == ["1 倍", "6 倍"]
    assert table.iloc[1]["4 台"] == "93.8% / 10.7 分"
    assert degraded_cells(DISPATCH) == [(6.0, 2), (6.0, 4)]
