"""Tables larger than memory (issue #25): read in partitions, set aside, written in row groups.

The Parquet writer's row groups do not depend on how the rows were cut (so pandas and Dask, any
worker count or partition size, write the same bytes), and ingest read from the export file
in partitions of two records gives what one pass over the whole table gives — copies, key
conflicts and references across partitions, and the file lines of quarantined records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from kogadx.compute import ComputeParams, Engine
from kogadx.ingest.core import Rules
from kogadx.ingest.stage import ingest_tables
from kogadx.io import FrameStream, ParquetSource, open_text_tables, read_text_tables, write_parquet
from tests.fixtures.ingest_tiny import FILES, TOWNS, tiny_raw

ROWS = 23
GROUP = 5


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "n": pd.array([i if i % 6 else None for i in range(ROWS)], dtype="Int64"),
        "text": pd.array([f"v{i}" if i % 4 else None for i in range(ROWS)], dtype="str"),
        "x": np.linspace(0.0, 1.0, ROWS) / 3,
    })


def _cut(frame: pd.DataFrame, sizes: list[int]) -> Iterator[pd.DataFrame]:
    start = 0
    for size in sizes:
        yield frame.iloc[start:start + size]
        start += size


def test_row_groups_do_not_depend_on_the_partitions(tmp_path, monkeypatch):
    monkeypatch.setattr("kogadx.io.STREAM_ROW_GROUP_ROWS", GROUP)
    frame = _frame()
    cuts = {"one": [ROWS], "sevens": [7, 7, 7, 2], "ragged": [0, 3, 1, 0, 11, 8, 0]}
    digests = {}
    for name, sizes in cuts.items():
        path = tmp_path / f"{name}.parquet"
        write_parquet(FrameStream(lambda sizes=sizes: _cut(frame, sizes)), path)
        digests[name] = path.read_bytes()
        meta = pq.ParquetFile(path).metadata
        assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [5, 5, 5, 5, 3], name
    assert digests["sevens"] == digests["one"] and digests["ragged"] == digests["one"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one.parquet"), frame)
    # Read back in partitions of any size: the rows of the file, in order, whatever its row groups.
    parts = list(ParquetSource(tmp_path / "one.parquet").parts(7))
    assert [len(p) for p in parts] == [7, 7, 7, 2] and parts[1].index[0] == 7
    pd.testing.assert_frame_equal(pd.concat(parts), frame)


def test_ingest_of_an_export_in_partitions_of_two_equals_one_pass(tmp_path):
    raw = tiny_raw()
    residents = raw.rows("residents")
    # A duplicate group cut by partition boundaries (the original and two copies in three
    # partitions), a key shared by two different records in different partitions, a quoted line
    # break (the file lines after it shift), and a member whose resident is quarantined.
    residents[3]["住所"] = residents[3]["住所"] + "\n"
    residents.append(dict(residents[0]))
    residents.append(dict(residents[1], 氏名="別人 太郎"))
    residents.append(dict(residents[0]))
    raw.write(tmp_path)
    rules = Rules(reference_date=dt.date(2025, 3, 31))
    expected = ingest_tables(read_text_tables(tmp_path, FILES), TOWNS, rules)
    in_twos = Engine(ComputeParams(partition_rows=2))
    got = ingest_tables(open_text_tables(tmp_path, FILES), TOWNS, rules, running=in_twos)
    quarantine = got["residents"].quarantine
    assert (quarantine["reason"].str.contains("重複行です").sum(), quarantine["reason"].str.contains("キーが").sum()) \
        == (2, 2), quarantine[["line", "reason"]]
    # The copies name the original's file line; the records after the quoted break are one line lower.
    assert quarantine.loc[quarantine["reason"].str.contains("重複行"), "reason"].str.contains("(2 行目と同一)",
                                                                                            regex=False).all()
    assert quarantine["line"].max() == len(residents) + 2
    for table, result in expected.items():
        pd.testing.assert_frame_equal(got[table].valid, result.valid, obj=table)
        pd.testing.assert_frame_equal(got[table].quarantine, result.quarantine, obj=table)
        assert got[table].summary() == result.summary(), table
        assert got[table].rows_in == got[table].rows_out + got[table].rows_quarantined, table


def test_a_stream_that_fails_half_way_leaves_no_file(tmp_path):
    # The second group cannot be cast to the first group's int64 column: the writer stops there.
    # A file holding only the first group would still read as a valid (shorter) table.
    from kogadx.io import write_parquet_stream

    target = tmp_path / "t.parquet"
    parts = [pd.DataFrame({"n": np.arange(GROUP, dtype="int64")}), pd.DataFrame({"n": [0.5] * GROUP})]
    try:
        write_parquet_stream(iter(parts), target, group_rows=GROUP)
    except Exception:  # noqa: BLE001 - pyarrow's own cast error; the point is what is left on disk
        pass
    else:
        raise AssertionError("the cast of 0.5 to int64 should have failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_spill_folders_are_removed_when_the_stage_script_ends(tmp_path, monkeypatch):
    # The raw records a partitioned stage sets aside must leave the disk on an error too.
    import pytest

    from kogadx import stage as kstage
    from kogadx.io import FrameSpill

    monkeypatch.setenv("KOGADX_SPILL_DIR", str(tmp_path))
    kept: list[FrameSpill] = []

    def main() -> None:
        kept.append(FrameSpill())
        kept[0].append(_frame())
        raise ValueError("途中で失敗")

    with pytest.raises(SystemExit):
        kstage.script_main(main)
    assert kept[0].folder is not None and not kept[0].folder.exists()
    assert list(tmp_path.iterdir()) == []


def test_spill_folders_are_removed_on_sigterm(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import time, pandas as pd\n"
        "from kogadx.stage import script_main\n"
        "from kogadx.io import FrameSpill\n"
        "def main():\n"
        "    s = FrameSpill(); s.append(pd.DataFrame({'a': [1]})); print('ready', flush=True); time.sleep(60)\n"
        "script_main(main)\n"
    )
    env = {**os.environ, "KOGADX_SPILL_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    assert len(list(tmp_path.iterdir())) == 1
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    time.sleep(0.1)
    assert list(tmp_path.iterdir()) == []
