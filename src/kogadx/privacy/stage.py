"""Run the pseudonymisation over a folder of tables, chunk by chunk (the stage's I/O).

Reads every table of ``in_dir`` (Parquet by row-group batches, CSV by chunks), applies
the policy with :func:`kogadx.privacy.transform.pseudonymize_frame`, writes the same
tables (same format) to ``out_dir``, the audit (JSON + Japanese Markdown) to
``audit_dir``, and the deletion information (削除情報等: key fingerprint, policy version
and hash; keyed hashing needs no token table) to ``secure_dir`` — never beside the output.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kogadx.io import InputFileError, detect_encoding, write_json
from kogadx.privacy.audit import build_audit, render_markdown, table_audit
from kogadx.privacy.keys import PseudonymKey, is_synthetic_demo, resolve_key
from kogadx.privacy.policy import Policy, PolicyError, load_policy
from kogadx.privacy.scrub import build_name_matcher
from kogadx.privacy.transform import TableStats, TransformContext, pseudonymize_frame

TABLE_SUFFIXES = (".parquet", ".csv")
DEFAULT_CHUNK_ROWS = 1_000_000


class PrivacyCheckError(RuntimeError):
    """A post-run check failed (a deleted column or a raw value survived); outputs removed."""


@dataclass(frozen=True)
class PseudonymizeResult:
    """What a run produced: the audit dict and the paths written."""

    audit: dict[str, Any]
    outputs: dict[str, Path]
    audit_json: Path
    audit_markdown: Path
    deletion_info: Path


def find_tables(in_dir: str | Path, tables: Sequence[str] | None = None) -> dict[str, Path]:
    """Table name (file stem) → path, for Parquet/CSV files directly under ``in_dir``."""
    in_dir = Path(in_dir)
    found: dict[str, Path] = {}
    for path in sorted(in_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in TABLE_SUFFIXES and not path.name.startswith("_"):
            if path.stem in found:
                raise InputFileError(f"{path}: テーブル '{path.stem}' が複数の形式で存在します")
            found[path.stem] = path
    if tables is not None:
        missing = [t for t in tables if t not in found]
        if missing:
            raise InputFileError(f"{in_dir}: 指定されたテーブル {missing} のファイルがありません")
        found = {t: found[t] for t in tables}
    return found


def iter_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Row chunks of a Parquet (record batches) or CSV (all text, blanks kept) table."""
    if path.suffix.lower() == ".parquet":
        parquet = pq.ParquetFile(path)
        empty = True
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            empty = False
            yield batch.to_pandas()
        if empty:
            yield parquet.schema_arrow.empty_table().to_pandas()
        return
    encoding = detect_encoding(path)
    reader = pd.read_csv(
        path, encoding=encoding, dtype=str, keep_default_na=False, na_filter=False, chunksize=chunk_rows
    )
    with reader:
        yield from reader


def read_column(path: Path, column: str) -> pd.Series:
    """One column of a table (for register names and the town lookup)."""
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path, columns=[column]).column(0).to_pandas()
    frame = pd.read_csv(path, encoding=detect_encoding(path), dtype=str, keep_default_na=False, usecols=[column])
    return frame[column]


