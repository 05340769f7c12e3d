"""Repositioning policies of the dispatch simulation: codes, order and Japanese names.

The one place for them: the dispatch figures and the のるーと report
(:mod:`kogadx.reporting.norute`) both read the labels from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

# What an idle van does (see :func:`kogadx.mobility.simulation.simulate_dispatch`):
# "none" waits where it dropped its last rider, "depot" drives back to the depot,
# "forecast" / "oracle" move towards zones by expected demand (a forecast or the true λ).
Policy = Literal["none", "depot", "forecast", "oracle"]
POLICIES: tuple[Policy, ...] = get_args(Policy)

# Policies of the replicated comparison: the forecast policy fed other demand estimates
# ("uniform": each hour's total spread evenly over the zones; "history": the 4-week
# average) are the two controls that say how much of the gain needs the forecast at all.
ReplicationPolicy = Literal["none", "uniform", "history", "forecast", "oracle"]
REPLICATION_POLICIES: tuple[ReplicationPolicy, ...] = get_args(ReplicationPolicy)

POLICY_ORDER = ("none", "depot", "uniform", "history", "forecast", "oracle")
POLICY_JA = {"none": "再配置なし", "depot": "車庫に戻る", "forecast": "予測に基づく再配置",
             "oracle": "真の需要 (参考)", "history": "過去 4 週の平均に基づく再配置",
             "uniform": "区域を区別せず均等に配置"}


def ordered(policies: Iterable[str]) -> list[str]:
    """Policies in display order: the known ones in :data:`POLICY_ORDER`, then others sorted."""
    present = set(policies)
    return [p for p in POLICY_ORDER if p in present] + sorted(present - set(POLICY_ORDER))


def policy_label(policy: str) -> str:
    """Japanese name of a policy (unknown codes shown as they are)."""
    return POLICY_JA.get(policy, policy)
