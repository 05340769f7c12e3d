"""CLI of the mobility domain; mounted by the lead as ``kogadx darp ...``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from kogadx.mobility.model import DarpInstance

app = typer.Typer(
    help="デマンド交通 (乗合い送迎, DARP) の配車計算。Cordeau 形式のインスタンスを解きます。",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _group() -> None:
    """デマンド交通 (乗合い送迎, DARP) の配車計算。"""


def load_cordeau(path: str | Path) -> DarpInstance:
    """Read one Cordeau instance file (see :func:`kogadx.mobility.cordeau.parse_cordeau`)."""
    from kogadx.io import InputFileError
    from kogadx.mobility.cordeau import parse_cordeau

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: 読み込めません ({exc})") from exc
    return parse_cordeau(text, path.stem, str(path))


@app.command("solve")
def solve(
    file: Path = typer.Argument(..., help="Cordeau 形式のインスタンスファイル"),  # a missing one: load_cordeau says so
    time_limit: float = typer.Option(10.0, "--time-limit", min=0.1, help="探索時間の上限 (秒)"),
    out: Path | None = typer.Option(None, "--out", help="解を書き出す JSON ファイル (省略時は表示のみ)"),
    workers: int = typer.Option(1, "--workers", min=1,
                                help="並列探索のプロセス数 (2 以上で GLS とタブー探索を並列実行)"),
) -> None:
    """インスタンスを解き、独立チェッカーで実行可能性を確認して、ルートと各地点のサービス開始時刻を
    JSON に書き出します。"""
    from kogadx.io import InputFileError, write_json
    from kogadx.mobility.checker import check_solution
    from kogadx.mobility.darp import solve_darp, solve_darp_portfolio

    try:
        instance = load_cordeau(file)
    except InputFileError as exc:
        typer.echo(f"エラー: {exc}", err=True)
        raise typer.Exit(2) from exc
    if workers > 1:
        solution = solve_darp_portfolio(instance, time_limit_s=time_limit, workers=workers)
    else:
        solution = solve_darp(instance, time_limit_s=time_limit)
    check = check_solution(instance, solution.routes, solution.start_times)
    feasible = bool(check.feasible and solution.status == "solved")
    payload = solution.to_dict() | {"feasible": feasible, "violations": check.violations}
    if out is not None:
        write_json(payload, out)
    used = sum(1 for r in solution.routes if len(r) > 2)
    typer.echo(
        f"{instance.name}: 総距離 {check.cost:.2f}、使用車両 {used}/{instance.n_vehicles} 台、"
        f"計算 {solution.seconds:.1f} 秒、実行可能 = {'はい' if feasible else 'いいえ'}"
    )
    for msg in check.violations[:10]:
        typer.echo(f"  違反: {msg}")
    if not feasible:
        raise typer.Exit(1)
