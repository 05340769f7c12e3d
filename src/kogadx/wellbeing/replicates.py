"""Bootstrap replicate weights, re-raked in every replicate, and replicate variances.

Why bootstrap and why here: the respondents are a simple random sample of adults followed
by non-response, with no strata or clusters to build jackknife groups from, so the
with-replacement bootstrap of respondents (Rao–Wu rescaling with n − 1 draws, the
``survey`` package's "subbootstrap") is the natural replicate design. Each replicate's
multiplicities are the base weights of a full re-raking (same cells, same trimming), so
the variance includes what the calibration does, unlike Kish's n_eff. ``samplics`` offers
replicate weights and calibration, but it brings polars and statsmodels for one loop over
the raking already in :mod:`kogadx.wellbeing.raking`; it is not used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kogadx.progress import steps
from kogadx.wellbeing.params import RakingParams
from kogadx.wellbeing.raking import rake


def bootstrap_weights(
    sample: pd.DataFrame,
    targets: Mapping[tuple[str, ...], pd.Series],
    config: RakingParams,
    n_replicates: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(n × R) replicate weights: rescaled-bootstrap multiplicities re-raked to ``targets``.

    Rows not drawn in a replicate get weight 0. A cell without respondents in a replicate is
    dropped by :func:`rake` (its population spread over the others), as in the full sample.
    """
    n = len(sample)
    if n < 2:
        raise ValueError("回答者が2人未満のため反復ウエイトを作れません")
    out = np.zeros((n, n_replicates))
    scale = n / (n - 1.0)
    for r in steps(range(n_replicates), desc="幸福度 反復ウエイト (再レイキング)", unit="回", min_interval=5.0):
        counts = np.bincount(rng.integers(0, n, n - 1), minlength=n) * scale
        drawn = np.flatnonzero(counts > 0)
        result = rake(sample.iloc[drawn], targets, config, base_weights=counts[drawn], with_errors=False)
        out[drawn, r] = result.weights
    return out


def replicate_district_means(
    values: np.ndarray, districts: np.ndarray, order: Sequence[str], weights: np.ndarray,
    replicates: np.ndarray,
) -> pd.DataFrame:
    """Weighted (Hájek) district means and their bootstrap variance, for one indicator.

    ``values``: answers (NaN = no answer, left out of the district's denominators too);
    ``weights``: full-sample weights (n); ``replicates``: (n × R). Columns: district, n,
    mean, var_boot (mean squared deviation of the replicate means from the full-sample
    mean over the replicates where the district has an answer), sd (weighted, within
    district), n_boot (replicates used).
    """
    ok = ~np.isnan(values)
    x = np.where(ok, values, 0.0)
    codes = pd.Index(list(order)).get_indexer(pd.Index(districts))
    k = len(order)
    onehot = np.zeros((len(values), k))
    has = codes >= 0
    onehot[np.flatnonzero(has), codes[has]] = 1.0
    onehot *= ok[:, None]
    w_tot = onehot.T @ weights
    mean = np.divide(onehot.T @ (weights * x), w_tot, out=np.full(k, np.nan), where=w_tot > 0)
    rep_tot = onehot.T @ replicates
    rep_sum = onehot.T @ (replicates * x[:, None])
    rep_mean = np.divide(rep_sum, rep_tot, out=np.full(rep_tot.shape, np.nan), where=rep_tot > 0)
    dev2 = (rep_mean - mean[:, None]) ** 2
    n_boot = np.sum(~np.isnan(dev2), axis=1)
    var_boot = np.divide(np.nansum(dev2, axis=1), n_boot, out=np.full(k, np.nan), where=n_boot > 1)
    resid2 = (x - np.nan_to_num(mean)[np.maximum(codes, 0)]) ** 2
    sd = np.sqrt(np.divide(onehot.T @ (weights * resid2), w_tot, out=np.full(k, np.nan), where=w_tot > 0))
    n_answers = onehot.sum(axis=0).astype(int)
    var_boot = np.where(n_answers >= 2, var_boot, np.nan)
    return pd.DataFrame({"district": list(order), "n": n_answers, "mean": mean, "var_boot": var_boot,
                         "sd": sd, "n_boot": n_boot})
