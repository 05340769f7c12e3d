"""How a district's interval stands against the city value, shared by the map and the report.

The map colours three classes instead of a ramp (a ramp reads as a ranking); the report's alt
text counts the same classes, so both must come from this one rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

CITY = "市全体"  # the city-wide row of every district table (kogadx.wellbeing.indicators re-exports it)
CLASSES = ("higher", "holds", "lower", "withheld")


def city_comparison(estimates: pd.DataFrame, indicator: str) -> pd.Series:
    """District → higher / holds / lower / withheld, for one indicator (city row excluded).

    ``estimates``: district, indicator, mean, mean_eb, ci_low_eb, ci_high_eb, n (published:
    withheld districts have no mean_eb, or a ``withheld`` flag). The city value is its direct weighted mean.
    """
    est = estimates[estimates["indicator"] == indicator].set_index("district")
    city_mean = float(est.loc[CITY, "mean"])
    est = est.drop(index=CITY)
    has = est["mean_eb"].notna() & (est["n"].fillna(0) > 0)
    if "withheld" in est:  # the full estimates table keeps withheld means; they are never shown
        has &= ~est["withheld"].fillna(False).astype(bool)
    out = pd.Series("holds", index=est.index, dtype="object")
    out[est["ci_low_eb"] > city_mean] = "higher"
    out[est["ci_high_eb"] < city_mean] = "lower"
    out[~has] = "withheld"
    return out


def class_counts(classes: pd.Series) -> dict[str, int]:
    """Counts per class, every class present (0 when none)."""
    counts = classes.value_counts()
    return {c: int(counts.get(c, 0)) for c in CLASSES}


def profile_districts(configured: Sequence[str], order: Sequence[str], shown: set[str]) -> list[str]:
    """The districts drawn in the profile figure: the configured ones that are published, else
    the first four published ones in reading order."""
    return [x for x in configured if x in order and x in shown] or \
        [x for x in order if x in shown][:4] or list(order[:4])
