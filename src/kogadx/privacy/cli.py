"""Command line for privacy: `pseudonymize` and `anonymity measure` (messages in Japanese).

Mount in kogadx/cli.py with ``app.add_typer(privacy_cli.app)`` (no name: the commands
``kogadx pseudonymize`` and ``kogadx anonymity measure`` appear at the top level).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="仮名加工・匿名加工のコマンド", no_args_is_help=True)
anonymity_app = typer.Typer(help="k-匿名性・l-多様性の測定", no_args_is_help=True)
app.add_typer(anonymity_app, name="anonymity")


@app.command("pseudonymize")
def pseudonymize_command(
    in_dir: Annotated[Path, typer.Option("--in", help="入力フォルダ (CSV または Parquet のテーブル)")],
    out_dir: Annotated[Path, typer.Option("--out", help="出力フォルダ (同じテーブル名・形式、監査記録も出力)")],
    policy: Annotated[Path | None, typer.Option("--policy", help="仮名加工ポリシー (YAML)。省略時はパッケージ同梱のもの")] = None,
    secure_dir: Annotated[Path, typer.Option("--secure", help="削除情報等と鍵ファイルの保管先 (安全管理区域)")] = Path("data/secure"),
    reference_date: Annotated[str | None, typer.Option("--reference-date", help="年齢計算の基準日 (YYYY-MM-DD)")] = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="一度に処理する行数")] = 1_000_000,
    mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow", help="監査記録を MLflow に記録する")] = False,
) -> None:
    """入力フォルダの全テーブルをポリシーに従って仮名加工し、監査記録を出力先に書きます。"""
    from kogadx.io import get_stage_logger
    from kogadx.privacy.stage import pseudonymize_dir

    params = {"chunk_rows": chunk_rows}
    if reference_date:
        params["reference_date"] = reference_date
    result = pseudonymize_dir(
        in_dir, out_dir, secure_dir, out_dir, policy_path=policy, params=params,
        logger=get_stage_logger("pseudonymize"), track=mlflow,
    )
    typer.echo(f"仮名加工しました: {', '.join(result.outputs)} → {out_dir}")
    typer.echo(f"監査記録: {result.audit_json} / {result.audit_markdown}")
    typer.echo(f"削除情報等: {result.deletion_info}")


@anonymity_app.command("measure")
def measure_command(
    file: Annotated[Path, typer.Argument(help="CSV または Parquet のファイル")],
    qi: Annotated[str, typer.Option("--qi", help="準識別子 (カンマ区切り)")],
    sa: Annotated[str | None, typer.Option("--sa", help="機微属性 (カンマ区切り、l-多様性用)")] = None,
) -> None:
    """k-匿名性・l-多様性・同値クラス数を JSON で表示します。"""
    import pandas as pd

    from kogadx.io import read_text_table
    from kogadx.privacy.anonymity import measure

    if file.suffix.lower() == ".parquet":
        frame = pd.read_parquet(file)
    else:
        frame, _ = read_text_table(file)
    qis = [c.strip() for c in qi.split(",") if c.strip()]
    sas = [c.strip() for c in sa.split(",") if c.strip()] if sa else None
    try:
        result = measure(frame, qis, sas)
    except KeyError as exc:
        typer.echo(f"{file}: {exc.args[0]}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(json.dumps(result, ensure_ascii=False))
