"""Anonymized release (行政機関等匿名加工情報 candidate): optimal full-domain generalisation + suppression.

Quasi-identifiers are generalised along hierarchies (YAML, see ``hierarchies.yaml``):
``interval`` (ages → 5/10/20-year bands, top-coded '90+'), ``prefix`` (町丁目コード →
大字 → 市), ``suppress`` ('*'), ``mapping`` (explicit parents). The optimal transformation (one
level per QI) is found by :mod:`kogadx.privacy.lattice` (ARX's method: full lattice, suppression
budget, a utility model — non-uniform entropy by default — optional attribute weights and a
highest level per QI, e.g. age no coarser than 10-year bands). Records in classes smaller than
``k`` or with fewer than ``l`` distinct sensitive values are suppressed (removed).

The sensitive attribute may be *derived* before the linking codes are dropped:
``household_size`` (世帯人員: 1人 / 2人 / 3人 / 4人以上, counted per household_id). Living
alone is what a welfare or mobility planner needs and what harms if disclosed (an older
person living alone is the target of fraud and burglary), so l ≥ 2 on it means no released
class tells that everyone in it lives alone. 続柄 is not sensitive but a quasi-identifier
(ages 0–19 are almost all 「子」), so it is generalised like the others.

Only ``keep_columns`` are released (linking codes such as person_id and household_id are dropped
— 個人情報保護法 第116条 / 施行規則 第62条: 個人識別符号・連結符号の削除), and rows are sorted by their
values so the source row order is not kept. The release is *not* open data: see
``kogadx.privacy.legal`` for the route (提案募集 and contract, 法第5章第5節).
"""

from __future__ import annotations

import math
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
from kogadx.privacy.lattice import Hierarchy, hierarchy_from_levels, optimal_generalisation
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


HOUSEHOLD_SIZE_LABELS = ("1人", "2人", "3人", "4人以上")


def household_size(frame: pd.DataFrame) -> pd.Series:
    """世帯人員 class of each person (1人 / 2人 / 3人 / 4人以上), counted per household_id."""
    if "household_id" not in frame.columns:
        raise KeyError("世帯人員 (household_size) を作るには列 household_id が必要です")
    size = frame.groupby("household_id", dropna=False)["household_id"].transform("size").clip(upper=4)
    return pd.Series(np.asarray(HOUSEHOLD_SIZE_LABELS)[size.to_numpy() - 1], index=frame.index,
                     dtype="string", name="household_size")


DERIVED = {"household_size": household_size}
COLUMN_JA = {"age": "年齢", "sex": "性別", "town_code": "町丁目", "relationship": "続柄",
             "household_size": "世帯人員 (1人・2人・3人・4人以上)"}


def level_label(spec: Mapping[str, Any], level: int) -> str:
    """What a hierarchy level means, in Japanese (for the report)."""
    height = hierarchy_height(spec)
    if level == height:
        return "*(非表示)"
    kind = spec["type"]
    if kind == "interval":
        width = int(spec["widths"][level])
        return "各歳" if width == 1 else f"{width}歳階級"
    if kind == "prefix":
        return {11: "町丁目", 9: "町・大字", 5: "市"}.get(int(spec["lengths"][level]),
                                                       f"先頭{spec['lengths'][level]}桁")
    return "元の値" if level == 0 else f"上位区分 {level}"


def band_width(text: str) -> float:
    """Width in years of an age band as released ('35-39' → 5, '42' → 1, '90+' / '*' → inf)."""
    if text.endswith("+") or text == "*":
        return math.inf
    low, _, high = text.partition("-")
    return float(int(high) - int(low) + 1) if high else 1.0


def anonymize_table(
    frame: pd.DataFrame,
    hierarchies: Mapping[str, Mapping[str, Any]],
    params: AnonymizeParams,
) -> AnonymizeResult:
    """Generalise QIs and suppress rare records so that k and l hold; see module docstring.

    ``params.max_suppression`` is a share of rows (0–1). Raises ValueError when no level
    combination reaches the targets within the suppression limit.
    """
    frame = frame.copy()
    for name in params.derive:
        frame[name] = DERIVED[name](frame)
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
    lattice: list[Hierarchy] = [hierarchy_from_levels(c, levels[c]) for c in qi]
    codes = pd.factorize(frame[sensitive].astype("string").fillna("<NA>"))[0] if sensitive else None
    limit = math.floor(max_suppression * n)
    best = optimal_generalisation(lattice, k=k, max_suppressed=limit, metric=params.metric, sensitive=codes,
                                  l_target=l_target, weights=params.weights, max_levels=params.max_levels)
    if best is None:
        raise ValueError(
            f"k={k}, l={l_target} を削除率 {max_suppression:.1%} 以内で満たす一般化の組み合わせがありません"
            f" (行数 {n:,}、準識別子 {qi}、上限レベル {dict(params.max_levels or {})})"
        )
    keep = best.keep
    released = frame.loc[keep, keep_columns].copy()
    for c, lv in zip(qi, best.levels, strict=True):
        if c in released.columns:
            released[c] = levels[c][lv][keep].to_numpy()
    released = released.astype("string").sort_values(keep_columns, kind="mergesort").reset_index(drop=True)
    released_qi = [c for c in qi if c in released.columns]
    achieved = measure(released, released_qi, sensitive if sensitive in released.columns else None)
    report: dict[str, Any] = {
        "k_target": k,
        "l_target": l_target,
        "k": achieved["k"],
        "l": achieved["l"],
        "n_classes": achieved["n_classes"],
        "rows_in": n,
        "rows_released": int(len(released)),
        "records_suppressed": best.suppressed,
        "suppression_rate": best.suppressed / n if n else 0.0,
        "max_suppression": max_suppression,
        "levels": {c: int(lv) for c, lv in zip(qi, best.levels, strict=True)},
        "generalisation": {c: level_label(hierarchies[c], lv) for c, lv in zip(qi, best.levels, strict=True)},
        "max_levels": dict(params.max_levels or {}),
        "metric": params.metric,
        "information_loss": best.loss,
        "information_loss_by_qi": best.loss_by_qi,
        "lattice_size": best.lattice_size,
        "nodes_checked": best.nodes_checked,
        "quasi_identifiers": qi,
        "sensitive": sensitive,
        "sensitive_ja": COLUMN_JA.get(sensitive or "", sensitive),
        "released_columns": keep_columns,
    }
    if "age" in released.columns:
        widths = released["age"].map(band_width)
        report["age_band_10y_or_narrower_share"] = float((widths <= 10).mean()) if len(released) else 0.0
        # suppressed records by 20-year band: the report says whom suppression removed (counts only)
        suppressed_age = pd.to_numeric(frame.loc[~keep, "age"], errors="coerce")
        low = (suppressed_age // 20 * 20).astype("Int64")
        counts = low.value_counts(dropna=False).sort_index()
        report["suppressed_by_age_20y"] = {
            ("不明" if pd.isna(b) else f"{int(b)}-{int(b) + 19}"): int(c) for b, c in counts.items()}
    return AnonymizeResult(released, report)
