"""Hostile-input corpus of ingest: each probe corrupts a copy of a tiny valid raw folder
(tests/fixtures/ingest_tiny.py) the way real exports do, runs the readers and the ingest
tables in process, and asserts its outcome: a quarantine row with its line, column and
reason, or an error naming file and line/column. In every probe: rows in = rows out + rows
quarantined, no exception other than InputFileError, and the planted canary (a name in the
broken record) appears in no message, log or metrics — only in the quarantine file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kogadx.ingest.contracts import CONTRACTS, EXTRA_PREFIX
from kogadx.ingest.core import Rules
from kogadx.ingest.stage import ingest_tables
from kogadx.io import InputFileError, read_text_tables
from tests.fixtures.ingest_tiny import FILES, TOWNS, RawFolder, my_number, tiny_raw

CANARY = "鬼塚カナリア綺羅星"
NAME_COLUMN = {"residents": "氏名", "members": "氏名", "survey": "氏名", "businesses": "担当者氏名"}
NONEMPTY = ("residents", "stops", "members", "businesses")


@dataclass
class Probe:
    id: str
    mutate: Callable[[RawFolder], object]
    table: str = ""
    quarantined: dict[int, tuple[str, str]] = field(default_factory=dict)  # line → (column, reason)
    error: tuple[str, ...] = ()  # fragments of the error message
    rules: dict[str, str] = field(default_factory=dict)
    check: Callable[[dict], None] | None = None  # further assertions on the results


def bad(table: str, row: int, **cells: str) -> Callable[[RawFolder], None]:
    """Set cells of one record; its name (where the table has one) becomes the canary."""
    def mutate(raw: RawFolder) -> None:
        record = raw.rows(table)[row]
        record.update(cells)
        if table in NAME_COLUMN and NAME_COLUMN[table] not in cells:
            record[NAME_COLUMN[table]] = CANARY
    return mutate


def q(table: str, row: int, column: str, reason: str, **cells: str) -> Probe:
    """A probe whose record ``row`` (line row + 2) must be quarantined for ``reason``."""
    label = "-".join(f"{k}={v}" for k, v in cells.items())[:40]
    return Probe(f"{table}:{label}", bad(table, row, **cells), table, {row + 2: (column, reason)})


def add_copy(table: str, row: int, **cells: str) -> Callable[[RawFolder], None]:
    """Append a copy of record ``row`` with ``cells`` changed (the canary as its name)."""
    def mutate(raw: RawFolder) -> None:
        record = dict(raw.rows(table)[row], **cells)
        if table in NAME_COLUMN and NAME_COLUMN[table] not in cells:
            raw.rows(table)[row][NAME_COLUMN[table]] = CANARY
            record[NAME_COLUMN[table]] = CANARY
        raw.rows(table).append(record)
    return mutate


def headerless(table: str) -> Callable[[RawFolder], None]:
    def mutate(raw: RawFolder) -> None:
        raw.rows(table)[0][NAME_COLUMN.get(table, raw.header(table)[0])] = CANARY
        header = raw.header(table)
        first = raw.rows(table)[0]
        raw.tables[table] = ([first[h] for h in header], [dict(zip([first[h] for h in header], (r[h] for h in header),
                                                                    strict=True)) for r in raw.rows(table)[1:]])
    return mutate


def edit_text(table: str, old: str, new: str) -> Callable[[RawFolder], None]:
    def mutate(raw: RawFolder) -> None:
        raw.text_edits.setdefault(table, []).append((old, new))
    return mutate


def with_bytes(table: str, old: bytes, new: bytes, name_row: int = 0) -> Callable[[RawFolder], None]:
    def mutate(raw: RawFolder) -> None:
        raw.rows(table)[name_row][NAME_COLUMN[table]] = CANARY
        raw.byte_edits.setdefault(table, []).append((old, new))
    return mutate


def extra_column(table: str, header: str, value: str = CANARY) -> Callable[[RawFolder], None]:
    def mutate(raw: RawFolder) -> None:
        raw.header(table).append(header)
        for record in raw.rows(table):
            record[header] = value
    return mutate


def truncate(table: str, row: int, fields: int) -> Callable[[RawFolder], None]:
    """Cut record ``row`` after ``fields`` fields (an export that stopped mid-record)."""
    def mutate(raw: RawFolder) -> None:
        header, rows = raw.tables[table]
        line = ",".join(rows[row][h] for h in header)
        assert '"' not in raw.text(table).splitlines()[row + 1]
        raw.text_edits.setdefault(table, []).append((line + "\r\n", ",".join(line.split(",")[:fields]) + "\r\n"))
    return mutate


def header_only(table: str) -> Callable[[RawFolder], None]:
    def mutate(raw: RawFolder) -> None:
        raw.rows(table).clear()
    return mutate


def _expect_extra(table: str, header: str, canonical: str) -> Callable[[dict], None]:
    def check(results: dict) -> None:
        valid = results[table].valid
        assert f"{EXTRA_PREFIX}{header}" in valid.columns
        assert CANARY not in set(valid[canonical]), "a raw column overwrote a checked one"
        assert results[table].extra_columns == [header]
    return check


def _expect_value(table: str, column: str, row: int, expected: object) -> Callable[[dict], None]:
    def check(results: dict) -> None:
        assert results[table].valid[column].iloc[row] == expected
    return check


PROBES: list[Probe] = [
    # 1 — extra columns never shadow contract or internal names (finding 1)
    Probe("extra-relationship", extra_column("residents", "relationship"), "residents",
          check=_expect_extra("residents", "relationship", "relationship")),
    Probe("extra-town_code", extra_column("residents", "town_code"), "residents",
          check=_expect_extra("residents", "town_code", "town_code")),
    Probe("extra-town_name", extra_column("members", "town_name"), "members",
          check=_expect_extra("members", "town_name", "town_name")),
    Probe("extra-outcome", extra_column("ride_requests", "outcome"), "ride_requests",
          check=_expect_extra("ride_requests", "outcome", "outcome")),
    Probe("extra-refused", extra_column("residents", "relationship"), "residents",
          error=("residents.csv", "1 行目", "relationship", "契約にない列"), rules={"extra_columns": "refuse"}),
    # 3 — headers: never the first row's values in a message (finding 3)
    Probe("headerless-residents", headerless("residents"), "residents",
          error=("residents.csv", "1 行目", "個人番号", "見出し行でない")),
    Probe("headerless-members", headerless("members"), "members", error=("members.csv", "1 行目", "会員ID")),
    Probe("missing-column", lambda raw: raw.header("residents").remove("生年月日"), "residents",
          error=("residents.csv", "生年月日")),
    Probe("duplicate-header", edit_text("residents", "氏名カナ", "氏名"), "residents",
          error=("residents.csv", "1 行目", "重複", "列番号 3 と 4")),
    Probe("blank-header", edit_text("residents", ",続柄,", ",,"), "residents",
          error=("residents.csv", "1 行目", "必須の列がありません: 続柄")),
    # 5 — dates: explicit formats, no date after the reference date, ages 0–120
    q("residents", 0, "生年月日", "基準日", 生年月日="2038/01/01"),
    q("residents", 0, "生年月日", "年齢が 0〜120", 生年月日="1850/06/01"),
    q("residents", 1, "生年月日", "存在しない日付", 生年月日="平成31年2月30日"),
    q("residents", 1, "生年月日", "順序が決められません", 生年月日="10/05/1980"),
    q("residents", 1, "生年月日", "日付として読めません", 生年月日="昭和の終わり頃"),
    q("members", 0, "生年月日", "基準日", 生年月日="2038/01/01"),
    q("members", 1, "登録日", "基準日", 登録日="2035/04/01"),
    q("ride_requests", 0, "希望乗車日時", "順序が決められません", 希望乗車日時="10/05/2022 10:00"),
    q("ride_requests", 0, "希望乗車日時", "順序が決められません", 希望乗車日時="13/10/2022 10:00"),
    Probe("rides-dmy", bad("ride_requests", 0, 希望乗車日時="10/05/2022 10:00"), "ride_requests",
          rules={"date_order": "dmy"},
          check=_expect_value("ride_requests", "desired_pickup_at", 0, dt.datetime(2022, 5, 10, 10, 0))),
    Probe("rides-mdy", bad("ride_requests", 0, 希望乗車日時="10/05/2022 10:00"), "ride_requests",
          rules={"date_order": "mdy"},
          check=_expect_value("ride_requests", "desired_pickup_at", 0, dt.datetime(2022, 10, 5, 10, 0))),
    Probe("rides-mdy-impossible", bad("ride_requests", 0, 希望乗車日時="13/10/2022 10:00"), "ride_requests",
          {2: ("希望乗車日時", "存在しない日付")}, rules={"date_order": "mdy"}),
    q("ride_requests", 0, "実乗車日時", "タイムゾーン", 実乗車日時="2024-07-05T10:31:00+09:00"),
    q("ride_requests", 0, "実降車日時", "タイムゾーン", 実降車日時="2024-07-05 10:38:00Z"),
    q("ride_requests", 0, "実降車日時", "降車が乗車より前", 実降車日時="2024/07/05 10:00"),
    q("ride_requests", 0, "実乗車日時", "基準日", 実乗車日時="2035/07/05 10:31", 実降車日時="2035/07/05 10:38"),
    q("ride_requests", 0, "結果", "完了なのに", 実乗車日時="", 実降車日時=""),
    q("ride_requests", 2, "実降車日時", "完了なのに", 実降車日時=""),
    q("ride_requests", 0, "予約日時", "存在しない日付", 予約日時="2024/02/30 08:00"),
    q("ride_requests", 0, "予約日時", "存在しない日付", 予約日時="2024/07/05 25:00"),
    q("ride_requests", 0, "予約日時", "日時として読めません", 予約日時="yesterday"),
    q("ride_requests", 0, "予約日時", "日時として読めません", 予約日時="2024/07/05 08:00:09.1234"),
    Probe("rides-milliseconds", bad("ride_requests", 0, 予約日時="2024-07-05 08:00:09.250"), "ride_requests",
          check=_expect_value("ride_requests", "requested_at", 0, dt.datetime(2024, 7, 5, 8, 0, 9, 250_000))),
    # 5 — plausible ranges, finite numbers, valid months
    q("ride_requests", 0, "人数", "範囲外", 人数="0"),
    q("ride_requests", 0, "人数", "範囲外", 人数="99"),
    q("ride_requests", 0, "人数", "範囲外", 人数="1e3"),
    q("ride_requests", 0, "人数", "有限の数値ではありません", 人数="inf"),
    q("ride_requests", 0, "人数", "大きすぎます", 人数="12345678901234567890"),
    q("ride_requests", 0, "人数", "整数ではありません", 人数="1.5"),
    q("ride_requests", 0, "運賃", "範囲外", 運賃="-200"),
    q("ride_requests", 0, "運賃", "数値として読めません", 運賃="二百円"),
    q("ride_requests", 0, "結果", "許可されていない値", 結果="完了?"),
    q("business_energy", 0, "電力使用量(kWh)", "有限の数値ではありません", **{"電力使用量(kWh)": "inf"}),
    q("business_energy", 0, "電力使用量(kWh)", "有限の数値ではありません", **{"電力使用量(kWh)": "-inf"}),
    q("business_energy", 0, "電力使用量(kWh)", "大きすぎます", **{"電力使用量(kWh)": "1e308"}),
    q("business_energy", 0, "電力使用量(kWh)", "数値として読めません", **{"電力使用量(kWh)": "NaN"}),
    q("business_energy", 1, "年月", "形式が正しくありません", 年月="2021/13"),
    q("business_energy", 1, "稼働日数", "範囲外", 稼働日数="40"),
    q("survey", 0, "年齢", "範囲外", 年齢="150"),
    q("survey", 0, "幸福度", "許可されていない値", 幸福度="11"),
    q("businesses", 0, "従業員数", "範囲外", 従業員数="-1"),
    q("stops", 0, "lat", "有限の数値ではありません", lat="inf"),
    # 5 — keys: conflicting duplicates on both rows, 住民票コード unique, exact copies
    Probe("energy-same-month-twice", add_copy("business_energy", 0, **{"電力使用量(kWh)": "99999"}),
          "business_energy", {2: ("事業所ID, 年月", "キーが他の行と重複し内容が異なります (6 行目)"),
                              6: ("事業所ID, 年月", "キーが他の行と重複し内容が異なります (2 行目)")}),
    Probe("resident-code-shared", bad("residents", 3, 住民票コード="60000000000"), "residents",
          {2: ("住民票コード", "キーが他の行と重複"), 5: ("住民票コード", "キーが他の行と重複")}),
    Probe("my-number-shared", bad("residents", 3, 個人番号=my_number(0)), "residents",
          {2: ("個人番号", "キーが他の行と重複"), 5: ("個人番号", "キーが他の行と重複")}),
    Probe("exact-copy", add_copy("residents", 1), "residents", {7: ("", "重複行です (3 行目と同一)")}),
    Probe("ride-id-twice", add_copy("ride_requests", 0, 人数="2"), "ride_requests",
          {2: ("予約ID", "キーが他の行と重複"), 7: ("予約ID", "キーが他の行と重複")}),
    # 4 — one bad cell, one row: identifiers
    q("residents", 0, "個人番号", "形式が正しくありません", 個人番号="①23456789012"),
    q("survey", 0, "住民票コード", "形式が正しくありません", 住民票コード="٦٠٠٠٠٠٠٠٠٠٠"),
    q("residents", 0, "個人番号", "形式が正しくありません", 個人番号="12345678901234567890"),
    q("residents", 0, "個人番号", "検査用数字", 個人番号=my_number(0)[:-1] + str((int(my_number(0)[-1]) + 1) % 10)),
    q("residents", 0, "住民票コード", "形式が正しくありません", 住民票コード="6000000000X"),
    q("residents", 0, "性別", "許可されていない値", 性別="不明"),
    q("residents", 0, "氏名", "値が空", 氏名="　"),
    q("residents", 0, "電話番号", "形式が正しくありません", 電話番号="092 940 1000"),
    q("members", 2, "クレジットカード番号", "検査用数字", クレジットカード番号="4111111111111112"),
    q("businesses", 0, "メールアドレス", "形式が正しくありません", メールアドレス="endo(at)example.net"),
    # 5 — municipality and town in addresses
    q("residents", 3, "住所", "古賀市ではありません", 住所="福岡県鞍手郡小竹町小竹120番地", 町丁目コード=""),
    q("residents", 3, "住所", "古賀市ではありません", 住所="小竹120番地", 町丁目コード=""),
    q("members", 2, "住所", "古賀市ではありません", 住所="鞍手郡小竹町5番地"),
    q("residents", 0, "住所", "町丁目表にありません", 住所="福岡県古賀市幻町一丁目1番1号", 町丁目コード=""),
    q("residents", 0, "町丁目コード", "一致しません", 町丁目コード="40223999999"),
    # foreign keys
    q("ride_requests", 0, "会員ID", "members に存在しない", 会員ID="K999999"),
    q("ride_requests", 0, "乗車停留所ID", "stops に存在しない", 乗車停留所ID="S999"),
    q("business_energy", 0, "事業所ID", "businesses に存在しない", 事業所ID="B9999"),
    # 5 — records of the wrong width; line numbers across quoted line breaks
    Probe("survey-truncated", truncate("survey", 2, 12), "survey", {4: ("", "列の数が見出しと違います (12 列")}),
    Probe("residents-truncated", edit_text("residents", ",092-940-1001\r\n", "\r\n"), "residents",
          {3: ("", "列の数が見出しと違います (10 列")}),
    Probe("residents-extra-field", edit_text("residents", ",092-940-1001\r\n", ",092-940-1001,余り\r\n"),
          "residents", {3: ("", "列の数が見出しと違います (12 列")}),
    Probe("comment-line-breaks", lambda raw: (raw.rows("survey")[0].update(自由記述="一行目\r\n二行目\n三行目"),
                                              raw.rows("survey")[2].update(年齢="abc", 氏名=CANARY)),
          "survey", {6: ("年齢", "数値として読めません")}),
    # 5/7 — encodings: 外字 / stray bytes quarantined by line; undecodable bytes stop, naming the line
    Probe("cp932-gaiji", with_bytes("residents", "鈴木".encode("cp932"), b"\xf0\x40\xf0\x41", name_row=0), "residents",
          {5: ("氏名", "文字コード不正")}),
    Probe("cp932-stray-a0", with_bytes("residents", "ヤマダ ハナコ".encode("cp932"), b"\xa0\xfd", name_row=0),
          "residents", {3: ("氏名カナ", "文字コード不正")}),
    Probe("cp932-undecodable", with_bytes("residents", "佐藤".encode("cp932"), b"\x85\x40"), "residents",
          error=("residents.csv", "4 行目", "文字コード不正")),
    Probe("utf8-bom-undecodable", with_bytes("members", "伊藤".encode(), b"\xff\xfe"), "members",
          error=("members.csv", "3 行目", "文字コード不正")),
    # 7 — files
    Probe("header-only-residents", header_only("residents"), "residents",
          error=("residents.csv", "見出し行だけ", "residents")),
    Probe("header-only-stops", header_only("stops"), "stops", error=("stops.csv", "見出し行だけ")),
    Probe("empty-file", lambda raw: raw.raw_text.update(residents=b""), "residents",
          error=("residents.csv", "空のファイル")),
    Probe("unclosed-quote", edit_text("residents", "山田 花子", '"山田 花子'), "residents",
          error=("residents.csv", "行目", "CSV として読めません")),
    Probe("header-only-ok-for-rides", header_only("ride_requests"), "ride_requests",
          check=lambda results: results["ride_requests"].rows_in == 0),
]


def _needed(table: str) -> dict[str, str]:
    """The probe's table and the tables it refers to (the rest would only cost time)."""
    names = {table} | {other for _, other, _ in CONTRACTS[table].references}
    return {name: file for name, file in FILES.items() if name in names}


