"""No traceback reaches a user (issue 15, finding 6): every `kogadx` command and every
pipelines/*.py script turns a known error into a Japanese line and exit code 2, and an
unexpected one into its class name only — never its message, which may quote a secure cell."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from kogadx import stage as kstage
from kogadx.cli import app
from kogadx.io import InputFileError
from kogadx.params import ParamsError
from kogadx.privacy.canaries import canary_residents
from tests.helpers import TEST_KEY_HEX

ROOT = Path(__file__).resolve().parents[2]
CANARY = "小林 美加子 092-949-7610 318066787001"  # a secure cell a message must never show
JAPANESE = re.compile(r"[ぁ-んァ-ヶ一-龥]")
ENERGY_CSV = "年月,電力使用量(kWh)\n2024/04,1200\n"


@pytest.fixture
def paths(tmp_path, monkeypatch):
    monkeypatch.delenv("KOGADX_DEBUG", raising=False)
    monkeypatch.setenv("KOGADX_PSEUDONYM_KEY", TEST_KEY_HEX)
    (tmp_path / "a_file").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "energy.csv").write_text(ENERGY_CSV, encoding="utf-8")
    (tmp_path / "tables").mkdir()
    canary_residents(n_people=3)[0].to_parquet(tmp_path / "tables" / "residents.parquet")
    (tmp_path / "gap").mkdir()  # a column the privacy policy does not cover: a promised stop
    canary_residents(n_people=3)[0].assign(extra=CANARY).to_parquet(tmp_path / "gap" / "residents.parquet")
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "law.txt").write_text("試験条例\n第1条　町長は掲示する。\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("- not a mapping\n", encoding="utf-8")
    return tmp_path


def _cases(p: Path) -> dict[str, list[str]]:
    missing, file = str(p / "missing"), str(p / "a_file")
    into_file = str(p / "a_file" / "out")
    return {
        "ingest/missing": ["ingest", "--raw", missing, "--out", str(p / "o")],
        "ingest/bad-param": ["ingest", "--raw", missing, "--out", str(p / "o"), "--params", str(p / "bad.yaml")],
        "pseudonymize/missing": ["pseudonymize", "--in", missing, "--out", str(p / "o"), "--secure", str(p / "s")],
        "pseudonymize/out-file": ["pseudonymize", "--in", str(p / "tables"), "--out", file,
                                  "--secure", str(p / "s"), "--reference-date", "2024-02-29"],
        "pseudonymize/bad-param": ["pseudonymize", "--in", str(p / "tables"), "--out", str(p / "o"),
                                   "--secure", str(p / "s"), "--reference-date", "2024-13-45"],
        "pseudonymize/policy-gap": ["pseudonymize", "--in", str(p / "gap"), "--out", str(p / "o"),
                                    "--secure", str(p / "s"), "--reference-date", "2024-02-29"],
        "anonymity/missing": ["anonymity", "measure", missing, "--qi", "age"],
        "anonymity/bad-param": ["anonymity", "measure", str(p / "tables" / "residents.parquet"), "--qi", "nope"],
        "darp/missing": ["darp", "solve", missing],
        "darp/not-an-instance": ["darp", "solve", str(p / "energy.csv")],
        "forecast/missing": ["forecast", "evaluate", "--input", missing, "--time-col", "t", "--target-col", "y",
                             "--out", str(p / "o")],
        "forecast/bad-param": ["forecast", "evaluate", "--input", str(p / "energy.csv"), "--time-col", "t",
                               "--target-col", "y", "--out", str(p / "o"), "--folds", "0"],
        "co2/missing": ["co2", "compute", "--input", missing, "--fiscal-year", "2023", "--out", str(p / "o.csv")],
        "co2/out-file": ["co2", "compute", "--input", str(p / "energy.csv"), "--fiscal-year", "2023",
                         "--out", into_file],
        "co2/out-folder": ["co2", "compute", "--input", str(p / "energy.csv"), "--fiscal-year", "2023",
                           "--out", str(p / "tables")],
        "co2/bad-param": ["co2", "compute", "--input", str(p / "energy.csv"), "--fiscal-year", "1900",
                          "--out", str(p / "o.csv")],
        "co2-factors/bad-param": ["co2", "factors", "--fiscal-year", "1900"],
        "regulation/missing": ["regulation", "scan", missing, "--model", file],
        "regulation/bad-model": ["regulation", "scan", str(p / "corpus"), "--model", file],
        "regulation-build/missing": ["regulation", "build-training-data", missing, str(p / "t.csv.gz")],
        "wellbeing/missing": ["wellbeing", "summary", missing],
        "report-check/missing": ["report", "check", missing],
        "report-pdf/missing": ["report", "pdf", missing, "--out-dir", str(p / "pdf")],
    }


CASE_NAMES = list(_cases(Path("/x")))


def _assert_clean_failure(result) -> None:
    assert result.exit_code != 0, result.output
    # a non-SystemExit exception here would reach the user as a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert CANARY not in result.output


@pytest.mark.parametrize("case", CASE_NAMES)
def test_every_command_fails_in_one_japanese_line_without_traceback(paths, case):
    result = CliRunner().invoke(app, _cases(paths)[case])
    _assert_clean_failure(result)
    assert JAPANESE.search(result.output), result.output


def test_regulation_scan_out_inside_a_file(paths, monkeypatch):
    """--out under a file: the write fails with the path and a reason, not a traceback."""
    import kogadx.regulation.model as model
    import kogadx.regulation.stage as regulation_stage
    from tests.regulation_fixtures import candidates

    scan = regulation_stage.CorpusScan(pd.DataFrame({"source_file": ["law.txt"]}), pd.DataFrame(), candidates(),
                                       pd.DataFrame({"類型": ["目視規制"], "候補件数": [1]}))
    monkeypatch.setattr(model, "load_model", lambda data: object())
    monkeypatch.setattr(regulation_stage, "scan_corpus", lambda *args, **kwargs: scan)
    result = CliRunner().invoke(app, ["regulation", "scan", str(paths / "corpus"), "--model", str(paths / "a_file"),
                                      "--out", str(paths / "a_file" / "review.xlsx")])
    _assert_clean_failure(result)
    assert result.exit_code == 2 and f"{paths / 'a_file'}" in result.output


def test_unexpected_error_shows_its_class_only_and_debug_shows_it(paths, monkeypatch):
    import kogadx.energy.cli as energy_cli

    def boom(*args, **kwargs):
        raise ValueError(f"cell {CANARY!r} could not be converted")

    monkeypatch.setattr(energy_cli, "emissions_table", boom)
    args = ["co2", "compute", "--input", str(paths / "energy.csv"), "--fiscal-year", "2023", "--out", str(paths / "o")]
    result = CliRunner().invoke(app, args)
    _assert_clean_failure(result)
    assert result.exit_code == 2 and "ValueError" in result.output and "KOGADX_DEBUG=1" in result.output
    monkeypatch.setenv("KOGADX_DEBUG", "1")
    debug = CliRunner().invoke(app, args)
    assert isinstance(debug.exception, ValueError)  # the traceback is there for whoever asks


def test_known_errors_share_the_user_facing_base():
    from kogadx.energy.factors import EmissionFactorError
    from kogadx.errors import UserFacingError
    from kogadx.privacy.keys import KeyRefusedError
    from kogadx.privacy.policy import PolicyError
    from kogadx.privacy.stage import PrivacyCheckError

    for cls in (InputFileError, ParamsError, KeyRefusedError, PrivacyCheckError, PolicyError, EmissionFactorError):
        assert issubclass(cls, UserFacingError), cls
    assert issubclass(InputFileError, ValueError) and issubclass(ParamsError, ValueError)  # callers catch these


@pytest.mark.parametrize(("error", "reason"), [
    (PermissionError(13, "Permission denied", "/data/secure/pseudonym.key"), "権限がありません"),
    (IsADirectoryError(21, "Is a directory", "/out/review.xlsx"), "フォルダが指定されています"),
    (NotADirectoryError(20, "Not a directory", "/out/a_file/x.parquet"), "ファイルがあります"),
    (FileNotFoundError(2, "No such file or directory", "/raw/residents.csv"), "ありません"),
    (OSError(28, "No space left on device", "/out/big.parquet"), "ENOSPC"),
])
def test_os_errors_on_paths_name_the_path_in_japanese(error, reason):
    from kogadx.errors import describe_error

    message = describe_error(error)
    assert reason in message and error.filename in message and "Errno" not in message


def test_script_main_turns_errors_into_a_line_and_exit_2(capsys, monkeypatch, tmp_path):
    from kogadx.params import load_params
    from kogadx.privacy.params import AnonymizeParams

    monkeypatch.delenv("KOGADX_DEBUG", raising=False)
    (tmp_path / "params.yaml").write_text("anonymize:\n  k: many\n", encoding="utf-8")

    def known():
        raise InputFileError("data/raw/residents.csv: 3 行目 2 列目: 日付として読めません")

    def unexpected():
        raise KeyError(CANARY)

    def os_error():
        Path("/nonexistent-kogadx/x.parquet").read_bytes()

    def bad_param():
        load_params(AnonymizeParams, tmp_path / "params.yaml")

    cases = ((known, "3 行目 2 列目"), (unexpected, "KeyError"), (os_error, "/nonexistent-kogadx/x.parquet"),
             (bad_param, "anonymize.k"))
    for main, shown in cases:
        with pytest.raises(SystemExit) as stop:
            kstage.script_main(main)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert shown in err and CANARY not in err and "Traceback" not in err
        assert len(err.strip().splitlines()) <= 3


def test_every_pipeline_script_runs_through_script_main():
    for script in sorted((ROOT / "pipelines").glob("*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        guard = [n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)]
        assert guard and ast.unparse(guard[0].body[0]) == "script_main(main)", script.name


def test_real_processes_print_no_traceback(tmp_path):
    """The console entry and a pipeline script, as a person runs them."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    cli = subprocess.run([sys.executable, "-c", "from kogadx.cli import app; app()", "anonymity", "measure",
                          str(tmp_path / "missing.csv"), "--qi", "age"], capture_output=True, text=True, env=env)
    script = subprocess.run([sys.executable, str(ROOT / "pipelines" / "anonymize.py"),
                             str(tmp_path / "missing.parquet"), str(tmp_path / "h.yaml"), str(tmp_path / "out.parquet"),
                             str(tmp_path / "m.json")],
                            capture_output=True, text=True, env=env, cwd=ROOT)
    for run in (cli, script):
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr and "missing" in run.stderr and "ありません" in run.stderr
