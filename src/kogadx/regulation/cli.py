"""``kogadx regulation …``: scan a folder of laws / ordinances into a ranked Excel review list; learn
the staff's decisions back from it; rebuild the embedded training set (maintainers)."""

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


DEFAULT_LABELS = Path("data/regulation/city_labels.csv")
DEFAULT_MODEL = Path("models/regulation/classifier.joblib")


def _project_path(path: Path) -> Path:
    """A relative default path, taken from the project root (the folder with dvc.yaml)."""
    if path.is_absolute():
        return path
    from kogadx.paths import find_project_root

    return find_project_root() / path


def _read_labels(path: Path):
    from kogadx.regulation.learning import empty_labels, read_labels

    return read_labels(path.read_bytes(), str(path)) if path.is_file() else empty_labels()


def _train(params: RegulationScanParams, labels_path: Path):
    """Fit on the embedded training set + the city's decisions (about half a minute)."""
    from kogadx.regulation.stage import train, training_set

    training = training_set(None, _read_labels(labels_path))
    return train(training, params)[0]


@app.command("scan")
def scan(
    folder: Path = typer.Argument(..., help="法令XML (.xml)・例規HTML (.html)・テキスト (.txt) を含むフォルダ"),
    out: Path = typer.Option(Path("review.xlsx"), "--out", "-o", help="出力するExcelファイル"),
    model_path: Path | None = typer.Option(
        None, "--model",
        help="学習済みモデル。省略時は models/regulation/classifier.joblib、無ければ同梱の学習データと市の判定で学習",
    ),
    labels: Path = typer.Option(DEFAULT_LABELS, "--labels", help="市の判定ラベル (モデルが無いときの学習に使います)"),
    budget: float | None = typer.Option(None, "--budget", min=0.001, max=1.0,
                                        help="「上位の目安」とする条項の割合 (0〜1, 既定 0.1)"),
) -> None:
    """フォルダ内の条項をアナログ規制らしい順に並べ、見直し候補リストをExcelに書き出します。"""
    import dataclasses

    from kogadx.io import InputFileError, read_folder
    from kogadx.params import ParamsError
    from kogadx.regulation.loaders import CORPUS_SUFFIXES
    from kogadx.regulation.model import load_model
    from kogadx.regulation.review import SKIPPED_SHEET, review_workbook
    from kogadx.regulation.stage import scan_corpus

    try:
        params = _stage_params()
    except ParamsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    if budget is not None:
        params = dataclasses.replace(params, budget=budget)
    if model_path is None:
        trained = _project_path(DEFAULT_MODEL)
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
        typer.echo("同梱の学習データと市の判定で判定モデルを学習しています (30 秒ほど)…")
        model = _train(params, _project_path(labels))
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
    in_budget = int((result.review["上位の目安"] == "○").sum())
    typer.echo(
        f"{result.clauses['source_file'].nunique()} ファイル・{len(result.clauses)} 条項を順位付けし、"
        f"{out} に書き出しました。まず上位 {in_budget} 条項 (「上位の目安」が ○) を読んでください。{skipped}"
    )


@app.command("learn")
def learn(
    workbook: Path = typer.Argument(..., help="判定を記入した見直し候補リスト (review.xlsx)"),
    labels: Path = typer.Option(DEFAULT_LABELS, "--labels", help="市の判定ラベル (追記します)"),
    model_out: Path = typer.Option(DEFAULT_MODEL, "--model-out", help="学習し直したモデルの保存先"),
    retrain: bool = typer.Option(True, "--retrain/--no-retrain", help="判定を加えてすぐ学習し直す"),
) -> None:
    """見直し候補リストの 判定・類型・見直し方針 を市の判定ラベルに加え、判定モデルを学習し直します。"""
    from kogadx.regulation.learning import append_round, label_summary, labels_csv, read_decisions
    from kogadx.regulation.model import model_bytes

    try:
        params = _stage_params()
    except Exception as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    decisions = read_decisions(workbook.read_bytes(), str(workbook))  # refuses a bad workbook (sheet, row)
    labels_path = _project_path(labels)
    before = _read_labels(labels_path)
    if decisions.frame.empty:
        typer.echo(f"{workbook}: 判定が記入された行がありません (未判定 {decisions.undecided} 行)。"
                   "ラベルは変えていません。",
                   err=True)
        raise typer.Exit(code=2)
    after = append_round(before, decisions.frame)
    labels_path.parent.mkdir(parents=True, exist_ok=True)
    labels_path.write_bytes(labels_csv(after))
    added = label_summary(after.iloc[len(before):])
    summary = label_summary(after)
    typer.echo(
        f"{workbook}: 判定 {len(decisions.frame)} 件 "
        f"(該当 {added['該当']}・非該当 {added['非該当']}・保留 {added['保留']}) を "
        f"{labels_path} に第 {summary['rounds']} 回として加えました (未判定 {decisions.undecided} 行)。"
        f"これまでの判定は {summary['decisions']} 件・{summary['clauses']} 条項です。"
    )
    if retrain:
        model = _train(params, labels_path)
        model_path = _project_path(model_out)
        model_path.parent.mkdir(parents=True, exist_ok=True)
        model_path.write_bytes(model_bytes(model))
        typer.echo(f"判定を加えて学習し直したモデルを {model_path} に保存しました。次の scan から反映されます。"
                   " パイプラインでは `dvc repro regulation_scan` で同じ判定から学習し直します"
                   f" ({labels} は dvc.yaml の依存なので、変更が検出されます)。")


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
