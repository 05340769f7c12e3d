"""Measurement and verification per business × fuel: CalTRACK billing baseline over a 12-month
baseline period, the reporting period after it, avoided energy with its 90 % FSU interval, and
the ASHRAE Guideline 14 checks — each with a status and a reason a person can read.

Periods (IPMVP Option C): a business with a known measure month (``intervention_month``) has
its baseline in the ``baseline_months`` before that month and its reporting period in the
``reporting_months`` after it (the measure month itself is left out, as installation time);
a business without one has its baseline from ``default_baseline_start`` and its reporting
period right after (then the "savings" measure the change since the baseline year).

Guideline 14 (2014, §4.3.2.4 whole-facility baseline, UNCONFIRMED reading of the thresholds,
kept as params): CV(RMSE) ≤ ``cv_max`` and |NMBE| ≤ ``nmbe_max`` on the baseline fit, with
n − p denominators where p counts the searched balance points too (``n_parameters``: 1 for
intercept-only, 3 for HDD- or CDD-only, 5 for HDD+CDD). The
reporting-period prediction check (only where no measure was taken, since a measure changes
use on purpose): |NMBE| of the prediction ≤ ``prediction_nmbe_max``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kogadx.energy.baseline import business_chunks, goodness_of_fit
from kogadx.energy.caltrack import (
    BillingFit,
    CaltrackConfig,
    degree_days_at,
    fit_billing_model,
    lag1_autocorrelation,
    monthly_weather_coverage,
    period_degree_days,
    savings_uncertainty,
)
from kogadx.energy.params import MeasurementVerification
from kogadx.parallel import ordered_map, worker_count

VALID_STATUS = ("ok", "corrected")
NMBE_RESIDUE = 1e-9
MODEL_COLUMNS = [
    "business_id", "fuel", "status", "reason", "intervention_month", "baseline_start", "baseline_end",
    "reporting_start", "reporting_end", "n_baseline_months", "n_reporting_months", "model_type",
    "heating_balance_point_c", "cooling_balance_point_c", "intercept_per_day", "hdd_coef_per_day",
    "cdd_coef_per_day", "n_parameters", "r2_adj", "cv_rmse", "nmbe", "residual_autocorrelation", "n_effective",
    "pass_g14",
    "g14_reason", "reporting_cv_rmse", "reporting_nmbe", "reporting_check", "reporting_reason",
    "predicted_reporting", "actual_reporting", "savings", "savings_half_width", "savings_lower", "savings_upper",
    "fsu", "unit",
]
MONTHLY_COLUMNS = ["business_id", "fuel", "year_month", "period", "days", "actual", "predicted"]


@dataclass(frozen=True)
class MvResult:
    """models: MODEL_COLUMNS, one row per business × fuel; monthly: MONTHLY_COLUMNS."""

    models: pd.DataFrame
    monthly: pd.DataFrame


def monthly_degree_days(daily_temperature: pd.Series, params: MeasurementVerification
                        ) -> tuple[CaltrackConfig, pd.DataFrame, pd.DataFrame, set[str]]:
    """The CalTRACK config, the HDD/CDD per calendar month over the balance-point grids and the
    months with enough weather; a month below ``min_weather_coverage`` gets no degree days (NaN)."""
    config = caltrack_config(params)
    coverage = monthly_weather_coverage(daily_temperature)
    weather_ok = set(coverage.index[coverage >= params.min_weather_coverage])
    labels = pd.Series(daily_temperature.index.to_period("M").strftime("%Y-%m"), index=daily_temperature.index)
    labels = labels.where(labels.isin(weather_ok))
    hdd = period_degree_days(daily_temperature, labels, config.heating_grid, heating=True)
    cdd = period_degree_days(daily_temperature, labels, config.cooling_grid, heating=False)
    return config, hdd, cdd, weather_ok


def caltrack_config(params: MeasurementVerification) -> CaltrackConfig:
    """The CalTRACK grid and rules from params."""
    def grid(lo: float, hi: float) -> tuple[float, ...]:
        return tuple(float(v) for v in np.round(np.arange(lo, hi + 1e-9, params.grid_step_c), 2))
    return CaltrackConfig(heating_grid=grid(*params.heating_grid_c), cooling_grid=grid(*params.cooling_grid_c),
                          min_total_degree_days=params.min_total_degree_days_c, max_p_value=params.max_p_value)


def measure_savings(energy: pd.DataFrame, daily_temperature: pd.Series, interventions: pd.DataFrame,
                    params: MeasurementVerification, units: dict[str, str] | None = None) -> MvResult:
    """M&V for every business × fuel of ``energy`` (business_id, year_month, fuel, value, status).

    ``interventions``: business_id, intervention_month ("YYYY-MM" or missing).
    """
    config, hdd, cdd, weather_ok = monthly_degree_days(daily_temperature, params)
    measure = interventions.set_index("business_id")["intervention_month"] if len(interventions) else pd.Series()
    tasks = [(part, measure, hdd, cdd, weather_ok, config, params, units) for part in business_chunks(energy)]
    rows, monthly = [], []
    for chunk_rows, chunk_monthly in ordered_map(_meters, tasks, worker_count()):
        rows += chunk_rows
        monthly += chunk_monthly
    models = pd.DataFrame(rows).reindex(columns=MODEL_COLUMNS)
    monthly_df = (pd.concat(monthly, ignore_index=True) if monthly
                  else pd.DataFrame(columns=MONTHLY_COLUMNS))
    return MvResult(models=models, monthly=monthly_df)


def _meters(energy: pd.DataFrame, measure: pd.Series, hdd: pd.DataFrame, cdd: pd.DataFrame, weather_ok: set[str],
            config: CaltrackConfig, params: MeasurementVerification,
            units: dict[str, str] | None) -> tuple[list[dict], list[pd.DataFrame]]:
    """The M&V rows and monthly tables of every business × fuel of ``energy`` (a worker's piece)."""
    rows, monthly = [], []
    for (business_id, fuel), group in energy.groupby(["business_id", "fuel"], sort=True):
        month = measure.get(business_id)
        month = str(month) if isinstance(month, str) and month else None
        row, part = _one_meter(str(business_id), str(fuel), group, month, hdd, cdd, weather_ok, config, params)
        row["unit"] = (units or {}).get(str(fuel), "")
        rows.append(row)
        if part is not None:
            monthly.append(part)
    return rows, monthly


def _periods(month: str | None, params: MeasurementVerification) -> tuple[pd.PeriodIndex, pd.PeriodIndex]:
    if month is not None:
        m = pd.Period(month, freq="M")
        base = pd.period_range(m - params.baseline_months, periods=params.baseline_months, freq="M")
        rep = pd.period_range(m + 1, periods=params.reporting_months, freq="M")
    else:
        base = pd.period_range(params.default_baseline_start, periods=params.baseline_months, freq="M")
        rep = pd.period_range(base[-1] + 1, periods=params.reporting_months, freq="M")
    return base, rep


def _one_meter(business_id: str, fuel: str, group: pd.DataFrame, month: str | None, hdd: pd.DataFrame,
               cdd: pd.DataFrame, weather_ok: set[str], config: CaltrackConfig,
               params: MeasurementVerification) -> tuple[dict, pd.DataFrame | None]:
    base_p, rep_p = _periods(month, params)
    base_keys, rep_keys = list(base_p.strftime("%Y-%m")), list(rep_p.strftime("%Y-%m"))
    row: dict = {"business_id": business_id, "fuel": fuel, "intervention_month": month or "",
                 "baseline_start": base_keys[0], "baseline_end": base_keys[-1],
                 "reporting_start": rep_keys[0], "reporting_end": rep_keys[-1]}
    valid = group.loc[group["status"].isin(VALID_STATUS) & group["value"].notna()].set_index("year_month")["value"]
    base_valid = [k for k in base_keys if k in valid.index]
    no_weather = [k for k in base_valid if k not in weather_ok]
    base_ok = [k for k in base_valid if k in weather_ok]
    row["n_baseline_months"] = len(base_ok)
    needed = int(np.ceil(params.min_baseline_coverage * params.baseline_months - 1e-9))
    if len(base_ok) < needed:
        if no_weather and len(base_valid) >= needed:
            row["status"] = "weather_gap"
            row["reason"] = (f"気象データの欠測でベースライン期間の月が使えません: {', '.join(no_weather[:3])}"
                             f" (有効 {len(base_ok)} か月、{needed} か月以上必要)")
        else:
            row["status"] = "insufficient_baseline"
            row["reason"] = (f"ベースライン期間 {base_keys[0]}〜{base_keys[-1]} ({params.baseline_months} か月) の"
                             f"有効な月が {len(base_ok)} か月です ({needed} か月以上必要)")
        return row, None
    y_base = valid.loc[base_ok].to_numpy(float)
    if y_base.mean() <= 0:
        row.update(status="zero_use", reason="ベースライン期間の使用量が 0 です")
        return row, None
    days_base = np.array([pd.Period(k, freq="M").days_in_month for k in base_ok], float)
    fit = fit_billing_model(y_base / days_base, days_base, hdd.loc[base_ok], cdd.loc[base_ok], config)
    h, c = degree_days_at(fit, hdd.loc[base_ok], cdd.loc[base_ok])
    pred_base = fit.predict_per_day(h, c) * days_base
    cv, nmbe = goodness_of_fit(y_base, pred_base, fit.n_params_change_point)
    # Where the weighted fit makes the residuals sum to 0 exactly (equal month lengths, intercept
    # only), what is left is floating residue (±1e-16) that differs by CPU: written as 0.
    nmbe = 0.0 if abs(nmbe) < NMBE_RESIDUE else nmbe
    rho = lag1_autocorrelation(y_base - pred_base)
    row.update(_fit_columns(fit, cv, nmbe, rho, params))
    rep_ok = [k for k in rep_keys if k in valid.index and k in weather_ok]
    row["n_reporting_months"] = len(rep_ok)
    part = [pd.DataFrame({"business_id": business_id, "fuel": fuel, "year_month": base_ok, "period": "baseline",
                          "days": days_base, "actual": y_base, "predicted": pred_base})]
    if not rep_ok:
        row.update(status="fitted", reason="報告期間に有効な月がないため削減量は計算できません",
                   reporting_check="not_applicable", reporting_reason="報告期間のデータなし")
        return row, pd.concat(part, ignore_index=True)
    days_rep = np.array([pd.Period(k, freq="M").days_in_month for k in rep_ok], float)
    rh, rc = degree_days_at(fit, hdd.loc[rep_ok], cdd.loc[rep_ok])
    pred_rep = fit.predict_per_day(rh, rc) * days_rep
    y_rep = valid.loc[rep_ok].to_numpy(float)
    part.append(pd.DataFrame({"business_id": business_id, "fuel": fuel, "year_month": rep_ok, "period": "reporting",
                              "days": days_rep, "actual": y_rep, "predicted": pred_rep}))
    saved = float(np.sum(pred_rep - y_rep))
    half, n_eff = savings_uncertainty(cv, len(y_base), fit.n_params_change_point, rho, float(pred_rep.sum()),
                                      len(rep_ok), params.level)
    row.update({"n_effective": n_eff, "predicted_reporting": float(pred_rep.sum()),
                "actual_reporting": float(y_rep.sum()), "savings": saved, "savings_half_width": half,
                "savings_lower": saved - half, "savings_upper": saved + half,
                "fsu": half / abs(saved) if saved != 0 else float("inf")})
    row.update(_reporting_check(y_rep, pred_rep, month, params))
    row["status"] = "fitted"
    missing_rep = len(rep_keys) - len(rep_ok)
    row["reason"] = "" if not missing_rep else f"報告期間のうち {missing_rep} か月は欠測のため除外"
    return row, pd.concat(part, ignore_index=True)


def _fit_columns(fit: BillingFit, cv: float, nmbe: float, rho: float, params: MeasurementVerification) -> dict:
    reasons = []
    if not cv <= params.cv_max:
        reasons.append(f"CV(RMSE) {100 * cv:.1f}% > {100 * params.cv_max:g}%")
    if not abs(nmbe) <= params.nmbe_max:
        reasons.append(f"|NMBE| {100 * abs(nmbe):.2f}% > {100 * params.nmbe_max:g}%")
    return {"model_type": fit.model_type, "heating_balance_point_c": fit.heating_bp,
            "cooling_balance_point_c": fit.cooling_bp, "intercept_per_day": fit.intercept,
            "hdd_coef_per_day": fit.beta_hdd, "cdd_coef_per_day": fit.beta_cdd,
            "n_parameters": fit.n_params_change_point, "r2_adj": fit.r2_adj,
            "cv_rmse": cv, "nmbe": nmbe, "residual_autocorrelation": rho, "pass_g14": not reasons,
            "g14_reason": "合格" if not reasons else "不合格: " + "、".join(reasons)}


def _reporting_check(y_rep: np.ndarray, pred_rep: np.ndarray, month: str | None,
                     params: MeasurementVerification) -> dict:
    cv_rep, _ = goodness_of_fit(y_rep, pred_rep, 0)
    nmbe_rep = float(np.sum(y_rep - pred_rep) / np.sum(y_rep)) if np.sum(y_rep) > 0 else float("nan")
    out = {"reporting_cv_rmse": cv_rep, "reporting_nmbe": nmbe_rep}
    if month is not None:
        return out | {"reporting_check": "not_applicable",
                      "reporting_reason": "対策後の期間のため予測検証は対象外 (差が削減量)"}
    ok = abs(nmbe_rep) <= params.prediction_nmbe_max
    return out | {"reporting_check": "pass" if ok else "fail",
                  "reporting_reason": (f"報告期間の予測誤差 NMBE {100 * nmbe_rep:+.1f}%"
                                       f" (基準 ±{100 * params.prediction_nmbe_max:g}% {'以内' if ok else 'を超過'})")}
