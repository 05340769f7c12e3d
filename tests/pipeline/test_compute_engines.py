"""The Dask engine writes the same bytes as pandas (issue #25): ingest, pseudonymize, features.

On the tiny project's raw export (canaries and the generator's planted faults included), each
stage runs twice in process: pandas with the default one partition per table, and Dask on a
LocalCluster (threads, one worker) with partitions of a few dozen rows. Every written file is
compared by SHA-256. At ×10 the same comparison runs in benchmarks/scale.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import TEST_KEY_HEX, load_stage_script, merge_params, tree_digest

# Small enough that every large table is cut into several Dask partitions.
PARTITION_ROWS = 37
ENGINES = {
    "pandas": {"compute": {"engine": "pandas"}, "pseudonymize": {"chunk_rows": PARTITION_ROWS}},
    "dask": {"compute": {"engine": "dask", "partition_rows": PARTITION_ROWS, "n_workers": 1, "processes": False},
             "pseudonymize": {"chunk_rows": PARTITION_ROWS}},
}


def _run_stages(project: Path, out: Path, overrides: dict) -> None:
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    merge_params(params, overrides)
    params_file = out / "params.yaml"
    out.mkdir(parents=True)
    params_file.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    raw = project / "data" / "raw_canary"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOGADX_PARAMS", str(params_file))
        mp.setenv("KOGADX_PSEUDONYM_KEY", TEST_KEY_HEX)
        load_stage_script("ingest").main([str(raw), str(out / "validated"), str(out / "ingest.json")])
        load_stage_script("pseudonymize").main([
            str(out / "validated"), str(project / "src" / "kogadx" / "privacy" / "policy.yaml"),
            str(out / "pseudonymized"), str(out / "secure"), str(out / "audit"), str(raw)])
        p = out / "pseudonymized"
        load_stage_script("features").main([str(p / "ride_requests.parquet"), str(p / "stops.parquet"),
                                            str(p / "weather.parquet"), str(p / "towns.parquet"),
                                            str(p / "residents.parquet"), str(out / "features" / "panel.parquet")])


def test_dask_engine_writes_the_same_bytes_as_pandas(tiny_project, tmp_path):
    project, _ = tiny_project
    digests = {}
    for name, overrides in ENGINES.items():
        _run_stages(project, tmp_path / name, overrides)
        digests[name] = {k: v for k, v in tree_digest(tmp_path / name).items() if k != "params.yaml"}
    # The comparison means something: Dask really cut the tables into several partitions,
    # quarantined rows are there, and every stage wrote its files.
    # (counts only in the messages: these tables hold personal data, canaries included)
    residents = len(pd.read_parquet(tmp_path / "dask" / "validated" / "residents.parquet", columns=["town_code"]))
    requests = len(pd.read_parquet(tmp_path / "dask" / "pseudonymized" / "ride_requests.parquet",
                                   columns=["outcome"]))
    assert residents > 3 * PARTITION_ROWS and requests > 3 * PARTITION_ROWS, (residents, requests)
    ingest = json.loads((tmp_path / "dask" / "ingest.json").read_text(encoding="utf-8"))
    assert ingest["residents"]["rows_quarantined"] > 0
    assert {"ingest.json", "validated/residents.parquet", "pseudonymized/residents.parquet",
            "audit/pseudonymize_audit.json", "features/panel.parquet"} <= set(digests["dask"])
    differing = sorted(k for k in digests["pandas"].keys() | digests["dask"].keys()
                       if digests["pandas"].get(k) != digests["dask"].get(k))
    assert differing == [], f"pandas と Dask で内容が違うファイル: {differing}"
