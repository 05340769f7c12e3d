"""Stage mains of `synthesize` and `ingest` on a tiny scale in tmp_path."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from kogadx.io import InputFileError
from tests.helpers import load_stage_script, synthesize_and_ingest, tree_digest, write_params

SCALE = 0.02


_stage = load_stage_script


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """synthesize + ingest twice at a tiny scale; returns the two output roots."""
    roots = []
    for attempt in range(2):
        root = tmp_path_factory.mktemp(f"run{attempt}")
        synthesize_and_ingest(root, SCALE)
        roots.append(root)
    return roots


def test_outputs_are_byte_identical_across_runs(tiny_run):
    first, second = tiny_run
    for folder in ("raw", "truth", "validated"):
        digest_a, digest_b = tree_digest(first / folder), tree_digest(second / folder)
        assert digest_a, f"{folder} is empty"
        assert digest_a == digest_b, f"{folder} differs between runs"
    assert (first / "ingest.json").read_bytes() == (second / "ingest.json").read_bytes()


def test_row_accounting_and_every_planted_bad_record_quarantined(tiny_run):
    root = tiny_run[0]
    summary = json.loads((root / "ingest.json").read_text(encoding="utf-8"))["residents"]
    assert summary["rows_in"] == summary["rows_out"] + summary["rows_quarantined"]
    faults = pd.read_csv(root / "truth" / "residents_faults.csv", encoding="utf-8-sig")
    quarantine = pd.read_csv(root / "validated" / "quarantine" / "residents.csv", encoding="utf-8-sig", dtype=str)
    quarantined_lines = set(quarantine["line"].astype(int))
    bad = faults[faults["expected"] == "quarantine"]
    assert set(bad["kind"]) == {"unknown_town", "impossible_date", "duplicate_row"}
    assert set(bad["line"]) <= quarantined_lines
    # Fixable faults are normalised, not quarantined (unless the same row also has a bad fault).
    fixable = set(faults.loc[faults["expected"] == "normalise", "line"]) - set(bad["line"])
    assert not (fixable & quarantined_lines)
    assert quarantine["reason"].str.len().min() > 0


def test_fixable_faults_are_normalised(tiny_run):
    residents = pd.read_parquet(tiny_run[0] / "validated" / "residents.parquet")
    assert not residents["address"].str.contains("[０-９]").any()
    assert not residents["name"].str.contains("　|  |^ | $").any()
    assert residents["birth_date"].notna().all()
    assert residents["town_code"].str.fullmatch(r"40223\d{6}").all()


def test_demo_marker_travels_with_the_data(tiny_run):
    assert (tiny_run[0] / "validated" / "SYNTHETIC_DEMO.json").is_file()


def _raw_folder_with_each_fault(tmp_path, tiny_run):
    """A copy of the tiny raw folder, with one hand-made record per fault kind appended."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(tiny_run[0] / "raw", raw)
    table = pd.read_csv(raw / "residents.csv", encoding="cp932", dtype=str, keep_default_na=False)
    good = table[~table.duplicated(keep=False)].iloc[0].to_dict()
    bad_rows = {
        "impossible_date": {**good, "生年月日": "平成31年2月30日", "個人番号": "123456789018",
                            "住民票コード": "10000000001"},
        "unknown_town": {**good, "住所": "福岡県古賀市幻町一丁目1番1号", "町丁目コード": "", "個人番号": "000000000019",
                         "住民票コード": "10000000002"},
        "bad_check_digit": {**good, "個人番号": "123456789017", "住民票コード": "10000000003"},
        "bad_sex": {**good, "性別": "不明", "個人番号": "000000000027", "住民票コード": "10000000004"},
        "duplicate_row": dict(good),
        "code_mismatch": {**good, "町丁目コード": "40223999999", "個人番号": "000000000035",
                          "住民票コード": "10000000005"},
        "empty_name": {**good, "氏名": "　", "個人番号": "000000000043", "住民票コード": "10000000006"},
    }
    extended = pd.concat([table, pd.DataFrame(list(bad_rows.values()))], ignore_index=True)
    with (raw / "residents.csv").open("w", encoding="cp932", newline="") as fh:
        extended.to_csv(fh, index=False, lineterminator="\r\n")
    first_line = len(table) + 2
    return raw, {kind: first_line + i for i, kind in enumerate(bad_rows)}


