"""Gap filling, weather normalisation and the forecast on each business's own CalTRACK models.

Per business × fuel, CalTRACK billing models (:func:`kogadx.energy.caltrack.fit_billing_model`,
the same balance-point search and model selection as the M&V baselines) are fitted on every
valid month of a segment of the study period: a business with a measure month has a segment
before it and one after it (the measure changes use on purpose, so one model across it would
fill and normalise the months after it with the use before it); a business without one has a
single segment. The measure month itself is predicted by the segment before.

- **Gap filling**: a missing or excluded month takes its segment model's prediction at that
  month's weather.
- **Weather normalisation**: use − (β_h·(HDD − HDD_normal) + β_c·(CDD − CDD_normal))·days, at
  the model's own balance points, with normals = the calendar-month mean of the period-mean
  degree days over the years of the weather file.
- **Forecast**: the last segment's model under normal weather, ± z·RMSE of the monthly totals
  (residual spread only; parameter uncertainty is in the M&V FSU, not here).

A segment with fewer valid months than the M&V baseline needs (``min_baseline_coverage`` ×
``baseline_months``) gets no model; its months stay unfilled and the table says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.energy.baseline import fill_with_baseline, goodness_of_fit
from kogadx.energy.caltrack import (
    BillingFit,
    CaltrackConfig,
    fit_billing_model,
)
from kogadx.energy.mv import VALID_STATUS, business_chunks, monthly_degree_days
from kogadx.energy.params import BaselineForecast, MeasurementVerification
from kogadx.parallel import ordered_map, worker_count

MODEL_COLUMNS = ["business_id", "fuel", "segment", "first_month", "last_month", "n_months", "status", "reason",
                 "model_type", "heating_balance_point_c", "cooling_balance_point_c", "intercept_per_day",
                 "hdd_coef_per_day", "cdd_coef_per_day", "n_parameters", "rmse", "cv_rmse", "nmbe"]
PREDICTION_COLUMNS = ["business_id", "fuel", "year_month", "segment", "actual", "status", "days", "hdd_per_day",
                      "cdd_per_day", "hdd_normal_per_day", "cdd_normal_per_day", "predicted", "residual", "anomaly"]


@dataclass(frozen=True)
class CaltrackPeriodResult:
    """models: MODEL_COLUMNS (one row per business × fuel × segment); predictions: PREDICTION_COLUMNS;
    weather: what the forecast needs (degree-day normals per calendar month and balance point)."""

    models: pd.DataFrame
    predictions: pd.DataFrame
    hdd_normal: pd.DataFrame
    cdd_normal: pd.DataFrame


def _normals(frame: pd.DataFrame) -> pd.DataFrame:
    """Calendar-month (1–12) mean of period-mean degree days per day, per balance point."""
    month = pd.Index([int(k[5:7]) for k in frame.index], name="month")
    return frame.groupby(month).mean()


def fit_period_models(energy: pd.DataFrame, daily_temperature: pd.Series, interventions: pd.DataFrame,
                      params: MeasurementVerification, anomaly_sigma: float = 3.0) -> CaltrackPeriodResult:
    """CalTRACK models per business × fuel × segment and their month-by-month predictions.

    ``energy``: business_id, year_month, fuel, value, status (the cleaned table); every month of
    it gets a prediction row. ``interventions``: business_id, intervention_month ("YYYY-MM" or
    missing). ``anomaly`` marks |actual − predicted| > ``anomaly_sigma`` × RMSE.
    """
    config, hdd, cdd, weather_ok = monthly_degree_days(daily_temperature, params)
    hdd_normal, cdd_normal = _normals(hdd), _normals(cdd)
    measure = (interventions.set_index("business_id")["intervention_month"] if len(interventions)
               else pd.Series(dtype="string"))
    needed = int(np.ceil(params.min_baseline_coverage * params.baseline_months - 1e-9))
    tasks = [(part, measure, hdd, cdd, hdd_normal, cdd_normal, weather_ok, config, needed, anomaly_sigma)
             for part in business_chunks(energy)]
    models, preds = [], []
    for chunk_models, chunk_preds in ordered_map(_segments, tasks, worker_count()):
        models += chunk_models
        preds += chunk_preds
    model_df = pd.DataFrame(models).reindex(columns=MODEL_COLUMNS)
    pred_df = (pd.concat(preds, ignore_index=True) if preds else pd.DataFrame(columns=PREDICTION_COLUMNS))
    return CaltrackPeriodResult(model_df, pred_df.reindex(columns=PREDICTION_COLUMNS), hdd_normal, cdd_normal)


def _segments(energy: pd.DataFrame, measure: pd.Series, hdd: pd.DataFrame, cdd: pd.DataFrame,
              hdd_normal: pd.DataFrame, cdd_normal: pd.DataFrame, weather_ok: set[str], config: CaltrackConfig,
              needed: int, anomaly_sigma: float) -> tuple[list[dict], list[pd.DataFrame]]:
    """Model rows and prediction tables of every business × fuel × segment of ``energy`` (a worker's piece)."""
    models, preds = [], []
    for (business_id, fuel), group in energy.groupby(["business_id", "fuel"], sort=True):
        month = measure.get(business_id)
        month = str(month) if isinstance(month, str) and month else None
        group = group.sort_values("year_month")
        keys = group["year_month"].astype(str).to_numpy()
        if month is None:
            segments = {"all": np.ones(len(keys), bool)}
        else:
            segments = {"before": keys <= month, "after": keys > month}
        for segment, in_segment in segments.items():
            if not in_segment.any():
                continue
            part = group.loc[in_segment]
            row, pred = _one_segment(str(business_id), str(fuel), segment, part, month, hdd, cdd, hdd_normal,
                                     cdd_normal, weather_ok, config, needed, anomaly_sigma)
            models.append(row)
            preds.append(pred)
    return models, preds


def _at(frame: pd.DataFrame, keys: list[str] | list[int], bp: float) -> np.ndarray:
    """Degree days per day at balance point ``bp`` for ``keys`` (NaN where the weather is missing;
    zeros where the model has no such term)."""
    if not np.isfinite(bp):
        return np.zeros(len(keys))
    return frame[bp].reindex(keys).to_numpy(float)


def _one_segment(business_id: str, fuel: str, segment: str, part: pd.DataFrame, month: str | None,
                 hdd: pd.DataFrame, cdd: pd.DataFrame, hdd_normal: pd.DataFrame, cdd_normal: pd.DataFrame,
                 weather_ok: set[str], config: CaltrackConfig, needed: int,
                 anomaly_sigma: float) -> tuple[dict, pd.DataFrame]:
    keys = list(part["year_month"].astype(str))
    days = np.array([pd.Period(k, freq="M").days_in_month for k in keys], float)
    actual = part["value"].to_numpy(float)
    valid = part["status"].isin(VALID_STATUS).to_numpy() & np.isfinite(actual)
    # The measure month is installation time: predicted by the model before, not fitted.
    fit_mask = valid & np.array([k in weather_ok and k != month for k in keys])
    row: dict = {"business_id": business_id, "fuel": fuel, "segment": segment, "first_month": keys[0],
                 "last_month": keys[-1], "n_months": int(fit_mask.sum())}
    pred = pd.DataFrame({"business_id": business_id, "fuel": fuel, "year_month": keys, "segment": segment,
                         "actual": actual, "status": part["status"].to_numpy(), "days": days})
    fit: BillingFit | None = None
    if fit_mask.sum() < needed:
        row.update(status="insufficient_data",
                   reason=f"有効な月が {int(fit_mask.sum())} か月です ({needed} か月以上必要)")
    elif actual[fit_mask].mean() <= 0:
        row.update(status="zero_use", reason="使用量が 0 です")
    else:
        fit_keys = [k for k, ok in zip(keys, fit_mask, strict=True) if ok]
        fit = fit_billing_model(actual[fit_mask] / days[fit_mask], days[fit_mask], hdd.loc[fit_keys],
                                cdd.loc[fit_keys], config)
    if fit is None:
        for column in PREDICTION_COLUMNS[7:]:
            pred[column] = np.nan
        pred["anomaly"] = False
        return row, pred
    h, c = _at(hdd, keys, fit.heating_bp), _at(cdd, keys, fit.cooling_bp)
    cal = [int(k[5:7]) for k in keys]
    hn, cn = _at(hdd_normal, cal, fit.heating_bp), _at(cdd_normal, cal, fit.cooling_bp)
    predicted = fit.predict_per_day(h, c) * days
    cv, nmbe = goodness_of_fit(actual[fit_mask], predicted[fit_mask], fit.n_params_change_point)
    resid = actual - predicted
    dof = max(int(fit_mask.sum()) - fit.n_params_change_point, 1)
    rmse = float(np.sqrt(np.sum(resid[fit_mask] ** 2) / dof))
    row.update(status="fitted", reason="", model_type=fit.model_type, heating_balance_point_c=fit.heating_bp,
               cooling_balance_point_c=fit.cooling_bp, intercept_per_day=fit.intercept, hdd_coef_per_day=fit.beta_hdd,
               cdd_coef_per_day=fit.beta_cdd, n_parameters=fit.n_params_change_point, rmse=rmse, cv_rmse=cv,
               nmbe=0.0 if abs(nmbe) < 1e-9 else nmbe)
    pred = pred.assign(hdd_per_day=h, cdd_per_day=c, hdd_normal_per_day=hn, cdd_normal_per_day=cn,
                       predicted=predicted, residual=resid,
                       anomaly=np.abs(np.nan_to_num(resid)) > anomaly_sigma * rmse)
    return row, pred


def fill_gaps(energy: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """Add ``value_filled`` and ``is_estimated``: excluded/missing months take their segment
    model's prediction (clipped at 0); months with no model stay NaN (the same rule as
    :func:`kogadx.energy.baseline.fill_with_baseline`, with the CalTRACK segment predictions)."""
    return fill_with_baseline(energy, predictions)


def weather_normalised(models: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """Per business × fuel × month: ``value`` (actual, or the prediction where it was filled) and
    ``value_normalised`` (that use with this month's weather effect swapped for a normal month's,
    at the segment model's own balance points and coefficients)."""
    coefs = models.set_index(["business_id", "fuel", "segment"])[["hdd_coef_per_day", "cdd_coef_per_day"]]
    joined = predictions.join(coefs, on=["business_id", "fuel", "segment"])
    base = joined["actual"].where(joined["status"].isin(VALID_STATUS), joined["predicted"].clip(lower=0))
    adjust = joined["days"] * (
        joined["hdd_coef_per_day"].fillna(0) * (joined["hdd_per_day"] - joined["hdd_normal_per_day"]).fillna(0)
        + joined["cdd_coef_per_day"].fillna(0) * (joined["cdd_per_day"] - joined["cdd_normal_per_day"]).fillna(0))
    out = joined[["business_id", "fuel", "year_month"]].copy()
    out["value"] = base
    out["value_normalised"] = (base - adjust).clip(lower=0)
    return out


def forecast(result: CaltrackPeriodResult, config: BaselineForecast = BaselineForecast()) -> pd.DataFrame:
    """The next ``config.horizon_months`` months after the data under normal weather, from each
    business × fuel's last fitted segment; interval ± z × RMSE (monthly totals).

    Returns business_id, fuel, year_month, predicted, lower, upper (native unit).
    """
    columns = ["business_id", "fuel", "year_month", "predicted", "lower", "upper"]
    preds = result.predictions
    if preds.empty:
        return pd.DataFrame(columns=columns)
    last = pd.Period(preds["year_month"].max(), freq="M")
    future = pd.period_range(last + 1, periods=config.horizon_months, freq="M")
    cal = [p.month for p in future]
    days = np.array([p.days_in_month for p in future], float)
    fitted = result.models.loc[result.models["status"] == "fitted"]
    latest = fitted.sort_values("last_month").groupby(["business_id", "fuel"], sort=True).tail(1)
    rows = []
    for m in latest.sort_values(["business_id", "fuel"]).itertuples():
        h = _at(result.hdd_normal, cal, float(m.heating_balance_point_c))
        c = _at(result.cdd_normal, cal, float(m.cooling_balance_point_c))
        value = (m.intercept_per_day + np.nan_to_num(m.hdd_coef_per_day) * h
                 + np.nan_to_num(m.cdd_coef_per_day) * c) * days
        half = config.z * float(m.rmse)
        rows.append(pd.DataFrame({"business_id": m.business_id, "fuel": m.fuel,
                                  "year_month": [p.strftime("%Y-%m") for p in future],
                                  "predicted": np.clip(value, 0, None), "lower": np.clip(value - half, 0, None),
                                  "upper": value + half}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
