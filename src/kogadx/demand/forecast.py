"""Forecasting models for a regular count panel (one or many series).

Models, all scored on the same rolling-origin folds (``kogadx.demand.backtest``):

- ``seasonal_naive``: the same step one week earlier (same hour last week / same weekday).
- ``moving_average``: mean of the same step over the last four weeks known at the origin.
- ``mstl``: statsforecast MSTL (daily + weekly seasonality, AutoETS trend) per series,
  fitted on a recent history window; forecasts clipped at 0. ``autoets``: statsforecast
  AutoETS with one season (day for hourly data, week for daily data), same window.
- ``historical_average`` and the intermittent-demand models: :mod:`kogadx.demand.baselines`.
- ``lightgbm``: one global LightGBM model (Poisson objective by default) per horizon on
  calendar + panel exogenous columns + horizon-safe lags (direct multi-horizon strategy).
- ``oracle``: the true expected count (synthetic data only), the noise floor.

Exogenous columns are used as they stand at the target time: calendar and holiday flags
are known in advance; weather enters as recorded (a perfect forecast) unless ``weather:
persistence`` shifts it to what was known when the forecast was issued (see build_design).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kogadx.demand.lags import (
    GROUP,
    TARGET,
    TIME,
    PreparedPanel,
    add_horizon_features,
    calendar_features,
    seasonal_lag,
    steps_per_day,
    steps_per_week,
)
from kogadx.demand.params import DEFAULT_LGBM_PARAMS, ForecastParams

BASELINE_MODELS = ("seasonal_naive", "moving_average", "historical_average", "croston_optimized", "tsb",
                   "adida", "imapa", "mstl", "autoets")
WEATHER_COLS = ("temperature_c", "precipitation_mm")  # exogenous columns not known in advance


@dataclass(frozen=True)
class ForecastConfig:
    """The engine's settings, resolved from the ``forecast`` params by :meth:`from_params`
    (the stage, the dispatch stage and ``kogadx forecast evaluate`` all build it that way, so
    it has no defaults of its own and needs no checks: :class:`ForecastParams` validated them).

    ``horizons`` and ``step`` are in panel steps (hours or days). ``train_window`` caps
    LightGBM's training history (steps, None = all); ``mstl_history`` is the MSTL fit
    window (steps). ``coverage`` is the nominal interval coverage (0.8 = 80 %).
    ``lgbm_params`` are the section's ``lightgbm`` table merged on the engine's defaults.
    """

    horizons: tuple[int, ...]
    n_folds: int
    step: int | None
    models: tuple[str, ...]
    coverage: float
    seed: int
    num_boost_round: int
    lgbm_params: Mapping[str, Any]
    train_window: int | None
    mstl_history: int
    weather: str  # "observed", or "persistence": weather known only at issue time
    weather_cols: tuple[str, ...]
    origins: Mapping[int, tuple[int, int]] = field(default_factory=dict)  # horizon → (n, step)
    warmup: int = 1
    hour_bands: tuple[int, ...] = (11, 14, 17)
    calendar: str | None = None
    bootstrap: int = 2000
    mstl_stl: Mapping[str, int] = field(default_factory=dict)  # STL jumps of the MSTL decompositions
    lightgbm_refit: Mapping[int, int] = field(default_factory=dict)  # horizon → refit at every k-th origin

    def folds_for(self, horizon: int) -> tuple[int, int]:
        """(number of origins, steps between them) for ``horizon``."""
        if horizon in self.origins:
            n, step = self.origins[horizon]
            return int(n), int(step)
        return self.n_folds, self.fold_step

    def refit_every(self, horizon: int) -> int:
        """The backtest refits LightGBM at every k-th origin of ``horizon`` (1 = at each)."""
        return int(self.lightgbm_refit.get(horizon, 1))

    @property
    def fold_step(self) -> int:
        """Steps between consecutive forecast origins (default: the longest horizon)."""
        return self.step or max(self.horizons)

    @classmethod
    def from_params(cls, params: ForecastParams) -> ForecastConfig:
        """Build from the typed ``forecast`` section; LightGBM params merged on the defaults."""
        return cls(
            horizons=params.horizons,
            n_folds=params.n_folds,
            step=params.step,
            models=params.models,
            coverage=params.coverage,
            seed=params.seed,
            num_boost_round=params.num_boost_round,
            lgbm_params={**DEFAULT_LGBM_PARAMS, **params.lightgbm},
            train_window=params.train_window,
            mstl_history=params.mstl_history,
            weather=params.weather,
            weather_cols=WEATHER_COLS,
            origins={h: (n, step) for h, n, step in params.origins},
            warmup=params.warmup,
            hour_bands=params.hour_bands,
            calendar=params.calendar,
            bootstrap=params.bootstrap,
            mstl_stl={str(k): v for k, v in params.mstl_stl.items()},
            lightgbm_refit={h: k for h, k in params.lightgbm_refit},
        )

    @property
    def issue_time_cols(self) -> tuple[str, ...]:
        """Exogenous columns to shift to issue time (see :func:`build_design`)."""
        return self.weather_cols if self.weather == "persistence" else ()

    def lightgbm_params(self) -> dict[str, Any]:
        """LightGBM params with the reproducibility settings forced (1 thread, deterministic)."""
        return {
            **dict(self.lgbm_params),
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,
            "seed": self.seed,
            "verbosity": -1,
        }


@dataclass(frozen=True)
class Design:
    """A panel with the features of one horizon: rows, feature names, categorical names."""

    frame: pd.DataFrame
    horizon: int
    features: tuple[str, ...]
    categorical: tuple[str, ...]


def build_design(panel: PreparedPanel, horizon: int, frame: pd.DataFrame | None = None,
                 issue_time_cols: tuple[str, ...] = (), country: str | None = None) -> Design:
    """Feature table for a direct ``horizon``-step model: calendar + exogenous + safe lags.

    ``frame`` defaults to ``panel.frame``; pass an extended frame (future rows with
    ``y`` = NaN) to build features for the next period. The series id is a categorical
    feature when there is more than one series (one global model for all zones).
    ``issue_time_cols``: exogenous columns that are *not* known in advance (weather). They
    take the value of the same hour on the last day known when the forecast is issued
    (``day × ceil(horizon / day)`` steps back: a persistence forecast); other exogenous
    columns are used as recorded (known in advance, or a perfect forecast).
    ``country`` (``"JP"``, ``"US"``): add that country's public-holiday features
    (:func:`kogadx.demand.lags.holiday_features`).
    """
    base = panel.frame if frame is None else frame
    freq = panel.spec.freq
    if issue_time_cols:
        back = steps_per_day(freq) * math.ceil(horizon / steps_per_day(freq))
        base = base.copy()
        grouped = base.groupby(GROUP, sort=False, observed=True)
        for col in issue_time_cols:
            if col in base.columns:
                base[col] = grouped[col].shift(back)
    design, lag_cols = add_horizon_features(base, horizon, freq)
    cal = calendar_features(design[TIME], freq, country)
    design = pd.concat([design, cal], axis=1)
    features = [*cal.columns, *panel.exog_cols, *lag_cols]
    categorical = [c for c in panel.exog_cols if isinstance(design[c].dtype, pd.CategoricalDtype)]
    if design[GROUP].nunique() > 1:
        design["series_id"] = design[GROUP].astype("category")
        features.insert(0, "series_id")
        categorical.insert(0, "series_id")
    # Integer codes (sorted categories; -1 = missing) rather than pandas categoricals, so the
    # logged model takes plain integers (MLflow schema, pyfunc scoring).
    for col in categorical:
        design[col] = design[col].cat.codes.astype("int32")
    return Design(design, horizon, tuple(features), tuple(categorical))


def fit_lightgbm(design: Design, train_mask: np.ndarray, config: ForecastConfig) -> Any:
    """Train the global LightGBM model on the rows in ``train_mask`` with a known target.

    Rows whose shortest lag is still undefined (the first ``horizon`` steps of a series)
    are left out. Returns a ``lightgbm.Booster``.
    """
    import lightgbm as lgb

    frame = design.frame
    first_lag = f"lag_{design.horizon}"
    mask = train_mask & frame[TARGET].notna().to_numpy() & frame[first_lag].notna().to_numpy()
    if not mask.any():
        raise ValueError("LightGBM の学習に使える行がありません (履歴が予測期間より短い)")
    data = lgb.Dataset(
        frame.loc[mask, list(design.features)],
        label=frame.loc[mask, TARGET].to_numpy(),
        categorical_feature=list(design.categorical),
        free_raw_data=True,
        params={"verbosity": -1, "max_bin": config.lgbm_params["max_bin"]},
    )
    return lgb.train(config.lightgbm_params(), data, num_boost_round=config.num_boost_round)


def predict_lightgbm(booster: Any, design: Design, mask: np.ndarray) -> np.ndarray:
    """Expected counts for the rows in ``mask`` (clipped at 0)."""
    x = design.frame.loc[mask, list(design.features)]
    return np.clip(booster.predict(x, num_threads=1), 0.0, None)


def seasonal_naive(frame: pd.DataFrame, horizon: int, freq: str) -> pd.Series:
    """Same step one (or more) weeks back, the latest one known ``horizon`` steps ahead."""
    return frame.groupby(GROUP, sort=False, observed=True)[TARGET].shift(seasonal_lag(horizon, freq))


def moving_average(design: Design) -> pd.Series:
    """Mean of the same step over the last four weeks known at the origin."""
    return design.frame["same_step_mean_4w"]


def mstl_seasons(freq: str) -> list[int]:
    """MSTL seasonal periods in steps: day and week for hourly data, week for daily."""
    return [steps_per_day(freq), steps_per_week(freq)] if freq == "h" else [steps_per_week(freq)]


def forecast_mstl(
    frame: pd.DataFrame, origin: pd.Timestamp, horizon: int, freq: str, history: int, kind: str = "mstl",
    stl: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """MSTL forecasts for ``horizon`` steps after ``origin``, per series, clipped at 0.

    Each series is fitted on its last ``history`` steps up to and including ``origin``
    (at least two of the longest season). Returns columns ``unique_id``, ``ds``, ``yhat``.
    ``kind="autoets"``: statsforecast AutoETS with the daily season (hourly data) or the
    weekly one (daily data) instead of MSTL. ``stl``: statsmodels STL settings of every
    MSTL decomposition (e.g. the loess jumps; see the ``mstl_stl`` param).
    """
    from statsforecast.models import MSTL, AutoETS

    seasons = mstl_seasons(freq)
    history = max(history, 2 * max(seasons))
    delta = pd.Timedelta(1, unit=freq)
    rows = []
    for uid, part in frame[frame[TIME] <= origin].groupby(GROUP, sort=True, observed=True):
        y = part[TARGET].to_numpy(dtype="float64")[-history:]
        y = np.nan_to_num(y, nan=0.0)
        if y.size < 2 * max(seasons):
            raise ValueError(f"系列 {uid}: MSTL には {2 * max(seasons)} ステップ以上の履歴が必要です")
        if kind == "autoets":
            model: Any = AutoETS(season_length=seasons[0])
        else:
            model = MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"), stl_kwargs=dict(stl or {}))
        mean = model.forecast(y=y, h=horizon)["mean"]
        ds = pd.date_range(origin + delta, periods=horizon, freq=freq)
        rows.append(pd.DataFrame({GROUP: uid, TIME: ds, "yhat": np.clip(mean, 0.0, None)}))
    return pd.concat(rows, ignore_index=True)


def feature_importance(booster: Any) -> pd.DataFrame:
    """Gain importance per feature (share of total), largest first."""
    gain = booster.feature_importance(importance_type="gain")
    names = booster.feature_name()
    total = float(np.sum(gain)) or 1.0
    table = pd.DataFrame({"feature": names, "gain_share": np.asarray(gain, dtype="float64") / total})
    table = table.sort_values(["gain_share", "feature"], ascending=[False, True], kind="mergesort")
    return table.reset_index(drop=True)


def extend_future(panel: PreparedPanel, steps: int, known_future: pd.DataFrame | None = None) -> pd.DataFrame:
    """The panel plus ``steps`` future rows per series (``y`` = NaN) for the next period.

    Rows the panel already holds after the last known target (``y`` NaN, exogenous known)
    are used as they are. Missing future rows get static columns (constant within the
    series) from the series, and time-varying exogenous columns from the same step one
    week earlier — a naive stand-in, to be replaced by a real weather forecast.
    ``known_future`` (``time`` plus exogenous columns known in advance, e.g. the service
    calendar: holidays, service hours) overrides that stand-in for its columns, so a
    holiday next week is a holiday in the forecast, not a copy of last week's weekday.
    """
    frame = panel.frame
    delta = pd.Timedelta(1, unit=panel.spec.freq)
    week = steps_per_week(panel.spec.freq)
    known = frame[frame[TARGET].notna()]
    last = known.groupby(GROUP, observed=True)[TIME].max()
    pieces = []
    for uid, part in frame.groupby(GROUP, sort=True, observed=True):
        part = part[part[TIME] <= last[uid] + steps * delta]
        grid = pd.date_range(part[TIME].iloc[0], last[uid] + steps * delta, freq=panel.spec.freq)
        if len(grid) > len(part):
            part = part.set_index(TIME).reindex(grid).rename_axis(TIME).reset_index()
            part[GROUP] = uid
            for col in panel.exog_cols:
                values = part[col]
                if values.iloc[: len(values) - steps].nunique(dropna=True) <= 1:
                    part[col] = values.ffill()
                else:
                    # on a numpy copy: a pandas ``iloc`` write per missing step cost ~2 s per run (#25)
                    filled = values.to_numpy(copy=True)
                    for i in np.flatnonzero(values.isna().to_numpy()):
                        if i >= week:
                            filled[i] = filled[i - week]
                    part[col] = pd.Series(filled, index=values.index, dtype=values.dtype)
        pieces.append(part)
    out = pd.concat(pieces, ignore_index=True)
    if known_future is not None:
        cols = [c for c in known_future.columns if c != "time" and c in panel.exog_cols]
        table = known_future.assign(time=pd.to_datetime(known_future["time"])).drop_duplicates("time").set_index("time")
        future = (out[TIME] > out[GROUP].map(last).astype("datetime64[ns]")).to_numpy()
        times = out.loc[future, TIME]
        for col in cols:
            given = times.map(table[col])
            current = out.loc[future, col]
            if isinstance(current.dtype, pd.CategoricalDtype):
                current = current.astype(object)
            out.loc[future, col] = given.where(given.notna(), current).to_numpy()
    for col in panel.exog_cols:
        # categoricals always: the future rows may have widened them to object
        if isinstance(frame[col].dtype, pd.CategoricalDtype) or out[col].dtype != frame[col].dtype:
            out[col] = out[col].astype(frame[col].dtype)
    return out[frame.columns.tolist()]
