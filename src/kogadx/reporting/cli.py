"""`kogadx report …`: render, check in a browser, and print reports to PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="政策担当者向けレポート (HTML / PDF) の作成と確認", no_args_is_help=True)


def _require_files(reports: list[Path]) -> None:
    """Stop before starting Chromium when a report is missing (the kogadx handler prints it)."""
    from kogadx.io import InputFileError

    for report in reports:
        if not report.is_file():
            raise InputFileError(f"{report}: レポートのファイルがありません")


@app.command("check")
def check(
    reports: Annotated[list[Path], typer.Argument(help="確認する HTML レポート")],
    screenshots: Annotated[Path | None, typer.Option(help="スクリーンショットの保存先フォルダ")] = None,
) -> None:
    """レポートをヘッドレス Chromium で開き、外部通信・画像切れ・コード表示・豆腐を調べます。"""
    from kogadx.reporting.browser import check_reports

    _require_files(reports)
    failed = False
    for result in check_reports(reports, screenshots):
        if result.ok:
            typer.echo(f"問題なし: {result.report} (画像 {result.n_images} 枚、文字 {result.n_characters} 種)")
        else:
            failed = True
            for problem in result.problems:
                typer.echo(f"{result.report}: {problem}", err=True)
    raise typer.Exit(1 if failed else 0)


@app.command("pdf")
def pdf(
    reports: Annotated[list[Path], typer.Argument(help="PDF にする HTML レポート")],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="PDF の出力フォルダ")] = Path("reports/pdf"),
) -> None:
    """HTML レポートを A4 の PDF に印刷します (ヘッドレス Chromium)。"""
    from kogadx.reporting.pdf import print_pdfs

    _require_files(reports)
    for path in print_pdfs(reports, out_dir):
        typer.echo(f"PDF を書き出しました: {path}")


if __name__ == "__main__":
    app()
