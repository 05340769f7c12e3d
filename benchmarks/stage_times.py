"""Wall and CPU time of every pipeline stage in a from-scratch `dvc repro`, and of a no-op repro.

The project's git-tracked files (of the working tree, or of ``--commit``) are copied into a
temporary folder with its own empty DVC cache, so nothing is restored from a cache; then each
stage runs with `dvc repro -s -f <stage>` in dependency order, timed from here: wall clock and
CPU seconds (user + system of every process the stage started, worker processes included;
from ``getrusage(RUSAGE_CHILDREN)``). A no-op `dvc repro` is timed three times at the end.
The load average before and after is recorded: on a shared machine, wall times rise with it
while CPU seconds barely move, so compare CPU seconds between runs made under different load.

Usage: python benchmarks/stage_times.py [--commit REV] [--out benchmarks/results/stage_times.json]
       [--stages synthesize ingest ...] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def copy_project(dest: Path, commit: str | None) -> str:
    """Git-tracked files of the working tree (or of ``commit``) into ``dest``, committed there."""
    if commit:
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        label = subprocess.run(["git", "rev-parse", "--short", commit], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip()
    else:
        files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
        for name in files.decode().split("\0"):
            if not name or not (ROOT / name).is_file():
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        label = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout.strip()
        label += "-dirty" if dirty else ""
    # a from-scratch run: no lock, no outputs (dvc.lock would only make the first status check slower)
    (dest / "dvc.lock").unlink(missing_ok=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", f"copy of {label}"]):
        subprocess.run(cmd, cwd=dest, check=True, env=env)
    return label


OUTPUT_DIRS = ("data", "models", "metrics", "plots", "reports")


def copy_outputs(project: Path) -> None:
    """The working tree's pipeline outputs and dvc.lock into the copy (for ``--stages``)."""
    for name in OUTPUT_DIRS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, project / name, dirs_exist_ok=True, symlinks=False)
    shutil.copy2(ROOT / "dvc.lock", project / "dvc.lock")


def stage_order(project: Path) -> list[str]:
    """Stages of dvc.yaml in dependency order (file order among independent stages)."""
    spec = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))

    def resolve(path: str) -> str:
        def value(match: re.Match[str]) -> str:
            node = params
            for key in match.group(1).split("."):
                node = node[key]
            return str(node)
        return re.sub(r"\$\{([^}]+)\}", value, path)

    def paths(entries: list) -> list[str]:
        return [resolve(next(iter(e)) if isinstance(e, dict) else e) for e in entries or []]

    outs = {name: paths(s.get("outs", [])) + paths(s.get("metrics", [])) + paths(s.get("plots", []))
            for name, s in spec.items()}
    needs: dict[str, set[str]] = {}
    for name, s in spec.items():
        deps = paths(s.get("deps", []))
        needs[name] = {other for other, produced in outs.items() if other != name
                       for d in deps for o in produced
                       if d == o or d.startswith(o.rstrip("/") + "/") or o.startswith(d.rstrip("/") + "/")}
    order: list[str] = []
    while len(order) < len(spec):
        ready = [n for n in spec if n not in order and needs[n] <= set(order)]
        if not ready:
            raise RuntimeError(f"dvc.yaml の依存関係が循環しています: {sorted(set(spec) - set(order))}")
        order.append(ready[0])
    return order


