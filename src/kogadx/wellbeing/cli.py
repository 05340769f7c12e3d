"""``kogadx wellbeing …``: look at the well-being stage's outputs from the terminal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from kogadx.wellbeing.categories import CATEGORIES, INDICATOR_LABELS

app = typer.Typer(help="地域幸福度（Well-Being 指標）の調査・地区指標・要因分析", no_args_is_help=True)


@app.command("categories")
def categories() -> None:
    """LWC の24カテゴリーと因子群を表示します。"""
    for i, cat in enumerate(CATEGORIES, start=1):
        typer.echo(f"{i:2d}. {cat.name_ja}（{cat.group}）  列名: {cat.key}")


@app.command("summary")
def summary(
    indicators: Path = typer.Argument(..., help="district_indicators.parquet のパス"),
    indicator: str = typer.Option("happiness", help="指標の列名（例: happiness, mobility）"),
) -> None:
    """地区別の重み付き平均・信頼区間・縮小推定を表示します（町丁目コード順）。"""
    if not indicators.is_file():
        typer.echo(f"ファイルがありません: {indicators}", err=True)
        raise typer.Exit(1)
    table = pd.read_parquet(indicators)
    if indicator not in set(table["indicator"]):
        typer.echo(f"指標 '{indicator}' はありません。使える指標: {sorted(set(table['indicator']))}", err=True)
        raise typer.Exit(1)
    sub = table[table["indicator"] == indicator]
    typer.echo(f"{INDICATOR_LABELS.get(indicator, indicator)}（地区別）")
    for row in sub.itertuples():
        typer.echo(
            f"{row.district:<8} n={int(row.n):4d}  平均 {row.mean:5.2f} [{row.ci_low:5.2f}, {row.ci_high:5.2f}]"
            f"  縮小推定 {row.mean_eb:5.2f} [{row.ci_low_eb:5.2f}, {row.ci_high_eb:5.2f}]"
        )
