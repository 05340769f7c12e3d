"""The ``wellbeing`` stage: survey weights, district indicators, driver models, figures.

:func:`analyse_wellbeing` is the analysis (frames and typed params in, tables, figures,
metrics and models out); :func:`run_wellbeing` wraps it as the stage's outputs. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.io import InputFileError
from kogadx.params import as_dict
from kogadx.rng import stream_rng
from kogadx.stage import LoggedModel, StageOutputs, TrackedRun
from kogadx.wellbeing.categories import CATEGORY_KEYS, INDICATOR_LABELS, OVERALL_ITEMS
from kogadx.wellbeing.compare import profile_districts
from kogadx.wellbeing.data import SurveyDataError, standardize_register, standardize_survey
from kogadx.wellbeing.districts import assign_districts, district_order, district_polygons
from kogadx.wellbeing.drivers import DriverResult, cv_summary, fit_drivers
from kogadx.wellbeing.figures import choropleth_with_intervals, district_profile_chart, driver_chart, profile_heatmap
from kogadx.wellbeing.indicators import (
    CITY,
    add_labels,
    district_covariates,
    district_estimates,
    nonresponse_sensitivity,
    small_area_estimates,
    withhold_small_districts,
)
from kogadx.wellbeing.objective import objective_indicators
from kogadx.wellbeing.params import RakingParams, WellbeingParams
from kogadx.wellbeing.raking import (
    DISTRICT_AGE,
    RakingResult,
    add_district_age,
    collapse_district_age,
    population_margins,
    rake,
)
from kogadx.wellbeing.replicates import bootstrap_weights

INDICATORS: tuple[str, ...] = (*OVERALL_ITEMS, *CATEGORY_KEYS)
# Significant digits of every written float: the driver models are ridge fits whose BLAS
# kernels differ by CPU from about the 13th digit on (see kogadx.io.FLOAT_DIGITS).
FLOAT_DIGITS = 6


@dataclass(frozen=True)
class WellbeingInputs:
    """The pseudonymized survey (Japanese or English headers, ``age`` or ``age_band``), the
    pseudonymized register (person_id, age or age_band, sex, town_code), the towns
    (town_code, town_name, geometry, EPSG:6668) and, optionally, のるーと stops / stations
    (lat, lon). ``survey_file`` / ``residents_file`` name the inputs in messages."""

    survey: pd.DataFrame
    residents: pd.DataFrame
    towns: gpd.GeoDataFrame
    stops: pd.DataFrame | None = None
    survey_file: str = "survey"
    residents_file: str = "residents"


@dataclass
class WellbeingResult:
    """Everything the analysis produced: tables by file stem, figures by file name, metrics."""

    tables: dict[str, pd.DataFrame]
    figures: dict[str, Any]
    metrics: dict[str, Any]
    raking: RakingResult
    drivers: DriverResult
    models: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Calibration:
    """Raking result, the targets it matched and the respondents with their raking cells."""

    raking: RakingResult
    targets: dict[tuple[str, ...], pd.Series]
    respondents: pd.DataFrame


def calibrate(respondents: pd.DataFrame, register: pd.DataFrame, config: RakingParams) -> Calibration:
    """Raking weights of standardised respondents to the register's adult margins; a
    ``district_age`` margin uses the collapsed district × age cells (rule in
    :func:`kogadx.wellbeing.raking.collapse_district_age`)."""
    margins = [list(m) for m in config.margins]
    adults = register[register["adult_fraction"] > 0]
    if any(DISTRICT_AGE in m for m in margins):
        cells = collapse_district_age(respondents, config.min_cell)
        respondents = add_district_age(respondents, cells)
        adults = add_district_age(adults, cells)
    targets = population_margins(adults, margins, weight_column="adult_fraction")
    return Calibration(rake(respondents, targets, config), targets, respondents)


def compute_weights(respondents: pd.DataFrame, register: pd.DataFrame, config: RakingParams) -> RakingResult:
    """Raking weights of standardised respondents to the register's adult margins."""
    return calibrate(respondents, register, config).raking


def run_wellbeing(inputs: WellbeingInputs, params: WellbeingParams) -> StageOutputs:
    """The stage: tables, figures, the district series for ``dvc plots``, metrics, one MLflow run."""
    try:
        result = analyse_wellbeing(inputs, params)
    except SurveyDataError as exc:
        raise InputFileError(f"{inputs.survey_file} / {inputs.residents_file}: {exc}") from exc
    metrics = result.metrics
    models = []
    if params.log_models:
        example, reqs = result.models["input_example"], result.models["pip_requirements"]
        models = [LoggedModel("sklearn", result.models["linear"], "linear", input_example=example,
                              pip_requirements=reqs, options={"skops_trusted_types": ["numpy.dtype"]}),
                  LoggedModel("lightgbm", result.models["lightgbm"], "lightgbm", input_example=example,
                              pip_requirements=reqs)]
    run = TrackedRun("wellbeing", "drivers", params=as_dict(params), metrics=metrics,
                     artifacts={"figures": "figures"}, models=models)
    summary = result.tables["district_summary"]
    plot = summary.loc[~summary["withheld"], ["district", "n", "happiness_mean", "happiness_ci_low",
                                              "happiness_ci_high", "happiness_mean_eb"]]
    return StageOutputs(
        tables={f"tables/{name}.parquet": table for name, table in result.tables.items()},
        figures={f"figures/{name}": figure for name, figure in result.figures.items()},
        plots={"plots/district_happiness.csv": plot},
        metrics=metrics,
        runs=[run],
        summary=(f"回答者 {metrics['n_respondents']} 人、"
                 f"最大周辺誤差 {metrics['raking']['max_margin_error_pp']:.2g} pt"),
        float_digits=FLOAT_DIGITS,
    )


