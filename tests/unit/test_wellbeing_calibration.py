"""District × age raking cells (the collapsing rule) and re-raked bootstrap replicate weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kogadx.rng import stream_rng
from kogadx.wellbeing.params import RakingParams
from kogadx.wellbeing.raking import add_district_age, collapse_district_age, population_margins, rake
from kogadx.wellbeing.replicates import bootstrap_weights, replicate_district_means

GROUPS = ["18-29", "30-49", "50-69", "70-89"]


def _sample(counts: dict[str, list[int]]) -> pd.DataFrame:
    rows = [(d, g) for d, per in counts.items() for g, k in zip(GROUPS, per, strict=True) for _ in range(k)]
    frame = pd.DataFrame(rows, columns=["district", "age_group"])
    frame["age_group"] = pd.Categorical(frame["age_group"], categories=GROUPS)
    return frame


def test_collapsing_rule_merges_adjacent_age_groups_inside_a_district():
    cells = collapse_district_age(_sample({"A": [25, 30, 22, 40], "B": [3, 4, 25, 6], "C": [2, 3, 1, 0]}), 20)
    assert {cells[("A", g)] for g in GROUPS} == {"A|18-29", "A|30-49", "A|50-69", "A|70-89"}  # all large enough
    # B: 3 + 4 + 25 closes at 50-69; the short last group (6) joins the cell before it.
    assert {cells[("B", g)] for g in GROUPS} == {"B|18-29～70-89"}
    assert cells[("C", "18-29")] == cells[("C", "70-89")] == "C|18-29～70-89"  # a small district is one cell
    cells = collapse_district_age(_sample({"D": [12, 9, 30, 21]}), 20)
    assert [cells[("D", g)] for g in GROUPS] == ["D|18-29～30-49", "D|18-29～30-49", "D|50-69", "D|70-89"]


def test_every_collapsed_cell_has_min_cell_respondents():
    rng = stream_rng(4, "cells")
    counts = {d: list(rng.poisson(rng.uniform(1, 30), 4)) for d in "ABCDEFGHIJ"}
    sample = _sample(counts)
    labelled = add_district_age(sample, collapse_district_age(sample, 15))
    sizes = labelled.groupby("district_age").size()
    per_district = sample.groupby("district").size()
    small = {d for d, n in per_district.items() if n < 15}
    assert (sizes[[c for c in sizes.index if c.split("|")[0] not in small]] >= 15).all()


def _world(seed: int = 7, n_pop: int = 30_000, n: int = 1_200):
    rng = stream_rng(seed, "replicates")
    pop = pd.DataFrame({"district": rng.choice(list("ABCDE"), n_pop, p=[0.4, 0.25, 0.15, 0.12, 0.08]),
                        "age_group": rng.choice(GROUPS, n_pop)})
    pop["y"] = rng.normal(5, 2, n_pop) + (pop["age_group"] == "70-89") * 1.5
    p = np.where(pop["age_group"] == "70-89", 3.0, 1.0)
    sample = pop.iloc[rng.choice(n_pop, n, replace=False, p=p / p.sum())].reset_index(drop=True)
    sample["age_group"] = pd.Categorical(sample["age_group"], categories=GROUPS)
    cells = collapse_district_age(sample, 20)
    return add_district_age(pop, cells), add_district_age(sample, cells)


def test_each_replicate_is_re_raked_to_the_register_cells():
    pop, sample = _world()
    targets = population_margins(pop, [["district_age"]])
    config = RakingParams(tol=1e-9, trim_ratio=None)
    reps = bootstrap_weights(sample, targets, config, 8, stream_rng(1, "boot"))
    assert reps.shape == (len(sample), 8)
    assert ((reps == 0).mean(axis=0) > 0.3).all()  # about e⁻¹ of the rows are not drawn
    cell_totals = targets[("district_age",)]
    for r in range(8):
        totals = pd.Series(reps[:, r]).groupby(sample["district_age"].to_numpy()).sum()
        np.testing.assert_allclose(totals.reindex(cell_totals.index).to_numpy(), cell_totals.to_numpy(), rtol=1e-6)


def test_bootstrap_variance_of_a_raked_mean_matches_the_spread_over_samples():
    """Bootstrap SE against the Monte-Carlo SE of the raked district mean over repeated samples."""
    pop, _ = _world()
    config = RakingParams(tol=1e-9, trim_ratio=None)
    rng = stream_rng(2, "repeat")
    means, ses = [], []
    p = np.where(pop["age_group"] == "70-89", 3.0, 1.0)
    for _ in range(20):
        sample = pop.iloc[rng.choice(len(pop), 600, replace=False, p=p / p.sum())].reset_index(drop=True)
        targets = population_margins(pop, [["district"], ["age_group"]])
        w = rake(sample, targets, config).weights
        reps = bootstrap_weights(sample, targets, config, 20, rng)
        est = replicate_district_means(sample["y"].to_numpy(float), sample["district"].to_numpy(), ["E"], w, reps)
        means.append(float(est["mean"].iloc[0]))
        ses.append(float(np.sqrt(est["var_boot"].iloc[0])))
    assert np.mean(ses) == pytest.approx(np.std(means, ddof=1), rel=0.35)
