"""``kogadx regulation …``: scan a folder of laws / ordinances into an Excel review list."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="アナログ規制の点検 (法令XML・例規HTML・テキストの条項を類型別に抽出)", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """アナログ規制の点検 (法令XML・例規HTML・テキストの条項を類型別に抽出)."""
    # A callback keeps `scan` a subcommand even though it is the only one.


def _stage_params() -> dict:
    """params.yaml の regulation_scan 節 (プロジェクト外で使うときは既定値)."""
    from kogadx.params import load_params

    try:
        return load_params("regulation_scan")
    except (FileNotFoundError, KeyError):
        return {}


@app.command("scan")
def scan(
    folder: Path = typer.Argument(..., help="法令XML (.xml)・例規HTML (.html)・テキスト (.txt) を含むフォルダ"),
    out: Path = typer.Option(Path("review.xlsx"), "--out", "-o", help="出力するExcelファイル"),
    model_path: Path | None = typer.Option(
        None, "--model", help="学習済みモデル。省略時は models/regulation/classifier.joblib、無ければ同梱の学習データで学習"
    ),
    threshold: float | None = typer.Option(None, "--threshold", help="候補とするスコアの下限 (0〜1, 既定 0.5)"),
) -> None:
    """フォルダ内の条項を走査し、アナログ規制の見直し候補をExcelに書き出します。"""
    from kogadx.io import InputFileError
    from kogadx.regulation.dataset import load_training_data
    from kogadx.regulation.model import fit_classifier, load_model
    from kogadx.regulation.review import write_review_workbook
    from kogadx.regulation.scan import resolve_params, scan_folder

    params = resolve_params(_stage_params())
    if threshold is not None:
        params["threshold"] = threshold
    if model_path is None:
        from kogadx.paths import find_project_root

        trained = find_project_root() / "models" / "regulation" / "classifier.joblib"
        model_path = trained if trained.is_file() else None
    if model_path is not None:
        if not model_path.is_file():
            typer.echo(f"モデルファイルがありません: {model_path}", err=True)
            raise typer.Exit(code=2)
        model = load_model(model_path)
    else:
        typer.echo("同梱の学習データで分類器を学習しています…")
        model = fit_classifier(load_training_data(), params)
    try:
        result = scan_folder(folder, model, params)
    except InputFileError as exc:
        typer.echo(f"読み込みエラー: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    write_review_workbook(result.review, result.summary, out)
    typer.echo(
        f"{result.clauses['source_file'].nunique()} ファイル・{len(result.clauses)} 条項を走査し、"
        f"見直し候補 {len(result.review)} 件を {out} に書き出しました。"
    )
