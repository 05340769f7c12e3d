"""A regulation scan survives one bad file (issue 15, finding 7): an unreadable or undecodable
file is reported with its reason and skipped, the scan goes on and counts it; a symbolic link
that leads out of the scanned folder is refused."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from kogadx import io as kio
from kogadx.io import InputFileError
from kogadx.regulation.loaders import CORPUS_SUFFIXES, load_corpus
from kogadx.regulation.model import model_bytes
from kogadx.regulation.params import RegulationScanParams

GOOD = "試験町掲示条例\n（掲示）\n第1条　町長は、公告を役場前の掲示場に掲示しなければならない。\n".encode()
UNDECODABLE = b"\x82\xa0\xff\xfe\x80 not UTF-8, not CP932 \x81"
TINY = dataclasses.replace(RegulationScanParams(), hash_features_log2=10, max_chars=200, calibration_folds=2)


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "a_good.txt").write_bytes(GOOD)
    (folder / "b_undecodable.txt").write_bytes(UNDECODABLE)
    (folder / "sub" / "c_broken.xml").write_bytes(b"<Law><LawBody>")
    secret = tmp_path / "elsewhere.txt"  # outside the scanned folder
    secret.write_bytes("秘密の文書\n第1条　外の条文。\n".encode())
    (folder / "d_link_out.txt").symlink_to(secret)
    (folder / "e_link_in.txt").symlink_to(folder / "a_good.txt")  # a link inside the folder is fine
    return folder


def test_outward_link_is_refused_and_inward_link_read(corpus):
    with pytest.raises(InputFileError, match="d_link_out.txt"):  # the strict reader stops on it
        kio.read_folder_bytes(corpus, CORPUS_SUFFIXES)
    read = kio.read_folder(corpus, CORPUS_SUFFIXES)
    assert set(read.files) == {"a_good.txt", "b_undecodable.txt", "sub/c_broken.xml", "e_link_in.txt"}
    assert set(read.refused) == {"d_link_out.txt"} and "シンボリックリンク" in read.refused["d_link_out.txt"]


def test_unreadable_file_is_refused_not_fatal(corpus, monkeypatch):
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "a_good.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    read = kio.read_folder(corpus, CORPUS_SUFFIXES)
    assert "a_good.txt" not in read.files and "PermissionError" in read.refused["a_good.txt"]


def _tiny_model():
    from kogadx.regulation.stage import train
    from tests.unit.test_regulation_model import tiny_training

    return train(tiny_training(3), TINY)[0]


def test_scan_reports_skips_and_counts_bad_files(corpus):
    from kogadx.regulation.stage import scan_corpus

    read = kio.read_folder(corpus, CORPUS_SUFFIXES)
    result = scan_corpus(read.files, _tiny_model(), TINY, str(corpus), read.refused)
    assert set(result.clauses["source_file"]) == {"a_good.txt", "e_link_in.txt"}
    assert set(result.skipped) == {f"{corpus}/{n}" for n in ("b_undecodable.txt", "sub/c_broken.xml", "d_link_out.txt")}
    assert "文字コード" in result.skipped[f"{corpus}/b_undecodable.txt"]
    assert "XML" in result.skipped[f"{corpus}/sub/c_broken.xml"]
    with pytest.raises(InputFileError, match="b_undecodable.txt"):  # the strict loader still stops
        load_corpus(read.files, str(corpus))


def test_stage_metrics_and_workbook_count_skipped_files(corpus):
    from kogadx.regulation.stage import scan_corpus, scan_metrics

    read = kio.read_folder(corpus, CORPUS_SUFFIXES)
    result = scan_corpus(read.files, _tiny_model(), TINY, str(corpus), read.refused)
    training = pd.DataFrame({"source": ["clause"], "group": ["g"]})
    metrics = scan_metrics({}, training, result, _tiny_model(), {"rounds": 0})
    assert metrics["scan"]["files_skipped"] == 3 and metrics["scan"]["files"] == 2


def test_cli_scan_goes_on_and_lists_skipped_files(corpus, tmp_path):
    from kogadx.regulation.cli import app

    model = tmp_path / "model.joblib"
    model.write_bytes(model_bytes(_tiny_model()))
    out = tmp_path / "review.xlsx"
    result = CliRunner().invoke(app, ["scan", str(corpus), "--out", str(out), "--model", str(model)])
    assert result.exit_code == 0, result.output
    for name in ("b_undecodable.txt", "c_broken.xml", "d_link_out.txt"):
        assert f"読み飛ばしました: {corpus}" in result.output and name in result.output
    workbook = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    skipped = list(workbook["読み飛ばしたファイル"].iter_rows(min_row=2, values_only=True))
    assert len(skipped) == 3 and all(reason for _, reason in skipped)
    assert "秘密の文書" not in result.output  # the linked file was never read


def test_a_folder_with_no_readable_file_still_stops(tmp_path):
    from kogadx.regulation.stage import scan_corpus

    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "only.txt").write_bytes(UNDECODABLE)
    read = kio.read_folder(folder, CORPUS_SUFFIXES)
    with pytest.raises(InputFileError, match="1 件は読めませんでした"):
        scan_corpus(read.files, _tiny_model(), TINY, str(folder), read.refused)
