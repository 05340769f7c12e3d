"""``kogadx wellbeing`` subcommands."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from kogadx.wellbeing.cli import app
from kogadx.wellbeing.indicators import district_estimates, shrink_to_city_mean


def test_categories_lists_all_24():
    result = CliRunner().invoke(app, ["categories"])
    assert result.exit_code == 0
    assert result.output.count("\n") == 24 and "事業創造" in result.output and "地域の人間関係" in result.output


def test_summary_prints_districts_and_rejects_unknown_indicator(tmp_path):
    frame = pd.DataFrame({"district": ["甲"] * 30 + ["乙"] * 30,
                          "happiness": np.r_[np.full(30, 6.0), np.full(30, 7.0)]})
    frame["happiness"] += np.tile([-1.0, 1.0], 30)
    path = tmp_path / "district_indicators.parquet"
    shrink_to_city_mean(district_estimates(frame, np.ones(60), ["happiness"])).to_parquet(path)
    ok = CliRunner().invoke(app, ["summary", str(path)])
    assert ok.exit_code == 0 and "甲" in ok.output and "乙" in ok.output and "幸福度" in ok.output
    bad = CliRunner().invoke(app, ["summary", str(path), "--indicator", "nothing"])
    assert bad.exit_code == 1
    missing = CliRunner().invoke(app, ["summary", str(tmp_path / "none.parquet")])
    assert missing.exit_code == 1
