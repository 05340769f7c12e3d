"""Weighted indicators per district with intervals, and small-area (model-based) estimates.

Direct estimate per district d and indicator: the weighted (Hájek) mean of answers.
:func:`district_estimates` gives it with a Kish-n_eff t interval (kept for a quick look and
the old benchmark); the stage replaces that interval by :func:`small_area_estimates`, whose
standard errors come from bootstrap replicate weights re-raked in each replicate
(:mod:`kogadx.wellbeing.replicates`), and adds two model-based estimates from the
Fay–Herriot model (:mod:`kogadx.wellbeing.sae`): shrinkage to the city level without
covariates (``*_shrunk``) and the EBLUP with register covariates (``*_eb``, the published
estimate). :func:`shrink_to_city_mean` is the earlier DerSimonian–Laird shrinkage, kept for
comparison in ``benchmarks/wellbeing_coverage.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from kogadx.wellbeing.compare import CITY  # one definition, shared with the report


def weighted_mean_ci(values: np.ndarray, weights: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Weighted mean, Kish n_eff, standard error and t interval of one group (NaN dropped)."""
    ok = ~np.isnan(values)
    x, w = values[ok], weights[ok]
    n = int(ok.sum())
    if n == 0:
        return {"n": 0, "n_eff": 0.0, "mean": np.nan, "sd": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    mean = float(np.sum(w * x) / np.sum(w))
    n_eff = float(np.sum(w) ** 2 / np.sum(w**2))
    if n < 2 or n_eff <= 1.0:
        return {"n": n, "n_eff": n_eff, "mean": mean, "sd": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    var = float(np.sum(w * (x - mean) ** 2) / np.sum(w)) * n_eff / (n_eff - 1.0)
    se = float(np.sqrt(var / n_eff))
    half = float(stats.t.ppf(0.5 + level / 2, df=n_eff - 1.0)) * se
    return {"n": n, "n_eff": n_eff, "mean": mean, "sd": float(np.sqrt(var)), "se": se,
            "ci_low": mean - half, "ci_high": mean + half}


def district_estimates(
    respondents: pd.DataFrame,
    weights: np.ndarray,
    indicators: Sequence[str],
    district_column: str = "district",
    level: float = 0.95,
    districts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Direct weighted estimates: one row per (district, indicator), plus a city row.

    Columns: district, indicator, n, n_eff, mean, sd, se, ci_low, ci_high (answer units:
    0–10 for 幸福度/生活満足度, 1–5 for category items). Districts listed in ``districts``
    without respondents appear with n = 0 and NaN estimates.
    """
    weights = np.asarray(weights, float)
    order = list(districts) if districts is not None else sorted(respondents[district_column].unique())
    groups = {d: np.flatnonzero((respondents[district_column] == d).to_numpy()) for d in order}
    rows = []
    for indicator in indicators:
        values = respondents[indicator].to_numpy(float)
        rows.append({"district": CITY, "indicator": indicator, **weighted_mean_ci(values, weights, level)})
        for district, idx in groups.items():
            rows.append({"district": district, "indicator": indicator,
                         **weighted_mean_ci(values[idx], weights[idx], level)})
    return pd.DataFrame(rows)


def shrink_to_city_mean(estimates: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Add empirical-Bayes columns to :func:`district_estimates` output.

    New columns: ``shrinkage`` (B_d, 0 = keep direct, 1 = city mean), ``tau2`` (between-
    district variance), ``mean_eb``, ``se_eb``, ``ci_low_eb``, ``ci_high_eb`` (normal
    interval from the posterior variance (1 − B_d) v_d plus the Morris term for the
    uncertainty of the estimated mean). Districts without respondents get the city mean
    with the prior interval (±z·τ).
    """
    z = float(stats.norm.ppf(0.5 + level / 2))
    parts = []
    for _, group in estimates.groupby("indicator", sort=False):
        group = group.copy()
        city = group[group["district"] == CITY].iloc[0]
        mu = float(city["mean"])
        dist = group["district"] != CITY
        # Pooled within-district variance: average of district variances weighted by n_eff.
        ok = dist & group["sd"].notna()
        if ok.any():
            sigma2 = float(np.average(group.loc[ok, "sd"] ** 2, weights=group.loc[ok, "n_eff"]))
        else:
            sigma2 = float(city["sd"]) ** 2
        n_eff = group["n_eff"].to_numpy(float)
        has = dist.to_numpy() & (n_eff > 0)
        v = np.where(has, sigma2 / np.where(n_eff > 0, n_eff, 1.0), np.nan)
        m = group["mean"].to_numpy(float)
        w = 1.0 / v[has]
        k = int(has.sum())
        if k >= 2:
            mu_fe = np.sum(w * m[has]) / np.sum(w)
            q = float(np.sum(w * (m[has] - mu_fe) ** 2))
            tau2 = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
        else:
            tau2 = 0.0
        b = np.where(has, v / (v + tau2) if tau2 > 0 else 1.0, 1.0)
        mean_eb = np.where(has, mu + (1 - b) * (m - mu), mu)
        morris = np.where(has, b**2 * v / max(k, 1), 0.0)
        var_eb = np.where(has, (1 - b) * v + morris, tau2)
        var_eb[~dist.to_numpy()] = float(city["se"]) ** 2
        mean_eb[~dist.to_numpy()] = mu
        b[~dist.to_numpy()] = 0.0
        se_eb = np.sqrt(var_eb)
        group["shrinkage"] = b
        group["tau2"] = tau2
        group["mean_eb"] = mean_eb
        group["se_eb"] = se_eb
        group["ci_low_eb"] = mean_eb - z * se_eb
        group["ci_high_eb"] = mean_eb + z * se_eb
        parts.append(group)
    return pd.concat(parts, ignore_index=True)


def add_labels(estimates: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Insert a Japanese ``indicator_label`` column after ``indicator``."""
    out = estimates.copy()
    out.insert(out.columns.get_loc("indicator") + 1, "indicator_label", out["indicator"].map(dict(labels)))
    return out


ESTIMATE_COLUMNS = ("mean", "sd", "se", "ci_low", "ci_high", "var_smoothed", "mean_shrunk", "se_shrunk",
                    "ci_low_shrunk", "ci_high_shrunk", "mean_eb", "se_eb", "ci_low_eb", "ci_high_eb", "shrinkage")


def withhold_small_districts(estimates: pd.DataFrame, min_n: int, respondents: Mapping[str, int]) -> pd.DataFrame:
    """Published copy of district estimates: districts with 0 < n < ``min_n`` respondents get
    every estimate column blanked (NaN) and ``withheld`` = True, so that no figure or table
    shows an average of a handful of people's answers. ``min_n`` ≤ 1 withholds nothing.

    ``respondents``: respondents per district, so a district is shown or hidden as a whole.
    The city row and districts without respondents (n = 0, already the city mean) are kept.
    """
    out = estimates.copy()
    n = out["district"].map(dict(respondents)).fillna(0).to_numpy(float)
    withheld = (out["district"] != CITY).to_numpy() & (n > 0) & (n < int(min_n))
    cols = [c for c in ESTIMATE_COLUMNS if c in out.columns]
    out.loc[withheld, cols] = np.nan
    out["withheld"] = withheld
    return out


COVARIATE_LABELS = {"share_65plus": "65歳以上の割合", "log_density": "人口密度 (対数)",
                    "dist_stop_km": "最寄りの停留所・駅までの距離"}


def district_covariates(objective: pd.DataFrame, order: Sequence[str], names: Sequence[str]) -> tuple[np.ndarray,
                                                                                                      list[str]]:
    """Design matrix (intercept + standardised covariates) per district in ``order``, and the
    covariates used: a covariate missing for some district (e.g. distance without stops) or
    constant over districts is left out."""
    obj = objective.set_index("district").reindex(list(order))
    columns = {
        "share_65plus": obj["share_65plus"],
        "log_density": np.log1p(obj["density_per_km2"]),
        "dist_stop_km": obj["dist_stop_m"] / 1000.0,
    }
    used, cols = [], [np.ones(len(obj))]
    for name in names:
        x = columns[name].to_numpy(float)
        if np.isfinite(x).all() and x.std() > 0:
            cols.append((x - x.mean()) / x.std())
            used.append(name)
    return np.column_stack(cols), used


def small_area_estimates(
    direct: pd.DataFrame,
    respondents: pd.DataFrame,
    weights: np.ndarray,
    replicates: np.ndarray,
    design: np.ndarray,
    order: Sequence[str],
    level: float = 0.95,
    variance_min_n: int = 20,
    method: str = "reml",
) -> pd.DataFrame:
    """Replace the Kish intervals of :func:`district_estimates` by bootstrap ones and add the
    model-based estimates, per indicator:

    - ``se``/``ci_low``/``ci_high``: direct (Hájek) estimate with the bootstrap standard error
      of the re-raked replicates (normal interval); ``var_smoothed``: the smoothed sampling
      variance ψ_d the models take as known;
    - ``mean_shrunk`` … ``ci_high_shrunk``: Fay–Herriot with an intercept only (shrinkage to
      the city level, no covariates);
    - ``mean_eb`` … ``ci_high_eb``: Fay–Herriot EBLUP with the register covariates in
      ``design`` (the published estimate), MSE by Prasad–Rao; ``shrinkage`` = 1 − γ_d,
      ``tau2`` = the model's between-district variance.
    The city row keeps its direct estimate in every column, with the bootstrap interval.
    """
    from kogadx.wellbeing.replicates import replicate_district_means
    from kogadx.wellbeing.sae import FayHerriotFit, fay_herriot, smoothed_variance

    z = float(stats.norm.ppf(0.5 + level / 2))
    districts = respondents["district"].astype(str).to_numpy()
    parts = []
    for indicator, group in direct.groupby("indicator", sort=False):
        values = respondents[str(indicator)].to_numpy(float)
        boot = replicate_district_means(values, districts, order, weights, replicates)
        city = replicate_district_means(values, np.full(len(values), CITY), [CITY], weights, replicates)
        boot = pd.concat([city, boot], ignore_index=True).set_index("district")
        group = group.copy()
        key = group["district"].to_numpy()
        se = np.sqrt(boot["var_boot"].reindex(key).to_numpy(float))
        mean = group["mean"].to_numpy(float)
        group["se"] = se
        group["ci_low"], group["ci_high"] = mean - z * se, mean + z * se
        dist = boot.drop(index=CITY).reindex(list(order))
        psi = smoothed_variance(dist["var_boot"].to_numpy(), dist["sd"].to_numpy(), dist["n"].to_numpy(),
                                variance_min_n)
        y = dist["mean"].to_numpy(float)
        n_areas = int((np.isfinite(y) & np.isfinite(psi)).sum())
        # Too few districts for the covariates: intercept only; for any model: the direct estimate.
        if n_areas < 3:
            full = flat = FayHerriotFit(estimate=y, mse=psi, gamma=np.ones(len(y)), beta=np.zeros(1),
                                        beta_cov=np.zeros((1, 1)), sigma2_u=float("nan"), iterations=0,
                                        converged=False)
        else:
            flat = fay_herriot(y, psi, design[:, :1], method=method)
            full = fay_herriot(y, psi, design, method=method) if n_areas > design.shape[1] + 2 else flat
        rows = {d: i for i, d in enumerate(order)}
        idx = np.array([rows.get(d, -1) for d in key])
        is_d = idx >= 0
        cols: dict[str, np.ndarray] = {"var_smoothed": np.where(is_d, psi[idx], np.nan)}
        for suffix, fit in (("shrunk", flat), ("eb", full)):
            est = np.where(is_d, fit.estimate[idx], mean)
            s = np.where(is_d, np.sqrt(fit.mse[idx]), se)
            cols[f"mean_{suffix}"], cols[f"se_{suffix}"] = est, s
            cols[f"ci_low_{suffix}"], cols[f"ci_high_{suffix}"] = est - z * s, est + z * s
        cols["shrinkage"] = np.where(is_d, 1.0 - full.gamma[idx], 0.0)
        cols["tau2"] = np.full(len(key), full.sigma2_u)
        for name, column in cols.items():
            group[name] = column
        parts.append(group)
    return pd.concat(parts, ignore_index=True)


def nonresponse_sensitivity(city_mean: float, response_rate: float, deltas: Sequence[float]) -> pd.DataFrame:
    """δ-adjustment (pattern mixture): if the people who did not answer were δ points lower
    than those who did, the population mean is ȳ − (1 − response rate)·δ. No weighting on
    the register can tell which δ holds; the table shows how far the answer would move."""
    # "+ 0.0" turns the −0.0 of δ = 0 into 0.0, so it never prints as "-0.00"
    rows = [{"delta": float(d), "shift": (response_rate - 1.0) * float(d) + 0.0,
             "mean": city_mean + (response_rate - 1.0) * float(d)} for d in (0.0, *deltas)]
    return pd.DataFrame(rows)
