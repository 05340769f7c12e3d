"""DARP solver, Cordeau loader and the independent checker (including planted violations)."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from kogadx.io import InputFileError
from kogadx.mobility.checker import check_solution
from kogadx.mobility.cli import load_cordeau
from kogadx.mobility.darp import schedule_route, solve_darp, tighten_windows
from kogadx.mobility.model import DarpInstance, DarpNode, DarpVehicle

# 4 requests on a line/square, 2 vehicles of capacity 2; requests 1-2 outbound (drop-off
# window), 3-4 inbound (pick-up window). Written in Cordeau's file layout.
TINY = """2 4 120 2 15
0 0 0 0 0 0 120
1 1 0 1 1 0 1440
2 0 2 1 1 0 1440
3 5 5 1 1 20 30
4 -4 1 1 1 10 25
5 6 0 1 -1 15 30
6 0 8 1 -1 25 40
7 9 5 1 -1 0 1440
8 -8 -1 1 -1 0 1440
9 0 0 0 0 0 120
"""


@pytest.fixture()
def tiny(tmp_path) -> DarpInstance:
    path = tmp_path / "tiny.txt"
    path.write_text(TINY, encoding="utf-8")
    return load_cordeau(path)


def _line_instance(capacity: int = 3, ride: float = 10.0) -> DarpInstance:
    """Two requests along the x axis with wide windows, to plant violations by hand."""
    nodes = (
        DarpNode(0, 0, 0, 0, 0, 0, 100),
        DarpNode(1, 1, 0, 1, 1, 0, 100),
        DarpNode(2, 2, 0, 1, 1, 0, 100),
        DarpNode(3, 3, 0, 1, -1, 0, 100),
        DarpNode(4, 4, 0, 1, -1, 0, 100),
        DarpNode(5, 0, 0, 0, 0, 0, 100),
    )
    return DarpInstance("line", 2, nodes, (DarpVehicle(capacity, 100),), ride)


def test_loader_reads_cordeau_layout(tiny):
    assert tiny.n_requests == 4
    assert tiny.n_vehicles == 2
    assert tiny.vehicles[0].capacity == 2
    assert tiny.max_ride_time == 15
    assert tiny.end_depot == 9
    assert tiny.nodes[3].earliest == 20 and tiny.nodes[3].latest == 30
    assert tiny.distance_matrix()[0, 3] == pytest.approx(50**0.5)


def test_loader_names_line_and_column_on_bad_value(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(TINY.replace("3 5 5 1 1 20 30", "3 5 5 1 1 x 30"), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"5 行目 列 e"):
        load_cordeau(path)


def test_loader_rejects_unpaired_loads(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(TINY.replace("6 0 8 1 -1 25 40", "6 0 8 1 -2 25 40"), encoding="utf-8")
    with pytest.raises(InputFileError, match="依頼 2"):
        load_cordeau(path)


def test_tiny_instance_solved_and_passes_checker(tiny):
    sol = solve_darp(tiny, time_limit_s=1.0)
    assert sol.status == "solved"
    check = check_solution(tiny, sol.routes, sol.start_times)
    assert check.violations == []
    assert check.cost == pytest.approx(sol.cost)
    served = sorted(v for r in sol.routes for v in r[1:-1])
    assert served == list(range(1, 9))
    assert check.max_ride_time <= tiny.max_ride_time + 1e-6


def test_tightened_windows_contain_solver_schedule(tiny):
    e, lt = tighten_windows(tiny)
    assert (e <= lt).all()
    sol = solve_darp(tiny, time_limit_s=0.5)
    for route, times in zip(sol.routes, sol.start_times, strict=True):
        for node, t in zip(route[1:-1], times[1:-1], strict=True):
            assert e[node] - 1e-6 <= t <= lt[node] + 1e-6


def test_schedule_route_detects_infeasible_sequence():
    inst = _line_instance(ride=2.5)
    # Carrying request 1 past request 2's whole trip exceeds a 2.5-minute ride.
    assert schedule_route(inst, [0, 1, 2, 4, 3, 5]) is None
    times = schedule_route(inst, [0, 1, 3, 2, 4, 5])
    assert times is not None
    assert check_solution(inst, [[0, 1, 3, 2, 4, 5]], [times]).feasible


def test_checker_detects_ride_time_violation():
    inst = _line_instance(ride=10.0)
    route = [0, 1, 3, 2, 4, 5]
    good = schedule_route(inst, route)
    assert check_solution(inst, [route], [good]).feasible
    bad = list(good)
    # Wait 15 minutes at the drop-off of request 1 (and shift the rest).
    bad[2:] = [t + 15 for t in bad[2:]]
    result = check_solution(inst, [route], [bad])
    assert not result.feasible
    assert any("依頼 1: 乗車時間" in v for v in result.violations)


def test_checker_detects_capacity_violation():
    inst = _line_instance(capacity=1, ride=50)
    route = [0, 1, 2, 3, 4, 5]
    times = schedule_route(inst, route)
    result = check_solution(inst, [route], [times])
    assert not result.feasible
    assert any("定員 1 を超えています" in v for v in result.violations)


def test_checker_detects_time_window_and_arrival_violations(tiny):
    sol = solve_darp(tiny, time_limit_s=0.5)
    times = copy.deepcopy(sol.start_times)
    # Request 3 is inbound with pick-up window [20, 30]; start its service too late.
    v = next(k for k, r in enumerate(sol.routes) if 3 in r)
    pos = sol.routes[v].index(3)
    times[v][pos] = 31.0
    result = check_solution(tiny, sol.routes, times)
    assert any("ノード 3 の開始時刻" in m and "時間窓" in m for m in result.violations)
    # Starting service before the vehicle can arrive is also caught.
    times = copy.deepcopy(sol.start_times)
    times[v][pos] = times[v][pos - 1]
    result = check_solution(tiny, sol.routes, times)
    assert any("より前に" in m for m in result.violations)


def test_checker_detects_unserved_and_split_requests(tiny):
    sol = solve_darp(tiny, time_limit_s=0.5)
    routes = [list(r) for r in sol.routes]
    times = [list(t) for t in sol.start_times]
    v = next(k for k, r in enumerate(routes) if 1 in r)
    pos = routes[v].index(1)
    del routes[v][pos], times[v][pos]
    result = check_solution(tiny, routes, times)
    assert any("依頼 1 が未処理" in m for m in result.violations)


@pytest.mark.shared
def test_cordeau_a2_16_solved_and_checked(shared_dir):
    folder = shared_dir / "benchmarks" / "darp_cordeau2006"
    inst = load_cordeau(folder / "original" / "a2-16.txt")
    bks = float(pd.read_csv(folder / "bks.csv").set_index("instance").loc["a2-16", "bks_2dp"])
    sol = solve_darp(inst, time_limit_s=3.0)
    check = check_solution(inst, sol.routes, sol.start_times)
    assert sol.status == "solved"
    assert check.violations == []
    assert check.cost >= bks - 0.01  # cannot beat the proven optimum
    assert check.cost <= bks * 1.10


def test_arc_elimination_keeps_every_arc_of_feasible_routes():
    """Brute force on 3 requests: no arc of any feasible single-vehicle route is removed."""
    import itertools

    from kogadx.mobility.darp import infeasible_arcs

    nodes = (
        DarpNode(0, 0, 0, 0, 0, 0, 200),
        DarpNode(1, 2, 1, 1, 1, 0, 1440),
        DarpNode(2, -3, 2, 1, 1, 10, 40),
        DarpNode(3, 4, -2, 1, 2, 0, 30),
        DarpNode(4, 5, 4, 1, -1, 15, 50),
        DarpNode(5, 0, 6, 1, -1, 0, 1440),
        DarpNode(6, -4, -4, 1, -2, 0, 1440),
        DarpNode(7, 0, 0, 0, 0, 0, 200),
    )
    inst = DarpInstance("brute", 3, nodes, (DarpVehicle(3, 200),), 15.0)
    e, lt = tighten_windows(inst)
    bad = infeasible_arcs(inst, e, lt, inst.travel_time_matrix())
    assert bad[1:7, 1:7].sum() > 6  # more than the self-loops are removed
    n_feasible = 0
    for perm in itertools.permutations(range(1, 7)):
        if any(perm.index(i) > perm.index(i + 3) for i in (1, 2, 3)):
            continue
        route = [0, *perm, 7]
        times = schedule_route(inst, route)
        if times is None or not check_solution(inst, [route], [times]).feasible:
            continue
        n_feasible += 1
        assert not any(bad[a, b] for a, b in itertools.pairwise(route)), route
    assert n_feasible > 0


def test_portfolio_sequential_returns_best_checked_solution(tiny):
    from kogadx.mobility.darp import solve_darp_portfolio

    sol = solve_darp_portfolio(tiny, time_limit_s=0.3, workers=1)
    assert sol.status == "solved"
    assert check_solution(tiny, sol.routes, sol.start_times).feasible
