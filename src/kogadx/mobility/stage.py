"""DVC stage ``dispatch``: replay のるーと古賀 ride requests through the online dispatcher.

:func:`run_dispatch` turns the pseudonymized ride requests and stops, the demand forecast or
panel and (for the oracle only) the true intensity λ into KPIs per repositioning policy, a
fleet what-if table, figures, the headline series and one MLflow run per scenario. It is
pure (frames and typed params in, :class:`kogadx.stage.StageOutputs` out);
``pipelines/dispatch.py`` reads the inputs and writes the outputs.

Where each convention lives (all settings in params ``dispatch``):

* replay set, quarantine, places, waiting points, service hours, travel calibration:
  :mod:`kogadx.mobility.inputs`;
* expected demand of the forecast policy (file / backtest / history) and its accuracy:
  :mod:`kogadx.mobility.expected_demand`;
* redrawn periods from λ, the replicated comparison, paired statistics:
  :mod:`kogadx.mobility.replications`;
* the dispatcher itself (cheapest feasible insertion, repositioning rules):
  :mod:`kogadx.mobility.simulation`; policy names: :mod:`kogadx.mobility.policies`.

Conventions of this module:

* **Demand +x %**: :func:`kogadx.mobility.simulation.scale_demand` with a generator seeded
  from ``seed`` and the factor: every request kept plus ``round((f-1)·N)`` copies of random
  requests (same stops, party size and lead time) shifted by U(-15, +15) minutes.
* **Wait** = pick-up start - desired pick-up time (bookings are made ahead; the van never
  comes early). ``short_notice_*`` KPIs: requests booked < ``short_lead_min`` minutes ahead.
* **Oracle**: the synthetic generator's true λ (``data/truth``, secure zone; read only by this
  stage, only aggregated KPIs leave it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.mobility.calibration import calibrate_conditions
from kogadx.mobility.expected_demand import ExpectedDemand, choose_expected_demand, hourly_counts
from kogadx.mobility.inputs import (
    Replay,
    Service,
    calibrated_settings,
    latlon_to_metric,
    prepare_replay,
    service_hours_by_day,
    stop_positions,
    travel_model,
    zone_waiting_points,
)
from kogadx.mobility.params import DispatchParams, DispatchStageParams, Travel
from kogadx.mobility.policies import ordered
from kogadx.mobility.replications import paired_wait_difference, run_reopt_comparison, run_replications
from kogadx.mobility.simulation import (
    DispatchResult,
    Fleet,
    check_dispatch,
    round_metric,
)
from kogadx.mobility.validation import compare, logged_kpis, mean_kpis, replayed_kpis
from kogadx.mobility.variability import TravelConditions, execute_plans
from kogadx.mobility.whatif import run_fleet_scenarios, run_frontier, run_grid
from kogadx.params import as_dict
from kogadx.progress import steps
from kogadx.rng import stream_rng
from kogadx.stage import StageOutputs, TrackedRun

KPI_KEYS = (
    "n_requests", "n_served", "n_rejected", "served_rate", "rejection_rate", "wait_mean_min",
    "wait_p95_min", "ride_over_direct_mean", "vehicle_km", "empty_km", "occupancy",
    "passengers_per_vehicle_hour", "short_notice_n_requests", "short_notice_served_rate",
    "short_notice_wait_mean_min", "n_declined", "decline_rate", "empty_km_share",
    "rides_per_vehicle_revenue_hour", "rides_per_vehicle_hour", "ride_now_n_served", "ride_now_wait_mean_min",
    "ride_now_wait_p95_min", "reservation_wait_mean_min",
)


@dataclass(frozen=True)
class DispatchInputs:
    """The stage's inputs: pseudonymized ride requests and stops (stop_id, stop_name, lat,
    lon in JGD2011, …), and optionally the town polygons (route map only), the demand
    forecast (zone, time, expected), the true intensity (zone, time, lambda; oracle and
    replications only), the demand features panel (backtest forecast of the replay weeks)
    and the travel-time matrix read as text (from_stop, to_stop, minutes[, km];
    ``matrix_file`` names it in messages)."""

    rides: pd.DataFrame
    stops: pd.DataFrame
    towns: gpd.GeoDataFrame | None = None
    forecast: pd.DataFrame | None = None
    truth: pd.DataFrame | None = None
    panel: pd.DataFrame | None = None
    matrix: pd.DataFrame | None = None
    matrix_file: str = "matrix"


@dataclass(frozen=True)
class DispatchSetup:
    """What every simulation of the stage shares (see :func:`prepare_dispatch`): the stops
    in metres with their zones, the replay set, the default service, the travel settings as
    used (calibrated values filled in) with their fit, the expected demand, and the scenario
    policies that can run (the oracle only with the true λ)."""

    stops_xy: pd.DataFrame
    replay: Replay
    service: Service
    travel: Travel
    calibration: dict[str, Any] | None
    demand: ExpectedDemand
    policies: list[str]


@dataclass
class ScenarioResults:
    """The fleet what-if: one row per fleet size × demand factor × policy (rounded KPIs),
    the full results at the default fleet and demand 1.0 by policy, the served trips at
    demand 1.0 by fleet size and policy (paired comparisons), and the decision times."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    default: dict[str, DispatchResult] = field(default_factory=dict)
    by_fleet: dict[int, dict[str, DispatchResult]] = field(default_factory=dict)
    decision_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    kpis: dict[tuple[int, float, str], dict[str, Any]] = field(default_factory=dict)  # unrounded, per scenario


