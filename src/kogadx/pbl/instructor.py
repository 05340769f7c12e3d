"""Build the instructor package: a zip the instructor keeps, never handed to students.

Contents (from ``instructor/`` in the repository, outside ``make lab``'s root):
solutions of every student notebook (jupytext ``.py`` and a rendered ``.ipynb`` without
outputs), model answers for every ふりかえり question, the rubric, the project brief
template, group roles and milestones. The build refuses to write a package that is out of
step with the notebooks: a student notebook without a solution, or a ふりかえり question
without a model answer, is an error naming the notebook.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

NOTEBOOK_GLOB = "[0-9][0-9]_*.py"
REQUIRED_DOCS = ("README.md", "model_answers.md", "rubric.md", "project_brief_template.md",
                 "roles_and_milestones.md")
FIXED_TIME = (2024, 4, 1, 0, 0, 0)  # zip entries carry no build time: the same input gives the same bytes


def reflection_questions(notebook: Path) -> list[str]:
    """The bullet questions of a notebook's ふりかえり cell (continuation lines joined)."""
    text = notebook.read_text(encoding="utf-8")
    match = re.search(r"^# ## ふりかえり\n((?:#.*\n?)*)", text, flags=re.MULTILINE)
    if not match:
        return []
    questions: list[str] = []
    for line in match.group(1).splitlines():
        body = line[1:].strip() if line.startswith("#") else line.strip()
        if body.startswith("- "):
            questions.append(body[2:])
        elif questions and body and line.startswith("#   "):
            questions[-1] += body
    return questions


def model_answer_counts(model_answers: Path) -> dict[str, int]:
    """Per notebook number ("03"): how many answers ``model_answers.md`` gives (``### Q`` headings)."""
    counts: dict[str, int] = {}
    current = None
    for line in model_answers.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\d\d)\b", line)
        if heading:
            current = heading.group(1)
            counts.setdefault(current, 0)
        elif current and line.startswith("### Q"):
            counts[current] += 1
    return counts


def coverage_problems(root: Path) -> list[str]:
    """Why the package would be out of step with the student notebooks (empty = fine)."""
    students = sorted((root / "notebooks" / "pbl").glob(NOTEBOOK_GLOB))
    instructor = root / "instructor"
    problems = [f"instructor/{name} がありません" for name in REQUIRED_DOCS if not (instructor / name).is_file()]
    counts = model_answer_counts(instructor / "model_answers.md") if (instructor / "model_answers.md").is_file() else {}
    for notebook in students:
        if not (instructor / "solutions" / notebook.name).is_file():
            problems.append(f"{notebook.name} の解答例 (instructor/solutions/{notebook.name}) がありません")
        asked = len(reflection_questions(notebook))
        given = counts.get(notebook.name[:2], 0)
        if given < asked:
            problems.append(f"{notebook.name} のふりかえりは {asked} 問ですが、model_answers.md の模範解答は "
                            f"{given} 問です")
    return problems


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_pack(root: Path, out: Path) -> Path:
    """Write the instructor zip to ``out``; raises ``ValueError`` listing what is missing."""
    import jupytext

    problems = coverage_problems(root)
    if problems:
        raise ValueError("教員用パッケージを作れません:\n- " + "\n- ".join(problems))
    instructor = root / "instructor"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(p for p in instructor.rglob("*") if p.is_file()):
            rel = path.relative_to(instructor).as_posix()
            if rel.startswith(".") or "/." in rel or path.suffix == ".ipynb":
                continue
            _add(archive, f"kogadx-pbl-instructor/{rel}", path.read_bytes())
        for solution in sorted((instructor / "solutions").glob(NOTEBOOK_GLOB)):
            notebook = jupytext.read(solution)
            for index, cell in enumerate(notebook.cells):
                cell["id"] = f"cell-{index}"  # stable ids (nbformat draws random ones): the same bytes
            name = f"kogadx-pbl-instructor/solutions/{solution.stem}.ipynb"
            _add(archive, name, jupytext.writes(notebook, fmt="ipynb").encode("utf-8"))
    return out


def main(argv: list[str] | None = None) -> int:
    from kogadx.paths import find_project_root

    parser = argparse.ArgumentParser(description="教員用パッケージ (zip) を作成")
    parser.add_argument("--out", type=Path, default=Path("dist/kogadx-pbl-instructor.zip"))
    args = parser.parse_args(argv)
    root = find_project_root()
    out = args.out if args.out.is_absolute() else root / args.out
    try:
        build_pack(root, out)
    except ValueError as error:
        print(error)
        return 1
    with zipfile.ZipFile(out) as archive:
        print(f"{out} を作成しました ({len(archive.namelist())} ファイル)。学生には配らないでください。")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
