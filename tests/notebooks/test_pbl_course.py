"""The PBL course around the notebooks: `make lab` shows students no solutions, the instructor
package builds and covers every ふりかえり question, JupyterLab opens `.py` notebooks as
notebooks on any environment, and every command a notebook runs is decoded as UTF-8."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile

import pytest

from kogadx.pbl import commands, instructor, lab
from tests.helpers import PROJECT_ROOT

STUDENT_DIR = PROJECT_ROOT / "notebooks" / "pbl"
INSTRUCTOR_DIR = PROJECT_ROOT / "instructor"


def lab_root() -> str:
    """The folder `make lab` serves (LAB_ROOT, used by the lab target's --notebook-dir)."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^lab:.*?(?=^\S)", makefile, flags=re.MULTILINE | re.DOTALL)
    assert target, "Makefile に lab ターゲットがありません"
    served = re.search(r"--notebook-dir=(\S+)", target.group(0))
    assert served, "make lab がルートを指定していません"
    value = served.group(1)
    if value.startswith("$("):
        var = re.search(rf"^{re.escape(value[2:-1])}\s*:?=\s*(\S+)", makefile, flags=re.MULTILINE)
        assert var, f"{value} が Makefile で定義されていません"
        value = var.group(1)
    return value


def test_make_lab_serves_no_solution():
    root = PROJECT_ROOT / lab_root()
    for path in root.rglob("*"):
        assert "solution" not in path.as_posix().lower(), f"make lab のルートに解答例があります: {path}"
        if path.is_file() and path.suffix in (".py", ".md", ".ipynb"):
            assert "解答例・教員用" not in path.read_text(encoding="utf-8"), f"{path} は教員用です"
    assert root.is_dir() and any(root.glob("[0-9][0-9]_*.py")), f"{root} に学生用ノートブックがありません"
    assert not (root / "instructor").exists() and INSTRUCTOR_DIR.resolve() not in root.resolve().parents


def test_instructor_package_builds(tmp_path):
    out = instructor.build_pack(PROJECT_ROOT, tmp_path / "pack.zip")
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        students = sorted(STUDENT_DIR.glob("[0-9][0-9]_*.py"))
        for notebook in students:
            for suffix in (".py", ".ipynb"):
                assert f"kogadx-pbl-instructor/solutions/{notebook.stem}{suffix}" in names
        for doc in instructor.REQUIRED_DOCS:
            assert f"kogadx-pbl-instructor/{doc}" in names
        rendered = json.loads(archive.read(f"kogadx-pbl-instructor/solutions/{students[0].stem}.ipynb"))
        assert rendered["cells"] and "解答例" in "".join(rendered["cells"][0]["source"])
    again = instructor.build_pack(PROJECT_ROOT, tmp_path / "again.zip")
    assert again.read_bytes() == out.read_bytes()  # no build time inside: the same bytes


def test_every_reflection_question_has_a_model_answer():
    counts = instructor.model_answer_counts(INSTRUCTOR_DIR / "model_answers.md")
    for notebook in sorted(STUDENT_DIR.glob("[0-9][0-9]_*.py")):
        asked = instructor.reflection_questions(notebook)
        assert asked, f"{notebook.name} にふりかえりの問いがありません"
        assert counts.get(notebook.name[:2], 0) >= len(asked), f"{notebook.name} の模範解答が足りません"


def test_the_package_refuses_a_missing_model_answer(tmp_path):
    """The guard can fail: drop the last answer of notebook 03 and the build stops, naming it."""
    shutil.copytree(STUDENT_DIR, tmp_path / "notebooks" / "pbl")
    shutil.copytree(INSTRUCTOR_DIR, tmp_path / "instructor")
    answers = tmp_path / "instructor" / "model_answers.md"
    text = answers.read_text(encoding="utf-8")
    section = text.index("## 03")
    last = text.rindex("### Q", section, text.index("## 04"))
    answers.write_text(text[:last] + text[text.index("## 04"):], encoding="utf-8")
    with pytest.raises(ValueError, match="03_demand_forecast"):
        instructor.build_pack(tmp_path, tmp_path / "pack.zip")


def test_jupytext_config_is_the_same_for_students_and_instructor():
    assert (STUDENT_DIR / "jupytext.toml").read_text(encoding="utf-8") == \
        (INSTRUCTOR_DIR / "jupytext.toml").read_text(encoding="utf-8")


def test_default_viewer_is_written_into_the_environment(tmp_path):
    settings = lab.overrides_path(tmp_path)
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"other-plugin": {"x": 1}}), encoding="utf-8")
    lab.write_default_viewer(tmp_path)
    written = json.loads(settings.read_text(encoding="utf-8"))
    assert written["other-plugin"] == {"x": 1}  # existing settings are kept
    viewers = written["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"


def test_commands_are_decoded_as_utf8():
    out = commands.run_command([sys.executable, "-c", "import sys; sys.stdout.write('古賀市 ✅')"]).stdout
    assert out == "古賀市 ✅"
    # a byte that is not UTF-8 (CP932 output, say) is replaced, not an exception
    raw = commands.run_command([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'\\x82\\xa0ok')"])
    assert raw.stdout.endswith("ok") and "\ufffd" in raw.stdout


SUBPROCESS_CALL = re.compile(r"subprocess\.(?:run|check_output|Popen)\((?:[^()]|\([^()]*\))*\)", re.DOTALL)


@pytest.mark.parametrize("folder", ["notebooks/pbl", "instructor/solutions", "src/kogadx/pbl"])
def test_no_subprocess_output_is_decoded_with_the_locale(folder):
    """`text=True` / `universal_newlines` decode with the locale codec (CP932 on Japanese Windows)."""
    for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
        for call in SUBPROCESS_CALL.findall(path.read_text(encoding="utf-8")):
            captures = "capture_output" in call or "stdout=" in call or "check_output" in call
            decodes = "text=True" in call or "universal_newlines" in call or captures
            if decodes:
                assert 'encoding="utf-8"' in call or "encoding=ENCODING" in call, \
                    f"{path.relative_to(PROJECT_ROOT)}: UTF-8 を指定せずに出力を読んでいます: {call[:80]}"