def prepare_dispatch(inputs: DispatchInputs, params: DispatchStageParams) -> DispatchSetup:
    """Replay set, fleet, calibrated travel model, waiting points and expected demand."""
    d, features = params.dispatch, params.features
    start, end = d.replay.start, d.replay.end
    stops_xy = stop_positions(inputs.stops, features.zone_level, features.n_clusters)
    replay = prepare_replay(inputs.rides, stops_xy, start, end, d.replay_outcomes, features.count_outcomes)
    depot_x, depot_y = latlon_to_metric(d.fleet.depot.lat, d.fleet.depot.lon)
    hours = service_hours_by_day(start, end, features.weekday_hours, features.weekend_hours)
    opens, closes = features.weekday_hours
    fleet = Fleet(n_vehicles=d.fleet.n_vehicles, depot_x=depot_x, depot_y=depot_y, capacity=d.fleet.capacity,
                  service_start_hour=float(opens), service_end_hour=float(closes))
    travel, rules, calibration = calibrated_settings(d.travel, d.rules, inputs.rides, stops_xy, before=start)
    waiting = zone_waiting_points(stops_xy, inputs.rides, start)
    model = travel_model(travel, stops_xy, inputs.matrix, inputs.matrix_file)
    service = Service(fleet=fleet, rules=rules, travel=model, waiting=waiting, hours=hours,
                      short_lead_min=d.short_lead_min)
    demand = choose_expected_demand(
        d.expected_demand, counts=hourly_counts(inputs.rides, stops_xy, features.count_outcomes),
        zones=sorted(waiting["zone"]), service_hours=hours, start=start, end=end,
        replay_hours={pd.Timestamp(h) for h in replay.requests["desired_pickup_time"].dt.floor("h")},
        forecast=inputs.forecast, panel=inputs.panel, forecast_params=params.forecast, truth=inputs.truth)
    policies: list[str] = [p for p in d.scenarios.policies if p != "oracle" or demand.oracle is not None]
    return DispatchSetup(stops_xy=stops_xy, replay=replay, service=service, travel=travel,
                         calibration=calibration, demand=demand, policies=policies)