def _run(probe: Probe, folder: Path) -> tuple[dict | None, str]:
    raw = tiny_raw()
    probe.mutate(raw)
    needed = _needed(probe.table)
    raw.write(folder, set(needed))
    rules = Rules(reference_date=dt.date(2025, 3, 31), **probe.rules)
    try:
        return ingest_tables(read_text_tables(folder, needed), TOWNS, rules, NONEMPTY), ""
    except InputFileError as exc:
        return None, str(exc)


def test_corpus_is_large_enough():
    assert len(PROBES) >= 60
    assert len({p.id for p in PROBES}) == len(PROBES), "probe ids must be unique"


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_probe(probe: Probe, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture):
    caplog.set_level(logging.DEBUG)
    results, error = _run(probe, tmp_path)
    printed = capsys.readouterr()
    said = error + printed.out + printed.err + caplog.text
    if probe.error:
        assert results is None, f"expected an error with {probe.error}"
        for fragment in probe.error:
            assert fragment in error, f"{fragment!r} not in: {error}"
    else:
        assert results is not None, f"unexpected error: {error}"
        metrics = json.dumps({t: r.summary() for t, r in results.items()}, ensure_ascii=False)
        said += metrics
        for table, result in results.items():
            assert result.rows_in == result.rows_out + result.rows_quarantined, table
        quarantine = results[probe.table].quarantine if probe.table else None
        if probe.quarantined:
            got = {int(line): (column, reason) for line, column, reason in
                   quarantine[["line", "column", "reason"]].itertuples(index=False)}
            assert set(got) == set(probe.quarantined), got
            for line, (column, reason) in probe.quarantined.items():
                assert column in got[line][0] and reason in got[line][1], (line, got[line])
        elif probe.table and probe.check is None:
            pytest.fail("a probe must expect an error, a quarantine or a check")
        if probe.check:
            probe.check(results)
        for table, result in results.items():
            if table != probe.table:  # only rows that referred to a quarantined record follow it
                assert result.quarantine["reason"].str.contains("に存在しない値です").all(), (table, result.quarantine)
    assert CANARY not in said, "a personal value reached a message, log or metrics"
    assert "Traceback" not in said


def test_canary_is_in_the_quarantine_file_only(tmp_path):
    """The canary of a quarantined record is in the quarantine frame (secure zone) — so the
    probes above would see it if a message carried the record."""
    probe = next(p for p in PROBES if p.id == "residents:生年月日=2038/01/01")
    results, _ = _run(probe, tmp_path)
    assert results is not None
    assert CANARY in set(results["residents"].quarantine["氏名"])


def test_symlink_outside_the_raw_folder_is_refused(tmp_path):
    raw = tmp_path / "raw"
    tiny_raw().write(raw)
    outside = tmp_path / "elsewhere.csv"
    (raw / "residents.csv").rename(outside)
    os.symlink(outside, raw / "residents.csv")
    with pytest.raises(InputFileError, match=r"residents\.csv: 生データのフォルダの外を指すリンク"):
        read_text_tables(raw, FILES)


def test_symlink_inside_the_raw_folder_is_read(tmp_path):
    raw = tmp_path / "raw"
    tiny_raw().write(raw)
    (raw / "residents.csv").rename(raw / "residents_2025.csv")
    os.symlink(raw / "residents_2025.csv", raw / "residents.csv")
    assert len(read_text_tables(raw, FILES)["residents"].frame) == 5
