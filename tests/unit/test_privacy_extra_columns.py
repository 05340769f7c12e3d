"""Finding 1: extra raw columns cannot shadow or leak; a policy gap stops cleanly; the leak
check finds personal values inside longer strings (name + address + phone in one cell)."""

from __future__ import annotations

import importlib
import logging

import pandas as pd
import pytest
import yaml

from kogadx.privacy.audit import table_audit
from kogadx.privacy.canaries import canary_residents
from kogadx.privacy.keys import KeyMaterial
from kogadx.privacy.leaks import SubstringIndex
from kogadx.privacy.params import PseudonymizeParams
from kogadx.privacy.policy import EXTRA_PREFIX, PolicyError, default_policy_path, parse_policy
from kogadx.privacy.stage import PrivacyCheckError, PseudonymizeInputs, run_pseudonymize
from kogadx.privacy.transform import TableStats, TransformContext, pseudonymize_frame
from tests.helpers import TEST_KEY_HEX

KEY = KeyMaterial(env=TEST_KEY_HEX)
PARAMS = PseudonymizeParams(reference_date="2024-02-29", chunk_rows=4)


def _concatenated(residents: pd.DataFrame) -> pd.Series:
    """The finding's cell: 氏名 + 住所 + 電話番号 pasted into one extra column (spaces varied)."""
    return (residents["name"] + "　" + residents["address"] + " 電話 " + residents["phone"].str.replace("-", " "))


def _inputs(residents: pd.DataFrame, policy: bytes | str | None = None) -> PseudonymizeInputs:
    return PseudonymizeInputs(tables={"residents.parquet": residents},
                              policy=policy or default_policy_path().read_bytes(), key=KEY, synthetic_demo=False)


def test_extra_prefix_matches_ingest():
    contracts = importlib.import_module("kogadx.ingest.contracts")
    if not hasattr(contracts, "EXTRA_PREFIX"):
        pytest.skip("ingest has not defined EXTRA_PREFIX yet (the ingest branch adds it)")
    assert contracts.EXTRA_PREFIX == EXTRA_PREFIX


def test_extra_column_is_dropped_listed_and_logged(caplog):
    residents, canaries = canary_residents(n_people=9)
    residents[f"{EXTRA_PREFIX}relationship"] = _concatenated(residents)
    with caplog.at_level(logging.WARNING, logger="kogadx.pseudonymize"):
        outputs = run_pseudonymize(_inputs(residents), PARAMS)
    out = outputs.tables["pseudonymized/residents.parquet"]
    assert f"{EXTRA_PREFIX}relationship" not in out.columns
    audit = outputs.files["audit/pseudonymize_audit.json"].data  # type: ignore[attr-defined]
    assert audit["passed"] is True
    assert audit["tables"]["residents"]["dropped_columns"] == [f"{EXTRA_PREFIX}relationship"]
    assert f"{EXTRA_PREFIX}relationship" in caplog.text and "削除" in caplog.text
    for canary in canaries:
        assert canary.value not in caplog.text


def test_policy_gap_stops_with_a_clear_message_and_no_value():
    residents, canaries = canary_residents(n_people=5)
    residents["memo"] = _concatenated(residents)
    with pytest.raises(PolicyError, match=r"テーブル 'residents' の列 memo に仮名加工ポリシーがありません") as gap:
        run_pseudonymize(_inputs(residents), PARAMS)
    assert type(gap.value).__name__ == "PolicyGapError"
    assert not any(c.value in str(gap.value) for c in canaries)


def test_value_like_column_name_is_not_shown():
    """A header-less export's first row taken as header: its 'names' are personal values."""
    residents, canaries = canary_residents(n_people=3)
    phone = residents["phone"].iloc[0]
    residents[str(phone)] = "x"
    with pytest.raises(PolicyError, match="第13列") as gap:
        run_pseudonymize(_inputs(residents), PARAMS)
    assert phone not in str(gap.value)


def _kept_memo_policy() -> str:
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    data["tables"]["residents"]["columns"]["memo"] = {"action": "keep", "appi": "not_personal"}
    return yaml.safe_dump(data, allow_unicode=True)


def test_personal_values_inside_a_long_string_fail_the_audit():
    residents, canaries = canary_residents(n_people=8)
    residents["memo"] = _concatenated(residents)
    table = parse_policy(yaml.safe_load(_kept_memo_policy())).table("residents")
    stats = TableStats()
    context = TransformContext(key=b"k" * 32, hex_length=16, generalise={"reference_date": "2024-02-29"})
    out = pseudonymize_frame(residents, table, context, stats)
    audit = table_audit(table, stats, list(out.columns))
    assert audit["passed"] is False
    assert audit["raw_value_survivals"] == {} and audit["raw_value_inside_text"] == {"memo": 8}
    with pytest.raises(PrivacyCheckError, match="memo") as failed:
        run_pseudonymize(_inputs(residents, _kept_memo_policy()), PARAMS)
    assert not any(c.value in str(failed.value) for c in canaries)


@pytest.mark.parametrize("cell", [
    "連絡先は ０９０ー{p} まで",   # phone: full-width digits, long-vowel dash, spaces
    "住所は{a}です",              # address inside a sentence
    "{n}様より",                  # name without its space
    "（{k}）",                    # kana name
    "番号{m}",                    # 個人番号 inside a longer text
    "{r}-01",                     # 住民票コード with a suffix
])
def test_each_kind_is_found_inside_text(cell):
    residents, _ = canary_residents(n_people=1)
    row = residents.iloc[0]
    needles = SubstringIndex([row["name"], row["name_kana"], row["address"], row["phone"], row["my_number"],
                              row["resident_code"]])
    phone = row["phone"].replace("090-", "").translate(str.maketrans("0123456789-", "０１２３４５６７８９ー"))
    values = {"p": phone, "a": row["address"], "n": row["name"].replace(" ", ""), "k": row["name_kana"],
              "m": row["my_number"], "r": row["resident_code"]}
    assert needles.contains_any(cell.format(**values))
    assert not needles.contains_any(cell.format(**{k: "" for k in values}))


def test_short_common_values_do_not_flood():
    needles = SubstringIndex(["林 一", "19", "古賀"])  # all shorter than the minimum: ignored
    assert len(needles) == 0 and not needles.contains_any("林一さんと19時に古賀駅で")
    assert not SubstringIndex(["090-1234-5678"]).contains_any("090-1234-567 と 1234-5678")
    household = SubstringIndex(["1234", "700012"])  # short numbers: inside every longer code by chance
    assert len(household) == 0 and not household.contains_any("40223001234 / R700012")
