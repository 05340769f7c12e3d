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
    policy: Annotated[Path | None, typer.Option(
        "--policy", help="仮名加工ポリシー (YAML)。省略時はパッケージ同梱のもの")] = None,
    secure_dir: Annotated[Path, typer.Option(
        "--secure", help="削除情報等と鍵ファイルの保管先 (安全管理区域)")] = Path("data/secure"),
    reference_date: Annotated[str | None, typer.Option(
        "--reference-date", help="年齢計算の基準日 (YYYY-MM-DD)")] = None,
    chunk_rows: Annotated[int | None, typer.Option(
        "--chunk-rows", help="一度に処理する行数 (省略時は params の既定値)")] = None,
    mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow", help="監査記録を MLflow に記録する")] = False,
    raw_dir: Annotated[Path | None, typer.Option(
        "--raw", help="取り込み前の生データのフォルダ (デモ用キーの可否をハッシュで確かめる)。省略時は --in")] = None,
) -> None:
    """入力フォルダの全テーブルをポリシーに従って仮名加工し、監査記録を出力先に書きます。"""
    import os

    from kogadx.io import InputFileError, get_stage_logger, read_folder_bytes, read_if_present, read_table_files
    from kogadx.params import ParamsError, validate_params
    from kogadx.privacy.keys import (
        DEMO_MARKER,
        ENV_VAR,
        KEY_FILE_NAME,
        KeyMaterial,
        KeyRefusedError,
        check_synthetic_demo,
    )
    from kogadx.privacy.params import PseudonymizeParams
    from kogadx.privacy.policy import PolicyError, default_policy_path
    from kogadx.privacy.stage import PrivacyCheckError, PseudonymizeInputs, check_secure_zone, run_pseudonymize
    from kogadx.stage import StageArgs, write_outputs

    get_stage_logger("pseudonymize")
    options = {"reference_date": reference_date, "chunk_rows": chunk_rows}
    try:  # the defaults live in PseudonymizeParams; only the options given override them
        params = validate_params(PseudonymizeParams, {k: v for k, v in options.items() if v is not None},
                                 "コマンドライン", "pseudonymize")
    except ParamsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    policy = policy or default_policy_path()
    key_file = secure_dir / KEY_FILE_NAME
    raw = raw_dir or in_dir
    try:  # clear Japanese messages (no values, no key), no traceback
        check_secure_zone(secure_dir, out_dir)
        marker = read_if_present(in_dir / DEMO_MARKER, Path.read_bytes)
        inputs = PseudonymizeInputs(
            tables=read_table_files(in_dir), policy=policy.read_bytes(),
            key=KeyMaterial(os.environ.get(ENV_VAR), read_if_present(key_file, Path.read_bytes), str(key_file)),
            synthetic_demo=check_synthetic_demo(marker, read_folder_bytes(raw) if marker is not None else None,
                                                str(raw)),
            source=str(in_dir), policy_file=str(policy))
        outputs = run_pseudonymize(inputs, params)
    except (InputFileError, PolicyError, KeyRefusedError, PrivacyCheckError, OSError) as exc:
        hint = ("\n(合成デモを取り込み後のフォルダから仮名加工するときは、取り込み前の生データのフォルダを"
                " --raw で指定してください)") if isinstance(exc, KeyRefusedError) and raw_dir is None else ""
        typer.echo(f"エラー: {exc}{hint}", err=True)
        raise typer.Exit(code=2) from None
    if not mlflow:
        outputs.runs.clear()
    args = StageArgs("pseudonymize", {"pseudonymized": out_dir, "secure": secure_dir, "audit": out_dir})
    written = write_outputs(outputs, args)
    tables = [Path(key).stem for key in written if key.startswith("pseudonymized/")]
    typer.echo(f"仮名加工しました: {', '.join(tables)} → {out_dir}")
    typer.echo(f"監査記録: {written['audit/pseudonymize_audit.json']} / {written['audit/pseudonymize_audit.md']}")
    typer.echo(f"削除情報等: {written['secure/deletion_info.json']}")


@anonymity_app.command("measure")
def measure_command(
    file: Annotated[Path, typer.Argument(help="CSV または Parquet のファイル")],
    qi: Annotated[str, typer.Option("--qi", help="準識別子 (カンマ区切り)")],
    sa: Annotated[str | None, typer.Option("--sa", help="機微属性 (カンマ区切り、l-多様性用)")] = None,
) -> None:
    """k-匿名性・l-多様性・同値クラス数を JSON で表示します。"""
    from kogadx.io import read_table
    from kogadx.privacy.anonymity import measure

    frame = read_table(file)
    qis = [c.strip() for c in qi.split(",") if c.strip()]
    sas = [c.strip() for c in sa.split(",") if c.strip()] if sa else None
    try:
        result = measure(frame, qis, sas)
    except KeyError as exc:
        typer.echo(f"{file}: {exc.args[0]}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(json.dumps(result, ensure_ascii=False))