def timed(cmd: list[str], cwd: Path, log: Path, env: dict[str, str]) -> dict[str, float]:
    cpu0, wall0 = _cpu_children(), time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        result = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    wall, cpu = time.perf_counter() - wall0, _cpu_children() - cpu0
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} が失敗しました (ログ: {log})")
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", help="time this git revision instead of the working tree")
    parser.add_argument("--out", type=Path, default=RESULTS / "stage_times.json")
    parser.add_argument("--stages", nargs="*",
                        help="only these stages, on the outputs of this working tree (copied with dvc.lock) "
                             "instead of from scratch: for a quick before/after on a loaded machine")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (its logs/ folder)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kogadx-stage-times-"))
    project = tmp / "project"
    project.mkdir()
    label = copy_project(project, args.commit)
    if args.stages:
        copy_outputs(project)
    logs = tmp / "logs"
    logs.mkdir()
    # the project's own venv (its bin first on PATH), progress as lines into the logs
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "KOGADX_PROGRESS": "lines", "MLFLOW_TRACKING_URI": f"sqlite:///{(tmp / 'mlflow.db').as_posix()}",
           "KOGADX_MLFLOW_ARTIFACTS": (tmp / "mlartifacts").as_posix(),
           # the copy's code, not the editable install of this checkout (matters with --commit)
           "PYTHONPATH": str(project / "src")}
    env.pop("VIRTUAL_ENV", None)
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    stages: dict[str, dict[str, float]] = {}
    wanted = set(args.stages or [])
    order = [s for s in stage_order(project) if not wanted or s in wanted]
    for stage in order:
        print(f"[stage_times] {stage} ...", file=sys.stderr, flush=True)
        stages[stage] = timed(["dvc", "repro", "-s", "-f", stage], project, logs / f"{stage}.log", env)
        print(f"[stage_times] {stage}: {stages[stage]}", file=sys.stderr, flush=True)
        # written after every stage, so a run stopped part-way still leaves its figures
        partial = {"what": "PARTIAL: stopped before every stage had run", "source": label,
                   "started_utc": started, "load_avg_1_5_15_before": [round(x, 2) for x in load_before],
                   "load_avg_1_5_15_now": [round(x, 2) for x in os.getloadavg()], "stages": stages,
                   "not_run": [s for s in order if s not in stages]}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(partial, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    total = {"wall_s": round(sum(s["wall_s"] for s in stages.values()), 1),
             "cpu_s": round(sum(s["cpu_s"] for s in stages.values()), 1)}
    # a no-op repro means something only once every stage has run in this copy
    noop = [] if wanted else [timed(["dvc", "repro"], project, logs / f"noop_{i}.log", env) for i in range(3)]
    noop_median = sorted(noop, key=lambda r: r["wall_s"])[1] if noop else None
    load_after = os.getloadavg()
    hot = max(stages, key=lambda s: stages[s]["cpu_s"])
    result = {
        "what": ("dvc repro -s -f per stage on the working tree's outputs (--stages)" if wanted else
                 "dvc repro from scratch, stage by stage (dvc repro -s -f), in a temporary copy")
                + "; then a no-op dvc repro x3",
        "source": label,
        "started_utc": started,
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_1_5_15_before": [round(x, 2) for x in load_before],
                    "load_avg_1_5_15_after": [round(x, 2) for x in load_after],
                    "KOGADX_WORKERS": os.environ.get("KOGADX_WORKERS", "(default: CPU count, at most 4)")},
        "stages": stages,
        "total": total,
        "noop_repro": {"runs": noop, "median": noop_median},
        "hot_spot_by_cpu": hot,
        "targets": {"from_scratch_wall_s": 180, "noop_wall_s": 2.0},
    }
    if wanted:
        result["stages_requested"] = sorted(wanted)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    if args.keep:
        print(f"[stage_times] コピーを残しました: {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"# Stage times ({result['source']}, {result['started_utc']})",
        "",
        result["what"] + ".",
        "",
        f"Machine: {m['platform']}, {m['cpus']} CPUs, Python {m['python']}; load average (1/5/15 min) "
        f"{m['load_avg_1_5_15_before']} before, {m['load_avg_1_5_15_after']} after; "
        f"KOGADX_WORKERS={m['KOGADX_WORKERS']}.",
        "CPU = user + system seconds of every process the stage started (workers included). "
        "On a loaded machine wall time rises with the load; CPU seconds are the comparable figure.",
        "",
        "| stage | wall (s) | CPU (s) |",
        "|---|---:|---:|",
    ]
    for name, s in result["stages"].items():
        lines.append(f"| {name} | {s['wall_s']:.1f} | {s['cpu_s']:.1f} |")
    t = result["total"]
    lines.append(f"| **total** | **{t['wall_s']:.1f}** | **{t['cpu_s']:.1f}** |")
    n = result["noop_repro"]["median"]
    noop = "not measured (--stages)" if n is None else f"{n['wall_s']:.1f} s wall, {n['cpu_s']:.1f} s CPU"
    lines += ["", f"No-op `dvc repro` (median of 3): {noop}.",
              f"Hot spot by CPU: **{result['hot_spot_by_cpu']}**. Targets: from scratch ≤ "
              f"{result['targets']['from_scratch_wall_s']} s wall, no-op ≤ {result['targets']['noop_wall_s']} s.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
