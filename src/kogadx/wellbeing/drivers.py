"""Driver models of happiness: which of the 24 category items move 幸福度.

Two models on the same respondents (rows with a happiness answer):
- a regularised linear model (RidgeCV, or ElasticNetCV) on standardised items, median-
  imputed; its coefficients are "change in happiness (0–10 points) per 1 SD of the item";
- LightGBM (num_threads=1, deterministic) on the raw items (NaN handled natively).
They are compared by K-fold (or district-grouped) cross-validation (R², RMSE). Importances:
standardised coefficients with bootstrap percentile intervals (alpha fixed at the full-data
choice) and LightGBM permutation importance (drop in R² on out-of-bag rows) with bootstrap
intervals. Drivers are associations among respondents, fitted unweighted: raking weights
correct levels, not the conditional relationship the model estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, ElasticNetCV, RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GroupKFold, KFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from kogadx.progress import steps
from kogadx.wellbeing.params import DriverParams

DEFAULT_LGBM = {
    "n_estimators": 200,
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_child_samples": 30,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
}


@dataclass(frozen=True)
class DriverResult:
    """Fitted models, cross-validation scores and importances."""

    linear_model: Pipeline
    lgbm_model: lgb.LGBMRegressor
    cv_scores: pd.DataFrame  # model, fold, r2, rmse
    importances: pd.DataFrame  # item, coef_std, coef_ci_low/high, perm_importance, perm_ci_low/high, ranks
    alpha: float
    n_rows: int


def linear_pipeline(kind: str, seed: int, alphas: Sequence[float] | np.ndarray) -> Pipeline:
    """Impute (median) → standardise → RidgeCV / ElasticNetCV."""
    if kind == "ridge":
        model: Any = RidgeCV(alphas=np.asarray(alphas, float))
    elif kind == "elasticnet":
        model = ElasticNetCV(l1_ratio=[0.1, 0.5, 0.9, 1.0], n_alphas=30, cv=5, random_state=seed, max_iter=5000)
    else:
        raise ValueError(f"linear_model は ridge か elasticnet です: {kind!r}")
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), model)


def _bootstrap_linear(
    kind: str, alpha: float, l1_ratio: float | None, x: pd.DataFrame, y: np.ndarray,
    rng: np.random.Generator, n_bootstrap: int,
) -> np.ndarray:
    """Bootstrap standardised coefficients with the penalty fixed at the full-data choice.

    Each resample is median-imputed and standardised on its own rows, as the pipeline does;
    ridge is solved in closed form (much faster than refitting the pipeline B times).
    """
    raw = x.to_numpy(float)
    out = np.empty((n_bootstrap, raw.shape[1]))
    for b in range(n_bootstrap):
        idx = rng.integers(0, len(y), len(y))
        xb = raw[idx]
        med = np.nanmedian(xb, axis=0)
        xb = np.where(np.isnan(xb), med, xb)
        sd = xb.std(axis=0)
        z = (xb - xb.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        yb = y[idx] - y[idx].mean()
        if kind == "ridge":
            out[b] = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ yb)
        else:
            out[b] = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, max_iter=5000).fit(z, yb).coef_
    return out


def permutation_drop_r2(
    model: Any, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, n_repeats: int = 1
) -> np.ndarray:
    """Mean drop in R² when each column of ``x`` is permuted (Breiman permutation importance).

    Same quantity as ``sklearn.inspection.permutation_importance(scoring="r2")``, but all
    permuted copies go through one ``predict`` call, which is far cheaper for LightGBM.
    """
    n, p = x.shape
    base = r2_score(y, model.predict(x))
    blocks = []
    for _ in range(n_repeats):
        for j in range(p):
            xp = x.copy()
            xp[:, j] = xp[rng.permutation(n), j]
            blocks.append(xp)
    pred = model.predict(np.vstack(blocks)).reshape(n_repeats, p, n)
    sse = ((pred - y[None, None, :]) ** 2).sum(axis=2)
    r2 = 1.0 - sse / float(((y - y.mean()) ** 2).sum())
    return (base - r2).mean(axis=0)


def lgbm_model(seed: int, params: Mapping[str, Any] | None = None) -> lgb.LGBMRegressor:
    """LightGBM regressor, single-threaded and deterministic for byte-identical reruns."""
    settings = {**DEFAULT_LGBM, **dict(params or {})}
    return lgb.LGBMRegressor(
        **settings, random_state=seed, num_threads=1, deterministic=True, force_row_wise=True, verbose=-1
    )


def fit_drivers(
    items: pd.DataFrame,
    happiness: pd.Series,
    seed: int,
    config: DriverParams = DriverParams(),
    groups: pd.Series | None = None,
    level: float = 0.95,
) -> DriverResult:
    """Fit, cross-validate and explain both driver models.

    ``items``: one column per category (1–5, NaN allowed); ``happiness``: 0–10, rows with
    NaN are dropped. ``groups`` (e.g. district) is used for GroupKFold when ``config.cv``
    is ``group``. All randomness comes from ``seed``. BLAS is limited to one thread (fits are
    small; threads only thrash).
    """
    alphas = np.logspace(config.alpha_log10_min, config.alpha_log10_max, config.n_alphas)
    with threadpool_limits(limits=1):
        return _fit_drivers(items, happiness, seed, groups if config.cv == "group" else None, config.linear_model,
                            alphas, config.cv_folds, config.n_bootstrap, config.n_bootstrap_lgbm,
                            config.perm_repeats, config.lgbm, level)


def _fit_drivers(
    items: pd.DataFrame, happiness: pd.Series, seed: int, groups: pd.Series | None, linear_kind: str,
    alphas: np.ndarray, cv_folds: int, n_bootstrap: int, n_bootstrap_lgbm: int, perm_repeats: int,
    lgbm_params: Mapping[str, Any] | None, level: float,
) -> DriverResult:
    keep = happiness.notna().to_numpy()
    x = items.loc[keep].reset_index(drop=True).astype("float64")
    y = happiness.loc[keep].to_numpy(float)
    if n_bootstrap < 2 or n_bootstrap_lgbm < 2:
        raise ValueError("ブートストラップ回数は2以上にしてください")
    if len(y) < 3 * cv_folds:
        raise ValueError(f"幸福度の回答が少なすぎます ({len(y)} 件)")
    columns = list(x.columns)

    # Cross-validated comparison.
    if groups is not None:
        g = groups.loc[keep].to_numpy()
        splitter: Any = GroupKFold(n_splits=min(cv_folds, len(np.unique(g))))
        split_args: dict[str, Any] = {"groups": g}
    else:
        splitter = KFold(n_splits=cv_folds, shuffle=True, random_state=seed)
        split_args = {}
    cv_rows = []
    for name, model in (
        ("linear_" + linear_kind, linear_pipeline(linear_kind, seed, alphas)),
        ("lightgbm", lgbm_model(seed, lgbm_params)),
    ):
        scores = cross_validate(
            model, x, y, cv=splitter, scoring=("r2", "neg_root_mean_squared_error"), **split_args
        )
        folds = zip(scores["test_r2"], scores["test_neg_root_mean_squared_error"], strict=True)
        for fold, (r2, rmse) in enumerate(folds):
            cv_rows.append({"model": name, "fold": fold, "r2": float(r2), "rmse": float(-rmse)})
    cv_scores = pd.DataFrame(cv_rows)

    # Full-data fits.
    linear = linear_pipeline(linear_kind, seed, alphas).fit(x, y)
    final = linear[-1]
    alpha = float(final.alpha_)
    l1_ratio = float(getattr(final, "l1_ratio_", 0.0)) if linear_kind == "elasticnet" else None
    coef = np.asarray(final.coef_, float)
    booster = lgbm_model(seed, lgbm_params).fit(x, y)

    rng = np.random.default_rng(seed)
    n = len(y)
    boot_coef = _bootstrap_linear(linear_kind, alpha, l1_ratio, x, y, rng, n_bootstrap)
    boot_perm = np.empty((n_bootstrap_lgbm, len(columns)))
    for b in steps(range(n_bootstrap_lgbm), desc="幸福度の要因 LightGBM ブートストラップ", unit="回", min_interval=5.0):
        idx = rng.integers(0, n, n)
        oob = np.setdiff1d(np.arange(n), idx)
        model = lgbm_model(seed + b, lgbm_params).fit(x.iloc[idx].to_numpy(float), y[idx])
        boot_perm[b] = permutation_drop_r2(model, x.iloc[oob].to_numpy(float), y[oob], rng, perm_repeats)
    lo, hi = 50 * (1 - level), 100 - 50 * (1 - level)
    gain = booster.booster_.feature_importance("gain")
    imp = pd.DataFrame(
        {
            "item": columns,
            "coef_std": coef,
            "coef_ci_low": np.percentile(boot_coef, lo, axis=0),
            "coef_ci_high": np.percentile(boot_coef, hi, axis=0),
            "perm_importance": boot_perm.mean(axis=0),
            "perm_ci_low": np.percentile(boot_perm, lo, axis=0),
            "perm_ci_high": np.percentile(boot_perm, hi, axis=0),
            "lgbm_gain": gain / max(gain.sum(), 1e-12),
        }
    )
    imp["rank_linear"] = imp["coef_std"].abs().rank(ascending=False, method="first").astype(int)
    imp["rank_permutation"] = imp["perm_importance"].rank(ascending=False, method="first").astype(int)
    return DriverResult(
        linear_model=linear,
        lgbm_model=booster,
        cv_scores=cv_scores,
        importances=imp,
        alpha=alpha,
        n_rows=n,
    )


def cv_summary(cv_scores: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Mean and SD of R² and RMSE per model over folds."""
    out: dict[str, dict[str, float]] = {}
    for model, group in cv_scores.groupby("model", sort=True):
        out[str(model)] = {
            "r2_mean": float(group["r2"].mean()),
            "r2_sd": float(group["r2"].std(ddof=1)),
            "rmse_mean": float(group["rmse"].mean()),
            "rmse_sd": float(group["rmse"].std(ddof=1)),
        }
    return out
