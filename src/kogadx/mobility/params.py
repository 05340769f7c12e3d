"""Params of the ``dispatch`` stage (section ``dispatch`` of params.yaml), checked at load.

Units: minutes, km/h, metres in EPSG:6670 (the depot is given as JGD2011 lat/lon and
converted in code). The stage also reads ``features`` (zones, service hours, counted
outcomes) and ``forecast`` (the backtest forecast of the replay weeks):
:class:`DispatchStageParams` holds the three sections.

:class:`DispatchRules` and :class:`Travel` are also the dispatcher's own configuration
(:func:`kogadx.mobility.simulation.simulate_dispatch`): their defaults are the simulator's.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from kogadx.demand.params import FeaturesParams, ForecastParams
from kogadx.mobility.policies import POLICIES, REPLICATION_POLICIES, Policy, ReplicationPolicy
from kogadx.params import section, stage_params

Minutes = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Calibrated = Literal["calibrated"]  # fitted on solo rides before the replay (kogadx.mobility.calibration)

# The dwell the calibration's diagnostic assumes when the dwell itself is calibrated.
DEFAULT_DWELL_MIN = 1.0


@section
class ReplayPeriod:
    """Desired pick-up dates replayed, "YYYY-MM-DD", both inclusive."""

    start: IsoDate
    end: IsoDate


@section
class Depot:
    """Where the vans start each service day (JGD2011 degrees)."""

    name: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


@section
class FleetParams:
    """The default fleet (the what-if scenarios vary its size)."""

    n_vehicles: Annotated[int, Field(ge=1)]
    depot: Depot
    capacity: Annotated[int, Field(ge=1)] = 8


@section
class DispatchRules:
    """Promises made to riders and the repositioning look-ahead.

    pickup_window_min: a reservation's pick-up starts within [desired, desired + W] (minutes).
    ride_now_lead_min: a request booked less than this many minutes before its desired time
        (same day) is a ride-now request: it is offered the planned pick-up of its cheapest
        feasible insertion, and its wait counts from the request.
    max_wait_min: a ride-now pick-up starts within [request, request + max wait], else the
        request is rejected (cause 最大待ち時間内に配車不可).
    ride_now_access_min: a ride-now pick-up starts no earlier than request + this: the rider
        has to get to the virtual stop first, so the operator never offers an earlier time
        (the van would only wait there). 0 = the van may arrive at the desired minute.
    ride_time_alpha, ride_time_beta_min: a rider's time on board (drop-off start − pick-up
        start − dwell) is at most α × direct time + β minutes, the form of MATSim DRT's
        ``maxTravelTimeAlpha`` / ``maxTravelTimeBeta`` (the earlier max(α·t, t + β) let short
        trips be doubled and long ones only lengthened by β). The values are the operator's
        setting (UNCONFIRMED: α 1.5, β 5 min keep the earlier limit at a 10-minute trip).
    dwell_min: boarding/alighting time at each stop (minutes); ``calibrated`` in params =
        fitted from solo rides before the replay (the stage puts the number in, see :attr:`dwell`).
    lookahead_min: repositioning uses the expected demand of the hour containing now + this.
    wait_weight: insertion cost = added driving minutes + wait_weight × added rider wait
        minutes (all riders of the plan), so that insertions do not push waits to the limit.
    reposition_in_slack: a vehicle whose plan holds only stops it need not leave for yet
        (bookings later in the day) may reposition too, but only to a place from which it
        still starts its next stop exactly when planned (same travel-time model), so no
        promise and no planned time of any booked rider changes.
    slack_min_stay_min: such a vehicle only moves when it could stand at least this many
        minutes at the target before leaving for its next stop (no drive-there-and-back).
    reposition_rule: how the "forecast"/"oracle" policies pick waiting points.
        ``coverage`` (default): choose the waiting points of all idle vehicles jointly so
        that Σ_zone λ_zone × (minutes from the nearest vehicle to the zone's waiting point)
        + ``move_weight`` × Σ driven repositioning minutes is smallest (a p-median over the
        zones, solved exactly by enumeration while it has ≤ ``max_enumeration`` choices,
        else by coordinate descent); busy vehicles count at their last booked stop.
        ``greedy``: one vehicle at a time to the zone with the largest λ / (1 + vehicles
        already there) — the first rule, kept for comparison.
    move_weight: rider-minutes of expected reach one minute of empty driving is worth.
    break_min, break_starts_h, break_flex_min: each driver's break (minutes, 0 = none) at the
        depot; van k starts it within [break_starts_h[k mod n] h, + break_flex_min]. It is a stop
        of the van's plan like any other, so insertions and re-optimisation plan around it and
        no promise is broken by it.
    """

    pickup_window_min: Minutes = 15.0
    ride_now_lead_min: Minutes = 2.0
    max_wait_min: Minutes = 30.0
    ride_now_access_min: Minutes = 0.0
    ride_time_alpha: Annotated[float, Field(ge=1)] = 1.5
    ride_time_beta_min: Minutes = 5.0
    dwell_min: Minutes | Calibrated = DEFAULT_DWELL_MIN
    lookahead_min: Minutes = 30.0
    wait_weight: Annotated[float, Field(ge=0)] = 0.5
    reposition_in_slack: bool = True
    slack_min_stay_min: Minutes = 5.0
    reposition_rule: Literal["coverage", "greedy"] = "coverage"
    move_weight: Annotated[float, Field(ge=0)] = 0.0
    max_enumeration: Annotated[int, Field(ge=1)] = 20000
    break_min: Minutes = 0.0
    break_starts_h: tuple[float, ...] = ()
    break_flex_min: Minutes = 30.0

    @property
    def dwell(self) -> float:
        """The dwell in minutes (the simulator needs a number: calibrate first)."""
        if isinstance(self.dwell_min, str):
            raise ValueError("dispatch.rules.dwell_min = calibrated: 較正した値を入れてから配車を計算してください")
        return self.dwell_min


@section
class Travel:
    """Travel times: ``straight_line`` = straight-line km × ``detour_factor`` at ``speed_kmh``
    (the ride log identifies only speed / detour, so the detour factor is an assumption);
    ``matrix`` = a stop × stop table of minutes (the stage's optional MATRIX input)."""

    model: Literal["straight_line", "matrix"] = "straight_line"
    detour_factor: Annotated[float, Field(ge=1)] = 1.3
    speed_kmh: Positive | Calibrated = 25.0

    @property
    def speed(self) -> float:
        """The speed in km/h (the simulator needs a number: calibrate first)."""
        if isinstance(self.speed_kmh, str):
            raise ValueError("dispatch.travel.speed_kmh = calibrated: 較正した値を入れてから配車を計算してください")
        return self.speed_kmh


@section
class ExpectedDemand:
    """Expected demand (zone × hour) of the forecast policy; see
    :func:`kogadx.mobility.expected_demand.choose_expected_demand`."""

    source: Literal["auto", "file", "backtest", "history"] = "auto"
    history_weeks: Annotated[int, Field(ge=1)] = 4  # same hour of the week, this many previous weeks
    backtest_horizon_h: Annotated[int, Field(ge=1)] = 168  # backtest features are at least this old


@section
class Scenarios:
    """The fleet what-if: every fleet size × demand factor × policy."""

    fleet_sizes: tuple[Annotated[int, Field(ge=1)], ...]
    demand_factors: tuple[Positive, ...] = (1.0,)
    policies: tuple[Policy, ...] = POLICIES


@section
class RouteMap:
    """The route-map figure: which day (None = the busiest replayed day) and policy."""

    day: IsoDate | None = None
    policy: Policy = "forecast"


@section
class Replications:
    """The default fleet on ``n`` fresh draws of the replay period from the true λ
    (synthetic data only: needs the truth input; 0 = off)."""

    n: Annotated[int, Field(ge=0)] = 0
    policies: tuple[ReplicationPolicy, ...] = REPLICATION_POLICIES


@section
class Grid:
    """The staff what-if: every fleet size × demand factor with the operator's ``policy``
    (:func:`kogadx.mobility.whatif.run_grid`)."""

    fleet_sizes: tuple[Annotated[int, Field(ge=1)], ...] = ()  # empty = off (params.yaml sets the grid)
    demand_factors: tuple[Positive, ...] = (1.0,)
    policy: Policy = "none"


@section
class Frontier:
    """Mean wait against empty km of the repositioning ``policy`` at each ``move_weight``
    (:func:`kogadx.mobility.whatif.run_frontier`); empty = off."""

    move_weights: tuple[Annotated[float, Field(ge=0)], ...] = ()
    policy: Policy = "forecast"


@section
class Reopt:
    """Rolling re-optimisation against insertion (:mod:`kogadx.mobility.reopt`): every
    ``interval_min`` minutes the open requests of all vans are re-solved; the comparison
    runs both on the replay and on the first ``replications`` redrawn periods of
    ``replications`` (same seeds, so the differences are paired). 0 = off."""

    interval_min: Minutes = 0.0
    replications: Annotated[int, Field(ge=0)] = 0


@section
class DispatchParams:
    """Section ``dispatch``: replay the ride requests through the online dispatcher."""

    SECTION: ClassVar[str] = "dispatch"

    seed: int
    replay: ReplayPeriod
    fleet: FleetParams
    scenarios: Scenarios
    # trips a van had to plan for (cancellations are left out: their cancel time is unknown)
    replay_outcomes: tuple[str, ...] = ("完了", "配車不可", "無断キャンセル")
    rules: DispatchRules = DispatchRules()
    travel: Travel = Travel()
    expected_demand: ExpectedDemand = ExpectedDemand()
    short_lead_min: Minutes = 20.0  # "short notice": booked less than this many minutes ahead
    bootstrap_draws: Annotated[int, Field(ge=1)] = 2000  # day-block bootstrap of the paired wait difference
    map: RouteMap = RouteMap()
    replications: Replications = Replications()
    # replay validation: the replayed plans driven this many times on roads fitted from the log
    validation_executions: Annotated[int, Field(ge=0)] = 5
    grid: Grid = Grid()
    frontier: Frontier = Frontier()
    reopt: Reopt = Reopt()
    # processes for the independent simulations (scenarios, grid, frontier, replications);
    # every simulation is deterministic, so the outputs do not depend on it
    workers: Annotated[int, Field(ge=1)] = 2

    @model_validator(mode="after")
    def _default_in_scenarios(self) -> DispatchParams:
        # The KPIs, the route map and the paired comparisons are read from the scenario run
        # at the default fleet and demand 1.0; without it the stage would fail at the end.
        if self.fleet.n_vehicles not in self.scenarios.fleet_sizes:
            raise ValueError(f"scenarios.fleet_sizes {list(self.scenarios.fleet_sizes)} に既定の台数 "
                             f"fleet.n_vehicles ({self.fleet.n_vehicles}) を含めてください")
        if 1.0 not in self.scenarios.demand_factors:
            raise ValueError(f"scenarios.demand_factors {list(self.scenarios.demand_factors)} に 1.0 を含めてください")
        return self


@stage_params
class DispatchStageParams:
    """What the dispatch stage reads: its own section, the zones and service hours of
    ``features`` and the model settings of ``forecast`` (backtest forecast of the replay)."""

    dispatch: DispatchParams
    features: FeaturesParams
    forecast: ForecastParams
