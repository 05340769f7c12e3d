"""The well-being stage as one pure function: inputs in, tables + figures + metrics out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kogadx.wellbeing.categories import CATEGORY_KEYS, INDICATOR_LABELS, OVERALL_ITEMS
from kogadx.wellbeing.data import standardize_register, standardize_survey
from kogadx.wellbeing.districts import assign_districts, district_order, district_polygons
from kogadx.wellbeing.drivers import DriverResult, cv_summary, fit_drivers
from kogadx.wellbeing.figures import choropleth_with_intervals, district_profile_chart, driver_chart, profile_heatmap
from kogadx.wellbeing.indicators import (
    CITY,
    add_labels,
    district_estimates,
    shrink_to_city_mean,
    withhold_small_districts,
)
from kogadx.wellbeing.objective import objective_indicators
from kogadx.wellbeing.raking import RakingResult, population_margins, rake

INDICATORS: tuple[str, ...] = (*OVERALL_ITEMS, *CATEGORY_KEYS)


@dataclass
class WellbeingResult:
    """Everything the stage writes: tables by file stem, figures by file name, metrics."""

    tables: dict[str, pd.DataFrame]
    figures: dict[str, Any]
    metrics: dict[str, Any]
    raking: RakingResult
    drivers: DriverResult
    models: dict[str, Any] = field(default_factory=dict)


def compute_weights(
    respondents: pd.DataFrame, register: pd.DataFrame, params: Mapping[str, Any]
) -> RakingResult:
    """Raking weights of standardised respondents to the register's adult margins."""
    margins = [list(m) for m in params["raking"]["margins"]]
    targets = population_margins(register[register["adult_fraction"] > 0], margins, weight_column="adult_fraction")
    trim = params["raking"].get("trim_ratio")
    return rake(
        respondents,
        targets,
        tol=float(params["raking"]["tol"]),
        max_iter=int(params["raking"]["max_iter"]),
        trim_ratio=tuple(trim) if trim else None,
    )


def run_wellbeing(
    survey: pd.DataFrame,
    residents: pd.DataFrame,
    towns: gpd.GeoDataFrame,
    params: Mapping[str, Any],
    stops: pd.DataFrame | None = None,
    make_figures: bool = True,
) -> WellbeingResult:
    """Weights, district indicators (direct + EB), drivers, objective indicators, figures.

    ``survey``: pseudonymized survey (Japanese or English headers, ``age`` or ``age_band``);
    ``residents``: pseudonymized register (person_id, age or age_band, sex, town_code);
    ``towns``: GeoDataFrame (town_code, town_name, geometry, EPSG:6668); ``stops``: optional
    lat/lon frame of のるーと stops / stations. ``params``: the ``wellbeing`` section.
    """
    grouping = params.get("district_grouping") or {}
    towns = assign_districts(towns, grouping)
    edges = [int(e) for e in params["age_edges"]]
    level = float(params["level"])
    respondents = standardize_survey(survey, towns, edges, source="survey")
    register = standardize_register(residents, towns, edges, source="residents")
    order = district_order(towns)

    raking = compute_weights(respondents, register, params)
    weights = raking.weights

    direct = district_estimates(respondents, weights, INDICATORS, level=level, districts=order)
    estimates = add_labels(shrink_to_city_mean(direct, level=level), INDICATOR_LABELS)
    unweighted = district_estimates(respondents, np.ones(len(respondents)), ("happiness",), level=level, districts=[])

    d = params["drivers"]
    seed = int(params["seed"])
    alphas = np.logspace(float(d["alpha_log10_min"]), float(d["alpha_log10_max"]), int(d["n_alphas"]))
    drivers = fit_drivers(
        respondents[list(CATEGORY_KEYS)],
        respondents["happiness"],
        seed=seed,
        groups=respondents["district"] if d["cv"] == "group" else None,
        linear_kind=str(d["linear_model"]),
        alphas=alphas,
        cv_folds=int(d["cv_folds"]),
        n_bootstrap=int(d["n_bootstrap"]),
        n_bootstrap_lgbm=int(d["n_bootstrap_lgbm"]),
        perm_repeats=int(d["perm_repeats"]),
        lgbm_params=d.get("lgbm") or {},
        level=level,
    )
    importances = drivers.importances.copy()
    importances.insert(1, "item_label", importances["item"].map(INDICATOR_LABELS))

    objective = objective_indicators(register, towns, stops)
    # what is published (summary table, figures) leaves out averages of a handful of people
    answered = respondents["district"].value_counts()
    published = withhold_small_districts(estimates, int(params.get("min_district_n", 0)), answered)
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
    }
    figures: dict[str, Any] = {}
    if make_figures:
        polys = district_polygons(towns)
        f = params.get("figures") or {}
        for indicator in f.get("map_indicators", ["happiness"]):
            figures[f"map_{indicator}.png"] = choropleth_with_intervals(
                polys, published, indicator, INDICATOR_LABELS[indicator], order, level
            )
        figures["drivers.png"] = driver_chart(importances, INDICATOR_LABELS, level)
        shown = set(published.loc[~published["withheld"], "district"])
        profile = [x for x in f.get("profile_districts", []) if x in order and x in shown] or \
            [x for x in order if x in shown][:4] or order[:4]
        figures["district_profile.png"] = district_profile_chart(published, profile, CATEGORY_KEYS, INDICATOR_LABELS)
        figures["district_profile_heatmap.png"] = profile_heatmap(published, order, CATEGORY_KEYS, INDICATOR_LABELS)

    top = importances.sort_values("rank_linear")["item"].head(7).tolist()
    dist_rows = estimates[(estimates["district"] != CITY) & (estimates["indicator"] == "happiness")]
    city = estimates[(estimates["district"] == CITY) & (estimates["indicator"] == "happiness")].iloc[0]
    metrics = {
        "n_respondents": int(len(respondents)),
        "n_districts": len(order),
        "n_districts_without_respondents": int((dist_rows["n"] == 0).sum()),
        "min_district_n": int(params.get("min_district_n", 0)),
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
    models = {"linear": drivers.linear_model, "lightgbm": drivers.lgbm_model,
              "input_example": respondents[list(CATEGORY_KEYS)].head(5),
              "pip_requirements": _model_requirements()}
    return WellbeingResult(tables=tables, figures=figures, metrics=metrics, raking=raking, drivers=drivers, models=models)


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
            for col in ("mean", "ci_low", "ci_high", "mean_eb", "ci_low_eb", "ci_high_eb"):
                row[f"{indicator}_{col}"] = float(e[col])
        rows.append(row)
    return pd.DataFrame(rows).merge(objective, on="district", how="left")


def _model_requirements() -> list[str]:
    """Pinned requirements of the driver models, for MLflow model logging."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "lightgbm", "numpy", "pandas")]
