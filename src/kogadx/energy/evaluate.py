"""Compare fitted baselines with the synthetic truth (used by tests and the benchmark)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kogadx.energy.baseline import business_g14_summary


def evaluate_recovery(models: pd.DataFrame, truth_coefficients: pd.DataFrame,
                      tolerance: float = 0.10) -> tuple[dict[str, float], pd.DataFrame]:
    """Share of businesses passing Guideline 14, and for those, of non-zero true degree-day
    coefficients (cdd_coef, hdd_coef) recovered within ``tolerance`` (relative error).

    Returns (summary metrics, per-coefficient table with true, estimate, relative error).
    """
    g14 = business_g14_summary(models)
    passing = set(g14.loc[g14["pass_g14"], "business_id"])
    merged = models.merge(truth_coefficients, on=["business_id", "fuel"], suffixes=("", "_true"))
    rows = []
    for coef in ("cdd_coef", "hdd_coef"):
        part = merged.loc[(merged[f"{coef}_true"] > 0) & (merged["status"] == "fitted"),
                          ["business_id", "fuel", coef, f"{coef}_true", f"{coef}_se"]]
        part = part.rename(columns={coef: "estimate", f"{coef}_true": "true", f"{coef}_se": "std_error"})
        part["coefficient"] = coef
        rows.append(part)
    table = pd.concat(rows, ignore_index=True)
    table["relative_error"] = (table["estimate"] - table["true"]) / table["true"]
    table["within_tolerance"] = table["relative_error"].abs() <= tolerance
    table["business_passes_g14"] = table["business_id"].isin(passing)
    on_passing = table.loc[table["business_passes_g14"]]
    irregular = set(truth_coefficients.loc[truth_coefficients["irregular"].astype(bool), "business_id"]) \
        if "irregular" in truth_coefficients.columns else set()
    regular = g14.loc[~g14["business_id"].isin(irregular)]
    summary = {
        "businesses_fitted": int(len(g14)),
        "g14_pass_share": float(g14["pass_g14"].mean()) if len(g14) else float("nan"),
        "g14_pass_share_regular": float(regular["pass_g14"].mean()) if len(regular) else float("nan"),
        "irregular_businesses": int(len(irregular)),
        "g14_failures_all_irregular": bool(set(g14.loc[~g14["pass_g14"], "business_id"]) <= irregular),
        "coefficients_evaluated": int(len(on_passing)),
        "coef_within_tolerance_share": (float(on_passing["within_tolerance"].mean())
                                        if len(on_passing) else float("nan")),
        "median_abs_relative_error": (float(np.median(on_passing["relative_error"].abs()))
                                      if len(on_passing) else float("nan")),
        "businesses_all_coef_within_tolerance_share": float(
            on_passing.groupby("business_id")["within_tolerance"].all().mean()) if len(on_passing) else float("nan"),
    }
    return summary, table
