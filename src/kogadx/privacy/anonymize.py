"""Anonymized release (匿名加工情報): full-domain generalisation + suppression to reach k and l.

Quasi-identifiers are generalised along hierarchies (YAML, see ``hierarchies.yaml``):
``interval`` (ages → 5/10/20-year bands, top-coded '90+'), ``prefix`` (町丁目コード →
大字 → 市), ``suppress`` ('*'), ``mapping`` (explicit parents). Every combination of levels
(the generalisation lattice; small for our QIs) is tried; records in classes smaller than
``k`` or with fewer than ``l`` distinct sensitive values are suppressed; combinations that
suppress at most ``max_suppression`` of the rows are feasible, and the one with the lowest
discernibility (Σ|class|² + suppressed·n, Bayardo & Agrawal 2005) wins, ties broken by
lower generalisation height then level vector (deterministic).

Only ``keep_columns`` are released (linking codes such as person_id are dropped, 施行規則
Art. 34 item 3), and rows are sorted by their values so the source row order is not kept.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from kogadx.io import read_package_file
from kogadx.privacy.anonymity import measure
from kogadx.privacy.params import AnonymizeParams

HIERARCHIES_FILE = "hierarchies.yaml"


def default_hierarchies_path() -> Path:
    """Where the hierarchies shipped with the package live (the stage gets the file through argv)."""
    return Path(str(resources.files("kogadx.privacy") / HIERARCHIES_FILE))


def parse_hierarchies(text: str | bytes) -> dict[str, dict[str, Any]]:
    """The generalisation hierarchies from their YAML (UTF-8), by quasi-identifier."""
    return yaml.safe_load(text.decode("utf-8") if isinstance(text, bytes) else text) or {}


def default_hierarchies() -> dict[str, dict[str, Any]]:
    """The hierarchies shipped with the package (``hierarchies.yaml``)."""
    return parse_hierarchies(read_package_file("kogadx.privacy", HIERARCHIES_FILE))


def hierarchy_height(spec: Mapping[str, Any]) -> int:
    """Number of generalisation steps above level 0 (the top level is '*')."""
    kind = spec["type"]
    if kind == "interval":
        return len(spec["widths"])
    if kind == "prefix":
        return len(spec["lengths"])
    if kind == "suppress":
        return 1
    if kind == "mapping":
        return len(spec["levels"]) + 1
    raise ValueError(f"一般化階層の type '{kind}' は interval / prefix / suppress / mapping のいずれかです")


def generalise_level(values: pd.Series, spec: Mapping[str, Any], level: int, name: str = "") -> pd.Series:
    """Values of one QI at ``level`` of its hierarchy, as text ('*' at the top)."""
    height = hierarchy_height(spec)
    if not 0 <= level <= height:
        raise ValueError(f"{name}: 階層レベル {level} は 0〜{height} の範囲外です")
    if level == height:
        return pd.Series("*", index=values.index, dtype="string", name=values.name)
    kind = spec["type"]
    if kind == "interval":
        numbers = pd.to_numeric(values, errors="coerce").astype("Int64")
        top = int(spec.get("top_code", 10**9))
        width = int(spec["widths"][level])
        low = (numbers // width) * width
        high = (low + width - 1).clip(upper=top - 1)
        text = low.astype("string") if width == 1 else low.astype("string") + "-" + high.astype("string")
        return text.mask(numbers >= top, f"{top}+").astype("string").rename(values.name)
    if kind == "prefix":
        return values.astype("string").str.slice(0, int(spec["lengths"][level])).rename(values.name)
    if kind == "suppress":
        return values.astype("string")
    # mapping
    text = values.astype("string")
    for step in range(level):
        mapping = {str(k): str(v) for k, v in spec["levels"][step].items()}
        unknown = sorted(set(text.dropna().unique()) - set(mapping))
        if unknown:
            # Counts only: the values come from the data and could be personal (a canary test checks).
            raise KeyError(f"{name}: 一般化階層 (レベル {step + 1}) に親のない値が {len(unknown)} 種類あります"
                           " (値は表示しません。hierarchies.yaml の mapping に追加してください)")
        text = text.map(mapping).astype("string")
    return text.rename(values.name)


@dataclass(frozen=True)
class AnonymizeResult:
    """The released table and the report (k, l, suppression, information loss, levels)."""

    table: pd.DataFrame
    report: dict[str, Any]


def _evaluate(
    generalised: pd.DataFrame, qi: list[str], sensitive: str | None, k: int, l_target: int
) -> tuple[np.ndarray, pd.Series]:
    """Boolean 'keep' mask per row and the sizes of the surviving classes."""
    groups = generalised.groupby(qi, dropna=False, observed=True, sort=False)
    ids = groups.ngroup().to_numpy()
    sizes = np.bincount(ids)
    ok = sizes >= k
    if sensitive is not None and l_target > 1:
        distinct = groups[sensitive].nunique(dropna=False).to_numpy()
        ok &= distinct >= l_target
    keep = ok[ids]
    return keep, pd.Series(sizes[ok])


def _best_levels(
    frame: pd.DataFrame, levels: Mapping[str, list[pd.Series]], heights: list[int], params: AnonymizeParams
) -> tuple[tuple[Any, ...] | None, int]:
    """Walk the generalisation lattice; the feasible level vector of lowest (discernibility, height,
    vector) with its keep mask, suppressed count and class count (None if none is feasible),
    and the lattice size."""
    qi, sensitive, n = list(levels), params.sensitive, len(frame)
    best: tuple[Any, ...] | None = None
    lattice_size = 0
    for vector in itertools.product(*(range(h + 1) for h in heights)):
        lattice_size += 1
        generalised = pd.DataFrame({c: levels[c][lv] for c, lv in zip(qi, vector, strict=True)})
        if sensitive is not None:
            generalised[sensitive] = frame[sensitive].to_numpy()
        keep, sizes = _evaluate(generalised, qi, sensitive, params.k, params.l)
        suppressed = int(n - keep.sum())
        if suppressed > params.max_suppression * n or suppressed == n:
            continue
        discernibility = float((sizes.astype(float) ** 2).sum() + suppressed * n)
        height = float(np.mean([lv / h for lv, h in zip(vector, heights, strict=True)]))
        candidate = (discernibility, height, vector, keep, suppressed, len(sizes))
        if best is None or candidate[:3] < best[:3]:
            best = candidate
    return best, lattice_size


def anonymize_table(
    frame: pd.DataFrame,
    hierarchies: Mapping[str, Mapping[str, Any]],
    params: AnonymizeParams,
) -> AnonymizeResult:
    """Generalise QIs and suppress rare records so that k and l hold; see module docstring.

    ``params.max_suppression`` is a share of rows (0–1). Raises ValueError when no level
    combination reaches the targets within the suppression limit.
    """
    qi = list(params.quasi_identifiers)
    sensitive, k, l_target, max_suppression = params.sensitive, params.k, params.l, params.max_suppression
    missing = [c for c in qi if c not in hierarchies]
    if missing:
        raise KeyError(f"準識別子 {missing} の一般化階層がありません")
    targets = [*qi, *([sensitive] if sensitive else [])]
    keep_columns = list(params.keep_columns) if params.keep_columns is not None else targets
    absent = [c for c in {*targets, *keep_columns} if c not in frame.columns]
    if absent:
        raise KeyError(f"列 {sorted(absent)} がデータにありません")
    n = len(frame)
    heights = [hierarchy_height(hierarchies[c]) for c in qi]
    levels = {
        c: [generalise_level(frame[c], hierarchies[c], lv, c) for lv in range(h + 1)]
        for c, h in zip(qi, heights, strict=True)
    }
    best, lattice_size = _best_levels(frame, levels, heights, params)
    if best is None:
        raise ValueError(
            f"k={k}, l={l_target} を削除率 {max_suppression:.1%} 以内で満たす一般化の組み合わせがありません"
            f" (行数 {n:,}、準識別子 {qi})"
        )
    discernibility, height, vector, keep, suppressed, n_classes = best
    released = frame.loc[keep, keep_columns].copy()
    for c, lv in zip(qi, vector, strict=True):
        if c in released.columns:
            released[c] = levels[c][lv][keep].to_numpy()
    released = released.astype("string").sort_values(keep_columns, kind="mergesort").reset_index(drop=True)
    released_qi = [c for c in qi if c in released.columns]
    achieved = measure(released, released_qi, sensitive if sensitive in released.columns else None)
    report = {
        "k_target": k,
        "l_target": l_target,
        "k": achieved["k"],
        "l": achieved["l"],
        "n_classes": achieved["n_classes"],
        "rows_in": n,
        "rows_released": int(len(released)),
        "records_suppressed": suppressed,
        "suppression_rate": suppressed / n if n else 0.0,
        "max_suppression": max_suppression,
        "levels": {c: int(lv) for c, lv in zip(qi, vector, strict=True)},
        "generalisation_height": height,
        "discernibility": discernibility,
        "lattice_size": lattice_size,
        "quasi_identifiers": qi,
        "sensitive": sensitive,
        "released_columns": keep_columns,
    }
    return AnonymizeResult(released, report)
