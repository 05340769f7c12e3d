"""`kogadx ingest` on a tiny raw folder: one-line Japanese errors with a nonzero exit and no
traceback (in process with typer's runner; once as a real subprocess), extra columns named
in the summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from shapely.geometry import box
from typer.testing import CliRunner

from kogadx.cli import app
from tests.fixtures.ingest_tiny import TOWNS, tiny_raw
from tests.helpers import write_params

CANARY = "鬼塚カナリア綺羅星"


def _towns_shapefile(folder: Path) -> None:
    """A small-area file for the tiny towns (squares), as e-Stat ships it (Shift_JIS .dbf)."""
    frame = gpd.GeoDataFrame(
        {"KEY_CODE": list(TOWNS.values()), "S_NAME": list(TOWNS), "JINKO": [100] * len(TOWNS),
         "SETAI": [40] * len(TOWNS), "AREA": [1e6] * len(TOWNS), "HCODE": [8101] * len(TOWNS)},
        geometry=[box(130.4 + i / 100, 33.7, 130.41 + i / 100, 33.71) for i in range(len(TOWNS))], crs="EPSG:6668")
    (folder / "towns").mkdir(parents=True, exist_ok=True)
    frame.to_file(folder / "towns" / "koga_small_areas.shp", encoding="cp932", engine="pyogrio")


@pytest.fixture()
def raw_folder(tmp_path: Path) -> Path:
    folder = tiny_raw().write(tmp_path / "raw")
    _towns_shapefile(folder)
    return folder


def _invoke(*args: str):
    result = CliRunner().invoke(app, ["ingest", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_out_pointing_at_a_file_is_a_one_line_error(raw_folder, tmp_path):
    occupied = tmp_path / "out.txt"
    occupied.write_text("x", encoding="utf-8")
    result = _invoke("--raw", str(raw_folder), "--out", str(occupied), "--params", str(write_params(tmp_path)))
    assert result.exit_code == 2
    assert "--out にはフォルダを指定してください" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_bad_reference_date_is_a_one_line_error(raw_folder, tmp_path):
    result = _invoke("--raw", str(raw_folder), "--out", str(tmp_path / "out"), "--params",
                     str(write_params(tmp_path)), "--reference-date", "31/03/2025")
    assert result.exit_code == 2
    assert "--reference-date は YYYY-MM-DD" in result.output and "Traceback" not in result.output


def test_missing_reference_date_names_the_key(raw_folder, tmp_path):
    params_path = write_params(tmp_path)
    params = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    del params["ingest"]["reference_date"]
    params_path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    result = _invoke("--raw", str(raw_folder), "--out", str(tmp_path / "out"), "--params", str(params_path))
    assert result.exit_code == 2
    assert "reference_date" in result.output and "Traceback" not in result.output


def test_reference_date_option_moves_the_limit(raw_folder, tmp_path):
    """2024-07-06 as the export date: the rides after it are quarantined, nothing stops."""
    result = _invoke("--raw", str(raw_folder), "--out", str(tmp_path / "out"), "--params",
                     str(write_params(tmp_path)), "--reference-date", "2024-07-06")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "ingest_summary.json").read_text(encoding="utf-8"))
    rides = summary["ride_requests"]
    assert rides["rows_quarantined"] >= 2 and rides["rows_in"] == rides["rows_out"] + rides["rows_quarantined"]
    assert any("基準日" in reason for reason in rides["reasons"])


def _subprocess(*args: str) -> subprocess.CompletedProcess:
    """The installed command, as a user runs it (one test only: the CLI takes ~10 s to import)."""
    command = str(Path(sys.executable).with_name("kogadx"))
    return subprocess.run([command, "ingest", *args], capture_output=True, text=True, timeout=120, check=False)


def test_extra_column_is_kept_under_the_prefix_and_named(raw_folder, tmp_path, caplog):
    import logging

    import pandas as pd

    caplog.set_level(logging.INFO)
    path = raw_folder / "residents.csv"
    lines = path.read_bytes().decode("cp932").split("\r\n")
    lines = [line + (",relationship" if i == 0 else f",{CANARY}") if line else line for i, line in enumerate(lines)]
    path.write_bytes("\r\n".join(lines).encode("cp932"))
    out = tmp_path / "out"
    result = _invoke("--raw", str(raw_folder), "--out", str(out), "--params", str(write_params(tmp_path)))
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "ingest_summary.json").read_text(encoding="utf-8"))
    assert summary["residents"]["extra_columns"] == ["relationship"]
    assert "extra__<見出し>" in caplog.text and "relationship" in caplog.text
    residents = pd.read_parquet(out / "residents.parquet")
    assert set(residents["extra__relationship"]) == {CANARY}
    assert CANARY not in set(residents["relationship"])
    assert CANARY not in result.output + caplog.text


def test_subprocess_headerless_register_error_has_no_value_and_no_traceback(raw_folder, tmp_path):
    path = raw_folder / "residents.csv"
    text = path.read_bytes().decode("cp932").replace("山田 太郎", CANARY)
    path.write_bytes(text.split("\r\n", 1)[1].encode("cp932"))
    result = _subprocess("--raw", str(raw_folder), "--out", str(tmp_path / "out"), "--params",
                         str(write_params(tmp_path)))
    assert result.returncode == 2
    assert "residents.csv: 1 行目: 必須の列がありません" in result.stderr
    assert CANARY not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
