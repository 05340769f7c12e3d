"""The ingest findings of issue #15, each as a test on the public ingest calls
(``ingest_table(frame, contract, towns)`` and the readers), so that it fails on the code
before the fix by its assertion, not by a missing name. The hostile corpus
(test_ingest_hostile.py) covers each kind more widely.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kogadx.ingest.contracts import BUSINESS_ENERGY, CONTRACTS, RESIDENTS, RIDE_REQUESTS
from kogadx.ingest.core import ingest_table
from kogadx.io import InputFileError, read_text_tables
from tests.fixtures.ingest_tiny import FILES, TOWNS, tiny_raw

CANARY = "鬼塚カナリア 福岡県古賀市駅東一丁目24番1号 092-949-7610"


def _frame(table: str, **changes: dict[str, str]) -> pd.DataFrame:
    """The tiny table as the reader gives it (all text); ``changes``: row number → cells."""
    header, rows = tiny_raw().tables[table]
    frame = pd.DataFrame([[r.get(h, "") for h in header] for r in rows], columns=header, dtype=object)
    for row, cells in changes.items():
        for column, value in cells.items():
            frame.loc[int(row.removeprefix("r")), column] = value
    return frame


def _quarantined(result, line: int) -> str:
    rows = result.quarantine[result.quarantine["line"] == line]
    assert len(rows) == 1, f"line {line} is not quarantined: kept or missing"
    return str(rows["reason"].iloc[0])


def test_finding1_extra_column_cannot_shadow_a_contract_column():
    frame = _frame("residents")
    frame["relationship"] = CANARY
    result = ingest_table(frame, RESIDENTS, TOWNS)
    assert CANARY not in set(result.valid["relationship"])
    assert set(result.valid["relationship"]) <= {"世帯主", "妻", "子"}


def test_finding3_headerless_register_message_holds_no_value():
    frame = _frame("residents", r0={"氏名": CANARY})
    first = frame.iloc[0].tolist()
    headerless = pd.DataFrame(frame.iloc[1:].to_numpy(), columns=first)
    with pytest.raises(InputFileError) as excinfo:
        ingest_table(headerless, RESIDENTS, TOWNS, source="residents.csv")
    message = str(excinfo.value)
    assert "residents.csv" in message and "個人番号" in message
    for value in first:
        assert not value or value not in message, "a cell value of the first row is in the message"


@pytest.mark.parametrize(("changes", "line", "reason"), [
    ({"希望乗車日時": "10/05/2022 10:00"}, 2, "順序"),
    ({"希望乗車日時": "13/10/2022 10:00"}, 2, "順序"),
    ({"実降車日時": "2024/07/05 10:00"}, 2, "降車が乗車より前"),
    ({"実乗車日時": "", "実降車日時": ""}, 2, "完了なのに"),
    ({"人数": "0"}, 2, "範囲外"),
    ({"人数": "99"}, 2, "範囲外"),
    ({"人数": "1e3"}, 2, "範囲外"),
    ({"運賃": "-200"}, 2, "範囲外"),
    ({"実乗車日時": "2024-07-05T10:31:00+09:00"}, 2, "タイムゾーン"),
    ({"人数": "inf"}, 2, "有限"),
    ({"人数": "12345678901234567890"}, 2, "大きすぎ"),
], ids=["dmy", "dmy-13", "dropoff<pickup", "done-no-times", "pax0", "pax99", "pax1e3", "fare<0", "tz", "inf",
        "20digits"])
def test_finding5_6_rides_bad_cell_quarantines_its_row(changes, line, reason):
    result = ingest_table(_frame("ride_requests", r0=changes), RIDE_REQUESTS)
    assert reason in _quarantined(result, line)
    assert result.rows_out == result.rows_in - 1


@pytest.mark.parametrize(("changes", "reason"), [
    ({"電力使用量(kWh)": "inf"}, "有限"),
    ({"電力使用量(kWh)": "1e308"}, "大きすぎ"),
    ({"年月": "2021/13"}, "形式"),
], ids=["inf", "1e308", "month13"])
def test_finding5_energy_values(changes, reason):
    result = ingest_table(_frame("business_energy", r0=changes), BUSINESS_ENERGY)
    assert reason in _quarantined(result, 2)


def test_finding5_same_business_month_twice_quarantines_both():
    frame = _frame("business_energy")
    twin = frame.iloc[[0]].copy()
    twin["電力使用量(kWh)"] = "99999"
    result = ingest_table(pd.concat([frame, twin], ignore_index=True), BUSINESS_ENERGY)
    assert "重複" in _quarantined(result, 2) and "重複" in _quarantined(result, 6)


def test_finding5_shared_resident_code_quarantines_both():
    frame = _frame("residents")
    frame.loc[3, "住民票コード"] = frame.loc[0, "住民票コード"]
    result = ingest_table(frame, RESIDENTS, TOWNS)
    assert "重複" in _quarantined(result, 2) and "重複" in _quarantined(result, 5)


def test_finding5_address_in_another_municipality_is_not_koga():
    result = ingest_table(_frame("residents", r3={"住所": "福岡県鞍手郡小竹町小竹120番地", "町丁目コード": ""}),
                          RESIDENTS, TOWNS)
    assert "古賀市ではありません" in _quarantined(result, 5)


def test_finding6_circled_digit_in_my_number_quarantines_that_row():
    result = ingest_table(_frame("residents", r1={"個人番号": "①23456789012"}), RESIDENTS, TOWNS)
    assert "個人番号" in str(result.quarantine["column"].iloc[0])
    assert _quarantined(result, 3)
    assert result.rows_out == 4


def _raw_folder(tmp_path, edit):
    raw = tiny_raw()
    edit(raw)
    return raw.write(tmp_path / "raw")


def test_finding5_truncated_survey_row_is_not_padded(tmp_path):
    def cut(raw):
        header, rows = raw.tables["survey"]
        line = ",".join(rows[2][h] for h in header)
        raw.text_edits["survey"] = [(line + "\r\n", ",".join(line.split(",")[:12]) + "\r\n")]
    table = read_text_tables(_raw_folder(tmp_path, cut), {"survey": FILES["survey"]})["survey"]
    assert dict(table.field_counts) == {2: 12}


def test_finding5_line_numbers_count_quoted_line_breaks(tmp_path):
    def breaks(raw):
        raw.rows("survey")[0]["自由記述"] = "一行目\r\n二行目\n三行目"
    table = read_text_tables(_raw_folder(tmp_path, breaks), {"survey": FILES["survey"]})["survey"]
    assert list(table.lines) == [2, 5, 6, 7]


def test_finding7_symlink_leaving_the_raw_folder_is_refused(tmp_path):
    folder = _raw_folder(tmp_path, lambda raw: None)
    outside = tmp_path / "home_residents.csv"
    (folder / "residents.csv").rename(outside)
    (folder / "residents.csv").symlink_to(outside)
    with pytest.raises(InputFileError, match="residents.csv"):
        read_text_tables(folder, {"residents": "residents.csv"})


def test_finding7_gaiji_bytes_are_not_stored_as_private_use_characters(tmp_path):
    def gaiji(raw):
        raw.byte_edits["residents"] = [("鈴木".encode("cp932"), b"\xf0\x40\xf0\x41")]
    table = read_text_tables(_raw_folder(tmp_path, gaiji), {"residents": "residents.csv"})["residents"]
    result = ingest_table(table.frame, CONTRACTS["residents"], TOWNS)
    assert not result.valid["name"].str.contains("[\ue000-\uf8ff]").any()
    assert "文字コード不正" in _quarantined(result, 5)


def _rules():
    # Imported here: the rules are new with the fix, and the other findings must fail on the
    # old code by their assertions, not by this import.
    import datetime as dt

    from kogadx.ingest.core import Rules

    return Rules(reference_date=dt.date(2025, 3, 31))


@pytest.mark.parametrize(("birth", "reason"), [("2038/01/01", "基準日"), ("1850/06/01", "年齢")])
def test_finding5_birth_dates_give_ages_0_to_120(birth, reason):
    result = ingest_table(_frame("residents", r0={"生年月日": birth}), RESIDENTS, TOWNS, rules=_rules())
    assert reason in _quarantined(result, 2)


def test_finding5_pickup_after_the_export_date():
    frame = _frame("ride_requests", r0={"実乗車日時": "2035/07/05 10:31", "実降車日時": "2035/07/05 10:38"})
    assert "基準日" in _quarantined(ingest_table(frame, RIDE_REQUESTS, rules=_rules()), 2)


def test_finding7_header_only_register_is_an_error(tmp_path):
    from kogadx.ingest.stage import ingest_tables

    folder = _raw_folder(tmp_path, lambda raw: raw.rows("residents").clear())
    tables = read_text_tables(folder, {"residents": "residents.csv"})
    with pytest.raises(InputFileError, match="residents.csv: 見出し行だけ"):
        ingest_tables(tables, TOWNS, _rules(), ("residents",))
