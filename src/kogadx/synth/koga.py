"""Orchestrates the synthetic Koga: geography, residents, and each domain's generator.

``generate_koga`` is pure (typed params and the reference geography in, tables out); the
``synthesize`` stage (:mod:`kogadx.synth.stage`) turns the tables into the files the city's
systems would write (CP932 CSV with CRLF, Shift_JIS shapefile).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from kogadx.geo.estat import to_estat_frame
from kogadx.geo.reference import town_polygons
from kogadx.progress import note
from kogadx.rng import stream_rng
from kogadx.synth.counter import generate_counter
from kogadx.synth.energy import generate_business_energy
from kogadx.synth.params import CounterSynth, EnergySynth, Rides, SurveySynth, SynthesizeParams
from kogadx.synth.residents import generate_residents
from kogadx.synth.rides import generate_members, generate_ride_requests, generate_stops, residents_from_register_export
from kogadx.synth.survey import generate_survey
from kogadx.synth.weather import generate_hourly_weather


@dataclass
class RawTable:
    """One raw export: the frame as the source system writes it, its path and encoding."""

    frame: pd.DataFrame
    file: str
    encoding: str = "cp932"


@dataclass
class SyntheticKoga:
    tables: dict[str, RawTable] = field(default_factory=dict)
    small_areas: gpd.GeoDataFrame | None = None
    weather: pd.DataFrame | None = None
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)  # file name → frame
    truth_json: dict[str, Any] = field(default_factory=dict)  # file name → JSON-able object
    summary: dict[str, Any] = field(default_factory=dict)


_PROGRESS = "合成データ"


def generate_koga(params: SynthesizeParams, town_points: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame,
                  bus_stops: gpd.GeoDataFrame) -> SyntheticKoga:
    """Every raw export of the synthetic city, built on the reference geography (town points,
    city boundary, fixed-route bus stops: :mod:`kogadx.geo.reference`)."""
    seed, scale = params.seed, params.scale
    result = SyntheticKoga()
    towns = town_polygons(town_points, boundary)

    note(_PROGRESS, "1/5 住民台帳を生成しています")
    residents, residents_truth = generate_residents(stream_rng(seed, "residents"), towns, params.residents, scale)
    result.tables["residents"] = RawTable(residents, "residents.csv")
    result.truth["residents_faults.csv"] = residents_truth.faults

    clean = residents.drop_duplicates()
    population = clean.groupby("町丁目コード").size()
    households = clean.groupby("町丁目コード")["世帯番号"].nunique()
    result.small_areas = to_estat_frame(towns, population, households)
    note(_PROGRESS, "2/5 のるーと古賀の予約と運行を生成しています")
    _generate_rides(result, towns, bus_stops, residents, params.rides, seed, scale)
    note(_PROGRESS, "3/5 事業所のエネルギー使用量を生成しています")
    _generate_energy(result, towns, params.energy, seed, scale)
    note(_PROGRESS, "4/5 幸福度調査の回答を生成しています")
    _generate_survey(result, towns, residents_truth.register, params.survey, seed, scale)
    note(_PROGRESS, "5/5 現況届の窓口記録を生成しています")
    _generate_counter(result, residents_truth.register, params.counter, seed, scale,
                      dt.date.fromisoformat(params.residents.reference_date))
    result.summary = {
        "seed": seed,
        "scale": scale,
        "residents_population": residents_truth.population,
        "residents_households": residents_truth.households,
        "residents_raw_rows": len(residents),
        "residents_faults_planted": len(residents_truth.faults),
        "towns": len(towns),
        "ride_requests": len(result.tables["ride_requests"].frame),
        "ride_members": len(result.tables["members"].frame),
        "businesses": len(result.tables["businesses"].frame),
        "business_energy_rows": len(result.tables["business_energy"].frame),
        "survey_respondents": len(result.tables["survey"].frame),
        "counter_households": len(result.tables["counter_households"].frame),
        "counter_visits": len(result.tables["counter_log"].frame),
    }
    return result


def _generate_survey(result: SyntheticKoga, towns: gpd.GeoDataFrame, register: pd.DataFrame,
                     survey: SurveySynth, seed: int, scale: float) -> None:
    """Well-being survey: respondents sampled from the register, answers from a known model."""
    scaled = replace(survey, n_target=max(200, round(survey.n_target * scale)))
    raw, truth = generate_survey(stream_rng(seed, "survey"), register, towns, scaled)
    # Survey forms are keyed in by a contractor and delivered in Excel-friendly UTF-8 with BOM.
    result.tables["survey"] = RawTable(raw, "survey/wellbeing_survey.csv", "utf-8-sig")
    for name, frame in truth.tables().items():
        result.truth[f"{name}.parquet"] = frame
    result.truth_json["survey_model.json"] = truth.model


def _generate_counter(result: SyntheticKoga, register: pd.DataFrame, counter: CounterSynth, seed: int,
                      scale: float, reference: dt.date) -> None:
    """現況届 households (children's allowance office) and past reception logs served through a queue."""
    households, log, truth = generate_counter(stream_rng(seed, "counter"), register, counter, scale, reference)
    result.tables["counter_households"] = RawTable(households, "counter/households.csv")
    result.tables["counter_log"] = RawTable(log, "counter/reception_log.csv")
    result.truth["counter_visits.parquet"] = truth.visits


def _generate_energy(result: SyntheticKoga, towns: gpd.GeoDataFrame, energy: EnergySynth, seed: int,
                     scale: float) -> None:
    """GX×DX: business master and monthly energy use driven by the same synthetic weather."""
    population = result.small_areas.set_index("KEY_CODE")["JINKO"] if result.small_areas is not None else None
    towns_with_pop = towns.assign(population=towns["town_code"].map(population).fillna(0).astype(int)
                                  if population is not None else 0)
    scaled = replace(energy, n_businesses=max(10, round(energy.n_businesses * scale)))
    businesses, monthly, truth = generate_business_energy(stream_rng(seed, "energy"), towns_with_pop,
                                                          result.weather, scaled)
    # A business-support system run by the city: CP932 like the core systems.
    result.tables["businesses"] = RawTable(businesses, "energy/businesses.csv")
    result.tables["business_energy"] = RawTable(monthly, "energy/business_energy.csv")
    result.truth["energy_coefficients.parquet"] = truth.coefficients
    result.truth["energy_faults.parquet"] = truth.faults


def _generate_rides(result: SyntheticKoga, towns: gpd.GeoDataFrame, bus_stops: gpd.GeoDataFrame,
                    residents: pd.DataFrame, rides: Rides, seed: int, scale: float) -> None:
    """のるーと古賀: hourly weather, 63 stops, members from the register, ride requests, truth λ."""
    # Weather one day either side so every service hour has an observation.
    weather = generate_hourly_weather(stream_rng(seed, "weather"), rides.weather_start, rides.weather_end)
    result.weather = weather
    stops = generate_stops(stream_rng(seed, "ride_stops"), towns, bus_stops, rides)
    n_members = max(50, round(rides.n_members * scale))
    members = generate_members(stream_rng(seed, "ride_members"), residents_from_register_export(residents), stops,
                               n_members, rides)
    requests, intensity = generate_ride_requests(stream_rng(seed, "ride_requests"), members, stops, weather, rides,
                                                 scale)
    # The booking system (a vendor cloud service) exports UTF-8 with BOM; the stop master is plain UTF-8.
    result.tables["stops"] = RawTable(stops, "rides/stops.csv", "utf-8")
    result.tables["members"] = RawTable(members, "rides/members.csv", "utf-8-sig")
    result.tables["ride_requests"] = RawTable(requests, "rides/ride_requests.csv", "utf-8-sig")
    result.truth["demand_intensity.parquet"] = intensity
    # the as-operated run's drawn travel conditions and causes (kogadx.synth.operations)
    result.truth_json["ride_operations.json"] = requests.attrs.get("operations", {})
