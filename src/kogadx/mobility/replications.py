"""How sure are the policy differences? Redrawn periods and paired statistics.

* **Paired wait difference on the replay** (:func:`paired_wait_difference`): mean wait of each
  policy minus "none" over the requests both served, with a day-block bootstrap interval
  (requests of a day share the vans' state, so days are the units).
* **Re-optimisation against insertion** (:func:`run_reopt_comparison`): the operator's
  policy with and without rolling re-optimisation on the replay and on redrawn periods (the
  replications' seeds), paired per period.
* **Replications** (:func:`run_replications`, synthetic data only): one replay is one draw of
  the requests, so policy differences on it carry that draw's luck. With the true λ known,
  :func:`resample_requests` draws ``n`` more periods from it and every policy runs on each at
  the default fleet, plus two controls (``uniform``: vans spread evenly, no spatial
  information; ``history``: the 4-week average instead of the model); paired differences of
  the per-replication mean wait have t 95 % intervals (replications are independent draws).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kogadx.mobility.expected_demand import ExpectedDemand
from kogadx.mobility.inputs import Replay, Service
from kogadx.mobility.params import Reopt, Replications
from kogadx.mobility.simulation import DispatchResult, round_metric
from kogadx.mobility.whatif import parallel_map
from kogadx.rng import stream_rng

REPLICATION_KPIS = ("served_rate", "wait_mean_min", "wait_p95_min", "empty_km", "vehicle_km")


def resample_requests(templates: pd.DataFrame, intensity: pd.DataFrame, outcomes: tuple[str, ...] | list[str],
                      rng: np.random.Generator, prefix: str = "S") -> pd.DataFrame:
    """Another realisation of the replay period drawn from a known intensity (oracle runs).

    For every zone × hour of ``intensity`` (zone, hour, expected = λ over all outcomes) the
    number of requests is Poisson(λ); each is a copy of a random earlier request
    (``templates``, from :func:`kogadx.mobility.inputs.prepare_requests` with every outcome)
    with the same origin zone and hour of day (any hour of the zone if that pool is empty):
    its stops, party size, booking lead, minute within the hour and outcome. Copies whose
    outcome is not in ``outcomes`` (cancellations) are dropped, exactly as in the replay set.
    """
    tpl = templates.assign(_hod=templates["desired_pickup_time"].dt.hour,
                           _minute=(templates["desired_pickup_time"] - templates["desired_pickup_time"].dt.floor("h"))
                           / pd.Timedelta(minutes=1),
                           _lead=templates["desired_pickup_time"] - templates["request_time"])
    pools = {key: grp.index.to_numpy() for key, grp in tpl.groupby(["origin_zone", "_hod"], sort=True)}
    by_zone = {z: grp.index.to_numpy() for z, grp in tpl.groupby("origin_zone", sort=True)}
    lam = intensity.sort_values(["hour", "zone"], kind="stable")
    lam = lam[lam["expected"] > 0]
    n = rng.poisson(lam["expected"].to_numpy(float))
    picks, hours = [], []
    missing = sorted(set(lam["zone"].astype(str)) - set(by_zone))
    if missing:  # λ there cannot be drawn: say so rather than thin the period silently
        logging.getLogger("kogadx.dispatch").warning(
            "ゾーン %s には過去の予約がないため、作り直した期間に含めていません", "、".join(missing))
    for zone, hour, k in zip(lam["zone"].astype(str), pd.to_datetime(lam["hour"]), n, strict=True):
        if k == 0:
            continue
        pool = pools.get((zone, hour.hour), by_zone.get(zone))
        if pool is None or len(pool) == 0:
            continue
        picks.append(pool[rng.integers(0, len(pool), int(k))])
        hours.extend([hour] * int(k))
    if not picks:
        return templates.iloc[:0].drop(columns="outcome", errors="ignore")
    rows = tpl.loc[np.concatenate(picks)].reset_index(drop=True)
    desired = pd.Series(pd.to_datetime(hours)).astype("datetime64[us]") + pd.to_timedelta(rows["_minute"], unit="min")
    out = rows.assign(desired_pickup_time=desired.to_numpy(), request_time=(desired - rows["_lead"]).to_numpy())
    out = out[out["outcome"].isin(outcomes)].reset_index(drop=True)
    out["request_id"] = [f"{prefix}{k:06d}" for k in range(len(out))]
    out = out.drop(columns=["_hod", "_minute", "_lead", "outcome"])
    return out.sort_values(["request_time", "request_id"], kind="stable").reset_index(drop=True)


def replication_demand(demand: ExpectedDemand) -> dict[str, pd.DataFrame | None]:
    """Expected-demand tables of the replicated comparison: ``forecast`` (the model),
    ``history`` (4-week average), ``uniform`` (each hour's forecast total spread evenly over
    the zones) and ``oracle`` (true λ; None without truth)."""
    table = demand.table
    flat = table.assign(expected=table.groupby("hour")["expected"].transform("mean"))
    return {"forecast": table, "history": demand.history, "uniform": flat, "oracle": demand.oracle}


def simulate_with_demand(requests: pd.DataFrame, service: Service, demand: pd.DataFrame | None,
                         oracle: bool = False) -> DispatchResult:
    """The default fleet on ``requests``: no repositioning when ``demand`` is None, else
    repositioning by ``demand`` (policy "oracle" when it is the true λ, "forecast" otherwise)."""
    policy = "none" if demand is None else ("oracle" if oracle else "forecast")
    return service.simulate(requests, policy, demand)


@dataclass(frozen=True)
class _ReplicationJob:
    """One redrawn period and its simulations, one per policy (a unit for a worker process)."""

    k: int
    replay: Replay
    service: Service
    oracle: pd.DataFrame
    tables: dict[str, pd.DataFrame | None]
    policies: tuple[str, ...]
    seed: int

    def __call__(self) -> list[dict[str, Any]]:
        reqs = resample_requests(self.replay.templates, self.oracle, self.replay.outcomes,
                                 stream_rng(self.seed, f"replication_{self.k}"), prefix=f"S{self.k}-")
        rows = []
        for policy in self.policies:
            res = simulate_with_demand(reqs, self.service, self.tables.get(policy), oracle=policy == "oracle")
            rows.append({"replication": self.k, "policy": policy, **{key: res.kpis[key] for key in
                                                                      ("n_requests", *REPLICATION_KPIS)}})
        return rows


def _run(job: _ReplicationJob) -> list[dict[str, Any]]:
    return job()


def run_replications(replay: Replay, service: Service, demand: ExpectedDemand, config: Replications,
                     seed: int, workers: int = 1) -> dict[str, Any]:
    """The default fleet on ``config.n`` fresh realisations of the replay period (needs the
    true λ, ``demand.oracle``), seeded ``replication_<k>``, with every policy of
    ``config.policies`` that has its demand table.

    Returns the metrics: mean KPIs per policy and paired differences of the per-replication
    mean wait with a t 95 % interval.
    """
    if demand.oracle is None:
        raise ValueError("作り直し (replications) には真の需要 λ が必要です")
    tables = replication_demand(demand)
    policies = [p for p in config.policies if p == "none" or tables.get(p) is not None]
    jobs = [_ReplicationJob(k, replay, service, demand.oracle, tables, tuple(policies), seed) for k in range(config.n)]
    runs = parallel_map(_run, jobs, workers, "配車: 繰り返し (需要の引き直し)")
    table = pd.DataFrame([row for rows in runs for row in rows])
    wide = table.pivot(index="replication", columns="policy", values="wait_mean_min")
    means = table.groupby("policy", sort=False).mean(numeric_only=True)
    metrics: dict[str, Any] = {
        "n": config.n, "n_vehicles": service.fleet.n_vehicles,
        "n_requests_mean": round_metric(float(table[table["policy"] == policies[0]]["n_requests"].mean())),
        "policies": {p: {key: round_metric(float(means.at[p, key])) for key in REPLICATION_KPIS} for p in policies},
        "paired": _paired_comparisons(wide, policies),
    }
    if {"forecast", "oracle"} <= set(policies):
        metrics["oracle_at_most_forecast"] = bool(means.at["oracle", "wait_mean_min"]
                                                  <= means.at["forecast", "wait_mean_min"])
    return metrics


def _paired_comparisons(wide: pd.DataFrame, policies: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each policy against none; forecast against oracle; the controls against forecast."""
    comparisons = {f"{p}_vs_none": paired_t_interval(wide[p] - wide["none"]) for p in policies if p != "none"}
    if {"forecast", "oracle"} <= set(policies):
        comparisons["forecast_vs_oracle"] = paired_t_interval(wide["forecast"] - wide["oracle"])
    for other in ("history", "uniform"):
        if {other, "forecast"} <= set(policies):
            comparisons[f"{other}_vs_forecast"] = paired_t_interval(wide[other] - wide["forecast"])
    return comparisons


