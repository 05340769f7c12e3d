"""``kogadx regulation …``: scan a folder of laws / ordinances into an Excel review list; rebuild
the embedded training set (maintainers)."""

from __future__ import annotations

from pathlib import Path

import typer

from kogadx.regulation.params import RegulationScanParams

app = typer.Typer(help="アナログ規制の点検 (法令XML・例規HTML・テキストの条項を類型別に抽出)", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """アナログ規制の点検 (法令XML・例規HTML・テキストの条項を類型別に抽出)."""
    # A callback keeps `scan` a subcommand even when it is the only one.


def _stage_params() -> RegulationScanParams:
    """params.yaml の regulation_scan 節 (プロジェクト外で使うとき、節がないときは既定値)."""
    from kogadx.params import load_params, params_path, read_params_file

    path = params_path()
    if not path.is_file() or RegulationScanParams.SECTION not in read_params_file(path):
        return RegulationScanParams()
    return load_params(RegulationScanParams, path)


@app.command("scan")
def scan(
    folder: Path = typer.Argument(..., help="法令XML (.xml)・例規HTML (.html)・テキスト (.txt) を含むフォルダ"),
    out: Path = typer.Option(Path("review.xlsx"), "--out", "-o", help="出力するExcelファイル"),
    model_path: Path | None = typer.Option(
        None, "--model",
        help="学習済みモデル。省略時は models/regulation/classifier.joblib、無ければ同梱の学習データで学習",
    ),
    threshold: float | None = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                           help="候補とするスコアの下限 (0〜1, 既定 0.5)"),
) -> None:
    """フォルダ内の条項を走査し、アナログ規制の見直し候補をExcelに書き出します。"""
    import dataclasses

    from kogadx.io import InputFileError, read_folder
    from kogadx.params import ParamsError
    from kogadx.regulation.dataset import load_training_data
    from kogadx.regulation.loaders import CORPUS_SUFFIXES
    from kogadx.regulation.model import fit_classifier, load_model
    from kogadx.regulation.review import SKIPPED_SHEET, review_workbook
    from kogadx.regulation.stage import scan_corpus

    try:
        params = _stage_params()
    except ParamsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    if threshold is not None:
        params = dataclasses.replace(params, threshold=threshold)
    if model_path is None:
        from kogadx.paths import find_project_root

        trained = find_project_root() / "models" / "regulation" / "classifier.joblib"
        model_path = trained if trained.is_file() else None
    if model_path is not None:
        if not model_path.is_file():
            typer.echo(f"モデルファイルがありません: {model_path}", err=True)
            raise typer.Exit(code=2)
        try:
            model = load_model(model_path.read_bytes())
        except Exception as exc:  # not a model file: joblib, pickle and zlib raise many kinds
            raise InputFileError(f"{model_path}: 学習済みモデルとして読めません ({type(exc).__name__})") from None
    else:
        typer.echo("同梱の学習データで分類器を学習しています…")
        model = fit_classifier(load_training_data(), params)
    try:
        corpus = read_folder(folder, CORPUS_SUFFIXES)
        result = scan_corpus(corpus.files, model, params, str(folder), corpus.refused)
    except InputFileError as exc:
        typer.echo(f"読み込みエラー: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    for name, reason in result.skipped.items():
        typer.echo(f"読み飛ばしました: {name}: {reason}", err=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(review_workbook(result.review, result.summary, result.skipped))
    skipped = f" (読めなかった {len(result.skipped)} ファイルは「{SKIPPED_SHEET}」シート)" if result.skipped else ""
    typer.echo(
        f"{result.clauses['source_file'].nunique()} ファイル・{len(result.clauses)} 条項を走査し、"
        f"見直し候補 {len(result.review)} 件を {out} に書き出しました。{skipped}"
    )


@app.command("build-training-data")
def build_training_data(
    benchmark: Path = typer.Argument(..., help="ベンチマークフォルダ (../shared/benchmarks/analog_regulation)"),
    out: Path = typer.Argument(..., help="出力する学習データ (src/kogadx/regulation/data/labelled_clauses.csv.gz)"),
) -> None:
    """工程表と法令XMLから同梱の学習データを作り直します (保守用。結果はリポジトリに入れます)。"""
    from kogadx.io import InputFileError, read_folder_bytes, read_text_table
    from kogadx.regulation import build_training_data as build

    try:
        laws = read_folder_bytes(benchmark / build.LAWS_DIR, (".xml",))
        subset, _ = read_text_table(benchmark / build.SUBSET_LABELS)
        all_labels, _ = read_text_table(benchmark / build.ALL_LABELS)
        frame, stats = build.build_training_frame(laws, subset, all_labels)
    except InputFileError as exc:
        typer.echo(f"読み込みエラー: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    data = build.training_csv_gz(frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    typer.echo(f"{out}: {len(frame)} 行, {len(data) / 1e6:.2f} MB, {stats}")
