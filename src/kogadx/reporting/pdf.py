"""Print HTML reports to A4 PDF with headless Chromium (the page's ``@media print`` rules apply:
each section heading starts a new page, the provenance footer gets its own page).

    python -m kogadx.reporting.pdf --out-dir reports/pdf reports/norute.html reports/co2.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kogadx.reporting.browser import launch_chromium


def print_pdfs(reports: list[Path], out_dir: Path, chromium_path: str | None = None) -> list[Path]:
    """Write ``out_dir/<report>.pdf`` for each HTML report (A4, backgrounds printed)."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium_path)
        try:
            for report in reports:
                if not report.is_file():
                    raise FileNotFoundError(
                        f"{report}: レポートがありません (先に dvc repro report を実行してください)")
                page = browser.new_page()
                page.route(lambda url: not url.startswith(("file:", "data:", "about:")), lambda r: r.abort())
                page.goto(report.resolve().as_uri(), wait_until="load")
                page.evaluate("document.fonts.ready.then(() => true)")
                out = out_dir / f"{report.stem}.pdf"
                page.pdf(path=str(out), format="A4", print_background=True, prefer_css_page_size=True)
                page.close()
                written.append(out)
        finally:
            browser.close()
    return written


def main(
    reports: Annotated[list[Path], typer.Argument(help="PDF にする HTML レポート")],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="PDF の出力フォルダ")] = Path("reports/pdf"),
    chromium: Annotated[str | None, typer.Option(help="Chromium の実行ファイル (既定: /usr/bin/chromium)")] = None,
) -> None:
    """HTML レポートを A4 の PDF に印刷します (ヘッドレス Chromium)。"""
    for path in print_pdfs(reports, out_dir, chromium):
        typer.echo(f"PDF を書き出しました: {path}")


if __name__ == "__main__":
    typer.run(main)
