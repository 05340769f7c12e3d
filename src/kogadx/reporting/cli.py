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


@app.command("business-sheet")
def business_sheet(
    business: Annotated[str, typer.Option("--business", help="事業所 ID (例: B0001)")],
    out: Annotated[Path | None, typer.Option("--out", help="出力する HTML (既定: reports/business/<ID>.html)")] = None,
) -> None:
    """一つの事業所だけに渡す CO2 シートを作ります (公開する報告書には事業所別の情報を載せません)。"""
    from kogadx.params import load_params, read_params_file
    from kogadx.paths import find_project_root
    from kogadx.reporting.page import footer_html
    from kogadx.reporting.params import ReportParams
    from kogadx.reporting.provenance import collect_provenance, synthetic_input
    from kogadx.reporting.render import render_report

    root = find_project_root()
    params = load_params(ReportParams)
    metrics, tables = root / "metrics" / "co2.json", root / "data" / "features" / "co2"
    _require_files([metrics])
    synthetic = synthetic_input(root / "metrics")
    prov = collect_provenance(read_params_file(), ("co2", "report"), [metrics, tables], root, synthetic=synthetic)
    page = render_report(root / "notebooks" / "reports" / "co2_business.py",
                         {"co2_metrics": str(metrics), "co2_tables": str(tables), "business_id": business},
                         f"事業所別 CO2 シート ({business})", footer_html(prov), cwd=root,
                         max_bytes=int(params.max_mb * 1_000_000), synthetic=synthetic)
    target = out or root / "reports" / "business" / f"{business}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(page)
    typer.echo(f"事業所 {business} のシートを書き出しました: {target} (この事業所にだけ渡してください)")


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
