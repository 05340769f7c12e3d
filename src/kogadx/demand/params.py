"""Params of the demand stages: ``features`` (the zone × hour panel) and ``forecast``.

Both sections are also read by the ``dispatch`` stage (zones, service hours, the backtest
forecast of the replay weeks), so they live here, typed once. Defaults live only here:
engine functions that also run without params (``service_calendar``, ``PanelSpec``, the
``kogadx forecast evaluate`` options) read theirs with :func:`defaults_of`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field

from kogadx.params import section, stage_params

Hour = Annotated[int, Field(ge=0, le=24)]
ModelName = Literal["seasonal_naive", "moving_average", "historical_average", "croston_optimized", "tsb",
                    "adida", "imapa", "mstl", "autoets", "lightgbm", "oracle"]
MODELS: tuple[ModelName, ...] = get_args(ModelName)
StlJump = Literal["seasonal_jump", "trend_jump", "low_pass_jump"]

# LightGBM settings of the engine; the ``lightgbm`` table of the section is merged on them.
DEFAULT_LGBM_PARAMS: dict[str, Any] = {
    "objective": "poisson",
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "max_bin": 63,
}


@section
class FeaturesParams:
    """Section ``features``: how ride requests become the zone × hour demand panel."""

    SECTION: ClassVar[str] = "features"

    start: str  # first day of the panel, "YYYY-MM-DD"
    end: str  # last day (inclusive)
    zone_level: Literal["town", "stop_cluster"] = "stop_cluster"
    n_clusters: Annotated[int, Field(ge=1)] = 6
    count_outcomes: tuple[str, ...] = ("完了", "キャンセル", "無断キャンセル", "配車不可")
    weekday_hours: tuple[Hour, Hour] = (9, 17)  # first and last service hour (hour starts)
    weekend_hours: tuple[Hour, Hour] = (8, 18)
    school_holiday_end: str = "08-19"  # "MM-DD": last day of the summer school holidays
    school_holiday_days: Annotated[int, Field(ge=0)] = 25
    event_dates: tuple[str, ...] = ()


@section
class ForecastParams:
    """Section ``forecast``: the rolling-origin backtest, the models and their settings.

    ``horizons``, ``step``, ``train_window`` and ``mstl_history`` are in panel steps (hours).
    """

    SECTION: ClassVar[str] = "forecast"

    seed: int
    time_col: str = "time"
    target_col: str = "y"
    group_col: str = "zone"
    freq: Literal["h", "D"] = "h"
    weather: Literal["observed", "persistence"] = "persistence"
    truth_col: str = "lambda"  # true intensity column in data/truth (oracle only; never a feature)
    drop_cols: tuple[str, ...] = ()
    fill: Literal["zero", "interpolate", "error"] = "zero"  # a missing step's target
    horizons: Annotated[tuple[Annotated[int, Field(ge=1)], ...], Field(min_length=1)] = (24, 168)
    n_folds: Annotated[int, Field(ge=1)] = 4
    step: Annotated[int, Field(ge=1)] | None = None  # None = the longest horizon
    # per horizon: [horizon, number of origins, steps between origins]; overrides n_folds / step
    origins: tuple[tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]],
                   ...] = ()
    warmup: Annotated[int, Field(ge=1)] = 1  # first origins of each horizon that only calibrate the intervals
    hour_bands: tuple[Hour, ...] = (11, 14, 17)  # hour-of-day band edges (interval calibration, coverage by band)
    service_col: str | None = None  # 0/1 column: steps with 0 are closed (known zeros, not scored)
    calendar: Literal["JP", "US"] | None = None  # add public-holiday features of this country
    bootstrap: Annotated[int, Field(ge=100)] = 2000  # block-bootstrap replicates of the paired comparisons
    models: tuple[ModelName, ...] = MODELS
    coverage: Annotated[float, Field(gt=0, lt=1)] = 0.8
    num_boost_round: Annotated[int, Field(ge=1)] = 150
    train_window: Annotated[int, Field(ge=1)] | None = None  # None = all history
    mstl_history: Annotated[int, Field(ge=1)] = 672
    # STL settings of every MSTL decomposition (statsforecast passes one set to each season);
    # empty = statsmodels' defaults (jumps of 1: loess evaluated at every step)
    mstl_stl: dict[StlJump, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    lightgbm: dict[str, Any] = Field(default_factory=dict)  # merged on DEFAULT_LGBM_PARAMS
    # per horizon: [horizon, k]: the backtest refits LightGBM at every k-th origin only (the first of each
    # run of k) and forecasts the k origins with it, on the lags known at each; unlisted horizons: k = 1
    lightgbm_refit: tuple[tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]], ...] = ()


@stage_params
class ForecastStageParams:
    """The ``forecast`` stage: its section, and the ``features`` calendar settings (the
    next period's holidays, service hours and events are known in advance)."""

    forecast: ForecastParams
    features: FeaturesParams


def defaults_of(schema: Any) -> dict[str, Any]:
    """The default of every field of a params class that has one, by field name."""
    fields = schema.__pydantic_fields__
    return {name: info.get_default(call_default_factory=True) for name, info in fields.items()
            if not info.is_required()}
