"""Scale benchmark (issue #25, items 3 and 4): synthetic Koga at ×1, ×10, ×100 — wall time and peak
memory per stage, and the pandas and Dask engines' outputs compared byte for byte.

Worlds. The generator scales with ``synthesize.scale`` (residents, members and ride requests,
businesses, survey respondents and 現況届 households; stops, towns and the weather do not). ×1 is
its output at scale 1 (``--x1-from data/raw``, as ``dvc repro synthesize`` wrote it, or a fresh
run). On the shared machine (2 cores, load average about 10) a ×1 synthesize had not finished
after 5 minutes of wall time at a few per cent of a core, so ×10 and ×100 are tilings of the ×1
world (``--tile-from 1``; ``--synthesize-max 10`` runs the generator at ×10 instead): 10 and 100
copies of every table of people, each copy with fresh identifiers — 個人番号 (body shifted per
copy, check digit recomputed), 住民票コード (shifted per copy, the same shift in every table that
carries it), 世帯番号, and every prefixed ID (会員ID K000123 → K007000123 for copy 7; 予約ID,
事業所ID, 回答ID, 受給者番号, 受付番号) so that references stay inside a copy. Stops, towns and the
weather are the city's and stay single. Values that do not have the ID's form (the generator's
planted faults) are copied unchanged, so a planted fault stays a fault. Copy 0 is the source
unchanged. The tiling is deterministic (no random step): the same source gives the same bytes.
A shifted 住民票コード can meet another resident's code by chance (11 digits): such records are
quarantined as key conflicts, which ingest counts.

Stages. Each stage runs as the pipeline runs it, in a fresh interpreter
(``python pipelines/<stage>.py ...``), with params written beside the world (``compute.engine``:
pandas or dask; Dask on a LocalCluster of ``--workers`` processes with ``--worker-memory`` each).
Wall time, and peak memory of the whole process tree (the stage and its Dask workers: the sum of
their resident set sizes, sampled every 0.2 s with psutil; shared pages counted once per process,
so the figure is an upper bound). A run whose tree passes ``--memory-limit-mb`` is stopped and
recorded as such. The pseudonym key is KOGADX_PSEUDONYM_KEY when set, else a random key made for
the run, the same for both engines (parallel runs of one world must share it: set it); tiled
worlds carry no demo marker.

Since the partitioned stages (issue #25, item 4: partitioned reading with file lines, partitions
set aside on disk, checks across records on hashes and key columns, Parquet written in fixed row
groups) both engines run the same partitions; ``pseudonymize.chunk_rows`` is set to
``--partition-rows`` for both so that a Dask worker holds a few partitions of any stage.

Results: benchmarks/results/scale.json, scale.md and scale.png (machine, nproc and load noted).
Wall time depends on the other jobs sharing the cores; the CPU seconds of the process tree
(getrusage of the waited-for children) do not, and the ×10/×1 criterion is checked on both.
Run (2 shared cores: nice):
  nice .venv/bin/python benchmarks/scale.py --x1-from data/raw --factors 1 10 --engines pandas dask
  nice .venv/bin/python benchmarks/scale.py --factors 100 --engines dask --name scale_x100 [--reuse-world]
  nice .venv/bin/python benchmarks/scale.py --factors 10 --synthesize-max 10 --synthesize-only --name scale_synth
  .venv/bin/python benchmarks/scale.py --factors 0 --merge --merge-from benchmarks/results/scale_x100.json
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import platform
import re
import resource
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import yaml

from kogadx.idcodes import my_number_check_digit
from kogadx.io import detect_export_encoding, write_json
from kogadx.progress import steps

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
POLICY = ROOT / "src" / "kogadx" / "privacy" / "policy.yaml"
STAGES = ("synthesize", "ingest", "pseudonymize", "features")
ENGINE_STAGES = ("ingest", "pseudonymize", "features")
CRITERION = 12.0  # ×10 may cost at most 12× the ×1 run, per stage (issue #25)

_PREFIXED = re.compile(r"^([A-Z]+)(\d+)$")


# ------------------------------------------------------------------------------ tiling
def prefixed_id(value: str, copy: int) -> str:
    """K000123 → K007000123 for copy 7 (longer than any source ID: no copy meets another)."""
    match = _PREFIXED.match(value)
    return f"{match.group(1)}{copy:03d}{match.group(2)}" if match and copy else value


def resident_code(value: str, copy: int) -> str:
    """住民票コード shifted per copy (11 digits), the same in every table."""
    if not (copy and len(value) == 11 and value.isdigit()):
        return value
    return f"{(int(value) + copy * 7_919_000_003) % 10**11:011d}"


def my_number(value: str, copy: int) -> str:
    """個人番号: the 11-digit body shifted per copy, the check digit recomputed."""
    if not (copy and len(value) == 12 and value.isdigit()):
        return value
    body = f"{(int(value[:11]) + copy * 1_234_567_891) % 10**11:011d}"
    return body + str(my_number_check_digit(body))


def household_id(value: str, copy: int) -> str:
    """世帯番号 (up to 12 digits): the copy number in front."""
    return f"{copy:02d}{value}" if copy and value.isdigit() and len(value) <= 10 else value


ID_RULES: dict[str, dict[str, Callable[[str, int], str]]] = {
    "residents": {"個人番号": my_number, "住民票コード": resident_code, "世帯番号": household_id},
    "members": {"会員ID": prefixed_id, "住民票コード": resident_code},
    "ride_requests": {"予約ID": prefixed_id, "会員ID": prefixed_id},
    "businesses": {"事業所ID": prefixed_id},
    "business_energy": {"事業所ID": prefixed_id},
    "survey": {"回答ID": prefixed_id, "住民票コード": resident_code},
    "counter_households": {"受給者番号": prefixed_id, "住民票コード": resident_code},
    "counter_log": {"受付番号": prefixed_id, "受給者番号": prefixed_id},
}
# Tables of the city itself, not of its people: one copy.
SHARED_TABLES = ("stops",)


def tile_table(source: Path, target: Path, copies: int, rules: dict[str, Callable[[str, int], str]]) -> int:
    """Write ``copies`` copies of a CSV export (same encoding, CRLF) with fresh IDs; returns rows written."""
    encoding = detect_export_encoding(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with source.open(encoding=encoding, newline="") as fh:
        records = list(csv.reader(fh))
    header, body = records[0], records[1:]
    positions = {i: rules[name] for i, name in enumerate(header) if name in rules}
    out_encoding = "utf-8-sig" if encoding.startswith("utf-8") else encoding
    with target.open("w", encoding=out_encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        for copy in range(copies):
            for record in body:
                if copy and positions:
                    record = [positions[i](v, copy) if i in positions and i < len(record) else v
                              for i, v in enumerate(record)]
                writer.writerow(record)
                rows += 1
    return rows


def tile_world(source: Path, target: Path, copies: int, tables: dict[str, str]) -> dict[str, int]:
    """The raw folder ``source`` tiled ``copies`` times into ``target`` (see the module doc)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.csv", "SYNTHETIC_DEMO.json"))
    for path in source.rglob("*.csv"):  # the weather and any other CSV not in a contract: as it is
        if str(path.relative_to(source)) not in tables.values():
            (target / path.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / path.relative_to(source))
    rows = {}
    for table, file in steps(sorted(tables.items()), desc="タイル化", unit="表"):
        n = 1 if table in SHARED_TABLES else copies
        rows[table] = tile_table(source / file, target / file, n, ID_RULES.get(table, {}))
    return rows