def paired_t_interval(diff: pd.Series, key: str = "wait_mean_min") -> dict[str, Any]:
    """Mean of paired differences with a t 95 % interval, and the share of pairs below 0
    (reported as ``<key>_diff``; the wait by default)."""
    from scipy import stats

    d = diff.to_numpy(float)
    half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else math.nan
    name = "wait_mean_diff_min" if key == "wait_mean_min" else f"{key}_diff"
    return {name: round_metric(float(d.mean())), "ci95_low": round_metric(float(d.mean()) - half),
            "ci95_high": round_metric(float(d.mean()) + half),
            "share_replications_lower": round_metric(float((d < 0).mean()))}


def paired_wait_difference(results: Mapping[str, DispatchResult], rng: np.random.Generator,
                           draws: int) -> dict[str, Any]:
    """Mean wait of each policy minus "none" (minutes) over the requests both served, with a
    95 % interval from a bootstrap over service days (days resampled with replacement;
    requests of a day share the vans' state, so days, not requests, are the units)."""
    if "none" not in results:
        return {}
    base = results["none"].trips.set_index("request_id")
    out = {}
    for policy, res in results.items():
        if policy == "none":
            continue
        other = res.trips.set_index("request_id")
        both = base.index[(base["status"] == "served") & (other.loc[base.index, "status"] == "served")]
        diff = (other.loc[both, "wait_min"] - base.loc[both, "wait_min"]).to_numpy(float)
        days = base.loc[both, "service_date"].to_numpy()
        uniq, inv = np.unique(days, return_inverse=True)
        sums = np.bincount(inv, weights=diff, minlength=len(uniq))
        cnts = np.bincount(inv, minlength=len(uniq)).astype(float)
        pick = rng.integers(0, len(uniq), size=(draws, len(uniq)))
        boot = sums[pick].sum(axis=1) / np.maximum(cnts[pick].sum(axis=1), 1.0)
        lo, hi = np.percentile(boot, [2.5, 97.5])
        out[policy] = {"n_paired": int(len(both)), "wait_mean_diff_min": round_metric(float(diff.mean())),
                       "ci95_low": round_metric(float(lo)), "ci95_high": round_metric(float(hi)),
                       "share_requests_faster": round_metric(float((diff < -1e-9).mean())),
                       "share_requests_slower": round_metric(float((diff > 1e-9).mean()))}
    return out


