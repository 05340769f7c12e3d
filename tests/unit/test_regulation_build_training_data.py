"""The embedded training set is reproducible from ../shared."""

from __future__ import annotations

import pandas as pd
import pytest

from kogadx.regulation.build_training_data import build_training_frame, write_training_csv_gz
from kogadx.regulation.dataset import default_training_path, load_training_data


@pytest.mark.shared
def test_rebuild_from_shared_matches_embedded_file(shared_dir, tmp_path):
    frame, stats = build_training_frame(shared_dir / "benchmarks" / "analog_regulation")
    assert stats["label_rows_unmatched"] <= 3  # 2 renumbered + 1 typo row (SOURCES.md)
    rebuilt = write_training_csv_gz(frame, tmp_path / "rebuilt.csv.gz")
    pd.testing.assert_frame_equal(load_training_data(rebuilt), load_training_data())
    assert rebuilt.read_bytes() == default_training_path().read_bytes()