# ------------------------------------------------------------------------------ measuring
def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (Dask workers included)."""
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def measure(cmd: list[str], env: dict[str, str], log: Path, limit_mb: float) -> dict[str, Any]:
    """Run ``cmd``; wall seconds, peak tree RSS (MB), exit code, load average before and after."""
    load_before = os.getloadavg()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    peak = 0
    stopped = False
    with log.open("a", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        popen = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        process = psutil.Process(popen.pid)
        while popen.poll() is None:
            try:
                peak = max(peak, tree_rss(process))
            except psutil.NoSuchProcess:
                break
            if peak > limit_mb * 2**20 and not stopped:
                stopped = True
                for proc in [*process.children(recursive=True), process]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        proc.kill()
            time.sleep(0.2)
        code = popen.wait()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the stage and every descendant it waited for (its Dask workers): the cost
    # that does not depend on how many other jobs share the cores.
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {"seconds": round(time.perf_counter() - started, 1), "cpu_seconds": round(cpu, 1),
            "peak_mb": round(peak / 2**20, 1),
            "exit_code": code, "stopped_over_memory_limit": stopped,
            "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()]}


def digest(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of every file under ``paths`` (folders recursively), by path below the run folder."""
    out = {}
    for base in paths:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for file in files:
            if file.is_file():
                out[str(file.relative_to(base.parent))] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def write_params(path: Path, overrides: dict[str, Any]) -> Path:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    for section, values in overrides.items():
        params.setdefault(section, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def stage_commands(raw: Path, run: Path) -> dict[str, tuple[list[str], list[Path]]]:
    """The engine stages' command lines (as dvc.yaml runs them) and the outputs to hash."""
    py = sys.executable
    p = run / "pseudonymized"
    return {
        "ingest": ([py, "pipelines/ingest.py", str(raw), str(run / "validated"), str(run / "ingest.json")],
                   [run / "validated", run / "ingest.json"]),
        "pseudonymize": ([py, "pipelines/pseudonymize.py", str(run / "validated"), str(POLICY), str(p),
                          str(run / "secure"), str(run / "audit"), str(raw)],
                         [p, run / "audit", run / "secure"]),
        "features": ([py, "pipelines/features.py", str(p / "ride_requests.parquet"), str(p / "stops.parquet"),
                      str(p / "weather.parquet"), str(p / "towns.parquet"), str(p / "residents.parquet"),
                      str(run / "features" / "demand_panel.parquet")], [run / "features"]),
    }


def machine() -> dict[str, Any]:
    """The machine and what else runs on it (process names only, never their arguments)."""
    busy = []
    procs = list(psutil.process_iter(["name", "username"]))
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.cpu_percent(None)
    time.sleep(1.0)
    for proc in procs:
        try:
            share = proc.cpu_percent(None)
        except psutil.Error:
            continue
        if share >= 20:
            busy.append(f"{proc.info['name']} {share:.0f}%")
    return {"platform": platform.platform(), "python": platform.python_version(), "nproc": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()], "other_busy_processes": sorted(busy)}