REOPT_KPIS = ("served_rate", "wait_mean_min", "wait_p95_min", "vehicle_km", "empty_km",
              "rides_per_vehicle_revenue_hour")


@dataclass(frozen=True)
class _ReoptJob:
    """One period (k = -1: the replay itself) simulated by insertion and with re-optimisation."""

    k: int
    replay: Replay
    service: Service
    oracle: pd.DataFrame | None
    interval_min: float
    seed: int

    def __call__(self) -> dict[str, Any]:
        if self.k < 0:
            reqs = self.replay.requests
        else:
            reqs = resample_requests(self.replay.templates, self.oracle, self.replay.outcomes,
                                     stream_rng(self.seed, f"replication_{self.k}"), prefix=f"S{self.k}-")
        base = self.service.simulate(reqs)
        reopt = self.service.simulate(reqs, reopt_interval_min=self.interval_min)
        return {"k": self.k, "insertion": {key: base.kpis[key] for key in REOPT_KPIS},
                "reopt": {key: reopt.kpis[key]
                          for key in (*REOPT_KPIS, "n_reopt_solves", "n_reoptimised", "n_reopt_refused")}}


def _run_reopt(job: _ReoptJob) -> dict[str, Any]:
    return job()


def run_reopt_comparison(replay: Replay, service: Service, oracle: pd.DataFrame | None, config: Reopt, seed: int,
                         workers: int = 1) -> dict[str, Any]:
    """Insertion against rolling re-optimisation (policy none, default fleet) on the replay
    and on ``config.replications`` redrawn periods (seeds ``replication_<k>``, the same
    periods as :func:`run_replications`; needs the true λ). Paired differences
    (re-optimisation − insertion) of the per-period mean wait and vehicle-km with t 95 %
    intervals."""
    n = config.replications if oracle is not None else 0
    jobs = [_ReoptJob(k, replay, service, oracle, config.interval_min, seed) for k in range(-1, n)]
    rows = parallel_map(_run_reopt, jobs, workers, "配車: 再最適化と挿入の比較")
    out: dict[str, Any] = {
        "interval_min": config.interval_min, "n_vehicles": service.fleet.n_vehicles, "policy": "none",
        "replay": {kind: {k: round_metric(v) for k, v in rows[0][kind].items()} for kind in ("insertion", "reopt")},
        "replications": n,
    }
    if n:
        reps = rows[1:]
        out["mean"] = {kind: {key: round_metric(float(np.mean([r[kind][key] for r in reps]))) for key in REOPT_KPIS}
                       for kind in ("insertion", "reopt")}
        out["paired"] = {
            key: paired_t_interval(pd.Series([r["reopt"][key] - r["insertion"][key] for r in reps]), key)
            for key in ("wait_mean_min", "vehicle_km", "served_rate")}
    return out
