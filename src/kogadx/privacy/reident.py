"""Re-identification risk of a ride log, and the student tier (学生向けの階層) built from it.

Uniqueness (de Montjoye, Hidalgo, Verleysen & Blondel 2013, "Unique in the Crowd", Scientific
Reports 3:1376 — four spatio-temporal points identified 95 % of 1.5 M phone users): a point is
(time at a resolution, place at a resolution) of one booking — its desired pick-up time and its
origin. For each rider with at least p distinct points, p of them are drawn at random (seeded);
the rider is *unique* when no other rider's trace holds all p. The share of unique riders, per
p and resolution, is how easily someone who saw a neighbour board the van a few times could
single out their rows.

The student tier (``student_tiers`` in policy.yaml, :func:`build_student_tier`): times floored
to a coarser step, stops replaced by their zone, the member pseudonym replaced by a rider number
drawn at random for this tier (seeded) — it does not join members, residents or the survey,
whose keys it never sees — and the columns not needed for the exercises dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

TIME_STEPS = {"minute": "min", "15min": "15min", "hour": "h", "day": "D"}
TIME_JA = {"minute": "分", "15min": "15分", "hour": "時間", "day": "日"}
PLACE_JA = {"stop": "停留所", "town": "町丁目", "oaza": "町・大字"}
_CHOME = re.compile(r"[一二三四五六七八九十]+丁目$")


class StudentTierError(ValueError):
    """The student-tier section of policy.yaml is malformed (message names the key)."""


@dataclass(frozen=True)
class TierSpec:
    """One student tier (policy.yaml ``student_tiers.<name>``)."""

    name: str
    source: str
    person_key: str
    person_output: str
    person_scope: str
    time_columns: tuple[str, ...]
    time_step: str
    place_columns: Mapping[str, str]
    zone_level: str
    keep: tuple[str, ...]
    description: str = ""


def parse_student_tiers(policy: Mapping[str, Any], source: str = "policy.yaml") -> dict[str, TierSpec]:
    """The ``student_tiers`` section of the policy mapping (empty when absent)."""
    tiers: dict[str, TierSpec] = {}
    for name, spec in (policy.get("student_tiers") or {}).items():
        where = f"{source}: student_tiers.{name}"
        try:
            step = str(spec["time"]["step"])
            zone_level = str(spec["place"]["zone_level"])
            tiers[name] = TierSpec(
                name=name, source=str(spec["source"]), person_key=str(spec["person_key"]["column"]),
                person_output=str(spec["person_key"]["output"]),
                person_scope=str(spec["person_key"].get("scope", "tier")),
                time_columns=tuple(spec["time"]["columns"]), time_step=step,
                place_columns=dict(spec["place"]["columns"]), zone_level=zone_level,
                keep=tuple(spec.get("keep") or ()), description=str(spec.get("description", "")))
        except (KeyError, TypeError) as error:
            raise StudentTierError(f"{where}: キー {error} がありません (source, person_key, time, place)") from None
        if step not in TIME_STEPS:
            raise StudentTierError(f"{where}.time.step '{step}' は {sorted(TIME_STEPS)} のいずれかです")
        if tiers[name].person_scope not in ("tier", "day"):
            raise StudentTierError(f"{where}.person_key.scope は tier / day のいずれかです")
        if zone_level not in ("town", "oaza"):
            raise StudentTierError(f"{where}.place.zone_level '{zone_level}' は town / oaza のいずれかです")
    return tiers


def stop_zones(stops: pd.DataFrame, level: str) -> pd.Series:
    """Zone name of each stop (index stop_id): its 町丁目 (``town``) or 町・大字 (``oaza``, 丁目 removed)."""
    names = stops.set_index("stop_id")["town_name"].astype("string")
    if level == "stop":
        return pd.Series(names.index.astype("string"), index=names.index)
    return names if level == "town" else names.str.replace(_CHOME, "", regex=True)


def build_student_tier(rides: pd.DataFrame, stops: pd.DataFrame, spec: TierSpec, seed: int) -> pd.DataFrame:
    """The tier: coarse times, zones for stops, a rider number that joins nothing, listed columns only.

    ``person_scope``: ``tier`` — one number per member for the whole tier; ``day`` — a new number
    per member and day (the trips of one day link, different days do not).

    Rows are sorted by time then rider so the source order (and its request numbers) is not kept.
    A stop missing from the stop table stops the stage (counted, never shown).
    """
    zones = stop_zones(stops, spec.zone_level)
    out = pd.DataFrame(index=rides.index)
    riders = rides[spec.person_key].astype("string")
    if spec.person_scope == "day":  # a new number every day: one day's trips link, days do not
        day = pd.to_datetime(rides[spec.time_columns[0]]).dt.strftime("%Y-%m-%d").astype("string")
        riders = riders + "|" + day
    distinct = np.sort(riders.dropna().unique().to_numpy(dtype=object))
    numbers = np.random.default_rng(seed).permutation(len(distinct)) + 1
    mapping = dict(zip(distinct, (f"U{n:05d}" for n in numbers), strict=True))
    out[spec.person_output] = riders.map(mapping).astype("string")
    for column in spec.time_columns:
        out[column] = pd.to_datetime(rides[column]).dt.floor(TIME_STEPS[spec.time_step])
    for column, output in spec.place_columns.items():
        mapped = rides[column].astype("string").map(zones)
        unknown = int((mapped.isna() & rides[column].notna()).sum())
        if unknown:
            raise StudentTierError(f"{spec.name}: 列 {column} の {unknown} 行の停留所が停留所マスタにありません")
        out[output] = mapped.astype("string")
    for column in spec.keep:
        out[column] = rides[column]
    order = [c for c in (spec.time_columns[0], spec.person_output) if c in out.columns]
    return out.sort_values(order, kind="mergesort").reset_index(drop=True)


def trace_points(person: pd.Series, time: pd.Series, place: pd.Series, time_step: str) -> pd.DataFrame:
    """One (rider, point) row per distinct point; a point is (time floored to ``time_step``, place)."""
    frame = pd.DataFrame({"person": person.astype("string").to_numpy(),
                          "time": pd.to_datetime(time).dt.floor(TIME_STEPS[time_step]).to_numpy(),
                          "place": place.astype("string").to_numpy()}).dropna()
    frame["point"] = pd.factorize(pd.MultiIndex.from_frame(frame[["time", "place"]]))[0]
    frame["rider"] = pd.factorize(frame["person"])[0]
    return frame[["rider", "point"]].drop_duplicates().reset_index(drop=True)


def share_unique(points: pd.DataFrame, p: int, rng: np.random.Generator) -> tuple[float, int]:
    """(share of riders unique on p random points of their own, riders with ≥ p points)."""
    by_rider = _members(points["rider"].to_numpy(), points["point"].to_numpy())
    by_point = _members(points["point"].to_numpy(), points["rider"].to_numpy())
    eligible = [(rider, pts) for rider, pts in by_rider.items() if len(pts) >= p]
    unique = 0
    for rider, pts in eligible:
        chosen = rng.choice(pts, size=p, replace=False)
        holders = by_point[chosen[0]]
        for point in chosen[1:]:
            holders = np.intersect1d(holders, by_point[point], assume_unique=True)
            if len(holders) == 1:
                break
        unique += int(len(holders) == 1 and holders[0] == rider)
    return (unique / len(eligible) if eligible else 0.0), len(eligible)


def uniqueness_table(person: pd.Series, time: pd.Series, place_by_level: Mapping[str, pd.Series],
                     time_steps: Sequence[str], points: Sequence[int], seed: int, tier: str) -> list[dict[str, Any]]:
    """Rows (tier, time, place, p, share unique, riders) for every resolution and p."""
    rows = []
    for step in time_steps:
        for level, place in place_by_level.items():
            trace = trace_points(person, time, place, step)
            rng = np.random.default_rng(seed)  # the same draws for every resolution
            for p in points:
                share, riders = share_unique(trace, p, rng)
                rows.append({"tier": tier, "time": step, "place": level, "p": int(p), "share_unique": share,
                             "riders": riders, "label": f"{TIME_JA[step]} × {PLACE_JA[level]}"})
    return rows


def _members(keys: np.ndarray, values: np.ndarray) -> dict[Any, np.ndarray]:
    """``values`` grouped by ``keys``: sorted keys, each group's values in row order (what
    ``groupby(keys)[values].apply(np.asarray)`` gives, without a pandas call per group)."""
    if not len(keys):
        return {}
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    groups = np.split(values[order], starts[1:])
    return dict(zip(sorted_keys[starts].tolist(), groups, strict=True))
