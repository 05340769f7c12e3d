"""Compare CalTRACK M&V results with the synthetic truth (used by tests and the benchmark)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def evaluate_mv(models: pd.DataFrame, coefficients: pd.DataFrame, retrofits: pd.DataFrame,
                tolerance_c: float = 2.0, monthly: pd.DataFrame | None = None,
                retrofit_months: pd.DataFrame | None = None) -> tuple[dict[str, float], pd.DataFrame]:
    """Balance-point recovery and savings coverage against the truth.

    A meter is weather-sensitive for heating (cooling) when its true HDD (CDD) coefficient is
    > 0. It counts as recovered when the selected model has that term and its balance point is
    within ``tolerance_c`` of the truth; a meter without a model (status not ``fitted``) or with
    the term missing counts as not recovered. A retrofit counts as covered when its planted
    savings lie inside the measured 90 % interval; a retrofit without a result counts as missed.

    The planted savings compared are those of the months the method measured: with ``monthly``
    (:class:`kogadx.energy.mv.MvResult.monthly`) and ``retrofit_months`` (the truth month by
    month) they are summed over the reporting months present in ``monthly``; a reporting month
    lost to a missing or quarantined reading is then in neither sum. Without them the truth is
    the full 12-month total (``true_savings``), which a method that skips a lost month cannot
    match. Returns (summary, per-retrofit table).
    """
    merged = coefficients.merge(models, on=["business_id", "fuel"], how="left")
    out: dict[str, float] = {}
    for term, coef, bp_true, bp_est, kinds in (
            ("heating", "hdd_coef", "heating_bp_c", "heating_balance_point_c", ("hdd_only", "hdd_cdd")),
            ("cooling", "cdd_coef", "cooling_bp_c", "cooling_balance_point_c", ("cdd_only", "hdd_cdd"))):
        part = merged.loc[merged[coef] > 0]
        has_term = part["model_type"].isin(kinds)
        within = has_term & ((part[bp_est] - part[bp_true]).abs() <= tolerance_c)
        out[f"{term}_meters"] = int(len(part))
        out[f"{term}_term_selected_share"] = float(has_term.mean()) if len(part) else float("nan")
        out[f"{term}_bp_within_share"] = float(within.mean()) if len(part) else float("nan")
        out[f"{term}_bp_median_abs_error_c"] = (float((part.loc[has_term, bp_est] - part.loc[has_term, bp_true])
                                                      .abs().median()) if has_term.any() else float("nan"))
    sensitive = merged.loc[(merged["hdd_coef"] > 0) | (merged["cdd_coef"] > 0)].copy()
    ok_h = ~(sensitive["hdd_coef"] > 0) | (sensitive["model_type"].isin(("hdd_only", "hdd_cdd"))
                                          & ((sensitive["heating_balance_point_c"] - sensitive["heating_bp_c"]).abs()
                                             <= tolerance_c))
    ok_c = ~(sensitive["cdd_coef"] > 0) | (sensitive["model_type"].isin(("cdd_only", "hdd_cdd"))
                                          & ((sensitive["cooling_balance_point_c"] - sensitive["cooling_bp_c"]).abs()
                                             <= tolerance_c))
    sensitive["recovered"] = ok_h & ok_c
    per_business = sensitive.groupby("business_id")["recovered"].all()
    out["weather_sensitive_businesses"] = int(len(per_business))
    out["businesses_all_bp_within_share"] = float(per_business.mean()) if len(per_business) else float("nan")

    retro = retrofits.merge(models, on=["business_id", "fuel"], how="left", suffixes=("_true", ""))
    retro["true_savings_12_months"] = retro["true_savings"]
    if monthly is not None and retrofit_months is not None:
        measured = monthly.loc[monthly["period"] == "reporting", ["business_id", "fuel", "year_month"]]
        per_month = retrofit_months.merge(measured, on=["business_id", "fuel", "year_month"], how="inner")
        summed = per_month.groupby(["business_id", "fuel"])["true_saving"].sum()
        key = pd.MultiIndex.from_frame(retro[["business_id", "fuel"]])
        retro["true_savings"] = summed.reindex(key).to_numpy()
    retro["covered"] = ((retro["true_savings"] >= retro["savings_lower"])
                        & (retro["true_savings"] <= retro["savings_upper"]))
    retro["relative_error"] = (retro["savings"] - retro["true_savings"]) / retro["true_savings"]
    fitted = retro["status"] == "fitted"
    out["retrofits"] = int(len(retro))
    out["retrofits_with_result"] = int(fitted.sum())
    out["retrofit_coverage_share"] = float(retro["covered"].mean()) if len(retro) else float("nan")
    out["retrofit_coverage_share_of_fitted"] = (float(retro.loc[fitted, "covered"].mean())
                                                if fitted.any() else float("nan"))
    out["retrofit_median_abs_relative_error"] = (float(np.median(retro.loc[fitted, "relative_error"].abs()))
                                                 if fitted.any() else float("nan"))
    return out, retro
