"""Stage anonymize on the pseudonymize stage's output: k and l reached, linking codes gone."""

from __future__ import annotations

import json

import pandas as pd
import yaml

from kogadx.io import write_parquet
from kogadx.privacy.anonymity import measure
from kogadx.privacy.anonymize import default_hierarchies_path
from kogadx.privacy.canaries import canary_residents
from kogadx.privacy.keys import ENV_VAR
from kogadx.privacy.policy import default_policy_path
from pipelines.anonymize import main as anonymize_main
from pipelines.pseudonymize import main as pseudonymize_main
from tests.helpers import write_demo_marker

PARAMS = {
    "pseudonymize": {"reference_date": "2024-02-29", "chunk_rows": 100_000},
    "anonymize": {
        "quasi_identifiers": ["age", "sex", "town_code"],
        "sensitive": "relationship",
        "k": 5,
        "l": 2,
        "max_suppression": 0.05,
        "keep_columns": ["age", "sex", "town_code", "relationship"],
    },
}


def test_anonymize_stage(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    residents, _ = canary_residents(n_people=300, seed=2)
    write_parquet(residents, tmp_path / "raw_validated/residents.parquet")
    write_demo_marker(tmp_path / "raw_validated")
    pseudonymize_main([str(tmp_path / "raw_validated"), str(default_policy_path()), str(tmp_path / "pseudonymized"),
                       str(tmp_path / "secure"), str(tmp_path / "audit")])
    args = [str(tmp_path / "pseudonymized/residents.parquet"), str(default_hierarchies_path()),
            str(tmp_path / "anonymized/residents.parquet"), str(tmp_path / "metrics/anonymize.json")]
    anonymize_main(args)
    released = pd.read_parquet(tmp_path / "anonymized/residents.parquet")
    report = json.loads((tmp_path / "metrics/anonymize.json").read_text(encoding="utf-8"))
    assert list(released.columns) == ["age", "sex", "town_code", "relationship"]  # no person_id / household_id
    check = measure(released, ["age", "sex", "town_code"], "relationship")
    assert check["k"] >= 5 and check["l"] >= 2 and report["k"] == check["k"]
    assert report["rows_in"] == 300 and report["rows_released"] + report["records_suppressed"] == 300
    assert not released["age"].isin([str(a) for a in range(90, 130)]).any()  # top-coded
    first = (tmp_path / "anonymized/residents.parquet").read_bytes()
    anonymize_main(args)
    assert (tmp_path / "anonymized/residents.parquet").read_bytes() == first