def run_dispatch(inputs: DispatchInputs, params: DispatchStageParams) -> StageOutputs:
    """The stage: scenario table, figures, the wait-by-fleet series, metrics, MLflow runs."""
    d = params.dispatch
    setup = prepare_dispatch(inputs, params)
    results = run_scenarios(setup, d)
    metrics = {"validation": validate_replay(setup, results, inputs.rides, d), **dispatch_metrics(setup, results, d)}
    if d.grid.fleet_sizes:
        metrics["grid"] = {"policy": d.grid.policy, "rows": _rounded(run_grid(
            setup.service, setup.replay.requests, d.grid.fleet_sizes, d.grid.demand_factors, d.grid.policy, d.seed,
            d.workers, {(n, f): k for (n, f, p), k in results.kpis.items() if p == d.grid.policy}))}
    if d.frontier.move_weights and d.frontier.policy in setup.policies:
        demand = {"forecast": setup.demand.table, "oracle": setup.demand.oracle}.get(d.frontier.policy)
        metrics["frontier"] = _rounded(run_frontier(setup.service, setup.replay.requests, demand,
                                                    d.frontier.move_weights, d.frontier.policy, d.workers,
                                                    results.default.get("none"),
                                                    results.default.get(d.frontier.policy)))
    if setup.demand.oracle is not None and d.replications.n > 0:
        metrics["replications"] = run_replications(setup.replay, setup.service, setup.demand, d.replications, d.seed,
                                                   d.workers)
    if d.reopt.interval_min > 0:
        metrics["reopt"] = run_reopt_comparison(setup.replay, setup.service, setup.demand.oracle, d.reopt, d.seed,
                                                d.workers)
    map_policy, day = route_map_choice(setup, results, d)
    metrics["route_map"] = {"day": day.date().isoformat(), "policy": map_policy}
    scenarios = pd.DataFrame(results.rows)
    figures = make_figures(setup, results, scenarios, metrics, inputs.towns, map_policy, day)
    return StageOutputs(
        tables={"scenarios": scenarios},
        figures={f"figures/{name}.png": figure for name, figure in figures.items()},
        plots={"plots/wait_vs_fleet.csv": wait_by_fleet(scenarios)},
        metrics=metrics,
        runs=tracked_runs(results, metrics, d),
        summary=f"dispatch: {len(scenarios)} シナリオ, 再生 {len(setup.replay.requests)} 件 "
                f"({setup.replay.start}〜{setup.replay.end}), 需要の見込み {setup.demand.source}",
    )


def validate_replay(setup: DispatchSetup, results: ScenarioResults, rides: pd.DataFrame,
                    params: DispatchParams) -> dict[str, Any]:
    """The log's KPIs against a replay of its requests with the operator's settings
    (default fleet, policy ``none``; :mod:`kogadx.mobility.validation`). With the
    straight-line model the replayed plans are also driven on roads calibrated from the log
    (peak slowdown, random delays; ``validation_executions`` seeded runs averaged)."""
    missing = [c for c in ("actual_pickup_at", "actual_dropoff_at", "vehicle_id") if c not in rides.columns]
    if missing:
        return {"available": False, "reason": f"運行記録に列 {missing} がないため再現を確かめられません"}
    service = setup.service
    replay = results.default.get("none") or service.simulate(setup.replay.requests)
    depot = (service.fleet.depot_x, service.fleet.depot_y)
    requests = setup.replay.requests
    logged = logged_kpis(requests, rides, service.rules, service.travel, depot)
    planned = replayed_kpis(requests, replay, service.travel, depot)
    conditions = None
    if setup.travel.model == "straight_line" and params.validation_executions > 0:
        try:
            fit = calibrate_conditions(rides, setup.stops_xy, setup.travel.detour_factor, before=setup.replay.start)
        except ValueError:
            fit = None
        if fit is not None:
            # the replay plans with the stage's travel model; the roads are the fitted ones
            conditions = TravelConditions(fit["speed_kmh"], setup.travel.detour_factor, fit["peak_slowdown"],
                                          fit["leg_sigma"], fit["dwell_min"])
            opens = {d: h[0] * 60 for d, h in service.hours.items()}
            runs = [replayed_kpis(requests, replay, service.travel, depot,
                                  execute_plans(replay.trips, requests, depot, opens, conditions,
                                                stream_rng(params.seed, f"validation_{k}"), replay.breaks))
                    for k in steps(range(params.validation_executions), desc="配車: 運行記録の再現 (走行の引き直し)",
                                   unit="回")]
            replayed = mean_kpis(runs)
    out = compare(logged, replayed if conditions is not None else planned)
    out["replayed_as_planned"] = planned
    out["settings"] = {"policy": "none", "n_vehicles": service.fleet.n_vehicles,
                       "pickup_window_min": service.rules.pickup_window_min,
                       "max_wait_min": service.rules.max_wait_min,
                       "roads": conditions.as_dict() if conditions is not None else None,
                       "executions": params.validation_executions if conditions is not None else 0}
    return _rounded(out)


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round_metric(value)


