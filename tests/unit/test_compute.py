"""The compute engine (kogadx.compute): params, partition order, and ingest's checks on Dask
partitions giving what one pandas pass gives (faults that span partitions included)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kogadx.compute import PANDAS, ComputeParams, engine
from kogadx.ingest.core import Rules
from kogadx.ingest.stage import ingest_tables
from kogadx.io import read_text_tables
from kogadx.params import ParamsError, load_params
from tests.fixtures.ingest_tiny import FILES, TOWNS, tiny_raw
from tests.helpers import write_params

TINY_DASK = ComputeParams(engine="dask", partition_rows=2, n_workers=1, processes=False)


def test_a_bad_engine_names_its_key(tmp_path):
    with pytest.raises(ParamsError, match="compute.engine"):
        load_params(ComputeParams, write_params(tmp_path, {"compute": {"engine": "spark"}}))


@pytest.fixture(scope="module")
def dask_engine():
    """One LocalCluster (threads) for the module: starting one costs seconds."""
    with engine(TINY_DASK) as running:
        yield running


def test_dask_partitions_come_back_in_row_order(dask_engine):
    frame = pd.DataFrame({"x": range(11)})
    assert dask_engine.client is not None
    parts = dask_engine.map_partitions(frame, lambda part: part["x"].tolist())
    assert parts == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10]]
    assert parts == PANDAS.map_partitions(frame, lambda part: part["x"].tolist(), rows=2)


def test_ingest_on_dask_partitions_equals_one_pandas_pass(tmp_path, dask_engine):
    raw = tiny_raw()
    residents = raw.rows("residents")
    # Faults whose detection crosses partitions of 2 rows: an exact copy far from its original,
    # a key shared by two different records, and a per-record fault.
    residents.append(dict(residents[0]))
    residents.append(dict(residents[1], 氏名="別人 太郎"))
    residents[2]["生年月日"] = "平成31年2月30日"
    raw.write(tmp_path)
    tables = read_text_tables(tmp_path, FILES)
    rules = Rules(reference_date=dt.date(2025, 3, 31))
    expected = ingest_tables(tables, TOWNS, rules)
    got = ingest_tables(tables, TOWNS, rules, running=dask_engine)
    assert len(tables["residents"].frame) > 3 * TINY_DASK.partition_rows
    assert expected["residents"].rows_quarantined == 4  # the copy, both key holders, the date
    for table, result in expected.items():
        pd.testing.assert_frame_equal(got[table].valid, result.valid)
        pd.testing.assert_frame_equal(got[table].quarantine, result.quarantine)
        assert got[table].summary() == result.summary()


def test_params_without_a_compute_section_run_on_pandas(tmp_path) -> None:
    """The engine never changes an output, so an older params.yaml without the section still runs."""
    from kogadx.compute import load_compute_params

    (tmp_path / "params.yaml").write_text("ingest: {}\n", encoding="utf-8")
    assert load_compute_params(str(tmp_path / "params.yaml")).engine == "pandas"
    (tmp_path / "params.yaml").write_text("compute: {engine: dask, partition_rows: 10}\n", encoding="utf-8")
    chosen = load_compute_params(str(tmp_path / "params.yaml"))
    assert (chosen.engine, chosen.partition_rows) == ("dask", 10)
