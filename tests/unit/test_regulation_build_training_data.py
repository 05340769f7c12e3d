"""The embedded training set: built from law XML and the 工程表, reproducible from ../shared."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from kogadx.io import read_folder_bytes, read_text_table
from kogadx.regulation.build_training_data import (
    ALL_LABELS,
    LAWS_DIR,
    SUBSET_LABELS,
    TRAINING_COLUMNS,
    build_training_frame,
    training_csv_gz,
)
from kogadx.regulation.dataset import load_training_data, training_data_bytes
from tests.unit.test_regulation_loaders import EGOV_XML

LAW = "350AC0000000001_試験法.xml"


def _labels(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """工程表 rows (LawId, a, p, i, 規制等の類型) as read from the CSV (text, blank = absent)."""
    frame = pd.DataFrame(rows, columns=["LawId", "a", "p", "i", "規制等の類型"])
    frame["条項"] = "第" + frame["a"] + "条"
    frame["法令名"] = "試験法"
    frame["LawTitle"] = ""
    frame["規制等の内容概要"] = "標識を掲示させる"
    return frame


def test_clause_and_summary_rows_from_xml_and_koteihyo():
    subset = _labels([("350AC0000000001", "3", "1", "", "書面掲示"),   # one paragraph
                      ("350AC0000000001", "252_17_6", "", "", "実地監査"),  # article only: all its paragraphs
                      ("350AC0000000001", "9", "1", "", "目視規制")])  # no such article: unmatched
    all_labels = pd.concat([subset, subset.iloc[[0]]], ignore_index=True)  # a repeated row is merged
    frame, stats = build_training_frame({LAW: EGOV_XML.encode("utf-8")}, subset, all_labels)
    assert list(frame.columns) == TRAINING_COLUMNS
    clauses = frame[frame["source"] == "clause"]
    assert clauses["clause_ref"].tolist() == ["第3条第1項", "第3条第2項", "第252条の17の6第1項"]
    assert clauses["labels"].tolist() == ["書面掲示", "", "実地監査"]
    assert set(clauses["group"]) == {"350AC0000000001"}
    summaries = frame[frame["source"] == "summary"]
    assert len(summaries) == 3 and set(summaries["labels"]) == {"書面掲示", "実地監査", "目視規制"}
    assert stats == {"clause_rows": 3, "clause_positive_rows": 2, "label_rows_unmatched": 1, "summary_rows": 3,
                     "groups": 1}
    data = training_csv_gz(frame)
    assert data == training_csv_gz(frame)  # gzip without a time stamp: same rows, same bytes
    pd.testing.assert_frame_equal(load_training_data(data), frame.reset_index(drop=True))


@pytest.mark.shared
def test_rebuild_from_shared_matches_embedded_file(shared_dir, tmp_path):
    bench = shared_dir / "benchmarks" / "analog_regulation"
    laws = read_folder_bytes(bench / LAWS_DIR, (".xml",))
    frame, stats = build_training_frame(laws, read_text_table(bench / SUBSET_LABELS)[0],
                                        read_text_table(bench / ALL_LABELS)[0])
    assert stats["label_rows_unmatched"] <= 3  # 2 renumbered + 1 typo row (SOURCES.md)
    pd.testing.assert_frame_equal(load_training_data(training_csv_gz(frame)), load_training_data())
    assert training_csv_gz(frame) == training_data_bytes()

    from kogadx.regulation.cli import app

    rebuilt = tmp_path / "rebuilt.csv.gz"
    result = CliRunner().invoke(app, ["build-training-data", str(bench), str(rebuilt)])
    assert result.exit_code == 0, result.output
    assert rebuilt.read_bytes() == training_data_bytes()
    missing = CliRunner().invoke(app, ["build-training-data", str(tmp_path / "nowhere"), str(rebuilt)])
    assert missing.exit_code == 2 and "フォルダがありません" in missing.output