def run_scenarios(setup: DispatchSetup, params: DispatchParams) -> ScenarioResults:
    """Every fleet size × demand factor × policy of ``params.scenarios`` (the forecast and
    oracle policies get the expected demand and λ scaled by the demand factor)."""
    service, out = setup.service, ScenarioResults()
    demand = {"forecast": setup.demand.table, "oracle": setup.demand.oracle}
    for size, factor, policy, res in run_fleet_scenarios(
            service, setup.replay.requests, params.scenarios.fleet_sizes, params.scenarios.demand_factors,
            setup.policies, demand, params.seed, params.workers):
        out.rows.append({"n_vehicles": size, "demand_factor": factor, "policy": policy, **reported_kpis(res)})
        out.kpis[(size, factor, policy)] = res.kpis
        ms = res.decision_ms[~np.isnan(res.decision_ms)]
        out.decision_ms[scenario_name(policy, size, factor)] = {
            "decision_ms_mean": float(ms.mean()) if len(ms) else 0.0,
            "decision_ms_p95": float(np.percentile(ms, 95)) if len(ms) else 0.0}
        if factor == 1.0:
            # trips only: enough for the paired comparison per fleet size
            out.by_fleet.setdefault(size, {})[policy] = DispatchResult(res.trips, res.legs.iloc[:0], {},
                                                                       res.decision_ms[:0])
        if size == service.fleet.n_vehicles and factor == 1.0:
            out.default[policy] = res
    return out


def scenario_name(policy: str, n_vehicles: int, demand_factor: float) -> str:
    """The MLflow run name of a scenario, e.g. ``forecast_v4_d1.5``."""
    return f"{policy}_v{n_vehicles}_d{demand_factor:g}"


def reported_kpis(result: DispatchResult) -> dict[str, Any]:
    """The KPIs of a simulation as the metrics and the scenario table report them."""
    return {k: round_metric(result.kpis.get(k)) for k in KPI_KEYS}


def dispatch_metrics(setup: DispatchSetup, results: ScenarioResults, params: DispatchParams) -> dict[str, Any]:
    """Replay set, expected demand, travel model, the default fleet's KPIs and paired
    comparisons, and the what-if rows."""
    requests, quarantine = setup.replay.requests, setup.replay.quarantine
    service, travel = setup.service, setup.travel
    lead = (requests["desired_pickup_time"] - requests["request_time"]) / pd.Timedelta(minutes=1)
    draws = params.bootstrap_draws
    return {
        "replay": {"start": setup.replay.start, "end": setup.replay.end,
                   "n_days": int(requests["desired_pickup_time"].dt.normalize().nunique()),
                   "n_requests": int(len(requests)), "n_quarantined": int(len(quarantine)),
                   "quarantine_reasons": {str(k): int(v) for k, v in
                                          quarantine["reason"].value_counts().sort_index().items()},
                   "lead_min_median": round_metric(float(lead.median())),
                   "short_notice_share": round_metric(float((lead < service.short_lead_min).mean()))},
        "expected_demand_source": setup.demand.source,
        "expected_demand_accuracy": setup.demand.accuracy,
        "travel_model": travel.model,
        "travel": {"detour_factor": round_metric(travel.detour_factor), "speed_kmh": round_metric(travel.speed),
                   "dwell_min": round_metric(service.rules.dwell),
                   "reposition_in_slack": bool(service.rules.reposition_in_slack),
                   "calibration": ({k: round_metric(v) for k, v in setup.calibration.items()}
                                   if setup.calibration else None)},
        "default_fleet": {"n_vehicles": service.fleet.n_vehicles,
                          "policies": {p: reported_kpis(r) for p, r in results.default.items()},
                          "check_violations": {p: len(check_dispatch(r, service.fleet, service.rules))
                                               for p, r in results.default.items()}},
        "vs_none": paired_wait_difference(results.default, stream_rng(params.seed, "bootstrap"), draws),
        "what_if": [{k: round_metric(v) for k, v in r.items()} for r in results.rows],
        "vs_none_by_fleet": {str(n): paired_wait_difference(res_n, stream_rng(params.seed, f"bootstrap_v{n}"), draws)
                             for n, res_n in sorted(results.by_fleet.items())},
    }