def _ingest(raw, out, params_path):
    """The ingest stage's main on ``raw`` with the params at ``params_path``; its metrics."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KOGADX_PARAMS", str(params_path))
    try:
        _stage("ingest").main([str(raw), str(out), str(out / "ingest.json")])
    finally:
        mp.undo()
    return json.loads((out / "ingest.json").read_text(encoding="utf-8"))


def test_each_fault_kind_gets_a_quarantine_row_with_reason(tmp_path, tiny_run):
    raw, lines = _raw_folder_with_each_fault(tmp_path, tiny_run)
    summary = _ingest(raw, tmp_path / "out", write_params(tmp_path))["residents"]
    assert summary["rows_in"] == summary["rows_out"] + summary["rows_quarantined"]
    quarantine = pd.read_csv(tmp_path / "out" / "quarantine" / "residents.csv", encoding="utf-8-sig", dtype=str)
    reason_of = dict(zip(quarantine["line"].astype(int), quarantine["reason"], strict=True))
    expected = {
        "impossible_date": "存在しない日付",
        "unknown_town": "町丁目表にありません",
        "bad_check_digit": "検査用数字",
        "bad_sex": "許可されていない値",
        "duplicate_row": "重複行",
        "code_mismatch": "町丁目コードが住所",
        "empty_name": "値が空",
    }
    for kind, fragment in expected.items():
        assert lines[kind] in reason_of, f"{kind} (line {lines[kind]}) not quarantined"
        assert fragment in reason_of[lines[kind]], f"{kind}: {reason_of[lines[kind]]}"


def test_missing_column_stops_with_file_and_column(tmp_path, tiny_run):
    raw, _ = _raw_folder_with_each_fault(tmp_path, tiny_run)
    table = pd.read_csv(raw / "residents.csv", encoding="cp932", dtype=str, keep_default_na=False)
    table.drop(columns=["生年月日"]).to_csv(raw / "residents.csv", index=False, encoding="cp932")
    with pytest.raises(InputFileError) as excinfo:
        _ingest(raw, tmp_path / "out", write_params(tmp_path))
    message = str(excinfo.value)
    assert "residents.csv" in message and "生年月日" in message


def test_utf8_bom_export_reads_the_same(tmp_path, tiny_run):
    """A real export saved from Excel (UTF-8 with BOM) goes through unchanged code."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(tiny_run[0] / "raw", raw)
    table = pd.read_csv(raw / "residents.csv", encoding="cp932", dtype=str, keep_default_na=False)
    table.to_csv(raw / "residents.csv", index=False, encoding="utf-8-sig")
    summary = _ingest(raw, tmp_path / "out", write_params(tmp_path))
    assert summary["residents"]["encoding"] == "utf-8-sig"
    original = pd.read_parquet(tiny_run[0] / "validated" / "residents.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "residents.parquet"), original)


def test_cli_ingest_runs_the_same_code(tmp_path, tiny_run):
    from typer.testing import CliRunner

    from kogadx.cli import app

    params_path = write_params(tmp_path)
    result = CliRunner().invoke(app, ["ingest", "--raw", str(tiny_run[0] / "raw"), "--out", str(tmp_path / "cli"),
                                      "--params", str(params_path)])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "cli" / "residents.parquet"),
        pd.read_parquet(tiny_run[0] / "validated" / "residents.parquet"),
    )
    summary = json.loads((tmp_path / "cli" / "ingest_summary.json").read_text(encoding="utf-8"))
    assert summary == json.loads((tiny_run[0] / "ingest.json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == summary
    bad = CliRunner().invoke(app, ["ingest", "--raw", str(tmp_path / "nope"), "--out", str(tmp_path / "x"),
                                   "--params", str(params_path)])
    assert bad.exit_code == 2
    assert "生データのフォルダがありません" in bad.output


def test_real_data_without_weather_or_marker_leaves_no_stale_marker(tmp_path, tiny_run):
    """Real exports carry no demo marker: one left in the output folder by an earlier demo run
    must go (it would let the privacy stage use the demo key). The weather file is optional."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(tiny_run[0] / "raw", raw)
    (raw / "SYNTHETIC_DEMO.json").unlink()
    params = yaml.safe_load(write_params(tmp_path).read_text(encoding="utf-8"))
    (raw / params["ingest"]["weather_file"]).unlink()
    out = tmp_path / "out"
    out.mkdir()
    (out / "SYNTHETIC_DEMO.json").write_text('{"synthetic": true}', encoding="utf-8")
    summary = _ingest(raw, out, write_params(tmp_path))
    assert summary["synthetic_demo"] is False and "weather" not in summary
    assert not (out / "SYNTHETIC_DEMO.json").exists() and not (out / "weather.parquet").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "residents.parquet"),
                                  pd.read_parquet(tiny_run[0] / "validated" / "residents.parquet"))
