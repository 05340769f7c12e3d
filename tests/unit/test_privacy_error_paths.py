"""Finding 3: no personal value in any message or log on the pseudonymize / anonymize error paths.

Canaries (names, kana, phones, 個人番号, 住民票コード, addresses; see kogadx.privacy.canaries) are
planted in the input, every error path is triggered through the stage scripts and the command
line, and the exception (with its whole chain and traceback), stdout/stderr, the log records and
every file written outside the input folder are searched with the leak guard's matcher (also
normalised forms: full-width digits, spaces/hyphens between digits, kana).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from kogadx.io import write_parquet
from kogadx.privacy.anonymize import default_hierarchies_path
from kogadx.privacy.canaries import canary_residents
from kogadx.privacy.keys import ENV_VAR, KeyMaterial
from kogadx.privacy.leaks import Canary, ScannedFile, find_leaks
from kogadx.privacy.params import PseudonymizeParams
from kogadx.privacy.policy import EXTRA_PREFIX, default_policy_path
from kogadx.privacy.stage import PseudonymizeInputs, run_pseudonymize
from pipelines.anonymize import main as anonymize_main
from pipelines.pseudonymize import main as pseudonymize_main
from tests.helpers import TEST_KEY_HEX, write_demo_marker

WEAK_KEY = "Koga-City-DX-password-2024-secret!!"
ANON_PARAMS = {"quasi_identifiers": ["age", "sex", "town_code"], "sensitive": "relationship", "k": 2, "l": 1,
               "max_suppression": 0.5, "keep_columns": ["age", "sex", "town_code", "relationship"]}


def _concatenated(frame: pd.DataFrame) -> pd.Series:
    return frame["name"] + " " + frame["address"] + " " + frame["phone"]


class Project:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.monkeypatch = root, monkeypatch
        self.frame, self.canaries = canary_residents(n_people=12, seed=3)
        self.canaries.append(Canary("key", WEAK_KEY))
        self.inputs = root / "in"
        self.params: dict = {"pseudonymize": {"reference_date": "2024-02-29", "chunk_rows": 5},
                             "anonymize": ANON_PARAMS}
        self.policy = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
        monkeypatch.setenv("KOGADX_ROOT", str(root))
        monkeypatch.setenv(ENV_VAR, TEST_KEY_HEX)

    def tables(self, **tables: pd.DataFrame) -> None:
        for name, frame in tables.items():
            write_parquet(frame, self.inputs / f"{name}.parquet")

    def run(self, args: list[str] | None = None) -> None:
        (self.root / "params.yaml").write_text(yaml.safe_dump(self.params, allow_unicode=True), encoding="utf-8")
        policy = self.root / "policy.yaml"
        policy.write_text(yaml.safe_dump(self.policy, allow_unicode=True), encoding="utf-8")
        pseudonymize_main(args or [str(self.inputs), str(policy), str(self.root / "out"), str(self.root / "secure"),
                                   str(self.root / "audit")])


def _with_column(project: Project, column: str, values: pd.Series | str) -> None:
    project.tables(residents=project.frame.assign(**{column: values}))


def _keep(project: Project, column: str) -> None:
    project.policy["tables"]["residents"]["columns"][column] = {"action": "keep", "appi": "not_personal"}


def gap(p: Project) -> None:
    _with_column(p, "memo", _concatenated(p.frame))


def value_as_header(p: Project) -> None:
    """A header-less export: a data row taken as the header."""
    _with_column(p, str(p.frame["phone"].iloc[0]), "x")


def unknown_table(p: Project) -> None:
    p.tables(residents=p.frame, contacts=p.frame[["name", "phone"]])


def two_formats(p: Project) -> None:
    p.tables(residents=p.frame)
    p.frame.to_csv(p.inputs / "residents.csv", index=False)


def selected_table_missing(p: Project) -> None:
    p.tables(residents=p.frame)
    p.params["pseudonymize"]["tables"] = ["residents", "members"]


def no_key_real_data(p: Project) -> None:
    p.tables(residents=p.frame)
    p.monkeypatch.delenv(ENV_VAR)


def weak_key(p: Project) -> None:
    p.tables(residents=p.frame)
    p.monkeypatch.setenv(ENV_VAR, WEAK_KEY)


def copied_marker(p: Project) -> None:
    p.tables(residents=p.frame.iloc[:3])
    write_demo_marker(p.inputs)
    p.tables(residents=p.frame)  # other data next to the copied marker
    p.monkeypatch.delenv(ENV_VAR)


def whole_value_survives(p: Project) -> None:
    _with_column(p, "memo", p.frame["phone"])
    _keep(p, "memo")


def value_inside_text(p: Project) -> None:
    _with_column(p, "memo", "連絡: " + _concatenated(p.frame))
    _keep(p, "memo")


def names_from_missing(p: Project) -> None:
    _with_column(p, "memo", _concatenated(p.frame))
    p.policy["tables"]["residents"]["columns"]["memo"] = {"action": "scrub", "appi": "item1",
                                                          "names_from": ["members.name"]}


def towns_missing(p: Project) -> None:
    _with_column(p, "memo", p.frame["address"])
    p.policy["tables"]["residents"]["columns"]["memo"] = {"action": "generalise", "appi": "item1",
                                                          "method": "address_to_town_code"}


def secure_inside_output(p: Project) -> None:
    p.tables(residents=p.frame)
    policy = default_policy_path()
    p.run([str(p.inputs), str(policy), str(p.root / "out"), str(p.root / "out" / "secure"), str(p.root / "audit")])


PSEUDONYMIZE_PATHS: list[tuple[Callable[[Project], None], str, str]] = [
    (gap, "PolicyGapError", "列 memo に仮名加工ポリシーがありません"),
    (value_as_header, "PolicyGapError", "第13列"),
    (unknown_table, "PolicyError", "テーブル 'contacts' に仮名加工ポリシーがありません"),
    (two_formats, "InputFileError", "複数の形式"),
    (selected_table_missing, "InputFileError", "['members'] のファイルがありません"),
    (no_key_real_data, "KeyRefusedError", "仮名化キーがありません"),
    (weak_key, "KeyRefusedError", "16進"),
    (copied_marker, "KeyRefusedError", "内容が違うファイル 1 件 (residents.parquet)"),
    (whole_value_survives, "PrivacyCheckError", "'元の値の残存 (件数)': {'memo': 12}"),
    (value_inside_text, "PrivacyCheckError", "'長い文字列の中の元の値 (件数)': {'memo': 12}"),
    (names_from_missing, "PolicyError", "names_from 'members.name'"),
    (towns_missing, "ValueError", "町丁目表"),
]


def _texts(exc: BaseException | None, captured: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
           root: Path, inputs: Path) -> list[ScannedFile]:
    out, err = captured.readouterr()
    texts = [ScannedFile("stdout.txt", out.encode()), ScannedFile("stderr.txt", err.encode()),
             ScannedFile("log.txt", caplog.text.encode())]
    if exc is not None:
        texts.append(ScannedFile("exception.txt", "".join(traceback.format_exception(exc)).encode()))
        texts.append(ScannedFile("repr.txt", repr(exc).encode()))
    for path in sorted(root.rglob("*")):
        if path.is_file() and inputs not in path.parents and path.suffix in (".json", ".md", ".txt", ".log"):
            texts.append(ScannedFile(str(path), path.read_bytes()))
    return texts


@pytest.mark.parametrize(("plant", "error", "says"), PSEUDONYMIZE_PATHS,
                         ids=[p[0].__name__ for p in PSEUDONYMIZE_PATHS])
def test_pseudonymize_error_paths_show_no_personal_value(plant, error, says, tmp_path, monkeypatch, capsys,
                                                         caplog):
    project = Project(tmp_path, monkeypatch)
    plant(project)
    with caplog.at_level(logging.DEBUG), pytest.raises(Exception) as raised:
        project.run()
    assert type(raised.value).__name__ == error and says in str(raised.value), repr(raised.value)
    hits = find_leaks(_texts(raised.value, capsys, caplog, tmp_path, project.inputs), project.canaries)
    assert hits == [], [(h.path, h.kind, h.form) for h in hits]  # kinds only: the values stay out
    assert not (tmp_path / "out").exists()


def test_secure_zone_error_shows_no_value(tmp_path, monkeypatch, capsys, caplog):
    project = Project(tmp_path, monkeypatch)
    with caplog.at_level(logging.DEBUG), pytest.raises(ValueError) as raised:
        secure_inside_output(project)
    assert find_leaks(_texts(raised.value, capsys, caplog, tmp_path, project.inputs), project.canaries) == []


def test_dropped_extra_column_success_path_logs_no_value(tmp_path, monkeypatch, capsys, caplog):
    """Not an error, but the same promise: the dropped column is named, its values never (the
    stage function itself: the script would also log to MLflow, which is slow)."""
    project = Project(tmp_path, monkeypatch)
    frame = project.frame.assign(**{f"{EXTRA_PREFIX}連絡メモ": _concatenated(project.frame)})
    inputs = PseudonymizeInputs(tables={"residents.parquet": frame}, policy=default_policy_path().read_bytes(),
                                key=KeyMaterial(env=TEST_KEY_HEX), synthetic_demo=False)
    with caplog.at_level(logging.DEBUG):
        outputs = run_pseudonymize(inputs, PseudonymizeParams(reference_date="2024-02-29"))
    audit = outputs.files["audit/pseudonymize_audit.json"].data  # type: ignore[attr-defined]
    assert audit["tables"]["residents"]["dropped_columns"] == [f"{EXTRA_PREFIX}連絡メモ"]
    texts = _texts(None, capsys, caplog, tmp_path, project.inputs)
    texts += [ScannedFile("audit.json", json.dumps(audit, ensure_ascii=False).encode()),
              ScannedFile("audit.md", outputs.files["audit/pseudonymize_audit.md"].text.encode()),  # type: ignore[attr-defined]
              ScannedFile("metrics.json", json.dumps(outputs.runs[0].metrics).encode()),
              ScannedFile("deletion_info.json", json.dumps(outputs.files["secure/deletion_info.json"].data,  # type: ignore[attr-defined]
                                                           ensure_ascii=False).encode())]
    assert find_leaks(texts, project.canaries) == []


@pytest.mark.parametrize("case", ["unknown_mapping_value", "missing_column", "k_unreachable"])
def test_anonymize_error_paths_show_no_personal_value(case, tmp_path, monkeypatch, capsys, caplog):
    project = Project(tmp_path, monkeypatch)
    frame = pd.DataFrame({"person_id": [f"{i:016x}" for i in range(12)], "age": [30 + i for i in range(12)],
                          "sex": ["男", "女"] * 6, "town_code": project.frame["town_code"],
                          "relationship": project.frame["relationship"]})
    hierarchies = yaml.safe_load(default_hierarchies_path().read_text(encoding="utf-8"))
    if case == "unknown_mapping_value":  # a canary where a QI value of a mapping hierarchy should be
        frame["relationship"] = project.frame["name"]
        project.params["anonymize"] = {**ANON_PARAMS, "quasi_identifiers": ["age", "sex", "town_code", "relationship"],
                                       "sensitive": None}
    elif case == "missing_column":
        frame = frame.drop(columns="relationship").assign(**{str(project.frame["phone"].iloc[0]): 1})
    else:
        project.params["anonymize"] = {**ANON_PARAMS, "k": 50, "max_suppression": 0.0}
    write_parquet(frame, tmp_path / "table.parquet")
    (tmp_path / "hier.yaml").write_text(yaml.safe_dump(hierarchies, allow_unicode=True), encoding="utf-8")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(project.params, allow_unicode=True), encoding="utf-8")
    expected = {"unknown_mapping_value": "親のない値が 12 種類",
                "missing_column": "relationship'] がデータにありません", "k_unreachable": "k=50"}[case]
    with caplog.at_level(logging.DEBUG), pytest.raises((KeyError, ValueError)) as raised:
        anonymize_main([str(tmp_path / "table.parquet"), str(tmp_path / "hier.yaml"),
                        str(tmp_path / "anon" / "residents.parquet"), str(tmp_path / "metrics" / "anonymize.json")])
    assert expected in str(raised.value)
    hits = find_leaks(_texts(raised.value, capsys, caplog, tmp_path, tmp_path / "none"), project.canaries)
    assert [h for h in hits if h.path != str(tmp_path / "table.parquet")] == []


@pytest.mark.parametrize("plant", [gap, weak_key, copied_marker, value_inside_text], ids=lambda f: f.__name__)
def test_cli_error_paths_clean_message_no_traceback(plant, tmp_path, monkeypatch, caplog):
    from kogadx.privacy.cli import app

    project = Project(tmp_path, monkeypatch)
    plant(project)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(project.policy, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(app, ["pseudonymize", "--in", str(project.inputs), "--out", str(tmp_path / "o"),
                                      "--secure", str(tmp_path / "s"), "--policy", str(policy),
                                      "--reference-date", "2024-02-29"])
    assert result.exit_code == 2 and result.output.startswith("エラー: "), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    texts = [ScannedFile("cli.txt", result.output.encode()), ScannedFile("log.txt", caplog.text.encode())]
    assert find_leaks(texts, project.canaries) == []
