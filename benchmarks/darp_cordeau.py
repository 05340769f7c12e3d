"""Benchmark: DARP solver on the Cordeau (2006) a-instances.

Writes ``benchmarks/results/darp_cordeau.csv`` (instance, cost, bks, gap_pct, seconds,
feasible), one JSON per instance under ``benchmarks/results/darp_cordeau/`` (routes in
Cordeau numbering with service-start times) and ``darp_cordeau_summary.json`` (machine,
mean gap on the a2-16 … a5-60 target set).

    .venv/bin/python benchmarks/darp_cordeau.py --time-limit 25
    .venv/bin/python benchmarks/darp_cordeau.py --time-limit 5 --instances a2-16 a3-24

Feasibility is decided by the independent checker (``kogadx.mobility.checker``).
With ``--workers 2`` (default) each instance runs the two-search portfolio
(``solve_darp_portfolio``: GLS + tabu search in parallel processes) within the time limit.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pandas as pd
import typer

from kogadx.io import write_json
from kogadx.mobility.checker import check_solution
from kogadx.mobility.cli import load_cordeau
from kogadx.mobility.darp import solve_darp, solve_darp_portfolio
from kogadx.progress import steps

ROOT = Path(__file__).resolve().parents[1]
TARGET_SET = [f"a{k}-{k * m}" for k in (2, 3, 4, 5) for m in (8, 10, 12)]

app = typer.Typer(add_completion=False)


def _default_data_dir() -> Path:
    env = os.environ.get("KOGADX_SHARED_DIR")
    base = Path(env) if env else ROOT.parent / "shared"
    return base / "benchmarks" / "darp_cordeau2006"


@app.command()
def main(
    time_limit: float = typer.Option(25.0, help="1 インスタンスあたりの探索時間上限 (秒)"),
    instances: list[str] = typer.Option(None, help="対象インスタンス名 (省略時は全 21 件)"),
    data_dir: Path = typer.Option(None, help="darp_cordeau2006 フォルダ"),
    out_dir: Path = typer.Option(ROOT / "benchmarks" / "results", help="結果の出力先"),
    workers: int = typer.Option(2, help="並列探索のプロセス数 (1 なら GLS 単独)"),
) -> None:
    """Cordeau a-インスタンスを解き、コスト・BKS との差・時間・実行可能性を書き出す。"""
    data_dir = data_dir or _default_data_dir()
    bks = pd.read_csv(data_dir / "bks.csv").set_index("instance")["bks_2dp"]
    names = instances or list(bks.index)
    json_dir = out_dir / "darp_cordeau"
    json_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in steps(names, desc="Cordeau DARP 求解", unit="インスタンス"):
        inst = load_cordeau(data_dir / "original" / f"{name}.txt")
        if workers > 1:
            sol = solve_darp_portfolio(inst, time_limit_s=time_limit, workers=workers)
        else:
            sol = solve_darp(inst, time_limit_s=time_limit)
        chk = check_solution(inst, sol.routes, sol.start_times)
        feasible = bool(chk.feasible and sol.status == "solved")
        cost = chk.cost if sol.routes else float("nan")  # no solution → no cost
        gap = 100.0 * (cost / bks[name] - 1.0)
        rows.append(
            {
                "instance": name,
                "cost": round(cost, 4),
                "bks": float(bks[name]),
                "gap_pct": round(gap, 3),
                "seconds": round(sol.seconds, 2),
                "feasible": feasible,
            }
        )
        payload = sol.to_dict() | {
            "bks": float(bks[name]),
            "checker_cost": cost,
            "feasible": feasible,
            "violations": chk.violations,
            "time_limit_s": time_limit,
            "workers": workers,
        }
        write_json(payload, json_dir / f"{name}.json")
        typer.echo(f"{name}: コスト {cost:.2f} (BKS {bks[name]:.2f}, 差 {gap:.2f}%) "
                   f"{sol.seconds:.1f} 秒 実行可能={feasible}")
    table = pd.DataFrame(rows)
    csv_path = out_dir / "darp_cordeau.csv"
    if instances and csv_path.exists():  # partial run: update those rows only
        old = pd.read_csv(csv_path)
        table = pd.concat([old[~old["instance"].isin(names)], table]).set_index("instance")
        table = table.loc[[n for n in bks.index if n in table.index]].reset_index()
    table.to_csv(csv_path, index=False, lineterminator="\n")
    target = table[table["instance"].isin(TARGET_SET)]
    summary = {
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "python": platform.python_version(), "note": "2 コアを他の作業と共有して計測"},
        "time_limit_s": time_limit,
        "workers": workers,
        "target_set": TARGET_SET,
        "target_mean_gap_pct": round(float(target["gap_pct"].mean()), 3) if len(target) else None,
        "target_max_seconds": round(float(target["seconds"].max()), 2) if len(target) else None,
        "all_mean_gap_pct": round(float(table["gap_pct"].mean()), 3),
        "all_feasible": bool(table["feasible"].all()),
        "n_instances": int(len(table)),
    }
    write_json(summary, out_dir / "darp_cordeau_summary.json")
    typer.echo(f"目標セット平均差 {summary['target_mean_gap_pct']}%、全件実行可能={summary['all_feasible']}")


if __name__ == "__main__":
    app()