# ------------------------------------------------------------------------------ the benchmark
def run_factor(factor: int, args: argparse.Namespace, env: dict[str, str], log: Path) -> dict[str, Any]:
    world = args.work / f"x{factor}"
    raw = world / "raw"
    result: dict[str, Any] = {"factor": factor, "stages": {}}
    ingest_tables = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["ingest"]["tables"]
    if factor == 1 and args.x1_from is not None:
        result["world"] = f"{args.x1_from} (synthesize.scale = 1 の出力, dvc repro synthesize)"
        if raw.exists():
            shutil.rmtree(raw)
        shutil.copytree(args.x1_from, raw)
    elif factor <= args.synthesize_max:
        params = write_params(world / "params_synth.yaml", {"synthesize": {"scale": float(factor)}})
        cmd = [sys.executable, "pipelines/synthesize.py", str(raw), str(world / "truth")]
        result["world"] = f"synthesize.scale = {factor}"
        if args.reuse_world and raw.is_dir():
            result["stages"]["synthesize"] = {"reused": True}
        else:
            synth_env = {**env, "KOGADX_PARAMS": str(params)}
            result["stages"]["synthesize"] = measure(cmd, synth_env, log, args.memory_limit_mb)
            result["stages"]["synthesize"]["command"] = " ".join(cmd[1:])
    else:
        source = args.work / f"x{args.tile_from}" / "raw"
        copies = factor // args.tile_from
        result["world"] = f"×{args.tile_from} の世界を {copies} 枚タイル化 (新しい ID)"
        if not (args.reuse_world and raw.is_dir()):
            started = time.perf_counter()
            rows = tile_world(source, raw, copies, ingest_tables)
            result["stages"]["tile"] = {"seconds": round(time.perf_counter() - started, 1), "rows": rows,
                                        "command": f"tile_world(x{args.tile_from}/raw, copies={copies})"}
    result["raw_mb"] = round(sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) / 2**20, 1)
    digests: dict[str, dict[str, dict[str, str]]] = {}
    for engine in [] if args.synthesize_only else args.engines:
        run = world / f"{engine}{args.tag}"
        if run.exists():
            shutil.rmtree(run)
        compute = {"engine": engine, "n_workers": args.workers, "memory_limit": args.worker_memory,
                   "partition_rows": args.partition_rows}
        # pseudonymize cuts its tables by its own chunk_rows: the same partition size, so that a
        # Dask worker holds a few partitions of any stage within its memory limit.
        params = write_params(run / "params.yaml", {"compute": compute,
                                                    "pseudonymize": {"chunk_rows": args.partition_rows}})
        stage_env = {**env, "KOGADX_PARAMS": str(params)}
        for stage, (cmd, outputs) in stage_commands(raw, run).items():
            measured = measure(cmd, stage_env, log, args.memory_limit_mb)
            measured["command"] = " ".join(cmd[1:])
            result["stages"][f"{stage}/{engine}"] = measured
            print(f"×{factor} {stage} ({engine}): {measured['seconds']} 秒, 最大 {measured['peak_mb']} MB, "
                  f"終了コード {measured['exit_code']}", file=sys.stderr, flush=True)
            if measured["exit_code"] != 0:
                break
            digests.setdefault(stage, {})[engine] = digest(outputs)
    result["identical"] = compare(digests)
    if args.keep_outputs is False:
        for engine in args.engines:
            shutil.rmtree(world / f"{engine}{args.tag}", ignore_errors=True)
    return result


