"""Panel preparation and horizon-safe lag / rolling features for any time × group panel.

Every series is put on a regular grid (one row per group and step) so that a lag of ``k``
rows is a lag of ``k`` time steps. Features for a forecast horizon ``h`` only look at
targets at least ``h`` steps back: a row at ``origin + k`` (``1 <= k <= h``) then only sees
targets at or before the forecast origin, so the same feature table serves every origin
of a rolling backtest without leaking the future.

Canonical column names inside the engine follow the Nixtla convention: ``unique_id``
(series), ``ds`` (timestamp) and ``y`` (target, a count per step).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kogadx.demand.params import ForecastParams, defaults_of

GROUP, TIME, TARGET = "unique_id", "ds", "y"
SINGLE_SERIES_ID = "all"
FREQS = ("h", "D")
_DEFAULTS = defaults_of(ForecastParams)


@dataclass(frozen=True)
class PanelSpec:
    """How to read a user's panel: column names, frequency and columns to ignore.

    ``freq`` is ``"h"`` (hourly steps) or ``"D"`` (daily steps). ``truth_col`` names a
    column with the true expected count (synthetic data only); it feeds the oracle and is
    never a feature. ``drop_cols`` are never used as features (e.g. components of the
    target). ``fill`` says how a missing step's target is filled: ``"zero"`` (no record
    means no demand), ``"interpolate"`` (linear within the series) or ``"error"``.
    ``freq`` and ``fill`` default to the ``forecast`` section's defaults; the stage builds
    the spec with :func:`panel_spec_from_params`.
    """

    time_col: str
    target_col: str
    group_col: str | None = None
    freq: str = _DEFAULTS["freq"]
    truth_col: str | None = None
    drop_cols: tuple[str, ...] = ()
    fill: str = _DEFAULTS["fill"]
    duplicates: str = "error"
    drop_prefixes: tuple[str, ...] = ("lag_", "roll_", "rolling_")
    source: str = "panel"
    service_col: str | None = None  # 0/1: steps with 0 are closed (known zeros, not scored)
    min_rows: int = 0  # fewer rows in a series is an error (the CLI asks for one season)

    def __post_init__(self) -> None:
        if self.freq not in FREQS:
            raise ValueError(f"freq は {FREQS} のいずれかです (指定: {self.freq!r})")
        if self.fill not in ("zero", "interpolate", "error"):
            raise ValueError(f"fill は zero / interpolate / error のいずれかです (指定: {self.fill!r})")
        if self.duplicates not in ("error", "first"):
            raise ValueError(f"duplicates は error / first のいずれかです (指定: {self.duplicates!r})")


def panel_spec_from_params(params: ForecastParams, columns: list[str], source: str) -> PanelSpec:
    """Column names from the typed ``forecast`` section; the oracle only if ``columns`` (the
    panel's, plus the truth table's) hold the truth column."""
    return PanelSpec(
        time_col=params.time_col,
        target_col=params.target_col,
        group_col=params.group_col,
        freq=params.freq,
        truth_col=params.truth_col if params.truth_col in columns else None,
        drop_cols=params.drop_cols,
        fill=params.fill,
        source=source,
        service_col=params.service_col if params.service_col in columns else None,
    )


@dataclass(frozen=True)
class PreparedPanel:
    """A regular panel in canonical names plus what was done to make it regular."""

    frame: pd.DataFrame
    spec: PanelSpec
    exog_cols: tuple[str, ...]
    filled_steps: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def steps_per_day(freq: str) -> int:
    """Steps in a day: 24 for hourly, 1 for daily."""
    return 24 if freq == "h" else 1


def steps_per_week(freq: str) -> int:
    """Steps in a week: 168 for hourly, 7 for daily (the seasonal-naive period)."""
    return 7 * steps_per_day(freq)


def prepare_panel(frame: pd.DataFrame, spec: PanelSpec) -> PreparedPanel:
    """Validate, rename to canonical columns, and reindex every series to a regular grid.

    Raises ``ValueError`` naming the source, row and column for an unparsable timestamp,
    a non-numeric or negative target, or a duplicated (group, time) key. Missing steps get
    their target filled as ``spec.fill`` says; other columns are forward- then
    back-filled within the series (calendar/weather of the neighbouring step).
    """
    for col in (spec.time_col, spec.target_col, spec.group_col, spec.truth_col, spec.service_col):
        if col is not None and col not in frame.columns:
            raise ValueError(f"{spec.source}: 列 '{col}' がありません (列: {list(frame.columns)})")
    if len(frame) == 0:
        raise ValueError(f"{spec.source}: 行がありません")
    data = frame.copy()
    times = pd.to_datetime(data[spec.time_col], errors="coerce")
    bad = times.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{spec.source}: 行 {row + 2} 列 '{spec.time_col}' の日時を解釈できません: "
            f"{frame[spec.time_col].iloc[row]!r}"
        )
    target = pd.to_numeric(data[spec.target_col], errors="coerce")
    bad = target.isna() & data[spec.target_col].notna()
    bad |= target < 0
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{spec.source}: 行 {row + 2} 列 '{spec.target_col}' は 0 以上の数値でなければなりません: "
            f"{frame[spec.target_col].iloc[row]!r}"
        )
    data[TIME] = _on_grid(frame, data, times, spec)
    data[TARGET] = target.astype("float64")
    if spec.group_col is None:
        data[GROUP] = SINGLE_SERIES_ID
    else:
        data[GROUP] = data[spec.group_col].astype("string")
    dup = data.duplicated([GROUP, TIME], keep="first")
    n_duplicates = int(dup.sum())
    if n_duplicates and spec.duplicates == "first":
        data = data[~dup.to_numpy()]
    elif n_duplicates:
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValueError(
            f"{spec.source}: 行 {row + 2} の (系列, 時刻) = ({data[GROUP].iloc[row]}, "
            f"{data[TIME].iloc[row]}) が重複しています (列 '{spec.time_col}')"
        )
    reserved = {spec.time_col, spec.target_col, spec.group_col, GROUP, TIME, TARGET}
    exog = [
        c for c in data.columns
        if c not in reserved and c != spec.truth_col and c not in spec.drop_cols
        and not any(str(c).startswith(p) for p in spec.drop_prefixes)
    ]
    keep = [GROUP, TIME, TARGET, *exog] + ([spec.truth_col] if spec.truth_col else [])
    data = data[keep].sort_values([GROUP, TIME], kind="mergesort").reset_index(drop=True)

    sizes = data.groupby(GROUP, sort=True).size()
    if (sizes < spec.min_rows).any():
        uid = sizes.index[int(np.argmax((sizes < spec.min_rows).to_numpy()))]
        raise ValueError(
            f"{spec.source}: 系列 {uid} の行数 {int(sizes[uid])} が 1 季節 ({spec.min_rows} ステップ = 1 週間) "
            f"より少なく、列 '{spec.time_col}' の期間が短すぎて予測を評価できません"
        )
    out, filled = _fill_grid(data, spec, keep)
    for col in exog:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].astype("category")
        elif pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype("int8")
    notes = ((f"欠けた {filled} ステップを補完 (目的変数: {spec.fill})",) if filled else ()) + (
        (f"重複した (系列, 時刻) {n_duplicates} 行を除外 (最初の行を採用)",) if n_duplicates else ()
    )
    return PreparedPanel(out, spec, tuple(exog), filled, notes)


def _on_grid(frame: pd.DataFrame, data: pd.DataFrame, times: pd.Series, spec: PanelSpec) -> pd.Series:
    """The timestamps, checked to sit on the regular grid; the service column checked 0/1
    (converted in ``data``). Raises naming the row and column."""
    grid = times.dt.floor(spec.freq) if spec.freq == "h" else times.dt.normalize()
    off = (grid != times).to_numpy()
    if off.any():
        row = int(np.flatnonzero(off)[0])
        unit = "毎正時" if spec.freq == "h" else "日付のみ (時刻 0:00)"
        raise ValueError(
            f"{spec.source}: 行 {row + 2} 列 '{spec.time_col}' の時刻が等間隔の格子 ({unit}) に乗っていません: "
            f"{frame[spec.time_col].iloc[row]!r} (不規則な時刻の列は集計してから渡してください)"
        )
    if spec.service_col is not None:
        service = pd.to_numeric(data[spec.service_col], errors="coerce")
        bad = ~service.isin([0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"{spec.source}: 行 {row + 2} 列 '{spec.service_col}' (運行フラグ) は 0 か 1 でなければなりません: "
                f"{frame[spec.service_col].iloc[row]!r}"
            )
        data[spec.service_col] = service.astype("int8")
    return grid


def _fill_grid(data: pd.DataFrame, spec: PanelSpec, keep: list[str]) -> tuple[pd.DataFrame, int]:
    """Every series on a regular grid from its first to its last step; returns the frame
    (columns ``keep``) and the number of steps added (target as ``spec.fill`` says)."""
    pieces, filled = [], 0
    for uid, part in data.groupby(GROUP, sort=True):
        grid = pd.date_range(part[TIME].iloc[0], part[TIME].iloc[-1], freq=spec.freq)
        if len(grid) != len(part):
            missing = len(grid) - len(part)
            if spec.fill == "error":
                raise ValueError(f"{spec.source}: 系列 {uid} に欠けた時刻が {missing} 件あります")
            filled += missing
            present = pd.Series(True, index=part[TIME])
            part = part.set_index(TIME).reindex(grid).rename_axis(TIME).reset_index()
            part[GROUP] = uid
            gap = ~present.reindex(grid, fill_value=False).to_numpy()
            if spec.fill == "zero":
                part.loc[gap, TARGET] = 0.0
            else:
                interpolated = part[TARGET].interpolate(limit_area="inside")
                part.loc[gap, TARGET] = interpolated[gap]
            other = [c for c in part.columns if c not in (GROUP, TIME, TARGET)]
            part[other] = part[other].ffill().bfill()
        pieces.append(part[keep])
    return pd.concat(pieces, ignore_index=True), filled


def lag_steps(horizon: int, freq: str) -> list[int]:
    """Lags (in steps) usable for a direct forecast ``horizon`` steps ahead: all ``>= horizon``.

    Hourly: the horizon itself, whole days back up to a week, and 2–4 weeks back.
    Daily: the horizon itself, each day up to a week, and 2–4 weeks back.
    """
    if horizon < 1:
        raise ValueError(f"horizon は 1 以上です (指定: {horizon})")
    day, week = steps_per_day(freq), steps_per_week(freq)
    candidates = {horizon, *(day * k for k in range(1, 8)), *(week * k for k in range(1, 5))}
    return sorted(k for k in candidates if k >= horizon)


def seasonal_lag(horizon: int, freq: str) -> int:
    """The seasonal-naive lag: the same step of the most recent week known at the origin."""
    week = steps_per_week(freq)
    return week * math.ceil(horizon / week)


def add_horizon_features(
    frame: pd.DataFrame,
    horizon: int,
    freq: str,
    *,
    lags: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Add lag / rolling-mean columns of ``y`` that only use targets ``>= horizon`` steps back.

    ``frame`` must be a regular panel in canonical names sorted by (``unique_id``, ``ds``),
    as ``prepare_panel`` returns (future rows with ``y`` = NaN may be appended). Columns:
    ``lag_k`` for each lag; ``roll_mean_<w>`` = mean of the ``w`` steps ending ``horizon``
    back (w = one day and one week; daily data: a week and four weeks); ``same_step_mean_4w``
    = mean of the same step in the last four weeks known at the origin; ``same_step_mean_7d``
    (hourly only) = mean of the same hour on the last seven days known at the origin.
    Passing ``lags`` overrides the lag set (tests use it to build a leaky set on purpose).
    Returns the new frame and the names of the added columns.
    """
    lags = list(lags) if lags is not None else lag_steps(horizon, freq)
    day, week = steps_per_day(freq), steps_per_week(freq)
    out = frame.copy()
    grouped = out.groupby(GROUP, sort=False, observed=True)[TARGET]
    names: list[str] = []
    shifted = {k: grouped.shift(k) for k in sorted(set(lags) | {horizon})}
    for k in lags:
        out[f"lag_{k}"] = shifted[k]
        names.append(f"lag_{k}")
    windows = (day, week) if freq == "h" else (7, 28)
    base = shifted[horizon]
    for w in windows:
        name = f"roll_mean_{w}"
        out[name] = base.groupby(out[GROUP], sort=False, observed=True).transform(
            lambda s, w=w: s.rolling(w, min_periods=max(1, w // 2)).mean()
        )
        names.append(name)
    first_week = math.ceil(horizon / week)
    week_lags = [week * (first_week + j) for j in range(4)]
    out["same_step_mean_4w"] = _mean_of_shifts(out, week_lags)
    names.append("same_step_mean_4w")
    if freq == "h":
        first_day = math.ceil(horizon / day)
        out["same_step_mean_7d"] = _mean_of_shifts(out, [day * (first_day + j) for j in range(7)])
        names.append("same_step_mean_7d")
    return out, names


def _mean_of_shifts(frame: pd.DataFrame, shifts: Sequence[int]) -> pd.Series:
    grouped = frame.groupby(GROUP, sort=False, observed=True)[TARGET]
    stacked = np.column_stack([grouped.shift(k).to_numpy(dtype="float64") for k in shifts])
    with np.errstate(invalid="ignore"):
        counts = np.sum(~np.isnan(stacked), axis=1)
        sums = np.nansum(stacked, axis=1)
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return pd.Series(mean, index=frame.index)


def calendar_features(ds: pd.Series, freq: str, country: str | None = None) -> pd.DataFrame:
    """Calendar columns known in advance: hour (hourly only), weekday, month, day of year;
    with ``country`` also that country's public holidays (:func:`holiday_features`)."""
    cal = {
        "cal_dayofweek": ds.dt.day_of_week.astype("int16"),
        "cal_month": ds.dt.month.astype("int16"),
        "cal_dayofyear": ds.dt.day_of_year.astype("int16"),
    }
    if freq == "h":
        cal = {"cal_hour": ds.dt.hour.astype("int16"), **cal}
    out = pd.DataFrame(cal, index=ds.index)
    if country:
        out = pd.concat([out, holiday_features(ds, country)], axis=1)
    return out


HOLIDAY_REACH = 7  # days to / since a holiday are capped here (further away: no effect)


def holiday_features(ds: pd.Series, country: str) -> pd.DataFrame:
    """Public holidays of ``country`` (the ``holidays`` library), known years in advance.

    Columns: ``cal_holiday`` (0/1), ``cal_holiday_id`` (which holiday, by its order in the
    year; 0 = none), ``cal_days_to_holiday`` / ``cal_days_since_holiday`` (capped at
    ``HOLIDAY_REACH``), ``cal_dayofmonth`` and ``cal_weekofyear`` (bridge days, the weeks
    around Christmas / New Year / Golden Week).
    """
    import holidays

    days = ds.dt.normalize()
    years = range(int(days.dt.year.min()) - 1, int(days.dt.year.max()) + 2)
    table = holidays.country_holidays(country, years=years)
    dates = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in table))
    names = sorted({str(n) for n in table.values()})
    name_id = {n: i + 1 for i, n in enumerate(names)}
    by_date = {pd.Timestamp(d): name_id[str(n)] for d, n in table.items()}
    unique = pd.DatetimeIndex(days.unique()).sort_values()
    pos = dates.searchsorted(unique)
    nxt = dates[np.minimum(pos, len(dates) - 1)]
    prv = dates[np.maximum(np.searchsorted(dates, unique, side="right") - 1, 0)]
    per_day = pd.DataFrame({
        "cal_holiday": unique.isin(dates).astype("int16"),
        "cal_holiday_id": [by_date.get(d, 0) for d in unique],
        "cal_days_to_holiday": np.clip((nxt - unique).days, 0, HOLIDAY_REACH),
        "cal_days_since_holiday": np.clip((unique - prv).days, 0, HOLIDAY_REACH),
    }, index=unique)
    out = per_day.reindex(days.to_numpy()).set_axis(ds.index)
    out["cal_dayofmonth"] = ds.dt.day.astype("int16")
    out["cal_weekofyear"] = ds.dt.isocalendar().week.astype("int16").to_numpy()
    return out.astype("int16")
