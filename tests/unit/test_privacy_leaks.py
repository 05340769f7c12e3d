"""Leak guard: finds canaries in every format and normalisation it claims, and nothing else."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3

import pandas as pd
import pytest

from kogadx.io import write_parquet
from kogadx.privacy.leaks import Canary, ScannedFile, find_leaks
from tests.leak_guard import find_leaks_in

NAME = Canary("name", "勘解由小路 鶴之丞")
KANA = Canary("kana", "カデノコウジ ツルノジョウ")
PHONE = Canary("phone", "090-3770-1368")
MY_NUMBER = Canary("my_number", "673265518588")
EMAIL = Canary("email", "tsurunojo@example.jp")
ALL = [NAME, KANA, PHONE, MY_NUMBER, EMAIL]


def _kinds(tmp_path):
    return {(h.kind, h.form) for h in find_leaks_in([tmp_path], ALL)}


def test_clean_folder_has_no_hits(tmp_path):
    write_parquet(pd.DataFrame({"person_id": ["b86eebf79a25b7cf"], "age": [78]}), tmp_path / "a.parquet")
    (tmp_path / "b.csv").write_text("town,phone_count\n花鶴丘一丁目,3\n", encoding="utf-8")
    assert find_leaks_in([tmp_path], ALL) == []


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "utf-16"])
def test_bytes_in_each_encoding(tmp_path, encoding):
    (tmp_path / "x.csv").write_text(f"氏名\n{NAME.value}\n", encoding=encoding)
    assert ("name", "bytes") in _kinds(tmp_path)


def test_parquet_values_are_decoded(tmp_path):
    write_parquet(pd.DataFrame({"c": [MY_NUMBER.value] * 3 + ["x"]}), tmp_path / "t.parquet")
    hits = find_leaks_in([tmp_path], ALL)
    assert [h.kind for h in hits] == ["my_number"]


def test_sqlite_rows_are_read(tmp_path):
    con = sqlite3.connect(tmp_path / "mlflow.db")
    con.execute("CREATE TABLE params (key TEXT, value TEXT)")
    con.execute("INSERT INTO params VALUES ('note', ?)", (EMAIL.value.upper(),))
    con.commit()
    con.close()
    assert ("email", "normalised_text") in _kinds(tmp_path) or ("email", "bytes") in _kinds(tmp_path)
    assert {h.kind for h in find_leaks_in([tmp_path], ALL)} == {"email"}


def test_normalised_forms(tmp_path):
    # hiragana kana, no space; full-width digits with spaces; JSON \\u escapes; HTML entities.
    notebook = {"cells": [{"source": "かでのこうじつるのじょう"}]}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    entities = "".join(f"&#{ord(ch)};" if ch != " " else " " for ch in NAME.value)
    (tmp_path / "r.html").write_text(f"<p>{entities}</p>", encoding="ascii")
    (tmp_path / "log.txt").write_text("電話 ０９０ ３７７０ １３６８ まで", encoding="utf-8")
    (tmp_path / "m.txt.gz").write_bytes(gzip.compress("番号: 6732-6551-8588".encode()))
    hits = find_leaks_in([tmp_path], ALL)
    found = {(h.path.rsplit("/", 1)[-1], h.kind) for h in hits}
    assert found == {("nb.ipynb", "kana"), ("r.html", "name"), ("log.txt", "phone"), ("m.txt.gz", "my_number")}


def test_short_canary_refused(tmp_path):
    with pytest.raises(ValueError):
        find_leaks_in([tmp_path], ["山田"])


def test_files_in_memory_are_matched_without_a_disk():
    """The matcher is pure: the same decoders on bytes handed over by any reader."""
    buffer = io.BytesIO()
    pd.DataFrame({"c": [PHONE.value]}).to_parquet(buffer)
    files = [ScannedFile("out/t.parquet", buffer.getvalue()),
             ScannedFile("out/a.json", json.dumps({"k": NAME.value}).encode("ascii")),
             ScannedFile("out/clean.txt", "花鶴丘一丁目".encode())]
    hits = find_leaks(files, ALL)
    assert {(h.path, h.kind) for h in hits} == {("out/t.parquet", "phone"), ("out/a.json", "name")}
    assert NAME.value not in repr(files[1])
