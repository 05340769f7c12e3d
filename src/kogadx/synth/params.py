"""Params of the ``synthesize`` stage (section ``synthesize`` of params.yaml), checked at load.

The synthetic city's facts (population, households) and assumptions (demand model, fault
rates). Values marked UNCONFIRMED in params.yaml are assumptions, not the city's figures.
Counts marked "× scale" are scaled by ``synthesize.scale`` (tests use 0.02) in
:func:`kogadx.synth.koga.generate_koga`; the generators take the count to generate.
The stage also reads the export layout from section ``ingest`` (:class:`SynthesizeStageParams`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from kogadx.ingest.params import IngestParams
from kogadx.mobility.params import DispatchRules
from kogadx.params import section, stage_params

Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
Hour = Annotated[int, Field(ge=0, le=24)]
Date = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
YearMonth = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]


@section
class Residents:
    """The residents register (:func:`kogadx.synth.residents.generate_residents`).

    ``population`` and ``households`` are the city's totals at ``reference_date`` (scaled by
    ``synthesize.scale``); the household and density model is an assumption.
    """

    population: Annotated[int, Field(ge=1)]
    households: Annotated[int, Field(ge=1)]
    reference_date: Date
    mean_children: Annotated[float, Field(ge=1)]  # children per household with children
    mean_elders_in_three_generation: Annotated[float, Field(ge=1)]
    elderly_share_ageing: Share  # single/couple households headed by someone 65+, older districts
    elderly_share_other: Share
    ageing_districts: tuple[str, ...]  # town base names (花鶴丘 …); rural 大字 count as ageing too
    density_decay_km: Positive  # population density ∝ exp(−distance to the nearest station / this)
    rural_density_factor: Positive  # density of a 大字 relative to a 丁目 town
    area_exponent: float  # density ∝ area_km2 ** this
    stations_latlon: tuple[tuple[float, float], ...]  # (lat, lon) of the JR stations
    landline_share: Share  # households with a landline
    mobile_share_adults: Share  # people 16+ with a mobile number in the register
    fault_rate: Share  # per fault kind, share of rows


@section
class RideIntensity:
    """Demand model of the ride requests (:func:`kogadx.synth.rides.city_intensity`); all assumptions.

    The ramp (logistic in days since launch) also shapes the members' registration dates.
    """

    plateau_requests_per_week: Positive = 400.0
    ramp_floor: Share = 0.1
    ramp_midpoint_days: float = 150.0
    ramp_scale_days: Positive = 60.0
    weekend_day_factor: Positive = 0.55
    holiday_factor: Positive = 0.9
    school_holiday_factor: Positive = 1.1
    pension_day_factor: Positive = 1.35
    event_factor: Positive = 1.6
    year_end_factor: Positive = 0.5
    rain_factor: Positive = 1.2  # peak of the light-rain boost, at rain_peak_mm (nonlinear, see city_intensity)
    rain_peak_mm: Positive = 3.0
    heavy_rain_mm: Positive = 10.0  # half of the heavy-rain drop is reached here
    heavy_rain_factor: Positive = 0.7  # the factor in a downpour (asymptote)
    heat_c: float = 33.0
    heat_factor: Positive = 0.85  # factor at heat_c; smooth (Gaussian) away from comfort_c
    comfort_c: float = 24.0
    cold_c: float = 5.0  # below this, demand falls smoothly too


@section
class DemandWorld:
    """What the demand panel does not show (:func:`kogadx.synth.rides.generate_ride_requests`);
    all assumptions, chosen so that a forecast is not told the generator's structure.

    - ``dispersion_shape``: a gamma(shape, 1/shape) multiplier per zone × day (mean 1): counts
      are gamma–Poisson (overdispersed); ``None`` = pure Poisson.
    - ``p_return``: share of outbound trips (home → facility) followed by a return trip of the
      same rider, ``return_delay_probs`` = P(1, 2, 3 … hours later), same day, in service hours.
    - ``growth_per_year``: slow growth as the service becomes known (on top of the ramp).
    - clinics' weekly schedule (factor per weekday Mon…Sun; Saturdays closed from
      ``clinic_saturday_close``); a supermarket that opens on ``supermarket_open``; a stop
      closed for roadworks ``roadworks_start`` … ``roadworks_end``.
    """

    dispersion_shape: Positive | None = 6.0
    p_return: Share = 0.45
    return_delay_probs: tuple[Share, ...] = (0.3, 0.4, 0.3)
    growth_per_year: Annotated[float, Field(ge=0)] = 0.08
    clinic_weekday_factor: tuple[float, float, float, float, float, float, float] = (1.6, 1.0, 1.0, 0.0, 1.0, 0.8, 0.0)
    clinic_saturday_close: Hour = 13
    supermarket_stop: str = "美明スーパー前"
    supermarket_open: Date = "2023-11-01"
    roadworks_stop: str = "日吉公民館"
    roadworks_start: Date = "2024-04-15"
    roadworks_end: Date = "2024-06-30"


Range = tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]]


@section
class RideOperations:
    """How the synthetic operator serves the requests (:mod:`kogadx.synth.operations`).

    ``rules``: the operator's dispatcher settings (the ``dispatch`` stage replays the log
    with ``dispatch.rules``; the promise settings must be the same, a test checks params.yaml).
    ``ride_now_share``: share of requests made for "as soon as possible" (UNCONFIRMED).
    ``accept_wait_min``: a ride-now rider accepts an offered pick-up at most this many
    minutes after the request, drawn uniformly per rider (UNCONFIRMED).
    Travel conditions (:func:`kogadx.mobility.variability.draw_conditions`) are drawn once
    per run from these (low, high) ranges (assumptions).
    """

    ride_now_share: Share = 0.5
    accept_wait_min: Range = (10.0, 45.0)
    rules: DispatchRules = DispatchRules()
    capacity: Annotated[int, Field(ge=1)] = 8
    speed_kmh: Range = (17.0, 24.0)
    detour_factor: Range = (1.25, 1.45)
    peak_slowdown: Range = (0.05, 0.3)
    leg_sigma: Range = (0.05, 0.2)
    dwell_min: Range = (0.5, 1.5)


@section
class Rides:
    """のるーと古賀: weather, stops, members and ride requests (:mod:`kogadx.synth.rides`).

    ``start`` … ``end``: days of the ride requests; ``weather_start`` … ``weather_end``: days
    of the one synthetic weather series that rides and energy share. ``zone_level`` and
    ``n_clusters`` set the zones of the truth λ (must equal the ``features`` settings).
    Service hours are hour starts; the school holiday ends on ``school_holiday_end``
    ("MM-DD") and lasts ``school_holiday_days``.
    """

    start: Date = "2022-10-01"
    end: Date = "2024-09-30"
    weather_start: Date = "2021-04-01"
    weather_end: Date = "2025-03-31"
    n_stops: Annotated[int, Field(ge=1)] = 63
    n_members: Annotated[int, Field(ge=1)] = 1500  # × scale (at least 50)
    zone_level: Literal["town", "stop_cluster"] = "town"
    n_clusters: Annotated[int, Field(ge=1)] = 8
    event_dates: tuple[Date, ...] = ("2023-10-21", "2024-04-06", "2024-07-27")
    fleet_size: Annotated[int, Field(ge=1)] = 4
    fare_yen: Annotated[int, Field(ge=0)] = 200  # per passenger
    p_cancel: Share = 0.07
    p_no_show: Share = 0.025
    reject_base: Share = 0.02
    reject_per_extra_request: Annotated[float, Field(ge=0)] = 0.03  # per request beyond one per vehicle-hour
    weekday_hours: tuple[Hour, Hour] = (9, 17)
    weekend_hours: tuple[Hour, Hour] = (8, 18)
    school_holiday_end: Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")] = "08-19"
    school_holiday_days: Annotated[int, Field(ge=0)] = 25
    speed_kmh: Positive = 20.0  # van speed, for the ride times of completed requests
    detour_factor: Annotated[float, Field(ge=1)] = 1.4  # road distance / straight line
    intensity: RideIntensity = RideIntensity()
    world: DemandWorld = DemandWorld()
    operations: RideOperations = RideOperations()


@section
class EnergySynth:
    """Business master and monthly energy (:func:`kogadx.synth.energy.generate_business_energy`).

    Sector intensities are assumptions. ``fault_rate`` is per row and per fault kind.
    """

    n_businesses: Annotated[int, Field(ge=1)] = 300  # × scale (at least 10)
    start: YearMonth = "2021-04"
    end: YearMonth = "2025-03"
    fault_rate: Share = 0.005
    irregular_share: Share = 0.06  # businesses with 15–30 % noise (expected to fail Guideline 14)
    occupancy_change_share: Share = 0.10  # businesses whose operating load steps by ±5–20 % in some month
    retrofit_share: Share = 0.30  # businesses with an electricity measure in a known month (8–25 % saving)


@section
class SurveySynth:
    """The well-being survey (:func:`kogadx.synth.survey.generate_survey`)."""

    n_target: Annotated[int, Field(ge=1)] = 2000  # respondents; × scale (at least 200)
    survey_date: Date = "2024-02-29"
    # Non-response scenario: "mar" = response depends only on district × age group and sex
    # (what raking can fix); "mnar" = also on loneliness, having no internet and happiness itself.
    nonresponse: Literal["mar", "mnar"] = "mnar"


@section
class CounterSynth:
    """現況届 households and past reception logs (:func:`kogadx.synth.counter.generate_counter`).

    ``n_households`` and ``venue_share`` are from DOMAIN.md §10 (just under 600 households, about
    70 % in the venue week); everything else is UNCONFIRMED. Service minutes are lognormal with
    mean ``base + per_change·変更 + per_missing_doc·不足書類 + per_child·(子ども − 1)``.
    """

    n_households: Annotated[int, Field(ge=1)] = 590  # × scale (at least 60)
    years: tuple[Annotated[int, Field(ge=2000, le=2024)], ...] = (2020, 2021, 2022, 2023, 2024)
    yearly_change: float = 0.02  # growth of households per year (earlier years had fewer; UNCONFIRMED)
    venue_days: Annotated[int, Field(ge=1, le=15)] = 5
    venue_share: Share = 0.70
    venue_day_weights: tuple[Positive, ...] = (1.5, 1.0, 0.85, 0.9, 1.35)  # first and last day peaks
    open_hours: tuple[Hour, Hour] = (9, 17)
    venue_counters: Annotated[int, Field(ge=1)] = 3
    regular_counters: Annotated[int, Field(ge=1)] = 1
    work_shares: dict[str, Share] = Field(default_factory=lambda: {
        "正規": 0.45, "パート": 0.38, "自営": 0.05, "無職": 0.12})
    mean_children: Annotated[float, Field(ge=1)] = 1.6
    change_share: Share = 0.15
    missing_doc_rate: Annotated[float, Field(ge=0)] = 0.3  # Poisson mean of documents missing
    online_share: Share = 0.0  # households already submitting documents online (the past: none)
    service_base_min: Positive = 8.0
    service_per_change_min: Annotated[float, Field(ge=0)] = 8.0
    service_per_missing_doc_min: Annotated[float, Field(ge=0)] = 5.0
    service_per_child_min: Annotated[float, Field(ge=0)] = 1.5
    service_sigma: Positive = 0.35  # log-sd of a visit's service time


@section
class SynthesizeParams:
    """Section ``synthesize``: the seed, the scale and each generator's settings."""

    SECTION: ClassVar[str] = "synthesize"

    seed: int
    residents: Residents
    scale: Positive = 1.0  # 1.0 = the whole city
    rides: Rides = Rides()
    energy: EnergySynth = EnergySynth()
    survey: SurveySynth = SurveySynth()
    counter: CounterSynth = CounterSynth()


@stage_params
class SynthesizeStageParams:
    """The ``synthesize`` stage: its section, and the export layout (file names) from ``ingest``."""

    synthesize: SynthesizeParams
    ingest: IngestParams
