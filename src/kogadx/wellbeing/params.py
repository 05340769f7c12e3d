"""Params of the ``wellbeing`` stage (section ``wellbeing`` of params.yaml), checked at load."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from kogadx.params import section


@section
class RakingParams:
    """Raking (iterative proportional fitting) to the register's adult margins.

    ``margins``: each margin is a list of columns (``age_group``, ``sex``, ``district``, or
    ``district_age``: district × age group with adjacent age groups merged inside a district
    until each cell has ``min_cell`` respondents, see
    :func:`kogadx.wellbeing.raking.collapse_district_age`);
    ``trim_ratio``: weight bounds as multiples of the mean weight (None = no trimming).
    """

    margins: tuple[tuple[str, ...], ...] = (("age_group", "sex"), ("district_age",))
    min_cell: Annotated[int, Field(ge=1)] = 20
    tol: Annotated[float, Field(gt=0)] = 1e-6
    max_iter: Annotated[int, Field(ge=1)] = 500
    trim_ratio: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] | None = (0.2, 5.0)


@section
class DriverParams:
    """The driver models of happiness: a penalised linear model and LightGBM, with CV and bootstrap."""

    linear_model: Literal["ridge", "elasticnet"] = "ridge"
    alpha_log10_min: float = -2.0
    alpha_log10_max: float = 3.0
    n_alphas: Annotated[int, Field(ge=1)] = 26
    cv: Literal["kfold", "group"] = "kfold"  # group: GroupKFold by district
    cv_folds: Annotated[int, Field(ge=2)] = 5
    n_bootstrap: Annotated[int, Field(ge=2)] = 200
    n_bootstrap_lgbm: Annotated[int, Field(ge=2)] = 15
    perm_repeats: Annotated[int, Field(ge=1)] = 1
    lgbm: dict[str, Any] = Field(default_factory=dict)  # LightGBM settings merged on the engine's


@section
class SaeParams:
    """Variance and small-area estimation: bootstrap replicates re-raked, then Fay–Herriot.

    ``covariates``: district register covariates (columns of the objective table, or
    ``log_density``); ``variance_min_n``: districts with at least this many respondents set
    the design effect of the smoothed sampling variances.
    """

    n_replicates: Annotated[int, Field(ge=2)] = 100
    covariates: tuple[Literal["share_65plus", "log_density", "dist_stop_km"], ...] = (
        "share_65plus", "log_density", "dist_stop_km")
    variance_min_n: Annotated[int, Field(ge=2)] = 20
    variance_method: Literal["reml", "adjusted_reml"] = "adjusted_reml"


@section
class SensitivityParams:
    """How far the answer moves if non-respondents answered δ points lower than respondents.

    ``response_rate``: the survey's response rate (answers / invitations), known to the
    survey office; ``deltas``: differences on the 0–10 scale to show.
    """

    response_rate: Annotated[float, Field(gt=0, le=1)] = 0.35
    deltas: tuple[Annotated[float, Field(ge=0)], ...] = (0.25, 0.5, 1.0)


@section
class WellbeingFigures:
    """What the figures show: indicators mapped, districts profiled (names as people know them)."""

    map_indicators: tuple[str, ...] = ("happiness",)
    profile_districts: tuple[str, ...] = ()


@section
class WellbeingParams:
    """Section ``wellbeing``: survey weights, district indicators, driver models, figures."""

    SECTION: ClassVar[str] = "wellbeing"

    seed: int
    age_edges: tuple[int, ...] = (18, 30, 40, 50, 60, 70, 80, 90)
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    district_grouping: dict[str, str] = Field(default_factory=dict)  # base name → coarser district
    min_district_n: Annotated[int, Field(ge=0)] = 10  # fewer respondents: not shown in the report
    raking: RakingParams = RakingParams()
    sae: SaeParams = SaeParams()
    sensitivity: SensitivityParams = SensitivityParams()
    drivers: DriverParams = DriverParams()
    figures: WellbeingFigures = WellbeingFigures()
    log_models: bool = False  # logging the two models to MLflow takes a few seconds
