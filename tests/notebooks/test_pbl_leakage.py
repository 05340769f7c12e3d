"""Notebook 03 builds its design matrix as the pipeline does: no weather later than the issue time.

The notebook's own cells are run in this process (magics dropped) up to the cell that builds
``design``; every weather value in it must be the one observed on the last day known at the
forecast's issue time (``forecast.weather: persistence``), never the one at the target hour.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import PROJECT_ROOT

NOTEBOOK_03 = PROJECT_ROOT / "notebooks" / "pbl" / "03_demand_forecast.py"


def run_until(path: Path, name: str, root: Path) -> dict:
    """Execute the notebook's code cells in order until ``name`` is defined; the namespace."""
    import jupytext

    namespace: dict = {"__name__": "__notebook__"}
    old = os.environ.get("KOGADX_ROOT")
    os.environ["KOGADX_ROOT"] = str(root)
    try:
        for cell in jupytext.read(path).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
            exec(compile(code, str(path), "exec"), namespace)  # noqa: S102 - the notebook is ours
            if name in namespace:
                return namespace
    finally:
        if old is None:
            os.environ.pop("KOGADX_ROOT", None)
        else:
            os.environ["KOGADX_ROOT"] = old
    raise AssertionError(f"{path.name} に {name} を作るセルがありません")


def weather_after_issue_time(design, prepared, horizon: int) -> dict[str, int]:
    """Per weather column of the design: rows whose value is not the one known at issue time.

    Issue time of a row = its target time − horizon. Persistence takes the observation of the
    same hour on the last day fully known then (``24 × ceil(horizon / 24)`` hours back).
    """
    from kogadx.demand.forecast import WEATHER_COLS

    back = pd.Timedelta(hours=24 * math.ceil(horizon / 24))
    assert back >= pd.Timedelta(hours=horizon)  # that observation is not later than the issue time
    observed = prepared.frame[["unique_id", "ds", *[c for c in WEATHER_COLS if c in prepared.frame]]]
    known = observed.assign(ds=observed["ds"] + back)
    rows = design.frame[["unique_id", "ds"]].merge(known, on=["unique_id", "ds"], how="left")
    bad = {}
    for col in WEATHER_COLS:
        if col not in design.features:
            continue
        got = design.frame[col].to_numpy(dtype=float)
        want = rows[col].to_numpy(dtype=float)
        same = np.isclose(got, want, equal_nan=True)
        bad[col] = int((~same).sum())
    return bad


def test_notebook_03_design_has_no_weather_after_the_issue_time(pbl_project):
    ns = run_until(NOTEBOOK_03, "design", pbl_project)
    design, prepared, horizon = ns["design"], ns["prepared"], ns["HORIZON"]
    bad = weather_after_issue_time(design, prepared, horizon)
    assert bad, "03 の特徴量に天気の列がありません (テストの前提が崩れています)"
    # the weather varies hour to hour, so observed-at-target values would not match
    assert prepared.frame["temperature_c"].nunique() > 24
    assert all(n == 0 for n in bad.values()), (
        f"03 の特徴量に、予測を出す時点より後の天気が入っています (列: 行数) {bad}")


@pytest.mark.parametrize("horizon", [24])
def test_the_guard_sees_observed_weather(pbl_project, horizon):
    """The guard itself can fail: the design with weather as observed is flagged."""
    from kogadx.demand.forecast import build_design

    ns = run_until(NOTEBOOK_03, "prepared", pbl_project)
    leaky = build_design(ns["prepared"], horizon)
    bad = weather_after_issue_time(leaky, ns["prepared"], horizon)
    assert bad["temperature_c"] > 0
