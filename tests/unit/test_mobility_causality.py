"""No clairvoyance: what the vans did up to time t does not depend on requests made after t.

A dispatcher that moved, planned or offered with knowledge of later requests would look
better than any real operator (shorter waits). The check: simulate a day with every request,
then with only the requests made by t; the vans' positions at every minute up to t, the
pick-ups done by t and the decision (status, offered time) on every request made by t must
be identical. Re-optimisation and the forecast policy (which looks ``lookahead_min`` ahead)
are both on, since they are the parts that look forward; drivers' breaks are planned from the
start of the day, so they are on too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.mobility.params import DispatchRules
from kogadx.mobility.simulation import DispatchResult, Fleet, simulate_dispatch
from kogadx.synth.requests import generate_synthetic_requests

DAY = pd.Timestamp("2024-03-01")
RULES = DispatchRules(pickup_window_min=15, ride_time_alpha=1.5, ride_time_beta_min=5, dwell_min=1,
                      max_wait_min=30, lookahead_min=30, ride_now_access_min=2.0)
BREAKS = {"break_min": 30.0, "break_starts_h": (10.0, 10.5, 11.0), "break_flex_min": 20.0}
FLEET = Fleet(n_vehicles=3, depot_x=1500, depot_y=0, capacity=8, service_start_hour=9, service_end_hour=12)
CENTROIDS = pd.DataFrame({"zone": ["A", "B", "C"], "x": [0.0, 3000.0, 1500.0], "y": [0.0, 0.0, 2500.0]})


def _day() -> tuple[pd.DataFrame, pd.DataFrame]:
    """About 80 requests in 3 hours; leads 0–30 min, plus a third turned into ride-now."""
    rng = np.random.default_rng(7)
    hours = pd.date_range(DAY + pd.Timedelta(hours=9), periods=3, freq="h")
    rates = pd.DataFrame({"zone": ["A", "B", "C"] * 3, "hour": np.repeat(hours, 3),
                          "expected": [10.0, 8.0, 6.0] * 3})
    reqs = generate_synthetic_requests(rng, rates, CENTROIDS, lead_min=(0.0, 40.0))
    # a third booked "now" (0–59 s ahead), as the as-operated log has them
    now = rng.random(len(reqs)) < 0.35
    seconds = pd.to_timedelta(rng.integers(0, 60, len(reqs)), unit="s")
    reqs.loc[now, "request_time"] = reqs.loc[now, "desired_pickup_time"] - seconds[now]
    return reqs.sort_values(["request_time", "request_id"]).reset_index(drop=True), rates


def _positions(res: DispatchResult, t: float) -> np.ndarray:
    """(vehicle, minute, x, y) of every van at each whole minute from an hour before opening, and at ``t``."""
    times = np.r_[np.arange(FLEET.service_start_hour * 60 - 60, t, 1.0), t]
    out = []
    legs = res.legs.sort_values(["vehicle", "depart_min"], kind="stable")
    for v in range(FLEET.n_vehicles):
        leg = legs[legs["vehicle"] == v]
        dep, arr = leg["depart_min"].to_numpy(), leg["arrive_min"].to_numpy()
        k = np.searchsorted(dep, times, side="right") - 1  # the last leg begun by then
        f = np.clip((times - dep[k]) / np.maximum(arr[k] - dep[k], 1e-9), 0.0, 1.0)
        x0, x1, y0, y1 = (leg[c].to_numpy()[k] for c in ("x0", "x1", "y0", "y1"))
        x = np.where(k < 0, FLEET.depot_x, x0 + f * (x1 - x0))
        y = np.where(k < 0, FLEET.depot_y, y0 + f * (y1 - y0))
        out.append(np.column_stack([np.full(len(times), v), times, x, y]))
    return np.vstack(out)


def _known_by(res: DispatchResult, t: float) -> pd.DataFrame:
    """Decisions on requests made by ``t`` and the pick-ups done by ``t``."""
    trips = res.trips.set_index("request_id").sort_index()
    made = trips[trips["request_min"] <= t]
    done = trips[trips["pickup_min"] <= t]
    return pd.concat([made[["status", "offer_min"]].assign(kind="decided"),
                      done[["vehicle", "pickup_min"]].assign(kind="picked_up")])


@pytest.mark.parametrize(("policy", "breaks"), [("none", False), ("forecast", False), ("none", True)])
def test_vans_up_to_t_do_not_depend_on_requests_made_after_t(policy, breaks):
    reqs, rates = _day()
    rules = DispatchRules(**{**RULES.__dict__, **BREAKS}) if breaks else RULES
    request_min = ((reqs["request_time"] - DAY) / pd.Timedelta(minutes=1)).to_numpy()
    kwargs = {"zone_demand": rates, "zone_centroids": CENTROIDS} if policy == "forecast" else {}
    full = simulate_dispatch(reqs, FLEET, rules, policy=policy, reopt_interval_min=10, **kwargs)
    assert full.kpis["n_served"] > 30
    # re-optimisation adopted at least once, and the simulator's exact check refused no re-solved plan
    # (it refused 8 of 15 with breaks, 10 of 15 without, and none was adopted with breaks, while the
    # re-solve left the ride limit of riders already on board out and delayed pick-ups by slack, #17)
    assert full.kpis["n_reoptimised"] > 0
    assert full.kpis["n_reopt_refused"] == 0 and full.kpis["n_reopt_solves"] >= 10
    assert len(full.breaks) == (FLEET.n_vehicles if breaks else 0)
    # just before four ride-now requests (a van moving toward one too early shows at once),
    # spread over the day
    ride_now = full.trips[(full.trips["booking"] == "ride_now") & (full.trips["status"] == "served")]
    picks = np.sort(ride_now["request_min"].to_numpy())
    picks = picks[picks < 11 * 60 + 20]  # leaves later requests to remove
    assert len(picks) >= 8
    for t in picks[np.linspace(1, len(picks) - 2, 4).astype(int)] - 1e-3:
        cut = simulate_dispatch(reqs[request_min <= t], FLEET, rules, policy=policy, reopt_interval_min=10,
                                **kwargs)
        # the later requests exist and changed something after t (else the check proves nothing)
        assert (request_min > t).sum() > 5
        assert not full.trips["pickup_min"].dropna().sort_values().reset_index(drop=True).equals(
            cut.trips["pickup_min"].dropna().sort_values().reset_index(drop=True))
        np.testing.assert_array_equal(_positions(full, t), _positions(cut, t),
                                      err_msg=f"車両の位置が {t} 分より後の依頼で変わった")
        pd.testing.assert_frame_equal(_known_by(full, t), _known_by(cut, t))
