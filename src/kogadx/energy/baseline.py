"""Weather-normalised baselines per business × source (IPMVP Option C, whole facility).

Model (monthly, native unit):  E = b0 + b_days · operating_days + b_cdd · CDD + b_hdd · HDD,
fitted by ordinary least squares (``numpy.linalg.lstsq``) on the months whose value passed
cleaning. Goodness of fit per ASHRAE Guideline 14-2014 (monthly data), with p = number of
fitted parameters and n the months used:

    CV(RMSE) = sqrt(Σ(y − ŷ)² / (n − p)) / ȳ,     NMBE = Σ(y − ŷ) / ((n − p) · ȳ)

A model passes when CV(RMSE) ≤ ``cv_max`` (15 %) and |NMBE| ≤ ``nmbe_max`` (5 %).
In-sample OLS with an intercept gives NMBE = 0 by construction, so the NMBE of a hold-out
(the last ``holdout_months`` valid months, model refitted without them) is reported too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.energy.params import Baseline, BaselineForecast
from kogadx.energy.weather import normal_degree_days
from kogadx.parallel import chunks, ordered_map, worker_count

COEF_NAMES = ("intercept", "per_operating_day", "cdd_coef", "hdd_coef")
VALID_STATUS = ("ok", "corrected")
NMBE_RESIDUE = 1e-9


@dataclass(frozen=True)
class BaselineResult:
    """models: one row per business × fuel; predictions: one row per business × month × fuel."""

    models: pd.DataFrame
    predictions: pd.DataFrame


def _design(op_days: np.ndarray, cdd: np.ndarray, hdd: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(op_days)), op_days, cdd, hdd])


def goodness_of_fit(y: np.ndarray, y_hat: np.ndarray, n_params: int) -> tuple[float, float]:
    """(CV(RMSE), NMBE) as fractions, ASHRAE Guideline 14 definitions (n − p denominators)."""
    n = len(y)
    dof = max(n - n_params, 1)
    mean = float(np.mean(y))
    if mean <= 0:
        return float("nan"), float("nan")
    resid = y - y_hat
    return float(np.sqrt(np.sum(resid**2) / dof) / mean), float(np.sum(resid) / (dof * mean))


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = max(len(y) - x.shape[1], 1)
    sigma2 = float(np.sum((y - x @ coef) ** 2) / dof)
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    return coef, np.sqrt(np.clip(np.diag(cov), 0, None))


def fit_baselines(energy: pd.DataFrame, degree_days: pd.DataFrame, config: Baseline = Baseline()) -> BaselineResult:
    """Fit one OLS baseline per business × fuel and predict every month of the table.

    ``energy`` is :class:`kogadx.energy.clean.CleanResult.energy`; ``degree_days`` has
    year_month, cdd, hdd. Missing operating days (missing months) are filled with the
    business's mean for that calendar month, so the baseline can impute the month.
    Groups with fewer than ``config.min_months`` valid months or zero mean get no model
    (``status`` says why). Predictions carry ``anomaly`` = |residual| > anomaly_sigma × RMSE.
    """
    dd = degree_days.set_index("year_month")[["cdd", "hdd"]]
    frame = energy.join(dd, on="year_month")
    if frame["cdd"].isna().any():
        months = sorted(frame.loc[frame["cdd"].isna(), "year_month"].unique())
        raise ValueError(f"度日データがない月があります: {', '.join(months[:5])}")
    cal_month = frame["year_month"].str.slice(5, 7)
    typical_days = frame.groupby([frame["business_id"], cal_month])["operating_days"].transform("mean")
    frame["operating_days_filled"] = frame["operating_days"].fillna(typical_days)

    tasks = [(part, config) for part in business_chunks(frame)]
    models, preds = [], []
    for chunk_models, chunk_preds in ordered_map(_fit_groups, tasks, worker_count()):
        models += chunk_models
        preds += chunk_preds
    model_df = pd.DataFrame(models)
    for column in ("cv_rmse", "nmbe", "pass_g14", "holdout_cv_rmse", "holdout_nmbe", *COEF_NAMES):
        if column not in model_df.columns:
            model_df[column] = np.nan
    pred_df = (pd.concat(preds, ignore_index=True) if preds else pd.DataFrame(
        columns=["business_id", "fuel", "year_month", "actual", "status", "operating_days", "cdd", "hdd",
                 "predicted", "residual", "anomaly"]))
    return BaselineResult(models=model_df, predictions=pred_df)


def business_chunks(energy: pd.DataFrame) -> list[pd.DataFrame]:
    """``energy`` cut into contiguous runs of businesses (in sorted business order), a few per
    worker process (:func:`kogadx.parallel.chunks`; one piece with one worker). Each business ×
    fuel is fitted on its own rows only, so the per-business loops give the same rows, in the
    same order, whether they run over the whole table or over these pieces one after another."""
    codes, uniques = pd.factorize(energy["business_id"], sort=True)
    pieces = chunks(len(uniques), worker_count(), per_worker=2)
    return [energy.loc[(codes >= r.start) & (codes < r.stop)] for r in pieces] if len(pieces) > 1 else [energy]


def _fit_groups(frame: pd.DataFrame, config: Baseline) -> tuple[list[dict], list[pd.DataFrame]]:
    """Model rows and prediction tables of every business × fuel of ``frame`` (a worker's piece)."""
    min_months, holdout_months = config.min_months, config.holdout_months
    models, preds = [], []
    for (business_id, fuel), group in frame.groupby(["business_id", "fuel"], sort=True):
        valid = group["status"].isin(VALID_STATUS) & group["operating_days"].notna() & group["value"].notna()
        fit_rows = group.loc[valid].sort_values("year_month")
        row = {"business_id": business_id, "fuel": fuel, "n_months": int(len(fit_rows)), "n_params": len(COEF_NAMES)}
        y = fit_rows["value"].to_numpy(float)
        if len(fit_rows) < min_months or y.mean() <= 0:
            row["status"] = "insufficient_data" if len(fit_rows) < min_months else "zero_use"
            models.append(row)
            continue
        x = _design(fit_rows["operating_days"].to_numpy(float), fit_rows["cdd"].to_numpy(float),
                    fit_rows["hdd"].to_numpy(float))
        coef, se = _fit(x, y)
        cv, nmbe = goodness_of_fit(y, x @ coef, len(coef))
        # In-sample NMBE of OLS with an intercept is 0 by construction; what is left is
        # floating residue (±1e-16) that differs by CPU, so it is written as 0.
        nmbe = 0.0 if abs(nmbe) < NMBE_RESIDUE else nmbe
        rmse = float(np.sqrt(np.sum((y - x @ coef) ** 2) / max(len(y) - len(coef), 1)))
        row.update({name: float(c) for name, c in zip(COEF_NAMES, coef, strict=True)})
        row.update({f"{name}_se": float(s) for name, s in zip(COEF_NAMES, se, strict=True)})
        row.update({"mean_use": float(y.mean()), "rmse": rmse, "cv_rmse": cv, "nmbe": nmbe,
                    "r2": float(1 - np.sum((y - x @ coef) ** 2) / np.sum((y - y.mean()) ** 2)),
                    "pass_g14": bool(cv <= config.cv_max and abs(nmbe) <= config.nmbe_max), "status": "fitted"})
        if len(fit_rows) - holdout_months >= min_months // 2 and holdout_months > 0:
            head, tail = slice(0, len(y) - holdout_months), slice(len(y) - holdout_months, len(y))
            c_train, _ = _fit(x[head], y[head])
            row["holdout_cv_rmse"], row["holdout_nmbe"] = goodness_of_fit(y[tail], x[tail] @ c_train, len(coef))
        models.append(row)
        x_all = _design(group["operating_days_filled"].to_numpy(float), group["cdd"].to_numpy(float),
                        group["hdd"].to_numpy(float))
        predicted = x_all @ coef
        resid = group["value"].to_numpy(float) - predicted
        preds.append(pd.DataFrame({
            "business_id": business_id, "fuel": fuel, "year_month": group["year_month"].to_numpy(),
            "actual": group["value"].to_numpy(float), "status": group["status"].to_numpy(),
            "operating_days": group["operating_days_filled"].to_numpy(float),
            "cdd": group["cdd"].to_numpy(float), "hdd": group["hdd"].to_numpy(float),
            "predicted": predicted, "residual": resid,
            "anomaly": np.abs(np.nan_to_num(resid)) > config.anomaly_sigma * rmse,
        }))
    return models, preds


def fill_with_baseline(energy: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """Add ``value_filled`` and ``is_estimated``: excluded/missing months take the baseline
    prediction (clipped at 0); months with no model stay NaN."""
    merged = energy.merge(predictions[["business_id", "fuel", "year_month", "predicted"]],
                          on=["business_id", "fuel", "year_month"], how="left")
    gap = ~merged["status"].isin(VALID_STATUS) | merged["value"].isna()
    merged["value_filled"] = merged["value"].where(~gap, merged["predicted"].clip(lower=0))
    merged["is_estimated"] = gap & merged["value_filled"].notna()
    return merged.drop(columns=["predicted"])


def business_g14_summary(models: pd.DataFrame) -> pd.DataFrame:
    """Per business: pass when every fitted source passes Guideline 14."""
    fitted = models.loc[models["status"] == "fitted"]
    return (fitted.groupby("business_id")
            .agg(n_sources=("fuel", "size"), pass_g14=("pass_g14", "all"),
                 worst_cv_rmse=("cv_rmse", "max"))
            .reset_index())


def forecast_baselines(models: pd.DataFrame, predictions: pd.DataFrame, degree_days: pd.DataFrame,
                       config: BaselineForecast = BaselineForecast()) -> pd.DataFrame:
    """Forecast the next ``config.horizon_months`` months under normal weather and typical operating days.

    Normal weather = calendar-month mean CDD/HDD of ``degree_days``; typical operating days
    = the business's calendar-month mean. Interval ± z × RMSE (residual spread only).
    Returns business_id, fuel, year_month, predicted, lower, upper (native unit).
    """
    horizon, z = config.horizon_months, config.z
    normals = normal_degree_days(degree_days).set_index("month")
    last = pd.Period(predictions["year_month"].max(), freq="M")
    future = pd.period_range(last + 1, periods=horizon, freq="M")
    pred = predictions.assign(month=predictions["year_month"].str.slice(5, 7).astype(int))
    typical = pred.groupby(["business_id", "fuel", "month"])["operating_days"].mean()
    fitted = models.loc[models["status"] == "fitted"].set_index(["business_id", "fuel"])
    rows = []
    for (business_id, fuel), m in fitted.iterrows():
        for period in future:
            days = typical.get((business_id, fuel, period.month), np.nan)
            value = (m["intercept"] + m["per_operating_day"] * days + m["cdd_coef"] * normals.at[period.month, "cdd"]
                     + m["hdd_coef"] * normals.at[period.month, "hdd"])
            rows.append({"business_id": business_id, "fuel": fuel, "year_month": period.strftime("%Y-%m"),
                         "predicted": max(value, 0.0), "lower": max(value - z * m["rmse"], 0.0),
                         "upper": value + z * m["rmse"]})
    return pd.DataFrame(rows, columns=["business_id", "fuel", "year_month", "predicted", "lower", "upper"])


def weather_normalised_use(models: pd.DataFrame, predictions: pd.DataFrame,
                           degree_days: pd.DataFrame) -> pd.DataFrame:
    """Per business × fuel × month: use normalised to normal weather.

    normalised = actual (or baseline where imputed) − b_cdd·(CDD − CDD_normal) − b_hdd·(HDD − HDD_normal):
    the actual use with this month's weather effect swapped for a normal month's.
    """
    normals = normal_degree_days(degree_days).set_index("month")
    month = predictions["year_month"].str.slice(5, 7).astype(int)
    coefs = models.set_index(["business_id", "fuel"])[["cdd_coef", "hdd_coef"]]
    joined = predictions.join(coefs, on=["business_id", "fuel"])
    base = joined["actual"].where(joined["status"].isin(VALID_STATUS), joined["predicted"].clip(lower=0))
    adjust = (joined["cdd_coef"] * (joined["cdd"] - month.map(normals["cdd"]))
              + joined["hdd_coef"] * (joined["hdd"] - month.map(normals["hdd"])))
    out = joined[["business_id", "fuel", "year_month"]].copy()
    out["value"] = base
    out["value_normalised"] = (base - adjust).clip(lower=0)
    return out
