"""Counters per hour for the venue week: Erlang C to start, then checked by simulation.

For each scenario the forecast arrivals are reshaped (a longer venue, appointments), each
visit's minutes are resampled from the past log (shortened for households that sent their
documents online), and each venue day is planned on its own (the queue empties overnight):
start every hour at the fewest counters whose Erlang C wait quantile meets the target, then
simulate the day ``replications`` times and add a counter to the worst hour until every hour's
simulated wait quantile meets it. Erlang C assumes random arrivals and exponential service; the
simulation uses the log's service times and the appointment schedule, so it has the last word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.counter.params import CounterParams, CounterScenario
from kogadx.counter.queue import CounterInputError, serve, servers_for_target


@dataclass(frozen=True)
class ScenarioPlan:
    """A scenario's plan (date, hour, arrivals, counters, simulated waits) and its summary."""

    plan: pd.DataFrame
    summary: dict[str, float | int | str]


def scenario_arrivals(venue: pd.DataFrame, scenario: CounterScenario) -> pd.DataFrame:
    """Venue-week mean arrivals by day index × hour under the scenario (columns day, hour, walk_in, booked).

    A longer venue spreads the same visitors: its first and last days keep the forecast's first-
    and last-day shares of the week, the days between share the rest equally; each day keeps the
    week's mean hourly profile. Appointments move ``appointment_share`` of each day's visitors
    into the appointment hours, evenly.
    """
    days = sorted(venue["position"].unique())
    table = venue.pivot_table(index="position", columns="hour", values="mean", aggfunc="sum").loc[days]
    total = float(table.to_numpy().sum())
    n = scenario.venue_days
    if n == len(days):
        daily = table.sum(axis=1).to_numpy()
    else:
        day_totals = table.sum(axis=1).to_numpy()
        if n == 1:
            daily = np.array([total])
        else:
            first, last = day_totals[0], day_totals[-1]
            scale = n / len(days) if len(days) else 1.0
            edge = np.array([first, last]) / scale
            middle = max(total - edge.sum(), 0.0) / max(n - 2, 1)
            daily = np.array([edge[0], *([middle] * (n - 2)), edge[1]])
            daily *= total / daily.sum()
    profile = table.sum(axis=0) / total if total > 0 else table.sum(axis=0)
    rows = []
    lo, hi = scenario.appointment_hours
    appt_hours = [h for h in profile.index if lo <= h < hi]
    for k, day_total in enumerate(daily):
        booked_total = scenario.appointment_share * day_total
        for h, share in profile.items():
            walk = (1 - scenario.appointment_share) * day_total * float(share)
            booked = booked_total / len(appt_hours) if int(h) in appt_hours else 0.0
            rows.append((k, int(h), walk, booked))
    return pd.DataFrame(rows, columns=["day", "hour", "walk_in", "booked"])


def _simulate_day(rng: np.random.Generator, day: pd.DataFrame, counters: list[int], service_pool: np.ndarray,
                  uptake: float, saving: float, first_hour: int) -> tuple[np.ndarray, np.ndarray]:
    """One simulated venue day: waits and the arrival hour of each visitor."""
    arrivals: list[np.ndarray] = []
    for k, row in enumerate(day.itertuples()):
        n_walk = rng.poisson(row.walk_in)
        arrivals.append(60 * k + rng.uniform(0, 60, n_walk))
        n_book = int(rng.poisson(row.booked))
        if n_book:
            arrivals.append(60 * k + (np.arange(n_book) + 0.5) * 60 / n_book)  # booked slots, on time
    times = np.sort(np.concatenate(arrivals)) if arrivals else np.array([])
    if not len(times):
        return np.array([]), np.array([], dtype=int)
    service = rng.choice(service_pool, size=len(times))
    online = rng.random(len(times)) < uptake
    service = np.where(online, service * (1 - saving), service)
    start, _ = serve(times, service, servers_by_hour=counters)
    waits = start - times
    waits[waits < 1e-9] = 0.0  # served on arrival: float noise of the event clock, not a wait
    return waits, first_hour + np.minimum((times // 60).astype(int), len(counters) - 1)


def _hour_quantiles(waits: np.ndarray, hours: np.ndarray, hour_list: list[int], q: float) -> np.ndarray:
    return np.array([np.quantile(waits[hours == h], q) if (hours == h).any() else 0.0 for h in hour_list])


def plan_scenario(venue: pd.DataFrame, service_pool: np.ndarray, scenario: CounterScenario,
                  params: CounterParams, rng: np.random.Generator,
                  fixed_counters: int | None = None) -> ScenarioPlan:
    """Plan (or, with ``fixed_counters``, only evaluate) the venue week under one scenario."""
    if len(service_pool) == 0 or not float(np.min(service_pool)) > 0:
        raise CounterInputError("過去の受付ログに正の処理時間がありません (終了日時 − 呼出日時)")
    arrivals = scenario_arrivals(venue, scenario)
    mean_service = float(service_pool.mean()) * (1 - scenario.online_uptake * params.online_saving)
    hour_list = sorted(arrivals["hour"].unique())
    rows, all_waits = [], []
    for k, day in arrivals.groupby("day", sort=True):
        day = day.sort_values("hour")
        lam = (day["walk_in"] + day["booked"]).to_numpy()
        if fixed_counters is not None:
            counters = [fixed_counters] * len(lam)
        else:
            counters = [max(1, servers_for_target(x, mean_service, params.wait_target_min, params.wait_quantile,
                                                  params.max_counters)) if x > 0 else 1 for x in lam]
        for _ in range(3 * params.max_counters):
            sims = [_simulate_day(rng, day, counters, service_pool, scenario.online_uptake, params.online_saving,
                                  hour_list[0]) for _ in range(params.replications)]
            waits = np.concatenate([s[0] for s in sims])
            hours = np.concatenate([s[1] for s in sims])
            per_hour = _hour_quantiles(waits, hours, hour_list, params.wait_quantile)
            worst = int(np.argmax(per_hour - params.wait_target_min))
            if fixed_counters is not None or per_hour[worst] <= params.wait_target_min:
                break
            if counters[worst] >= params.max_counters:
                break
            counters[worst] += 1
        all_waits.append(waits)
        for h, c, x, w in zip(hour_list, counters, lam, per_hour, strict=True):
            rows.append({"scenario": scenario.name, "day": int(k) + 1, "hour": int(h), "arrivals": float(x),
                         "counters": int(c), "p90_wait_min": float(w)})
    plan = pd.DataFrame(rows)
    waits = np.concatenate(all_waits) if all_waits else np.array([0.0])
    summary: dict[str, float | int | str] = {
        "scenario": scenario.name, "online_uptake": scenario.online_uptake, "venue_days": scenario.venue_days,
        "appointment_share": scenario.appointment_share,
        "staff_hours": float(plan["counters"].sum() * params.staff_per_counter),
        "max_counters": int(plan["counters"].max()),
        "mean_wait_min": float(waits.mean()), "p90_wait_min": float(np.quantile(waits, params.wait_quantile)),
        "worst_hour_p90_min": float(plan["p90_wait_min"].max()),
        "mean_service_min": mean_service,
    }
    return ScenarioPlan(plan, summary)