def compare(digests: dict[str, dict[str, dict[str, str]]]) -> dict[str, Any]:
    """Per stage: do the pandas and Dask runs' files have the same SHA-256?"""
    out = {}
    for stage, by_engine in digests.items():
        if {"pandas", "dask"} <= by_engine.keys():
            a, b = by_engine["pandas"], by_engine["dask"]
            differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            out[stage] = {"files": len(a), "differing": differing, "identical": not differing,
                          "sha256_of_all": hashlib.sha256(json.dumps(sorted(b.items())).encode()).hexdigest()}
    return out


def compare_kept(factor: str, pandas_run: Path, dask_run: Path, raw: Path) -> dict[str, Any]:
    """The comparison of two kept runs of one world made by separate invocations (run in parallel)."""
    digests: dict[str, dict[str, dict[str, str]]] = {}
    for engine, run in (("pandas", pandas_run), ("dask", dask_run)):
        for stage, (_, outputs) in stage_commands(raw, run).items():
            if all(p.exists() for p in outputs):
                digests.setdefault(stage, {})[engine] = digest(outputs)
    return compare(digests)


def ratios(factors: dict[str, Any]) -> dict[str, Any]:
    """×10 / ×1 per stage (time and memory) against the criterion."""
    if "1" not in factors or "10" not in factors:
        return {}
    out = {}
    one, ten = factors["1"]["stages"], factors["10"]["stages"]
    for stage in one.keys() & ten.keys():
        if "seconds" in one[stage] and "seconds" in ten[stage] and one[stage]["seconds"] > 0:
            ratio = ten[stage]["seconds"] / one[stage]["seconds"]
            memory = ten[stage]["peak_mb"] / one[stage]["peak_mb"]
            cpu = ten[stage].get("cpu_seconds", 0) / max(one[stage].get("cpu_seconds", 0), 0.1)
            out[stage] = {"time_ratio": round(ratio, 2), "cpu_ratio": round(cpu, 2), "memory_ratio": round(memory, 2),
                          "meets_criterion": ratio <= CRITERION, "meets_criterion_cpu": cpu <= CRITERION}
    return dict(sorted(out.items()))


