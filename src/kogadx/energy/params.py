"""Params of the ``co2`` stage (section ``co2`` of params.yaml), checked at load.

Units: t-CO2, kWh, yen, °C. Values marked UNCONFIRMED in params.yaml are defaults to
replace with the city's own figures.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from kogadx.params import section

Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
YearMonth = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]


@section
class StudyPeriod:
    """First and last month of the study, "YYYY-MM"."""

    start: YearMonth
    end: YearMonth


@section
class DegreeDayBase:
    """Balance points of the degree days (°C)."""

    base_cooling_c: float = 22.0
    base_heating_c: float = 14.0


@section
class Cleaning:
    """Fault detection in the monthly meter readings (:func:`kogadx.energy.clean.clean_monthly_energy`)."""

    unit_slip_ratio: Positive = 100.0  # a month ≈ this × its neighbours is a kWh/MWh slip
    jump_factor: Positive = 8.0  # a month this far from its neighbours is a meter reset


@section
class Baseline:
    """OLS baselines and the ASHRAE Guideline 14 pass test (:func:`kogadx.energy.baseline.fit_baselines`)."""

    min_months: Annotated[int, Field(ge=6)] = 24
    holdout_months: Annotated[int, Field(ge=1)] = 12
    cv_max: Positive = 0.15
    nmbe_max: Positive = 0.05
    anomaly_sigma: Positive = 3.0


@section
class MeasurementVerification:
    """CalTRACK billing baselines, periods and Guideline 14 checks (:mod:`kogadx.energy.mv`)."""

    baseline_months: Annotated[int, Field(ge=12)] = 12
    reporting_months: Annotated[int, Field(ge=1)] = 12
    # CalTRACK data sufficiency: the 12-month baseline must be covered, ≥ 90 % of it valid
    min_baseline_coverage: Annotated[float, Field(gt=0, le=1)] = 0.9
    default_baseline_start: YearMonth = "2021-04"  # businesses without a measure month
    heating_grid_c: tuple[float, float] = (5.0, 22.0)  # balance-point search range (°C)
    cooling_grid_c: tuple[float, float] = (14.0, 30.0)
    grid_step_c: Positive = 0.5
    min_total_degree_days_c: Annotated[float, Field(ge=0)] = 20 * 5 / 9  # CalTRACK: 20 °F·day
    max_p_value: Share = 0.1
    level: Annotated[float, Field(gt=0, lt=1)] = 0.90  # savings interval (FSU) level
    cv_max: Positive = 0.20
    nmbe_max: Positive = 0.005
    prediction_nmbe_max: Positive = 0.05
    min_weather_coverage: Share = 0.9  # share of a month's days with a temperature


@section
class BaselineForecast:
    """Forecast of the next months under normal weather, interval ± z × RMSE."""

    horizon_months: Annotated[int, Field(ge=1)] = 12
    z: Positive = 1.96


@section
class Scenarios:
    """Reduction measures per business (:func:`kogadx.energy.scenarios.business_scenarios`)."""

    lighting_share_of_electricity: Share
    led_retrofit_share: Share
    led_saving_fraction: Share
    led_capex_yen_per_annual_kwh: Annotated[float, Field(ge=0)]
    pv_kw_per_100m2_floor: Annotated[float, Field(ge=0)]
    pv_max_kw: Annotated[float, Field(ge=0)]
    pv_yield_kwh_per_kw_yr: Annotated[float, Field(ge=0)]
    pv_self_consumption: Share
    pv_capex_yen_per_kw: Annotated[float, Field(ge=0)]
    fuel_switch_from: tuple[str, ...]
    fuel_switch_share: Share
    heat_content_gj_per_unit: dict[str, Positive]  # GJ per native unit (L)
    boiler_efficiency: Positive
    heat_pump_cop: Positive
    heat_pump_full_load_hours: Positive
    heat_pump_capex_yen_per_kw: Annotated[float, Field(ge=0)]
    renewable_menu_share: Share
    renewable_menu_factor_t_per_kwh: Annotated[float, Field(ge=0)]
    renewable_premium_yen_per_kwh: Annotated[float, Field(ge=0)]
    prices_yen: dict[str, Annotated[float, Field(ge=0)]]  # yen per native unit


@section
class Co2Figures:
    """Which business the example figures show (None = the first business ID in sort order)."""

    example_business_id: str | None = None


@section
class Co2Params:
    """Section ``co2``: emissions, baselines, forecast and scenarios of the businesses."""

    SECTION: ClassVar[str] = "co2"

    period: StudyPeriod
    fiscal_year: int  # year of the emission factors
    scenarios: Scenarios
    electricity_basis: Literal["basic", "adjusted"] = "basic"
    fuel_basis: Literal["auto", "old", "new"] = "auto"
    degree_days: DegreeDayBase = DegreeDayBase()
    cleaning: Cleaning = Cleaning()
    baseline: Baseline = Baseline()
    mv: MeasurementVerification = MeasurementVerification()
    forecast: BaselineForecast = BaselineForecast()
    figures: Co2Figures = Co2Figures()
