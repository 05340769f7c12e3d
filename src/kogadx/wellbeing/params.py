"""Params of the ``wellbeing`` stage (section ``wellbeing`` of params.yaml), checked at load."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from kogadx.params import section


@section
class RakingParams:
    """Raking (iterative proportional fitting) to the register's adult margins.

    ``margins``: each margin is a list of columns (``age_group``, ``sex``, ``district``);
    ``trim_ratio``: weight bounds as multiples of the mean weight (None = no trimming).
    """

    margins: tuple[tuple[str, ...], ...] = (("age_group", "sex"), ("district",))
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
    drivers: DriverParams = DriverParams()
    figures: WellbeingFigures = WellbeingFigures()
    log_models: bool = False  # logging the two models to MLflow takes a few seconds
