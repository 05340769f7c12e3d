"""Every PBL notebook and every instructor solution runs top to bottom on the tiny project.

The jupytext ``.py`` files are the source; they are converted in memory and executed with
papermill on a kernel of the current interpreter, each from its theme's **student bundle**
(the ``student_bundle`` stage of the tiny project, one theme folder copied alone into a fresh
temporary folder): the kernel starts in that folder with ``KOGADX_BUNDLE`` pointing at it and
``KOGADX_ROOT`` unset, so a notebook that reads anything but the bundle fails here
(MLflow goes to the session's temporary store, see tests/conftest.py). The notebooks
run two at a time (the suite's budget: 2 cores). Solutions must answer every self-check
correctly (their check calls are ``assert``-ed); student notebooks must run with the
exercises still unanswered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.helpers import PROJECT_ROOT

PBL_DIR = PROJECT_ROOT / "notebooks" / "pbl"
NOTEBOOKS = sorted(PBL_DIR.glob("[0-9][0-9]_*.py"))
SOLUTION_DIR = PROJECT_ROOT / "instructor" / "solutions"  # out of the students' way (`make lab` root)
SOLUTIONS = sorted(SOLUTION_DIR.glob("[0-9][0-9]_*.py"))
ALL = NOTEBOOKS + SOLUTIONS
# Lighter settings for CI (papermill parameters; the defaults are the students').
CI_PARAMETERS = {
    # 8 days (the students' default is 28): enough for the day-level interval to be computed
    "03_demand_forecast": {"N_SPLITS": 8},
    "04_dispatch_simulation": {"N_DAYS": 2, "FLEET_SIZES": [1, 2, 3]},
    "08_counter_queue": {"SIM_HOURS": 100},
}


def _id(path: Path) -> str:
    return f"{'solutions' if path.parent == SOLUTION_DIR else path.parent.name}/{path.stem}"


def _kernel_manager(kernel_name: str, path: Path, sockets: Path, bundle: Path):
    """A kernel manager on IPC sockets where available (kernels started in parallel over TCP
    can race for the same free port, "Address already in use") that starts the kernel in the
    notebook's bundle folder with ``KOGADX_BUNDLE`` set. papermill's own ``cwd`` changes the
    working folder of the whole process, which two notebooks started at once would share."""
    from jupyter_client.manager import KernelManager

    class BundleKernelManager(KernelManager):
        async def _async_pre_start_kernel(self, **kw):  # noqa: ANN003, ANN202 - jupyter_client's signature
            env = {k: v for k, v in (kw.pop("env", None) or os.environ).items() if k != "KOGADX_ROOT"}
            kw.update(env={**env, "KOGADX_BUNDLE": str(bundle)}, cwd=str(bundle))
            return await super()._async_pre_start_kernel(**kw)

    if os.name == "nt":
        return BundleKernelManager(kernel_name=kernel_name)
    return BundleKernelManager(kernel_name=kernel_name, transport="ipc", ip=str(sockets / path.stem[:2]))


def _execute(path: Path, out_dir: Path, kernel_name: str, cwd: Path):
    import jupytext
    import papermill

    notebook = jupytext.read(path)
    # jupytext files carry no kernel metadata (see jupytext.toml); papermill needs the language
    notebook.metadata["kernelspec"] = {"name": kernel_name, "language": "python", "display_name": kernel_name}
    notebook.metadata["language_info"] = {"name": "python"}
    output = out_dir / f"{_id(path).replace('/', '__')}.ipynb"
    sockets = Path(tempfile.mkdtemp(prefix="kgx-"))  # short: AF_UNIX paths are limited to ~100 bytes
    try:
        return papermill.execute_notebook(
            notebook, str(output), kernel_name=kernel_name, parameters=CI_PARAMETERS.get(path.stem, {}),
            progress_bar=False, cwd=str(cwd),  # the theme's bundle folder, alone: its bundle.json is the root
            start_timeout=180, km=_kernel_manager(kernel_name, path, sockets, cwd),
        ), None
    except Exception as exc:  # noqa: BLE001 - reported per notebook by its own test
        return None, exc
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


def bundle_themes(project: Path) -> dict[str, Path]:
    """The tiny project's bundle: notebook number → its theme folder (from each bundle.json)."""
    themes = {}
    for marker in sorted((project / "data" / "student_bundle").glob("*/bundle.json")):
        for number in json.loads(marker.read_text(encoding="utf-8"))["notebooks"]:
            themes[number] = marker.parent
    return themes


@pytest.fixture(scope="module")
def bundle_dirs(pbl_project, tmp_path_factory) -> dict[str, Path]:
    """Every theme folder of the tiny project's bundle copied alone into a fresh folder
    (nothing else beside it: no data/raw, no project); notebook number → that copy."""
    copies: dict[Path, Path] = {}
    out = {}
    for number, theme in bundle_themes(pbl_project).items():
        if theme not in copies:
            copies[theme] = tmp_path_factory.mktemp(f"bundle_{theme.name}") / theme.name
            shutil.copytree(theme, copies[theme])
        out[number] = copies[theme]
    return out


def test_every_notebook_has_a_theme_in_the_bundle(bundle_dirs):
    missing = [p.name for p in ALL if p.stem[:2] not in bundle_dirs]
    assert not missing, f"学生用データ (student_bundle) にテーマのないノートブック: {missing}"