def route_map_choice(setup: DispatchSetup, results: ScenarioResults,
                     params: DispatchParams) -> tuple[str, pd.Timestamp]:
    """The route map's policy (``map.policy`` when it ran, else the first) and day
    (``map.day``, else the busiest replayed day)."""
    policy = params.map.policy if params.map.policy in results.default else setup.policies[0]
    if params.map.day is not None:
        return policy, pd.Timestamp(params.map.day)
    per_day = setup.replay.requests["desired_pickup_time"].dt.normalize().value_counts()
    return policy, pd.Timestamp(per_day[per_day == per_day.max()].index.min())


def make_figures(setup: DispatchSetup, results: ScenarioResults, scenarios: pd.DataFrame, metrics: dict[str, Any],
                 towns: gpd.GeoDataFrame | None, map_policy: str, day: pd.Timestamp) -> dict[str, Any]:
    """The report figures: {file stem: matplotlib Figure}."""
    from kogadx.mobility import figures as fg

    fleet = setup.service.fleet
    out = {
        "wait_vs_fleet": fg.plot_wait_vs_fleet(scenarios),
        "served_vs_fleet": fg.plot_served_vs_fleet(scenarios),
        "kpi_by_policy": fg.plot_kpi_bars(metrics["default_fleet"]["policies"], fleet.n_vehicles),
        "route_map": fg.plot_route_map(results.default[map_policy].legs, setup.stops_xy, setup.service.waiting,
                                       towns, day, (fleet.depot_x, fleet.depot_y), map_policy),
    }
    if "replications" in metrics:
        out["replications"] = fg.plot_replications(metrics["replications"])
    if metrics.get("grid", {}).get("rows"):
        out["grid"] = fg.plot_grid(metrics["grid"]["rows"])
    if "frontier" in metrics:
        out["frontier"] = fg.plot_frontier(metrics["frontier"])
    return out


def wait_by_fleet(scenarios: pd.DataFrame) -> pd.DataFrame:
    """The headline series: mean wait (min) by fleet size, one column per policy (demand 1.0)."""
    base = scenarios[scenarios["demand_factor"] == 1.0]
    wide = base.pivot(index="n_vehicles", columns="policy", values="wait_mean_min").astype(float)
    wide = wide[ordered(wide.columns)].sort_index()
    wide.columns.name = None
    return wide.reset_index()


def tracked_runs(results: ScenarioResults, metrics: dict[str, Any], params: DispatchParams) -> list[TrackedRun]:
    """One MLflow run per scenario (the default fleet at demand 1.0 with the figures) and
    one per policy of the replicated comparison (experiment ``dispatch``)."""
    shared = {k: v for k, v in as_dict(params).items() if k != "scenarios"}
    runs = []
    for row in results.rows:
        policy, size, factor = row["policy"], row["n_vehicles"], row["demand_factor"]
        name = scenario_name(policy, size, factor)
        default = size == params.fleet.n_vehicles and factor == 1.0
        kpis = {k: row[k] for k in KPI_KEYS if row[k] is not None}
        runs.append(TrackedRun("dispatch", name,
                               params={**shared, "policy": policy, "n_vehicles": size, "demand_factor": factor},
                               metrics={**kpis, **results.decision_ms[name]},
                               artifacts={"figures": "figures"} if default else {}))
    replications = metrics.get("replications")
    if replications:
        n_vehicles = replications["n_vehicles"]
        for policy, kpis in replications["policies"].items():
            runs.append(TrackedRun(
                "dispatch", f"replications_{policy}_v{n_vehicles}",
                params={**shared, "policy": policy, "n_vehicles": n_vehicles, "demand_factor": 1.0,
                        "replications": replications["n"]},
                metrics={k: float(v) for k, v in kpis.items() if v is not None}))
    return runs
