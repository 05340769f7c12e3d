"""Coverage (p-median) repositioning and the resampled replay periods used for the oracle."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from kogadx.mobility.params import DispatchRules
from kogadx.mobility.replications import resample_requests
from kogadx.mobility.simulation import Fleet, StraightLineTravelTime, _Day
from kogadx.rng import stream_rng

# one kilometre per minute, no detour
FAST = StraightLineTravelTime(detour_factor=1.0, speed_kmh=60.0)
DAY = pd.Timestamp("2024-03-01")
# three waiting points on a line, 10 km apart
POINTS = {"A": (0.0, 0.0), "B": (10000.0, 0.0), "C": (20000.0, 0.0)}


def _day(n: int, rules: DispatchRules, at: list[tuple[float, float]]) -> _Day:
    day = _Day(Fleet(n, 0.0, 0.0, service_start_hour=9, service_end_hour=17), rules, FAST, DAY)
    for v, (x, y) in zip(day.vehicles, at, strict=True):
        v.x, v.y = x, y
    return day


def _targets(day: _Day) -> list[tuple[float, float]]:
    return [(v.repos[3], v.repos[4]) if v.repos else (v.x, v.y) for v in day.vehicles]


def test_single_van_goes_where_demand_is_and_stays_when_it_is_there():
    day = _day(1, DispatchRules(), [POINTS["A"]])
    day.reposition(540.0, {"A": 0.0, "B": 0.0, "C": 5.0}, POINTS)
    assert _targets(day) == [POINTS["C"]]
    still = _day(1, DispatchRules(), [POINTS["A"]])
    still.reposition(540.0, {"A": 5.0, "B": 1.0, "C": 1.0}, POINTS)
    assert still.vehicles[0].repos is None


def test_two_vans_split_between_two_demand_centres():
    # both at A; demand equal at A and C: the joint optimum sends exactly one van to C
    day = _day(2, DispatchRules(), [POINTS["A"], POINTS["A"]])
    day.reposition(540.0, {"A": 3.0, "B": 0.0, "C": 3.0}, POINTS)
    assert sorted(_targets(day)) == sorted([POINTS["A"], POINTS["C"]])
    # the greedy rule, one van at a time, needs no joint view but reaches the same split here
    greedy = _day(2, DispatchRules(reposition_rule="greedy"), [POINTS["A"], POINTS["A"]])
    greedy.reposition(540.0, {"A": 3.0, "B": 0.0, "C": 3.0}, POINTS)
    assert sorted(_targets(greedy)) == sorted([POINTS["A"], POINTS["C"]])


def test_move_weight_keeps_vans_still_for_small_gains():
    # moving A→B gains 1 × 10 reach-minutes at the cost of 10 driving minutes
    demand = {"A": 0.0, "B": 1.0, "C": 0.0}
    eager = _day(1, DispatchRules(move_weight=0.0), [POINTS["A"]])
    eager.reposition(540.0, demand, POINTS)
    assert _targets(eager) == [POINTS["B"]]
    lazy = _day(1, DispatchRules(move_weight=2.0), [POINTS["A"]])
    lazy.reposition(540.0, demand, POINTS)
    assert lazy.vehicles[0].repos is None


def test_busy_van_counts_where_its_last_booking_ends():
    from kogadx.mobility.simulation import _Stop

    day = _day(2, DispatchRules(reposition_in_slack=False), [POINTS["A"], POINTS["A"]])
    p = _Stop(0, True, 1000.0, 0.0, 545.0, 560.0, 1, 60.0, 545.0)
    d = _Stop(0, False, 20000.0, 0.0, 0.0, math.inf, 1, 60.0)
    assert day.insert(0, p, d, 540.0)
    # van 0 carries the rider to C, so the idle van 1 stays to cover A instead of also going to C
    day.reposition(540.0, {"A": 2.0, "B": 0.0, "C": 2.0}, POINTS)
    idle = [v for v in day.vehicles if not v.plan]
    assert len(idle) == 1 and idle[0].repos is None


def _objective(zones, lam, positions, starts, weight):
    """Σ λ_z × minutes from the nearest van + weight × minutes driven (FAST: 1 km = 1 min)."""
    reach = sum(w * min(math.dist(p, zones[z]) for p in positions) for z, w in lam.items()) / 1000
    return reach + weight * sum(math.dist(a, b) for a, b in zip(starts, positions, strict=True)) / 1000


def test_enumeration_finds_the_brute_force_optimum():
    rng = np.random.default_rng(7)
    for _ in range(30):
        zones = {z: tuple(rng.uniform(0, 20000, 2)) for z in "ABCD"}
        lam = {z: float(rng.gamma(1.0, 1.0)) for z in zones}
        starts = [tuple(rng.uniform(0, 20000, 2)) for _ in range(int(rng.integers(1, 4)))]
        weight = float(rng.choice([0.0, 0.5]))
        day = _day(len(starts), DispatchRules(move_weight=weight), starts)
        day.reposition(540.0, lam, zones)
        chosen = _objective(zones, lam, _targets(day), starts, weight)
        options = [[s, *zones.values()] for s in starts]
        best = min(_objective(zones, lam, list(c), starts, weight) for c in itertools.product(*options))
        # moves shorter than 200 m are skipped, worth at most Σλ × 0.2 min
        assert chosen <= best + sum(lam.values()) * 0.2 + 1e-6


def test_coordinate_descent_ends_in_a_local_optimum_no_worse_than_staying():
    rng = np.random.default_rng(11)
    day = _day(1, DispatchRules(move_weight=1.0), [POINTS["A"]])
    for _ in range(50):
        k, m = int(rng.integers(2, 5)), int(rng.integers(2, 6))
        lam = rng.gamma(1.0, 1.0, m)
        fixed = np.full(m, math.inf)
        reach = [rng.uniform(0, 30, (int(rng.integers(1, m + 2)), m)) for _ in range(k)]
        move = [np.concatenate([[0.0], rng.uniform(0, 20, len(r) - 1)]) for r in reach]

        def cost(choice, fixed=fixed, reach=reach, move=move, lam=lam):
            cover = fixed.copy()
            for i, c in enumerate(choice):
                cover = np.minimum(cover, reach[i][c])
            return float(cover @ lam + sum(move[i][c] for i, c in enumerate(choice)))

        descent = list(day._coordinate_descent(fixed, reach, move, lam))
        assert cost(descent) <= cost([0] * k) + 1e-9
        for i in range(k):
            for c in range(len(reach[i])):
                assert cost(descent[:i] + [c] + descent[i + 1:]) >= cost(descent) - 1e-9


def test_large_fleets_fall_back_to_coordinate_descent_with_the_same_answer_here():
    demand = {"A": 3.0, "B": 0.0, "C": 3.0}
    exact = _day(2, DispatchRules(), [POINTS["A"], POINTS["A"]])
    exact.reposition(540.0, demand, POINTS)
    descent = _day(2, DispatchRules(max_enumeration=1), [POINTS["A"], POINTS["A"]])
    descent.reposition(540.0, demand, POINTS)
    assert sorted(_targets(exact)) == sorted(_targets(descent))


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="reposition_rule"):
        DispatchRules(reposition_rule="nearest")


def _templates() -> pd.DataFrame:
    desired = pd.to_datetime(["2024-08-01 09:10", "2024-08-01 09:40", "2024-08-02 10:05", "2024-08-02 09:20"])
    return pd.DataFrame({
        "request_id": ["t0", "t1", "t2", "t3"],
        "request_time": desired - pd.to_timedelta([30, 10, 20, 5], unit="min"),
        "desired_pickup_time": desired,
        "origin_x": [0.0, 1.0, 2.0, 3.0], "origin_y": 0.0, "dest_x": 9.0, "dest_y": 9.0,
        "passengers": [1, 2, 1, 1], "origin_zone": ["Z1", "Z1", "Z1", "Z2"], "dest_zone": "Z2",
        "origin_stop_id": ["a", "b", "c", "d"], "destination_stop_id": "z",
        "outcome": ["完了", "キャンセル", "完了", "配車不可"],
    })


def test_resampled_period_follows_the_intensity_and_copies_templates():
    hours = pd.date_range("2024-09-03 09:00", periods=2, freq="h")
    lam = pd.DataFrame({"zone": ["Z1", "Z2", "Z1", "Z2"], "hour": np.repeat(hours, 2),
                        "expected": [40.0, 20.0, 10.0, 0.0]})
    reps = [resample_requests(_templates(), lam, ["完了", "配車不可"], stream_rng(3, f"r{k}")) for k in range(30)]
    first = reps[0]
    # copies keep a template's stop, party and lead, and land in the drawn hour at its minute
    tpl = _templates().set_index("origin_stop_id")
    for row in first.itertuples():
        t = tpl.loc[row.origin_stop_id]
        assert row.passengers == t.passengers and row.origin_zone == t.origin_zone
        assert row.desired_pickup_time - row.request_time == t.desired_pickup_time - t.request_time
        assert row.desired_pickup_time.minute == t.desired_pickup_time.minute
    assert "outcome" not in first.columns and first["request_id"].is_unique
    assert first["request_time"].is_monotonic_increasing
    # Z1's 9 o'clock pool is t0 and t1; t1 was cancelled, so half the draws are dropped
    z1_nine = np.mean([((r["origin_zone"] == "Z1") & (r["desired_pickup_time"].dt.hour == 9)).sum() for r in reps])
    assert z1_nine == pytest.approx(40.0 / 2, rel=0.1)
    # Z2 has only t3 (配車不可, replayed): every draw is kept
    z2 = np.mean([(r["origin_zone"] == "Z2").sum() for r in reps])
    assert z2 == pytest.approx(20.0, rel=0.15)
    # hour 10 in Z1 draws from Z1's 10 o'clock pool (t2 only)
    ten = pd.concat([r[r["desired_pickup_time"].dt.hour == 10] for r in reps])
    assert set(ten["origin_stop_id"]) == {"c"}
    again = resample_requests(_templates(), lam, ["完了", "配車不可"], stream_rng(3, "r0"))
    pd.testing.assert_frame_equal(first, again)


def test_a_zone_without_earlier_requests_is_reported_not_silently_dropped(caplog):
    lam = pd.DataFrame({"zone": ["Z1", "Z9"], "hour": pd.to_datetime(["2024-09-03 09:00"] * 2), "expected": [5.0, 5.0]})
    with caplog.at_level("WARNING", logger="kogadx.dispatch"):
        out = resample_requests(_templates(), lam, ["完了", "配車不可"], stream_rng(1, "z"))
    assert "Z9" in caplog.text and set(out["origin_zone"]) <= {"Z1"}


def test_repositioning_decisions_use_no_blas_product():
    """BLAS kernels differ by CPU in the last bits (OPENBLAS_CORETYPE=Sandybridge vs the
    default kernels changed which waiting points the coverage rule chose in near-ties, and so
    the replicated comparison, on the same inputs). The dispatcher's objective is summed
    elementwise; a matrix product (``@``, ``np.dot``) in it would bring the difference back.
    ``python benchmarks/machine_independence.py --variant sandybridge`` checks the whole run."""
    import ast
    from pathlib import Path

    import kogadx.mobility.simulation as simulation

    tree = ast.parse(Path(simulation.__file__).read_text(encoding="utf-8"))
    products = [node.lineno for node in ast.walk(tree)
                if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)
                or isinstance(node, ast.Attribute) and node.attr in ("dot", "matmul", "einsum")]
    assert products == []