def analyse_wellbeing(inputs: WellbeingInputs, params: WellbeingParams, make_figures: bool = True) -> WellbeingResult:
    """Weights, district indicators (direct + EB), drivers, objective indicators, figures."""
    survey, residents, stops = inputs.survey, inputs.residents, inputs.stops
    towns = assign_districts(inputs.towns, params.district_grouping)
    edges = list(params.age_edges)
    level = params.level
    respondents = standardize_survey(survey, towns, edges, source=inputs.survey_file)
    register = standardize_register(residents, towns, edges, source=inputs.residents_file)
    order = district_order(towns)

    calibration = calibrate(respondents, register, params.raking)
    raking = calibration.raking
    weights = raking.weights
    replicates = bootstrap_weights(calibration.respondents, calibration.targets, params.raking,
                                   params.sae.n_replicates, stream_rng(params.seed, "wellbeing-bootstrap"))

    objective = objective_indicators(register, towns, stops)
    design, covariates = district_covariates(objective, order, params.sae.covariates)
    direct = district_estimates(respondents, weights, INDICATORS, level=level, districts=order)
    estimates = add_labels(small_area_estimates(direct, respondents, weights, replicates, design, order, level,
                                                params.sae.variance_min_n, params.sae.variance_method),
                           INDICATOR_LABELS)
    city_happiness = float(direct.loc[(direct["district"] == CITY) & (direct["indicator"] == "happiness"),
                                      "mean"].iloc[0])
    sensitivity = nonresponse_sensitivity(city_happiness, params.sensitivity.response_rate,
                                          params.sensitivity.deltas)

    drivers = fit_drivers(respondents[list(CATEGORY_KEYS)], respondents["happiness"], params.seed,
                          params.drivers, groups=respondents["district"], level=level)
    importances = drivers.importances.copy()
    importances.insert(1, "item_label", importances["item"].map(INDICATOR_LABELS))

    # what is published (summary table, figures) leaves out averages of a handful of people
    answered = respondents["district"].value_counts()
    published = withhold_small_districts(estimates, params.min_district_n, answered)
    estimates = estimates.assign(withheld=published["withheld"].to_numpy())
    summary = _district_summary(published, objective, order, answered)

    weights_table = respondents[[c for c in ("person_id", "district", "age_group", "sex") if c in respondents]].copy()
    weights_table["age_group"] = weights_table["age_group"].astype("string")
    weights_table["weight"] = weights

    tables = {
        "survey_weights": weights_table,
        "raking_margins": raking.margin_errors,
        "district_indicators": estimates,
        "district_objective": objective,
        "district_summary": summary,
        "driver_importance": importances,
        "driver_cv_scores": drivers.cv_scores,
        "nonresponse_sensitivity": sensitivity,
    }
    shown = set(published.loc[~published["withheld"], "district"])
    profile = profile_districts(params.figures.profile_districts, order, shown)
    figures = _figures(towns, published, importances, order, params, answered, profile) if make_figures else {}
    metrics = _metrics(respondents, estimates, raking, drivers, order, params)
    metrics["profile_districts"] = profile  # the report's alt text reads the figure's districts from here
    # the respondents each profile panel's title shows, so the report can check them against its table
    tables["profile_figure"] = pd.DataFrame({"district": profile,
                                             "n": [int(answered.get(d, 0)) for d in profile]})
    metrics["small_area"] = _sae_metrics(estimates, covariates, replicates)
    metrics["sensitivity"] = {"response_rate": params.sensitivity.response_rate,
                              "city_happiness_if_nonrespondents_lower": {
                                  f"{row.delta:g}": float(row.mean) for row in sensitivity.itertuples()}}
    models = {"linear": drivers.linear_model, "lightgbm": drivers.lgbm_model,
              "input_example": respondents[list(CATEGORY_KEYS)].head(5),
              "pip_requirements": _model_requirements()}
    return WellbeingResult(tables=tables, figures=figures, metrics=metrics, raking=raking, drivers=drivers,
                           models=models)