@pytest.fixture(scope="module")
def executed(bundle_dirs, kernel_name, tmp_path_factory):
    """Run every notebook once from its bundle (two kernels in parallel); {path: (notebook, error)}."""
    out_dir = tmp_path_factory.mktemp("executed_notebooks")
    nowhere = tmp_path_factory.mktemp("no_theme")  # a notebook without a theme runs on nothing, and fails
    mp = pytest.MonkeyPatch()
    mp.delenv("KOGADX_ROOT", raising=False)  # the root is the bundle, found from the working folder
    mp.delenv("KOGADX_BUNDLE", raising=False)
    mp.delenv("KOGADX_PARAMS", raising=False)
    mp.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            results = dict(zip(ALL, pool.map(lambda p: _execute(p, out_dir, kernel_name, bundle_dirs.get(p.stem[:2], nowhere)), ALL),
                               strict=True))
    finally:
        mp.undo()
    # Not asserted (no timing asserts): shown with `pytest -s` to keep an eye on the budget.
    print(f"\nPBL notebooks: {len(ALL)} executed in {time.perf_counter() - started:.0f} s")
    return results


def _outputs(notebook) -> str:
    texts = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", "") if isinstance(out.get("text", ""), str) else "")
    return "\n".join(texts)


def test_no_planted_personal_value_reaches_a_notebook_output(executed, pbl_canaries):
    """Notebook outputs are shareable (ARCHITECTURE.md): no canary from the raw exports."""
    import nbformat

    assert pbl_canaries, "the tiny project planted no canaries"
    for path, (notebook, _) in executed.items():
        if notebook is None:
            continue
        text = nbformat.writes(notebook)
        leaked = [c.kind for c in pbl_canaries if c.value in text]
        assert not leaked, f"{_id(path)} の出力に個人情報 ({sorted(set(leaked))}) が含まれています"


def test_the_series_is_complete():
    numbers = [p.stem[:2] for p in NOTEBOOKS]
    assert numbers == [f"{i:02d}" for i in range(len(numbers))]  # 00 … 12 (12: the regulation review), no gap
    assert len(numbers) >= 13
    assert [p.stem for p in SOLUTIONS] == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_notebook_runs_top_to_bottom(executed, path):
    notebook, error = executed[path]
    assert error is None, f"{_id(path)} が最後まで実行できませんでした: {error}"
    assert not any(out.get("output_type") == "error" for c in notebook.cells for out in c.get("outputs", []))


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_solutions_answer_every_check_right(executed, path):
    notebook, error = executed[path]
    assert error is None
    text = _outputs(notebook)
    assert "✅ 正解" in text and "❌ 不正解" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_unanswered_exercises_get_a_hint_not_a_crash(executed, path):
    notebook, error = executed[path]
    assert error is None
    text = _outputs(notebook)
    assert "❌ 不正解" in text and "✅ 正解" not in text


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_notebook_conventions(path):
    """autoreload first, imports from kogadx, Japanese plots, no chdir, no secure-zone paths."""
    import jupytext

    notebook = jupytext.read(path)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert code[0].splitlines()[:2] == ["%load_ext autoreload", "%autoreload 2"]
    source = "\n".join(code)
    assert "from kogadx" in source and "setup()" in source
    assert "chdir" not in source
    if path.stem.startswith("00_"):  # 00 shows the refusal on purpose, through the helper
        source = source.replace('data.read_table("data/raw_validated/residents.parquet")', "")
    # a file inside a secure folder (naming the folders themselves, as in exercise 00, is fine)
    found = re.findall(r"data/(?:raw|raw_validated|truth|secure)/[\w.]", source)
    assert not found, f"{_id(path)} が安全管理区域のファイルを参照しています: {found}"
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    for heading in ("学習目標", "ストーリー", "ふりかえり", "演習"):
        assert heading in markdown, f"{_id(path)} に「{heading}」がありません"


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_py_file_is_what_jupytext_writes(path, tmp_path):
    """The .py is canonical for the pairing in notebooks/pbl/jupytext.toml: saving the notebook
    in JupyterLab gives the same file back (clean diffs, no metadata, no outputs)."""
    import jupytext
    from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file

    config = load_jupytext_configuration_file(find_jupytext_configuration_file(str(path.parent)))
    assert config is not None and "py:percent" in str(config.formats)
    notebook = jupytext.read(path)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    written = jupytext.writes(notebook, fmt="py:percent", config=config)
    assert written == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_solution_differs_from_the_student_notebook_only_in_answers(path):
    """The instructor copy is kept by hand: every cell must match the student notebook except
    the title (the instructor note) and the answer cells (marked ``← ここを書き換える``)."""
    import jupytext

    student = jupytext.read(path).cells
    solution = jupytext.read(SOLUTION_DIR / path.name).cells
    assert len(student) == len(solution), f"{_id(path)}: セルの数が解答例と違います"
    answers = 0
    for index, (s, t) in enumerate(zip(student, solution, strict=True)):
        assert s.cell_type == t.cell_type, f"{_id(path)} セル {index}: 種類が解答例と違います"
        if index == 0 or s.source == t.source:
            continue
        assert "← ここを書き換える" in s.source, f"{_id(path)} セル {index}: 解答例とずれています"
        answers += 1
    assert answers >= 1