def write_markdown(result: dict[str, Any], path: Path) -> None:
    m = result["machine"]
    lines = ["# 規模の拡大とコスト (issue #25)", "",
             f"- マシン: {m['platform']}, nproc {m['nproc']}, メモリ {m['memory_gb']} GB, "
             f"開始時の負荷 (1/5/15 分) {m['load_average']}",
             f"- ほかに CPU を使っていたプロセス: {', '.join(m['other_busy_processes']) or 'なし'}",
             "- 各段階は新しいプロセスで実行 (python pipelines/<stage>.py); "
             "メモリはプロセス木 (Dask ワーカー込み) の RSS 合計の最大",
             *[f"- ×{f} の世界: {b.get('world', '—')} (生データ {b.get('raw_mb', '—')} MB)"
               for f, b in sorted(result["factors"].items(), key=lambda kv: int(kv[0]))],
             "- タイル化の方法 (ID の振り直し) は benchmarks/scale.py の冒頭; "
             "CPU 時間はプロセス木 (待ち合わせた子プロセスを含む) の user + sys で、ほかの負荷に左右されにくい", "",
             "| 倍率 | 段階 | エンジン | 時間 (秒) | CPU 時間 (秒) | 最大メモリ (MB) | 終了 | 負荷 (前→後, 1 分) |",
             "|---:|---|---|---:|---:|---:|---|---|"]
    for factor, block in sorted(result["factors"].items(), key=lambda kv: int(kv[0])):
        for stage, s in block["stages"].items():
            if "seconds" not in s:
                continue
            name, _, engine = stage.partition("/")
            status = ("中止 (メモリ上限)" if s.get("stopped_over_memory_limit")
                      else "成功" if s.get("exit_code", 0) == 0 else f"失敗 {s['exit_code']}")
            load = f"{s['load_before'][0]} → {s['load_after'][0]}" if "load_before" in s else "—"
            lines.append(f"| ×{factor} | {name} | {engine or '—'} | {s['seconds']} | {s.get('cpu_seconds', '—')} "
                         f"| {s.get('peak_mb', '—')} "
                         f"| {status} | {load} |")
    lines += ["", "## pandas と Dask の出力の一致 (SHA-256)", "",
              "| 倍率 | 段階 | ファイル数 | 一致 |", "|---:|---|---:|---|"]
    for factor, block in sorted(result["factors"].items(), key=lambda kv: int(kv[0])):
        for stage, ident in block.get("identical", {}).items():
            same = "一致" if ident["identical"] else "不一致: " + ", ".join(ident["differing"])
            lines.append(f"| ×{factor} | {stage} | {ident['files']} | {same} |")
    if result.get("ratios"):
        lines += ["", f"## ×10 / ×1 (基準: {CRITERION:g} 倍以下)", "",
                  "| 段階 | 時間の比 | CPU 時間の比 | メモリの比 | 基準 (時間 / CPU 時間) |",
                  "|---|---:|---:|---:|---|"]
        for stage, r in result["ratios"].items():
            verdict = " / ".join("満たす" if r[k] else "満たさない" for k in ("meets_criterion", "meets_criterion_cpu"))
            lines.append(f"| {stage} | {r['time_ratio']} | {r['cpu_ratio']} | {r['memory_ratio']} | {verdict} |")
    if result.get("notes"):
        lines += ["", "## 注記", "", *[f"- {n}" for n in result["notes"]]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def plot(result: dict[str, Any], path: Path) -> None:
    from kogadx.plotting import close_figure, save_figure, setup

    plt = setup()
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.5))
    series: dict[str, list[tuple[int, float, float]]] = {}
    for factor, block in result["factors"].items():
        for stage, s in block["stages"].items():
            if "seconds" in s and s.get("exit_code", 0) == 0:
                series.setdefault(stage, []).append((int(factor), s.get("cpu_seconds", s["seconds"]),
                                                     s.get("peak_mb", float("nan"))))
            elif s.get("stopped_over_memory_limit"):
                ax_m.plot([int(factor)], [s["peak_mb"]], "x", color="red", markersize=10,
                          label=f"{stage} ×{factor} (4 GB で停止)")
    for stage, points in sorted(series.items()):
        points.sort()
        xs = [p[0] for p in points]
        style = "--" if stage.endswith("/dask") else "-"
        ax_t.plot(xs, [p[1] for p in points], style, marker="o", label=stage)
        ax_m.plot(xs, [p[2] for p in points], style, marker="o", label=stage)
    for ax, title, unit in ((ax_t, "段階ごとの CPU 時間 (プロセス木)", "CPU 秒"),
                            (ax_m, "段階ごとの最大メモリ (プロセス木)", "MB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("合成古賀市の規模 (×1 = 市全体)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    ax_m.axhline(4096, color="red", linewidth=1, label="4 GB")
    if series:
        ax_t.legend(fontsize=7)
    ax_m.legend(fontsize=7, loc="lower right")
    m = result["machine"]
    fig.suptitle(f"規模とコスト (nproc {m['nproc']}, 開始時の負荷 {m['load_average'][0]}, 実線 pandas・破線 Dask)")
    fig.tight_layout()
    save_figure(fig, path)
    close_figure(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--engines", nargs="+", default=["pandas", "dask"], choices=["pandas", "dask"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/kogadx_scale"))
    parser.add_argument("--synthesize-max", type=int, default=1, help="larger factors are tiled")
    parser.add_argument("--tile-from", type=int, default=1)
    parser.add_argument("--x1-from", type=Path, help="use this raw folder (synthesize.scale = 1) as the ×1 world")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="1GiB")
    parser.add_argument("--partition-rows", type=int, default=100_000)
    parser.add_argument("--memory-limit-mb", type=float, default=4096)
    parser.add_argument("--reuse-world", action="store_true", help="keep an existing raw folder")
    parser.add_argument("--synthesize-only", action="store_true",
                        help="measure the generator (--synthesize-max) and stop: no engine stage")
    parser.add_argument("--keep-outputs", action="store_true")
    parser.add_argument("--merge", action="store_true", help="add to the factors already in scale.json")
    parser.add_argument("--note", action="append", default=[])
    parser.add_argument("--tag", default="", help="suffix of the run folders (parallel runs of one world)")
    parser.add_argument("--compare-runs", nargs="*", default=[], help="FACTOR:PANDAS_DIR:DASK_DIR of kept runs")
    parser.add_argument("--name", default="scale", help="results file stem in benchmarks/results")
    parser.add_argument("--merge-from", type=Path, nargs="*", default=[],
                        help="results JSON files whose factors are added (another run of this script)")
    args = parser.parse_args()
    if args.x1_from is not None and not args.x1_from.is_absolute():
        args.x1_from = ROOT / args.x1_from  # make bench runs from anywhere
    args.work.mkdir(parents=True, exist_ok=True)
    # One key for the run; runs of one world in parallel (--tag) must share it (set it in the
    # environment), or their pseudonyms differ by design.
    key = os.environ.get("KOGADX_PSEUDONYM_KEY") or secrets.token_hex(32)
    env = {**os.environ, "KOGADX_PSEUDONYM_KEY": key, "KOGADX_PROGRESS": "lines",
           "MLFLOW_TRACKING_URI": f"sqlite:///{args.work / 'mlflow.db'}",
           "KOGADX_MLFLOW_ARTIFACTS": str(args.work / "mlartifacts")}
    log = args.work / "scale.log"
    result_path = RESULTS / f"{args.name}.json"
    result: dict[str, Any] = {"benchmark": "scale", "factors": {}, "notes": []}
    if args.merge and result_path.is_file():
        result = json.loads(result_path.read_text(encoding="utf-8"))
    for other in args.merge_from:
        extra = json.loads(other.read_text(encoding="utf-8"))
        for factor, block in extra["factors"].items():  # stages of one world from several runs
            mine = result["factors"].setdefault(factor, {"factor": int(factor), "stages": {}})
            mine["stages"].update(block["stages"])
            for key in ("world", "raw_mb"):
                mine.setdefault(key, block.get(key))
            mine.setdefault("identical", {}).update(block.get("identical", {}))
        result.setdefault("runs", []).extend(extra.get("runs", []))
    result["machine"] = machine()
    result.setdefault("runs", []).append({"command": "python benchmarks/scale.py " + " ".join(sys.argv[1:]),
                                          "machine": result["machine"]})
    for spec in args.compare_runs:  # FACTOR:PANDAS_RUN_DIR:DASK_RUN_DIR
        factor, pandas_run, dask_run = spec.split(":")
        block = result["factors"].setdefault(factor, {"factor": int(factor), "stages": {}})
        block.setdefault("identical", {}).update(
            compare_kept(factor, Path(pandas_run), Path(dask_run), args.work / f"x{factor}" / "raw"))
    for factor in args.factors:
        if factor:  # --factors 0: only merge and redraw
            result["factors"][str(factor)] = run_factor(factor, args, env, log)
        result["ratios"] = ratios(result["factors"])
        result["notes"] = list(dict.fromkeys([*result.get("notes", []), *args.note]))
        write_json(result, result_path)
        write_markdown(result, RESULTS / f"{args.name}.md")
        plot(result, RESULTS / f"{args.name}.png")
    print(json.dumps(result.get("ratios"), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
