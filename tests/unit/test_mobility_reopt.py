"""Rolling re-optimisation of the open requests (kogadx.mobility.reopt) on small days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kogadx.mobility.params import DispatchRules
from kogadx.mobility.simulation import Fleet, StraightLineTravelTime, _Day, _Stop, check_dispatch, simulate_dispatch
from kogadx.synth.requests import generate_synthetic_requests

DAY = pd.Timestamp("2024-03-01")
RULES = DispatchRules(pickup_window_min=15, ride_time_alpha=1.5, ride_time_beta_min=5, dwell_min=1)
FLEET = Fleet(n_vehicles=3, depot_x=1500, depot_y=0, capacity=8, service_start_hour=9, service_end_hour=12)


def _busy_day() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    cents = pd.DataFrame({"zone": ["A", "B", "C"], "x": [0.0, 3000.0, 1500.0], "y": [0.0, 0.0, 2500.0]})
    hours = pd.date_range(DAY + pd.Timedelta(hours=9), periods=3, freq="h")
    rates = pd.DataFrame({"zone": ["A", "B", "C"] * 3, "hour": np.repeat(hours, 3), "expected": [8.0, 6.0, 5.0] * 3})
    return generate_synthetic_requests(rng, rates, cents, lead_min=(5.0, 40.0))


def test_reoptimised_day_keeps_every_promise_and_is_deterministic():
    reqs = _busy_day()
    base = simulate_dispatch(reqs, FLEET, RULES)
    one = simulate_dispatch(reqs, FLEET, RULES, reopt_interval_min=10)
    two = simulate_dispatch(reqs, FLEET, RULES, reopt_interval_min=10)
    assert one.kpis["n_reoptimised"] > 0  # the re-solve found cheaper plans at least once
    assert check_dispatch(one, FLEET, RULES) == []
    pd.testing.assert_frame_equal(one.trips, two.trips)
    assert one.kpis["n_requests"] == base.kpis["n_requests"]
    # the insertion-only run is untouched by the option being available
    assert "n_reoptimised" not in base.kpis


def _stop(req, pickup, x, y, earliest, latest=np.inf, desired=0.0):
    return _Stop(req, pickup, x, y, earliest, latest, 1, 60.0, desired)


def test_reoptimise_swaps_badly_assigned_requests_and_lowers_the_cost():
    """Van 0 (west) was given the eastern rider, van 1 (east) the western one: the re-solve
    swaps them, and the adopted plans cost less with every window still kept."""
    travel = StraightLineTravelTime(1.3, 20.0)
    fleet = Fleet(n_vehicles=2, depot_x=0, depot_y=0, capacity=8, service_start_hour=9, service_end_hour=17)
    day = _Day(fleet, RULES, travel, DAY)
    west, east = day.vehicles
    east.x = 4000.0
    west.plan = [_stop(0, True, 4000, 500, 600, 615, 600), _stop(0, False, 4000, 1500, 0)]
    east.plan = [_stop(1, True, 0, 500, 600, 615, 600), _stop(1, False, 0, 1500, 0)]
    day.assigned = {0: 0, 1: 1}
    before = sum(day.plan_cost(v, 560.0, v.plan) for v in day.vehicles)
    assert day.reoptimise(560.0)
    after = sum(day.plan_cost(v, 560.0, v.plan) for v in day.vehicles)
    assert after < before - 1.0
    assert [s.req for s in west.plan] == [1, 1] and [s.req for s in east.plan] == [0, 0]
    assert day.assigned == {0: 1, 1: 0}


def test_reoptimise_keeps_riders_on_board_on_their_van():
    travel = StraightLineTravelTime(1.3, 20.0)
    fleet = Fleet(n_vehicles=2, depot_x=0, depot_y=0, capacity=8, service_start_hour=9, service_end_hour=17)
    day = _Day(fleet, RULES, travel, DAY)
    west, east = day.vehicles
    east.x = 4000.0
    west.load = 1
    day.pickup_start[5] = 550.0  # rider 5 boarded van 0 at 9:10 and rides to the east
    west.plan = [_stop(5, False, 4000, 200, 0), _stop(0, True, 0, 300, 600, 615, 600), _stop(0, False, 0, 900, 0)]
    east.plan = [_stop(1, True, 4000, 300, 600, 615, 600), _stop(1, False, 4000, 900, 0)]
    day.reoptimise(552.0)
    assert 5 in [s.req for s in west.plan] and 5 not in [s.req for s in east.plan]
    for v in day.vehicles:
        assert day.plan_cost(v, 552.0, v.plan) is not None


def test_resolve_sees_the_ride_limit_of_a_rider_already_on_board():
    """The open problem has no pick-up for a rider on board: the ride limit must come as the
    drop-off's deadline (pick-up start + dwell + limit), or the solver delays the drop-off."""
    travel = StraightLineTravelTime(1.3, 20.0)
    fleet = Fleet(n_vehicles=2, depot_x=0, depot_y=0, capacity=8, service_start_hour=9, service_end_hour=17)
    day = _Day(fleet, RULES, travel, DAY)
    west, east = day.vehicles
    west.load = 1
    day.pickup_start[5] = 550.0
    west.plan = [_stop(0, True, 0, 300, 600, 615, 600), _stop(5, False, 4000, 200, 0), _stop(0, False, 0, 900, 0)]
    east.plan = [_stop(1, True, 4000, 300, 600, 615, 600), _stop(1, False, 4000, 900, 0)]
    stops = west.plan + east.plan
    problem = day._open_problem(552.0, stops)
    # the rider on board: 550 + dwell 1 + limit 60 (see _stop); the others keep their own latest
    np.testing.assert_allclose(problem.latest, [615.0, 611.0, np.inf, 615.0, np.inf])