def _figures(towns: gpd.GeoDataFrame, published: pd.DataFrame, importances: pd.DataFrame, order: list[str],
             params: WellbeingParams, answered: pd.Series, profile: list[str]) -> dict[str, Any]:
    """Maps with intervals, the driver chart and the district profiles (published districts only).

    ``answered``: respondents per district, the same counts as the summary table's 回答者, so a
    figure and the table beside it never show two numbers for one district.
    """
    figures: dict[str, Any] = {}
    polys = district_polygons(towns)
    for indicator in params.figures.map_indicators:
        figures[f"map_{indicator}.png"] = choropleth_with_intervals(
            polys, published, indicator, INDICATOR_LABELS[indicator], order, params.level)
    figures["drivers.png"] = driver_chart(importances, INDICATOR_LABELS, params.level)
    figures["district_profile.png"] = district_profile_chart(published, profile, CATEGORY_KEYS, INDICATOR_LABELS,
                                                             respondents=answered.to_dict())
    figures["district_profile_heatmap.png"] = profile_heatmap(published, order, CATEGORY_KEYS, INDICATOR_LABELS)
    return figures


def _metrics(respondents: pd.DataFrame, estimates: pd.DataFrame, raking: RakingResult, drivers: DriverResult,
             order: list[str], params: WellbeingParams) -> dict[str, Any]:
    """The headline numbers of the stage (metrics/wellbeing.json)."""
    weights = raking.weights
    unweighted = district_estimates(respondents, np.ones(len(respondents)), ("happiness",), level=params.level,
                                    districts=[])
    top = drivers.importances.sort_values("rank_linear")["item"].head(7).tolist()
    dist_rows = estimates[(estimates["district"] != CITY) & (estimates["indicator"] == "happiness")]
    city = estimates[(estimates["district"] == CITY) & (estimates["indicator"] == "happiness")].iloc[0]
    return {
        "n_respondents": int(len(respondents)),
        "n_districts": len(order),
        "n_districts_without_respondents": int((dist_rows["n"] == 0).sum()),
        "min_district_n": params.min_district_n,
        "n_districts_withheld": int(dist_rows["withheld"].sum()),
        "raking": {
            "converged": bool(raking.converged),
            "iterations": int(raking.iterations),
            "max_margin_error_pp": raking.max_margin_error_pp,
            "kish_deff": raking.kish_deff,
            "max_weight_over_mean": float(weights.max() / weights.mean()),
            "trim_rounds": int(raking.trim_rounds),
            "dropped_cells": len(raking.dropped_cells),
        },
        "happiness": {
            "city_mean_weighted": float(city["mean"]),
            "city_mean_unweighted": float(unweighted["mean"].iloc[0]),
            "city_ci_low": float(city["ci_low"]),
            "city_ci_high": float(city["ci_high"]),
            "tau2": float(dist_rows["tau2"].iloc[0]),
            "median_shrinkage": float(dist_rows["shrinkage"].median()),
        },
        "drivers": {
            "alpha": drivers.alpha,
            "n_rows": drivers.n_rows,
            "cv": cv_summary(drivers.cv_scores),
            "top7_linear": top,
        },
    }


def _sae_metrics(estimates: pd.DataFrame, covariates: list[str], replicates: np.ndarray) -> dict[str, Any]:
    """Happiness by district: how much the models narrow the intervals against the direct ones."""
    rows = estimates[(estimates["district"] != CITY) & (estimates["indicator"] == "happiness")
                     & estimates["se"].notna()]
    return {
        "n_replicates": int(replicates.shape[1]),
        "covariates": covariates,
        "sigma2_u_happiness": float(rows["tau2"].iloc[0]) if len(rows) else float("nan"),
        "median_se_direct": float(rows["se"].median()),
        "median_se_shrunk": float(rows["se_shrunk"].median()),
        "median_se_fay_herriot": float(rows["se_eb"].median()),
    }


def _district_summary(estimates: pd.DataFrame, objective: pd.DataFrame, order: list[str],
                      answered: pd.Series) -> pd.DataFrame:
    """One row per district: respondents (people who answered, ``answered``), happiness/life
    satisfaction (direct + EB) and objective indicators."""
    rows = []
    for district in order:
        row: dict[str, Any] = {"district": district}
        for indicator in OVERALL_ITEMS:
            e = estimates[(estimates["district"] == district) & (estimates["indicator"] == indicator)].iloc[0]
            if indicator == "happiness":
                row["n"] = int(answered.get(district, 0))
                row["n_eff"] = float(e["n_eff"])
                row["withheld"] = bool(e["withheld"])
            for col in ("mean", "se", "ci_low", "ci_high", "mean_shrunk", "se_shrunk", "mean_eb", "se_eb", "ci_low_eb",
                        "ci_high_eb"):
                row[f"{indicator}_{col}"] = float(e[col])
        rows.append(row)
    return pd.DataFrame(rows).merge(objective, on="district", how="left")


def _model_requirements() -> list[str]:
    """Pinned requirements of the driver models, for MLflow model logging."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "lightgbm", "numpy", "pandas")]
