"""Raking (iterative proportional fitting) of survey weights to register margins.

Why hand-written: the kept raking libraries either fit aggregated tables rather than unit
weights (``ipfn``, unmaintained since 2021) or bring a second dataframe engine
(``samplics`` pulls polars). Unit-level raking is a short loop; this one has a convergence
tolerance, weight trimming (trim, then re-rake, so the margins still hold) and reports the
largest margin error in percentage points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kogadx.wellbeing.params import RakingParams


@dataclass(frozen=True)
class RakingResult:
    """Weights (sum = population total) and diagnostics."""

    weights: np.ndarray
    iterations: int
    converged: bool
    max_margin_error_pp: float
    margin_errors: pd.DataFrame  # margin, cell, target_share, weighted_share, error_pp
    dropped_cells: list[str] = field(default_factory=list)
    trim_rounds: int = 0

    @property
    def kish_deff(self) -> float:
        """Kish design effect from unequal weights: n Σw² / (Σw)²."""
        w = self.weights
        return float(len(w) * np.sum(w**2) / np.sum(w) ** 2)


def _cell_key(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    parts = [frame[c].astype("string").fillna("<NA>") for c in columns]
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key


def population_margins(
    register: pd.DataFrame, margins: Sequence[Sequence[str]], weight_column: str | None = None
) -> dict[tuple[str, ...], pd.Series]:
    """Population totals per margin cell, e.g. margins [["age_group", "sex"], ["district"]].

    ``weight_column`` gives each register row's count (default 1 per row), e.g. the adult
    fraction of a banded age.
    """
    weights = register[weight_column].to_numpy(float) if weight_column else np.ones(len(register))
    out: dict[tuple[str, ...], pd.Series] = {}
    for cols in margins:
        key = _cell_key(register, cols)
        totals = pd.Series(weights, index=key.to_numpy()).groupby(level=0).sum()
        out[tuple(cols)] = totals[totals > 0].sort_index()
    return out


def rake(
    sample: pd.DataFrame,
    targets: Mapping[tuple[str, ...], pd.Series],
    config: RakingParams = RakingParams(),
    base_weights: np.ndarray | None = None,
    max_trim_rounds: int = 20,
    with_errors: bool = True,
) -> RakingResult:
    """Rake ``sample`` weights so weighted totals match ``targets`` on every margin.

    ``targets`` maps a tuple of sample columns to population totals per cell (as from
    :func:`population_margins`). Cells with population but no respondents cannot be matched:
    they are dropped and each margin is rescaled to the population those cells leave, and
    the dropped cells are reported. Convergence: the largest relative change of a cell
    total is below ``config.tol``. ``config.trim_ratio`` bounds weights to (low, high) × mean weight;
    after trimming the weights are re-raked, alternating until both hold (or
    ``max_trim_rounds``), so the final weights always satisfy the margins.
    """
    tol, max_iter, trim_ratio = config.tol, config.max_iter, config.trim_ratio
    n = len(sample)
    if n == 0:
        raise ValueError("回答者がいないためウエイトを計算できません")
    w = np.ones(n) if base_weights is None else np.asarray(base_weights, float).copy()
    keys: list[np.ndarray] = []
    aligned: list[pd.Series] = []
    dropped: list[str] = []
    for cols, totals in targets.items():
        key = _cell_key(sample, cols).to_numpy()
        present = set(key)
        missing_cells = [c for c in totals.index if c not in present]
        dropped += [f"{'×'.join(cols)}={c}" for c in missing_cells]
        extra = sorted(present - set(totals.index))
        if extra:
            raise ValueError(f"母集団にない区分の回答者がいます ({'×'.join(cols)}): {extra[:5]}")
        keys.append(key)
        aligned.append(totals.drop(missing_cells))
    # Dropped cells shrink each margin differently; rescale all to one common total.
    common_total = min(float(t.sum()) for t in aligned)
    aligned = [t * (common_total / float(t.sum())) for t in aligned]
    codes = [pd.Categorical(k, categories=t.index).codes for k, t in zip(keys, aligned, strict=True)]
    target_arrays = [t.to_numpy(float) for t in aligned]

    def rake_loop(w: np.ndarray) -> tuple[np.ndarray, int, bool]:
        for iteration in range(1, max_iter + 1):
            worst = 0.0
            for code, target in zip(codes, target_arrays, strict=True):
                current = np.bincount(code, weights=w, minlength=len(target))
                factor = target / current
                w = w * factor[code]
                worst = max(worst, float(np.max(np.abs(factor - 1.0))))
            if worst < tol:
                return w, iteration, True
        return w, max_iter, False

    w, iterations, converged = rake_loop(w)
    rounds = 0
    if trim_ratio is not None:
        low, high = trim_ratio
        while rounds < max_trim_rounds:
            mean = w.mean()
            if np.all(w <= high * mean * (1 + 1e-9)) and np.all(w >= low * mean * (1 - 1e-9)):
                break
            w = np.clip(w, low * mean, high * mean)
            w, more, converged = rake_loop(w)
            iterations += more
            rounds += 1
    if with_errors:
        errors = margin_errors(sample, w, dict(zip(targets.keys(), aligned, strict=True)))
        worst_pp = float(errors["error_pp"].abs().max())
    else:  # replicate weights: only the weights are needed
        errors, worst_pp = pd.DataFrame(), float("nan")
    return RakingResult(
        weights=w,
        iterations=iterations,
        converged=converged,
        max_margin_error_pp=worst_pp,
        margin_errors=errors,
        dropped_cells=dropped,
        trim_rounds=rounds,
    )


def margin_errors(
    sample: pd.DataFrame, weights: np.ndarray, targets: Mapping[tuple[str, ...], pd.Series]
) -> pd.DataFrame:
    """Weighted share minus target share per margin cell, in percentage points."""
    rows = []
    for cols, totals in targets.items():
        key = _cell_key(sample, cols)
        weighted = pd.Series(weights, index=key.to_numpy()).groupby(level=0).sum()
        weighted = weighted.reindex(totals.index, fill_value=0.0)
        target_share = totals / totals.sum()
        weighted_share = weighted / weighted.sum()
        for cell in totals.index:
            rows.append(
                {
                    "margin": "×".join(cols),
                    "cell": str(cell),
                    "target_share": float(target_share[cell]),
                    "weighted_share": float(weighted_share[cell]),
                    "error_pp": float(100 * (weighted_share[cell] - target_share[cell])),
                }
            )
    return pd.DataFrame(rows)


DISTRICT_AGE = "district_age"


def collapse_district_age(sample: pd.DataFrame, min_cell: int) -> dict[tuple[str, str], str]:
    """Raking cells of district × age group, with adjacent age groups merged inside a district.

    The collapsing rule (deterministic, documented in params.yaml): within each district, walk
    the age groups from youngest to oldest and close a cell as soon as it holds at least
    ``min_cell`` respondents; a last cell still short of ``min_cell`` joins the cell before
    it; a district with fewer than ``min_cell`` respondents in all is one cell. Age groups
    without respondents simply join their neighbours, so every register cell maps to a cell
    with respondents. Returns (district, age_group) → cell label, e.g. "日吉|18-29～40-49".
    """
    groups = list(sample["age_group"].cat.categories) if hasattr(sample["age_group"], "cat") \
        else sorted(sample["age_group"].astype(str).unique())
    counts = sample.groupby(["district", "age_group"], observed=False).size()
    mapping: dict[tuple[str, str], str] = {}
    for district in sorted(sample["district"].astype(str).unique()):
        cells: list[list[str]] = []
        open_cell: list[str] = []
        filled = 0
        for group in groups:
            open_cell.append(str(group))
            filled += int(counts.get((district, group), 0))
            if filled >= min_cell:
                cells.append(open_cell)
                open_cell, filled = [], 0
        if open_cell:
            if cells:
                cells[-1].extend(open_cell)
            else:
                cells.append(open_cell)
        for cell in cells:
            label = f"{district}|{cell[0]}" if len(cell) == 1 else f"{district}|{cell[0]}～{cell[-1]}"
            mapping.update({(district, g): label for g in cell})
    return mapping


def add_district_age(frame: pd.DataFrame, mapping: dict[tuple[str, str], str]) -> pd.DataFrame:
    """``frame`` with a ``district_age`` column from :func:`collapse_district_age`'s mapping.

    Register districts without any respondent keep their own one-cell label (the raking then
    drops them as cells without respondents, and reports it)."""
    keys = zip(frame["district"].astype(str), frame["age_group"].astype(str), strict=True)
    labels = [mapping.get(k, f"{k[0]}|*") for k in keys]
    return frame.assign(**{DISTRICT_AGE: pd.array(labels, dtype="string")})
