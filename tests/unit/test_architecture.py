"""The house rules of ARCHITECTURE.md, checked by reading the code (AST only, nothing imported).

- Dependencies point down: pipelines → domain packages → core. The core (the modules directly
  under ``src/kogadx`` except the ``kogadx`` command) imports no domain package.
- ``synth`` is a leaf: nothing outside it imports it, and only the synthesize stage does.
- No cycles between packages; package ``__init__``s import nothing (importing a package must
  not pull in its heavy submodules, nor hide them from the DVC deps).
- Every DVC stage's ``deps`` cover every ``src/kogadx`` module its script imports,
  transitively, package ``__init__``s included, so editing any of them re-runs the stage.
- Domain modules do no file I/O and never talk to MLflow: they return a ``StageOutputs`` and
  the core writes it (``kogadx.stage.write_outputs``). Entry points (``cli.py``) and the two
  I/O-facing packages (``reporting`` renders files into files; ``pbl`` reads the shareable
  zone for students) are the exceptions, by design.
- Every ``pipelines/<stage>.py`` is the same three steps and at most 40 lines.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "kogadx"
PIPELINES = ROOT / "pipelines"

IO_PACKAGES = {"reporting", "pbl"}  # I/O-facing by design (see module docstring)
ENTRY_MODULES = {"cli"}  # kogadx/cli.py and kogadx/<domain>/cli.py: command-line entry points
# Calls that touch files. Parsing text or bytes already in memory is fine; reading or
# writing a path is the core's job (kogadx.io, kogadx.stage, kogadx.weather).
FILE_IO_CALLS = {
    "open", "read_parquet", "to_parquet", "read_csv", "read_excel", "to_excel", "read_file", "to_file",
    "read_text", "write_text", "read_bytes", "write_bytes", "mkdir", "unlink", "rmtree", "copyfile",
    "copy2", "copytree", "iterdir", "glob", "rglob", "is_file", "is_dir", "exists", "savefig",
    "ParquetFile", "ParquetWriter", "read_schema", "write_table", "write_parquet", "write_json",
    "write_csv_for_excel", "read_text_table", "read_table", "read_weather", "load_workbook",
}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def module_file(name: str, src: Path = SRC) -> Path | None:
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(path: Path, src: Path = SRC) -> set[str]:
    """kogadx modules a file imports anywhere (module level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from kogadx.x import y`: y may be a submodule or a name in kogadx.x
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name.split(".")[0] != "kogadx":
                continue
            while name and module_file(name, src) is None:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def with_parents(name: str) -> set[str]:
    """A module and every package above it (importing it runs their ``__init__``s)."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def import_closure(path: Path, src: Path = SRC) -> set[str]:
    """Every kogadx module executed when ``path`` runs, transitively."""
    seen: set[str] = set()
    todo = [m for name in imported_modules(path, src) for m in with_parents(name)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        file = module_file(name, src)
        if file is not None:
            todo.extend(m for dep in imported_modules(file, src) for m in with_parents(dep))
    return seen


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def package_of(name: str) -> str:
    """The domain package of a module (``kogadx.energy.stage`` → ``energy``), or ``core``."""
    parts = name.split(".")
    if len(parts) >= 2 and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    if len(parts) >= 2 and parts[1] in ENTRY_MODULES:
        return "entry"  # the `kogadx` command mounts every domain's commands
    return "core"


def is_core(path: Path) -> bool:
    return path.parent == PACKAGE and path.stem not in ENTRY_MODULES


def dvc_stages(root: Path = ROOT) -> dict[str, dict]:
    return yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def stage_script(stage: dict, root: Path = ROOT) -> Path:
    words = " ".join(stage["cmd"].split()).split(" ")
    return root / next(w for w in words if w.startswith("pipelines/") and w.endswith(".py"))


def executed_code(root: Path, deps: list[Path]) -> list[Path]:
    """Python files among a stage's deps outside ``src/`` (templates the stage executes)."""
    code: list[Path] = []
    for dep in deps:
        path = root / dep
        if dep.parts[:1] == ("src",) or dep.parts[:1] == ("data",):
            continue
        code += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.suffix == ".py" else []
    return code


def uncovered_deps(root: Path = ROOT) -> dict[str, list[str]]:
    """Stage → kogadx module files its script runs that no ``deps`` entry covers."""
    src = root / "src"
    missing: dict[str, list[str]] = {}
    for name, stage in dvc_stages(root).items():
        deps = [Path(d) for d in stage.get("deps", [])]
        # the script, and code the stage runs from its deps (the report templates)
        runs = [stage_script(stage, root), *executed_code(root, deps)]
        files = {module_file(m, src) for code in runs for m in import_closure(code, src)} - {None}
        for file in sorted(f.relative_to(root) for f in files if f is not None):
            if not any(file == d or d in file.parents for d in deps):
                missing.setdefault(name, []).append(file.as_posix())
    return missing


# ----------------------------------------------------------------------------- rules
def test_core_imports_no_domain_package():
    offenders = {
        module_name(path): sorted(m for m in imported_modules(path) if package_of(m) != "core")
        for path in source_files() if is_core(path)
    }
    assert not {k: v for k, v in offenders.items() if v}, "the core must not import a domain package"


def test_nothing_outside_synth_imports_synth():
    offenders = []
    for path in source_files():
        if package_of(module_name(path)) == "synth":
            continue
        offenders += [f"{module_name(path)} → {m}" for m in imported_modules(path) if package_of(m) == "synth"]
    for script in sorted(PIPELINES.glob("*.py")):
        if script.stem != "synthesize":
            offenders += [f"{script.name} → {m}" for m in imported_modules(script) if package_of(m) == "synth"]
    assert not offenders, "synth is a leaf that only the synthesize stage imports"


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in source_files():
        here = package_of(module_name(path))
        targets = {package_of(m) for m in imported_modules(path)} - {here}
        graph.setdefault(here, set()).update(targets)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_package_cycles():
    assert find_cycle(package_graph()) is None


def test_find_cycle_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_package_inits_import_nothing():
    offenders = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        for node in ast.walk(_tree(init)):
            if isinstance(node, ast.Import | ast.ImportFrom) and not (
                    isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                offenders.append(f"{init.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "a package __init__ must not import (it hides modules from DVC deps and costs time)"


def test_every_stage_depends_on_the_modules_it_runs():
    assert uncovered_deps() == {}


def file_io_calls(path: Path) -> list[str]:
    calls = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in FILE_IO_CALLS and not _reads_memory(node):
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}()")
    return calls


def _reads_memory(call: ast.Call) -> bool:
    """``pd.read_csv(io.StringIO(text))`` parses text already in memory: not file I/O."""
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Call):
        func = first.func
        return (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) in ("StringIO", "BytesIO")
    return False


def test_domain_modules_do_no_file_io():
    offenders = []
    for path in source_files():
        package = package_of(module_name(path))
        if package in ("core", *IO_PACKAGES) or path.stem in ENTRY_MODULES:
            continue
        offenders += file_io_calls(path)
    assert not offenders, "domain code returns outputs; kogadx.stage.write_outputs writes them"


def test_only_the_core_talks_to_mlflow():
    offenders = [module_name(p) for p in source_files()
                 if not is_core(p) and any(m.split(".")[0] == "mlflow" for m in _third_party_imports(p))]
    offenders += [module_name(p) for p in source_files()
                  if not is_core(p) and "kogadx.tracking" in imported_modules(p)]
    assert not offenders, "MLflow runs are returned in StageOutputs.runs and logged by kogadx.stage"


def _third_party_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("script", sorted(PIPELINES.glob("*.py")), ids=lambda p: p.name)
def test_pipeline_scripts_are_the_three_steps(script: Path):
    lines = script.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 40, f"{script.name}: {len(lines)} lines (at most 40)"
    called = {getattr(n.func, "id", getattr(n.func, "attr", "")) for n in ast.walk(_tree(script))
              if isinstance(n, ast.Call)}
    assert {"parse_args", "load_params", "write_outputs"} <= called, script.name
    stage = script.stem
    runs = [name for name in called if name.startswith("run_")]
    assert runs == [f"run_{stage}"], f"{script.name} calls {runs}, expected run_{stage}"


def test_every_stage_runs_a_script_of_its_own_name():
    for name, stage in dvc_stages().items():
        assert stage_script(stage).stem == name


# --------------------------------------------------------------- the checks can fail
def test_deps_check_catches_a_module_reached_through_an_init(tmp_path):
    """A stage whose deps list only its own package misses a module reached through another
    package's ``__init__`` — the case that once left stale outputs "up to date"."""
    src = tmp_path / "src" / "kogadx"
    (src / "energy").mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "energy" / "__init__.py").write_text("from kogadx.energy.baseline import fit\n")
    (src / "energy" / "baseline.py").write_text("def fit():\n    pass\n")
    (src / "energy" / "schema.py").write_text("X = 1\n")
    (src / "synth").mkdir()
    (src / "synth" / "__init__.py").write_text("")
    (src / "synth" / "koga.py").write_text("from kogadx.energy.schema import X\n")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "synthesize.py").write_text("from kogadx.synth.koga import X\n")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"synthesize": {
        "cmd": "python pipelines/synthesize.py", "deps": ["pipelines/synthesize.py", "src/kogadx/synth",
                                                          "src/kogadx/energy/schema.py"]}}}))
    assert uncovered_deps(tmp_path) == {"synthesize": ["src/kogadx/__init__.py", "src/kogadx/energy/__init__.py",
                                                       "src/kogadx/energy/baseline.py"]}


def test_deps_check_follows_templates_a_stage_executes(tmp_path):
    """Report templates are code the stage runs: what they import must be in its deps too."""
    src = tmp_path / "src" / "kogadx"
    (src / "reporting").mkdir(parents=True)
    for init in (src / "__init__.py", src / "reporting" / "__init__.py"):
        init.write_text("")
    (src / "reporting" / "stage.py").write_text("X = 1\n")
    (src / "reporting" / "norute.py").write_text("Y = 1\n")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "report.py").write_text("from kogadx.reporting.stage import X\n")
    (tmp_path / "notebooks" / "reports").mkdir(parents=True)
    (tmp_path / "notebooks" / "reports" / "norute.py").write_text("from kogadx.reporting.norute import Y\n")
    deps = ["pipelines/report.py", "notebooks/reports", "src/kogadx/__init__.py", "src/kogadx/reporting/__init__.py",
            "src/kogadx/reporting/stage.py"]
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"report": {
        "cmd": "python pipelines/report.py notebooks/reports", "deps": deps}}}))
    assert uncovered_deps(tmp_path) == {"report": ["src/kogadx/reporting/norute.py"]}
