"""Leak guard on the pseudonymize stage: ≥ 50 canaries, zero hits; one `keep` line → hits.

Canaries of every kind (names, kana, phones, マイナンバー, 住民票コード, addresses,
e-mails, card numbers) are planted in a residents register and in two further tables
defined here by a YAML-only policy change (a survey with free text, a payments table).
The stage's output, audit and the MLflow store are searched byte-wise and normalised.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from kogadx.io import write_parquet
from kogadx.privacy.canaries import canary_residents
from kogadx.privacy.keys import ENV_VAR
from kogadx.privacy.leaks import Canary
from kogadx.privacy.policy import default_policy_path
from pipelines.pseudonymize import main
from tests.helpers import write_demo_marker
from tests.leak_guard import find_leaks_in

EXTRA_TABLES = {
    "survey_responses": {
        "person_key": "resident_code",
        "columns": {
            "resident_code": {"action": "pseudonym", "domain": "person", "appi": "item2"},
            "answered_at": {"action": "generalise", "method": "floor_minute", "appi": "not_personal"},
            "satisfaction": {"action": "keep", "appi": "not_personal"},
            "comment": {"action": "scrub", "names_from": ["residents.name", "residents.name_kana"], "appi": "item1"},
        },
    },
    "payments": {
        "person_key": "resident_code",
        "columns": {
            "resident_code": {"action": "pseudonym", "domain": "person", "appi": "item2"},
            "card_number": {"action": "delete", "appi": "item3"},
            "email": {"action": "delete", "appi": "item1"},
            "amount_yen": {"action": "keep", "appi": "not_personal"},
        },
    },
}


def _luhn(first15: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(first15)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return first15 + str((10 - total % 10) % 10)


def _plant(root):
    residents, canaries = canary_residents(n_people=10, seed=7)
    n = len(residents)
    emails = [f"canary.person{i:02d}@kogadx-test.example" for i in range(n)]
    cards = [_luhn(f"4{i:02d}98765432101"[:15]) for i in range(n)]
    full_width = str.maketrans("0123456789-", "０１２３４５６７８９－")
    comments = [
        f"{row.name}です。{row.phone.translate(full_width)}に連絡を。{emails[i]} "
        f"カード{cards[i][:4]}-{cards[i][4:8]}-{cards[i][8:12]}-{cards[i][12:]} 番号{row.my_number} "
        f"({row.name_kana})"
        for i, row in enumerate(residents.itertuples())
    ]
    survey = pd.DataFrame({
        "resident_code": residents["resident_code"],
        "answered_at": pd.date_range("2024-02-01 09:00:17", periods=n, freq="37min"),
        "satisfaction": list(range(1, n + 1)),
        "comment": pd.Series(comments, dtype="string"),
    })
    payments = pd.DataFrame({"resident_code": residents["resident_code"], "card_number": cards,
                             "email": emails, "amount_yen": [1200 + i for i in range(n)]})
    in_dir = root / "data/raw_validated"
    write_parquet(residents, in_dir / "residents.parquet")
    write_parquet(survey, in_dir / "survey_responses.parquet")
    write_parquet(payments, in_dir / "payments.parquet")
    write_demo_marker(in_dir)
    canaries += [Canary("email", e) for e in emails] + [Canary("card", c) for c in cards]
    return canaries


def _policy(root, replace: tuple[str, str] | None = None):
    text = default_policy_path().read_text(encoding="utf-8")
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1])  # one policy line changed
    data = yaml.safe_load(text)
    data["tables"].update(EXTRA_TABLES)
    path = root / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def planted(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text(
        yaml.safe_dump({"pseudonymize": {"reference_date": "2024-02-29", "chunk_rows": 4}}), encoding="utf-8")
    monkeypatch.setenv("KOGADX_ROOT", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    return tmp_path, _plant(tmp_path)


def _run(root, policy):
    main([str(root / "data/raw_validated"), str(policy), str(root / "data/pseudonymized"), str(root / "data/secure"),
          str(root / "reports/privacy")])


def test_no_canary_reaches_the_shareable_zone(planted, _isolated_mlflow):
    root, canaries = planted
    assert len(canaries) >= 50 and {c.kind for c in canaries} >= {
        "name", "kana", "phone", "my_number", "address", "email", "card"}
    # The guard sees every canary in the secure input (it can find them at all).
    assert {h.canary_index for h in find_leaks_in([root / "data/raw_validated"], canaries)} == set(range(len(canaries)))
    _run(root, _policy(root))
    comments = pd.read_parquet(root / "data/pseudonymized/survey_responses.parquet")["comment"]
    assert comments.str.contains("＜電話番号＞").all() and comments.str.contains("＜カード番号＞").all()
    hits = find_leaks_in([root / "data/pseudonymized", root / "reports", _isolated_mlflow], canaries)
    assert hits == []
    residents_ids = set(pd.read_parquet(root / "data/pseudonymized/residents.parquet")["person_id"])
    payment_ids = set(pd.read_parquet(root / "data/pseudonymized/payments.parquet")["person_id"])
    assert payment_ids == residents_ids  # the same person gets the same person_id in every table


def test_guard_fails_when_one_line_keeps_phone(planted, _isolated_mlflow):
    root, canaries = planted
    policy = _policy(root, replace=("phone:         {action: delete, appi: item1}",
                                    "phone:         {action: keep, appi: not_personal}"))
    _run(root, policy)
    hits = find_leaks_in([root / "data/pseudonymized", root / "reports", _isolated_mlflow], canaries)
    assert hits, "the leak guard must catch a policy that keeps phone numbers"
    assert {h.kind for h in hits} == {"phone"}
    assert {h.path for h in hits} == {str(root / "data/pseudonymized/residents.parquet")}