class _ChunkWriter:
    """Append chunks to a Parquet (same settings as kogadx.io.write_parquet) or CSV file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._csv_started = False
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, frame: pd.DataFrame) -> None:
        if self.path.suffix == ".parquet":
            table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._parquet.write_table(table, row_group_size=1_000_000)
        else:
            frame.to_csv(
                self.path, mode="a" if self._csv_started else "w", header=not self._csv_started,
                index=False, encoding="utf-8" if self._csv_started else "utf-8-sig", lineterminator="\n",
            )
            self._csv_started = True

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def _generalise_context(tables: Mapping[str, Path], params: Mapping[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if params.get("reference_date"):
        context["reference_date"] = str(params["reference_date"])
    towns_table = params.get("towns_table", "towns")
    if towns_table in tables:
        names = read_column(tables[towns_table], "town_name")
        codes = read_column(tables[towns_table], "town_code")
        context["towns"] = dict(zip(names.astype(str), codes.astype(str), strict=True))
    return context


def _name_sources(policy: Policy, tables: Mapping[str, Path], all_tables: Mapping[str, Path]) -> list[str]:
    """Register names for scrub rules (``names_from: [residents.name, residents.name_kana]``)."""
    names: list[str] = []
    for name in tables:
        if name not in policy.tables:
            continue
        for rule in policy.tables[name].rules.values():
            for source in rule.names_from:
                table, _, column = source.partition(".")
                if table not in all_tables:
                    raise PolicyError(f"列 '{name}.{rule.column}' の names_from '{source}' のテーブルが入力にありません")
                names.extend(read_column(all_tables[table], column).dropna().astype(str).unique().tolist())
    return names


def pseudonymize_dir(
    in_dir: str | Path,
    out_dir: str | Path,
    secure_dir: str | Path,
    audit_dir: str | Path,
    policy_path: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    key: PseudonymKey | None = None,
    logger: logging.Logger | None = None,
    track: bool = True,
) -> PseudonymizeResult:
    """Pseudonymise every table in ``in_dir`` by the policy; see the module docstring.

    ``params``: ``reference_date`` (for ages), ``chunk_rows`` (default 1,000,000),
    ``tables`` (optional list; default every table file), ``towns_table`` (default 'towns').
    Raises PolicyError (table/column without policy), KeyRefusedError (demo key on real
    data) or PrivacyCheckError (a deleted column or raw value survived; outputs removed).
    """
    params = dict(params or {})
    logger = logger or logging.getLogger("kogadx.privacy")
    in_dir, out_dir, secure_dir, audit_dir = map(Path, (in_dir, out_dir, secure_dir, audit_dir))
    _check_separate(out_dir, secure_dir, audit_dir)
    policy = load_policy(policy_path)
    all_tables = find_tables(in_dir)
    tables = find_tables(in_dir, params.get("tables"))
    for name, path in tables.items():  # fail fast, before anything is written
        table = policy.table(name)
        table.check_columns(pq.read_schema(path).names if path.suffix == ".parquet" else read_header(path))
    key = key or resolve_key(in_dir, secure_dir, logger=logger)
    synthetic = is_synthetic_demo(in_dir)
    register_names = _name_sources(policy, tables, all_tables)
    context = TransformContext(
        key=key.key,
        hex_length=policy.hex_length,
        generalise=_generalise_context(all_tables, params),
        names=build_name_matcher(register_names) if register_names else None,
    )
    chunk_rows = int(params.get("chunk_rows", DEFAULT_CHUNK_ROWS))
    outputs: dict[str, Path] = {}
    audits: dict[str, dict[str, Any]] = {}
    try:
        for name, path in tables.items():
            table = policy.table(name)
            target = out_dir / path.name
            stats = TableStats()
            # A table kept as is (e.g. the public town boundaries, GeoParquet) is copied byte
            # for byte so its metadata survives; it is still read for the audit counts.
            verbatim = all(r.action == "keep" and r.output == r.column for r in table.rules.values())
            writer = None if verbatim else _ChunkWriter(target)
            columns: list[str] = []
            try:
                for chunk in iter_chunks(path, chunk_rows):
                    result = pseudonymize_frame(chunk, table, context, stats)
                    columns = list(result.columns)
                    if writer is not None:
                        writer.write(result)
            finally:
                if writer is not None:
                    writer.close()
            if verbatim:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            outputs[name] = target
            written = pq.read_schema(target).names if target.suffix == ".parquet" else read_header(target)
            audits[name] = table_audit(table, stats, list(written))
            logger.info("%s: %d 行を仮名加工しました → %s", name, stats.rows, target)
            if columns and columns != list(written):
                raise PrivacyCheckError(f"{target}: 書き込んだ列が想定と一致しません")
        audit = build_audit(policy, audits, key.source, synthetic)
        if not audit["passed"]:
            failed = {n: (t["deleted_columns_surviving"], t["raw_value_survivals"]) for n, t in audits.items() if not t["passed"]}
            raise PrivacyCheckError(f"仮名加工の事後チェックに失敗しました (出力を削除します): {failed}")
    except BaseException:
        for path in outputs.values():
            path.unlink(missing_ok=True)
        raise
    audit_json = write_json(audit, audit_dir / "pseudonymize_audit.json")
    audit_md = audit_dir / "pseudonymize_audit.md"
    audit_md.write_text(render_markdown(audit) + "\n", encoding="utf-8")
    deletion = write_json(deletion_info(policy, key, audits), secure_dir / "deletion_info.json")
    if track:
        log_to_mlflow(audit, audit_json, audit_md)
    return PseudonymizeResult(audit, outputs, audit_json, audit_md, deletion)


def read_header(path: Path) -> list[str]:
    """Column names of a CSV table."""
    return list(pd.read_csv(path, encoding=detect_encoding(path), dtype=str, nrows=0).columns)


def deletion_info(policy: Policy, key: PseudonymKey, audits: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """削除情報等 for the secure zone: how replacement was made (no personal values)."""
    return {
        "説明": "削除情報等 (施行規則第32条)。仮名加工情報と照合してはならない。安全管理区域でのみ保管",
        "key_fingerprint": key.fingerprint,
        "key_source": key.source,
        "algorithm": "HMAC-SHA256",
        "hex_length": policy.hex_length,
        "policy_version": policy.version,
        "policy_sha256": policy.sha256,
        "token_table": None,
        "deleted_columns": {name: list(a["deleted_columns"]) for name, a in audits.items()},
        "pseudonym_domains": sorted({
            c["domain"] for a in audits.values() for c in a["columns"] if c.get("domain")
        }),
    }


def log_to_mlflow(audit: Mapping[str, Any], audit_json: Path, audit_md: Path) -> None:
    """Log counts, policy version and the audit files (no personal values) to MLflow."""
    from kogadx.tracking import start_run

    params = {
        "policy_version": audit["policy"]["version"],
        "policy_sha256": audit["policy"]["sha256"],
        "hex_length": audit["pseudonym"]["hex_length"],
        "key_source": audit["key"]["source"],
        "synthetic_demo": audit["synthetic_demo"],
        "tables": ",".join(audit["tables"]),
    }
    metrics: dict[str, float] = {"passed": float(audit["passed"])}
    for name, table in audit["tables"].items():
        metrics[f"{name}.rows"] = table["rows"]
        metrics[f"{name}.deleted_columns"] = len(table["deleted_columns"])
        metrics[f"{name}.output_columns"] = len(table["output_columns"])
    with start_run("privacy", stage="pseudonymize", run_name="pseudonymize", params=params) as run:
        run.log_metrics(metrics)
        run.log_artifact(audit_json, "audit")
        run.log_artifact(audit_md, "audit")


def _check_separate(out_dir: Path, secure_dir: Path, audit_dir: Path) -> None:
    """Deletion information must never sit in (or under) the output or audit folder."""
    secure = secure_dir.resolve()
    for other in (out_dir.resolve(), audit_dir.resolve()):
        if secure == other or other in secure.parents:
            raise ValueError(f"削除情報等の保管先 {secure_dir} は出力先 {other} の外に置いてください")
