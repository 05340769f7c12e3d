"""Command line `kogadx`: the entry point analysts use outside DVC.

Each subcommand runs the same code as its DVC stage. Domain packages contribute their own
sub-apps (``kogadx/<domain>/cli.py``), mounted here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from kogadx.errors import user_errors
from kogadx.io import InputFileError, get_stage_logger
from kogadx.paths import find_project_root


def _typer_exit(code: int) -> NoReturn:
    raise typer.Exit(code)


class UserErrorGroup(TyperGroup):
    """The ``kogadx`` command group: every subcommand (mounted sub-apps included) runs inside
    :func:`kogadx.errors.user_errors`, so no traceback reaches the user — a known error prints
    its Japanese message, an unexpected one its class name, both with exit code 2. Typer's own
    usage errors and exits pass through (typer prints them)."""

    def invoke(self, ctx: Any) -> Any:  # typer's (vendored click) Context
        with user_errors(exit=_typer_exit, passthrough=(typer.TyperException, typer.Exit, typer.Abort)):
            return super().invoke(ctx)


app = typer.Typer(
    cls=UserErrorGroup,
    help="古賀市DXデータサイエンス基盤のコマンド。"
         "パイプライン全体は `dvc repro` で、個別の処理はここから実行できます。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    # With KOGADX_DEBUG=1 the traceback is shown, but never the local variables (cell values).
    pretty_exceptions_show_locals=False,
)


@app.command("ingest")
def ingest_command(
    raw: Path = typer.Option(..., "--raw", help="生データ (CSV・シェープファイル) のフォルダ"),
    out: Path = typer.Option(..., "--out", help="検証済みデータ (Parquet) と隔離ファイルの出力先フォルダ"),
    params_file: Path = typer.Option(None, "--params", help="params.yaml の場所 (省略時はプロジェクトのもの)"),
    reference_date: str = typer.Option(
        None, "--reference-date",
        help="出力 (抽出) 日 YYYY-MM-DD。これより後の日付は隔離 (省略時は params の ingest.reference_date)"),
) -> None:
    """生データを検証・正規化し、不正な行を理由付きで隔離します (DVC の ingest ステージと同じ処理)。"""
    import dataclasses
    import datetime as dt

    from kogadx.ingest.params import IngestParams
    from kogadx.ingest.stage import DEMO_MARKER, IngestInputs, run_ingest
    from kogadx.io import read_if_present, read_shapefile, read_text_tables
    from kogadx.params import ParamsError, load_params
    from kogadx.stage import StageArgs, write_outputs
    from kogadx.weather import read_weather

    get_stage_logger("ingest")
    try:
        if out.exists() and not out.is_dir():
            raise InputFileError(f"{out}: --out にはフォルダを指定してください (同名のファイルがあります)")
        params = load_params(IngestParams, params_file)
        if reference_date is not None:
            try:
                day = dt.date.fromisoformat(reference_date)
            except ValueError:
                raise InputFileError("--reference-date は YYYY-MM-DD 形式の日付で指定してください") from None
            params = dataclasses.replace(params, reference_date=day)
        # The same readers as pipelines/ingest.py, in the same order (the folder check first).
        inputs = IngestInputs(tables=read_text_tables(raw, params.tables),
                              small_areas=read_shapefile(raw / params.towns_file, params.towns_encoding),
                              weather=read_if_present(raw / params.weather_file, read_weather),
                              demo_marker=read_if_present(raw / DEMO_MARKER, Path.read_bytes))
        outputs = run_ingest(inputs, params)
        write_outputs(outputs, StageArgs("ingest", {"out": out, "metrics": out / "ingest_summary.json"}))
    except (InputFileError, ParamsError) as exc:
        typer.echo(f"エラー: {exc}", err=True)
        raise typer.Exit(code=2) from None
    except OSError as exc:  # an unwritable or occupied output path: name it, no traceback
        typer.echo(f"エラー: {exc.filename or out}: 書き込めません ({exc.strerror or type(exc).__name__})", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(outputs.metrics, ensure_ascii=False, indent=2))


@app.command("summary")
def summary_command() -> None:
    """パイプラインの出力・レポート・MLflow UI の場所を表示します。"""
    root = find_project_root()
    lines = ["", "=== 古賀市DX基盤: 実行結果の場所 ==="]
    for label, rel in [
        ("検証済みデータ (機密区域)", "data/raw_validated"),
        ("仮名加工データ (共有可)", "data/pseudonymized"),
        ("特徴量", "data/features"),
        ("モデル", "models"),
        ("指標 (metrics)", "metrics"),
        ("レポート (HTML)", "reports"),
    ]:
        path = root / rel
        if path.exists():
            count = sum(1 for p in path.rglob("*") if p.is_file() and p.name != "README.md")
            if count:
                lines.append(f"  {label:<22} {rel}/  ({count} ファイル)")
    for metrics in sorted((root / "metrics").glob("*.json")):
        lines.append(f"  指標ファイル: {metrics.relative_to(root)}")
    for report in sorted((root / "reports").glob("*.html")):
        lines.append(f"  レポート: {report.relative_to(root)}  (ブラウザで開いてください)")
    lines.append("  MLflow UI: `make ui` を実行し http://127.0.0.1:5000 を開く")
    lines.append("  指標の比較: `dvc metrics show` / `dvc metrics diff`")
    lines.append("  主な系列の図: `dvc plots show` (dvc_plots/index.html を開く) / `dvc plots diff`")
    typer.echo("\n".join(lines))


def _mount_domain_apps() -> None:
    """Mount each domain's sub-app if that domain is present in this version."""
    import importlib

    for module, name, help_text in [
        ("kogadx.privacy.cli", None, None),  # `kogadx pseudonymize`, `kogadx anonymity measure`
        ("kogadx.mobility.cli", "darp", "デマンド交通の配車問題 (DARP)"),
        ("kogadx.demand.cli", "forecast", "需要予測の評価"),
        ("kogadx.energy.cli", "co2", "CO2排出量の計算"),
        ("kogadx.regulation.cli", "regulation", "アナログ規制の点検"),
        ("kogadx.wellbeing.cli", "wellbeing", "地域幸福度 (ウェルビーイング) の集計"),
        ("kogadx.counter.cli", "counter", "現況届 窓口の待ち行列と人員配置"),
        ("kogadx.reporting.cli", "report", "レポートの検査 (ブラウザ) と PDF 出力"),
    ]:
        try:
            sub = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(module.rsplit(".", 1)[0]):
                continue
            raise
        if name is None:
            app.add_typer(sub.app)  # commands mounted at the top level
        else:
            app.add_typer(sub.app, name=name, help=help_text)


_mount_domain_apps()
