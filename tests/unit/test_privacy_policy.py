"""Policy parsing and the seed slide's example table through a policy."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
import yaml

from kogadx.privacy.policy import PolicyError, default_policy_path, load_policy, parse_policy, parse_policy_text
from kogadx.privacy.pseudonym import pseudonym_of
from kogadx.privacy.transform import TableStats, TransformContext, pseudonymize_frame

KEY = b"k" * 32

SEED_POLICY = {
    "version": "test",
    "tables": {
        "purchases": {
            "columns": {
                "氏名": {"action": "pseudonym", "domain": "customer", "output": "仮ID", "appi": "item1"},
                "年齢": {"action": "keep", "appi": "not_personal"},
                "年月日": {"action": "keep", "appi": "not_personal"},
                "時刻": {"action": "keep", "appi": "not_personal"},
                "金額": {"action": "keep", "appi": "not_personal"},
                "旅券番号": {"action": "delete", "appi": "item2"},
                "店舗": {"action": "keep", "appi": "not_personal"},
                "クレジットカード番号": {"action": "delete", "appi": "item3"},
            }
        }
    },
}


def _seed_table() -> pd.DataFrame:
    return pd.DataFrame({
        "氏名": ["山田 太郎", "鈴木 花子", "山田 太郎"],
        "年齢": [34, 27, 34],
        "年月日": ["2024-02-01", "2024-02-01", "2024-02-03"],
        "時刻": ["10:15", "11:40", "18:02"],
        "金額": [1200, 560, 3400],
        "旅券番号": ["TK1234567", "TR7654321", "TK1234567"],
        "店舗": ["古賀駅前店", "花鶴丘店", "古賀駅前店"],
        "クレジットカード番号": ["4111111111111111", "5500000000000004", "4111111111111111"],
    })


def test_seed_example_becomes_pseudonymized_table():
    policy = parse_policy(SEED_POLICY).table("purchases")
    stats = TableStats()
    out = pseudonymize_frame(_seed_table(), policy, TransformContext(KEY, 16), stats)
    assert list(out.columns) == ["仮ID", "年齢", "年月日", "時刻", "金額", "店舗"]
    assert out["仮ID"].iloc[0] == out["仮ID"].iloc[2] != out["仮ID"].iloc[1]
    assert out["仮ID"].iloc[0] == pseudonym_of("山田 太郎", KEY, "customer")
    assert out["金額"].tolist() == [1200, 560, 3400]
    text = out.astype(str).to_csv()
    for secret in ("山田", "TK1234567", "4111111111111111"):
        assert secret not in text
    assert stats.columns["旅券番号"].summary()["distinct_before"] == 2
    assert stats.columns["クレジットカード番号"].summary()["distinct_after"] == 0


def test_column_without_policy_stops_naming_table_and_column():
    policy = parse_policy(SEED_POLICY).table("purchases")
    frame = _seed_table().assign(会員メモ="x")
    with pytest.raises(PolicyError, match="purchases.*会員メモ"):
        pseudonymize_frame(frame, policy, TransformContext(KEY, 16))
    with pytest.raises(PolicyError, match="'bus_members'"):
        parse_policy(SEED_POLICY).table("bus_members")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"旅券番号": {"action": "keep", "appi": "item2"}}, "keep"),
        ({"旅券番号": {"action": "erase", "appi": "item2"}}, "action"),
        ({"旅券番号": {"action": "delete", "appi": "item9"}}, "appi"),
        ({"旅券番号": {"action": "pseudonym", "appi": "item2"}}, "domain"),
        ({"旅券番号": {"action": "generalise", "method": "blur", "appi": "item2"}}, "method"),
        ({"店舗": {"action": "keep", "output": "年齢", "appi": "not_personal"}}, "重複"),
    ],
)
def test_invalid_rules_are_refused(change, message):
    spec = yaml.safe_load(yaml.safe_dump(SEED_POLICY, allow_unicode=True))
    spec["tables"]["purchases"]["columns"].update(change)
    with pytest.raises(PolicyError, match=message):
        parse_policy(spec)


def test_person_key_must_be_the_person_pseudonym():
    spec = yaml.safe_load(yaml.safe_dump(SEED_POLICY, allow_unicode=True))
    spec["tables"]["purchases"]["person_key"] = "店舗"
    with pytest.raises(PolicyError, match="person_key"):
        parse_policy(spec)
    spec["tables"]["purchases"]["person_key"] = "氏名"
    with pytest.raises(PolicyError, match="person"):
        parse_policy(spec)  # domain is 'customer', not 'person'


def test_shipped_policy_covers_residents_schema():
    policy = load_policy()
    residents = policy.table("residents")
    canonical = ["my_number", "resident_code", "name", "name_kana", "birth_date", "sex", "address",
                 "town_name", "town_code", "household_id", "relationship", "phone"]
    residents.check_columns(canonical)
    assert residents.person_key == "resident_code"
    assert residents.rules["resident_code"].output == "person_id"
    assert {c for c, r in residents.rules.items() if r.action == "delete"} >= {"my_number", "name", "phone"}
    assert len(policy.sha256) == 64


def test_shipped_policy_hash_is_the_file_hash():
    raw = default_policy_path().read_bytes()
    assert load_policy().sha256 == hashlib.sha256(raw).hexdigest()
    assert parse_policy_text(raw).sha256 == parse_policy_text(raw.decode("utf-8")).sha256 == load_policy().sha256
    assert parse_policy_text(raw.replace(b"\n", b"\r\n")).sha256 != load_policy().sha256  # the file as it is


def test_adding_a_table_is_yaml_only(tmp_path):
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    data["tables"]["ride_members"] = {
        "person_key": "resident_code",
        "columns": {
            "resident_code": {"action": "pseudonym", "domain": "person", "appi": "item2"},
            "member_no": {"action": "pseudonym", "domain": "ride_member", "appi": "item1"},
        },
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    policy = parse_policy_text(path.read_bytes(), str(path))
    members = pd.DataFrame({"resident_code": ["12345678901"], "member_no": ["M-1"]})
    residents_codes = pd.DataFrame({"resident_code": ["12345678901"]})
    ctx = TransformContext(KEY, policy.hex_length)
    out = pseudonymize_frame(members, policy.table("ride_members"), ctx)
    assert list(out.columns) == ["person_id", "member_no"]
    from kogadx.privacy.pseudonym import pseudonymize_series

    assert out["person_id"].iloc[0] == pseudonymize_series(residents_codes["resident_code"], KEY, "person").iloc[0]
