"""The ``pseudonymize`` and ``anonymize`` stages: frames and typed params in, :class:`StageOutputs` out.

:func:`run_pseudonymize` applies the policy to every table, chunk by chunk
(:func:`kogadx.privacy.transform.pseudonymize_frame` is partition-wise), and returns the same
tables (same file names and formats), the audit (JSON + Japanese Markdown) and the deletion
information (削除情報等: key fingerprint, policy version and hash; keyed hashing needs no token
table) for the secure zone — never beside the output (:func:`check_secure_zone`). The checks
(no deleted column, no raw value in another column) run on the frames: a failure stops the
stage before anything is written.

:func:`run_anonymize` releases a pseudonymized table as anonymized information (k, l).

``pipelines/pseudonymize.py`` and ``pipelines/anonymize.py`` read the inputs; the core writes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from kogadx.compute import PANDAS, ComputeParams, Engine, engine
from kogadx.errors import UserFacingError
from kogadx.io import FrameSpill, FrameStream, InputFileError, ParquetSource
from kogadx.params import as_dict
from kogadx.privacy.anonymize import anonymize_table, parse_hierarchies
from kogadx.privacy.audit import build_audit, render_markdown, table_audit
from kogadx.privacy.keys import DemoCheck, KeyMaterial, PseudonymKey, resolve_key
from kogadx.privacy.legal import legal_basis
from kogadx.privacy.params import AnonymizeParams, PseudonymizeParams, StudentTierParams
from kogadx.privacy.policy import Policy, PolicyError, TablePolicy, column_label, parse_policy_text
from kogadx.privacy.reident import build_student_tier, parse_student_tiers, stop_zones, uniqueness_table
from kogadx.privacy.scrub import build_name_matcher
from kogadx.privacy.transform import PseudonymizePartition, TableStats, TransformContext
from kogadx.stage import Artifact, ExcelCsvFile, JsonFile, StageOutputs, TextFile, TrackedRun

AUDIT_JSON = "audit/pseudonymize_audit.json"
AUDIT_MARKDOWN = "audit/pseudonymize_audit.md"
DELETION_INFO = "secure/deletion_info.json"

log = logging.getLogger("kogadx.pseudonymize")


class PrivacyCheckError(UserFacingError, RuntimeError):
    """A post-run check failed (a deleted column or a raw value survived); nothing was written."""


@dataclass(frozen=True)
class PseudonymizeInputs:
    """The stage's inputs, as read from the secure zone.

    ``tables``: the validated tables by file name (``residents.parquet``; a table read from a
    ``.csv`` export, all text, is written back as CSV); ``policy``: the policy file's bytes
    (or its text; its SHA-256 goes to the audit); ``key``: what the key can come from;
    ``synthetic_demo``: whether the input qualifies as the synthetic demo — the marker is there
    and every raw file matches its recorded hash (:func:`kogadx.privacy.keys.check_synthetic_demo`;
    a bare bool is taken as checked). ``source`` and ``policy_file`` name
    the input folder and the policy in messages.
    """

    tables: Mapping[str, pd.DataFrame | ParquetSource]  # ParquetSource: read in chunk_rows partitions
    policy: str | bytes
    key: KeyMaterial
    synthetic_demo: bool | DemoCheck
    source: str = "data/raw_validated"
    policy_file: str = "policy.yaml"


@dataclass(frozen=True)
class AnonymizeInputs:
    """The pseudonymized table to release (residents) and the generalisation hierarchies (YAML)."""

    table: pd.DataFrame
    hierarchies: str | bytes


def check_secure_zone(secure_dir: str | Path, *shareable: str | Path) -> None:
    """Deletion information must never sit in (or under) an output or audit folder (paths only, no I/O)."""
    secure = Path(secure_dir).resolve()
    for other in (Path(p).resolve() for p in shareable):
        if secure == other or other in secure.parents:
            raise InputFileError(f"削除情報等の保管先 {secure_dir} は出力先 {other} の外に置いてください")


# ----------------------------------------------------------------------------- pseudonymize
def run_pseudonymize(inputs: PseudonymizeInputs, params: PseudonymizeParams,
                     compute: ComputeParams | None = None) -> StageOutputs:
    """The stage: pseudonymized tables, audit (JSON + Markdown), 削除情報等, one MLflow run.

    Extra columns of the export (ingest's ``extra__`` prefix) that the policy does not name are
    dropped, named in the log and the audit (``dropped_columns``). Raises PolicyGapError (any
    other column without policy; PolicyError for a table without one), KeyRefusedError (no key,
    a weak key, or the demo key on data not proven synthetic) or PrivacyCheckError (a deleted
    column or a raw value survived, whole or inside a longer text).
    """
    policy = parse_policy_text(inputs.policy, inputs.policy_file)
    files = table_files(inputs.tables, inputs.source)
    selected = select_tables(files, params.tables, inputs.source)
    dropped: dict[str, list[str]] = {}
    for name, file in selected.items():  # fail fast, before any work
        columns = [str(c) for c in inputs.tables[file].columns]
        dropped[name] = policy.table(name).extra_columns(columns)
        policy.table(name).check_columns([c for c in columns if c not in dropped[name]])
    key = resolve_key(inputs.key, inputs.synthetic_demo, inputs.source, logger=log)
    frames = {name: inputs.tables[file] for name, file in files.items()}
    register_names = name_sources(policy, selected, frames)
    context = TransformContext(
        key=key.key,
        hex_length=policy.hex_length,
        generalise=generalise_context(frames, params),
        names=build_name_matcher(register_names) if register_names else None,
    )
    outputs: dict[str, Any] = {}
    audits: dict[str, dict[str, Any]] = {}
    with engine(compute) as running:
        for name, file in selected.items():
            table = policy.table(name)
            frame = inputs.tables[file]
            labels = [column_label(c, list(frame.columns).index(c)) for c in dropped[name]]
            if dropped[name]:
                log.warning("%s: ポリシーにない追加列 %d 列を削除しました: %s", name, len(labels), ", ".join(labels))
                if not isinstance(frame, ParquetSource):
                    frame = frame.drop(columns=dropped[name])
            if isinstance(frame, ParquetSource):
                kept_columns = [c for c in frame.columns if c not in dropped[name]]
                outputs[file], stats, out_columns = pseudonymize_source(frame, kept_columns, table, context,
                                                                        params.chunk_rows, running)
            else:
                outputs[file], stats = pseudonymize_table(frame, table, context, params.chunk_rows, running)
                out_columns = [str(c) for c in outputs[file].columns]
            audits[name] = table_audit(table, stats, out_columns, labels)
            log.info("%s: %d 行を仮名加工しました", name, stats.rows)
    audit = build_audit(policy, audits, key.source, _is_demo(inputs.synthetic_demo))
    audit["legal"] = legal_basis(params.route)
    if not audit["passed"]:
        failed = {n: {"削除列の残存": t["deleted_columns_surviving"], "元の値の残存 (件数)": t["raw_value_survivals"],
                      "長い文字列の中の元の値 (件数)": t["raw_value_inside_text"]}
                  for n, t in audits.items() if not t["passed"]}
        raise PrivacyCheckError(f"仮名加工の事後チェックに失敗しました (何も書き出していません): {failed}")
    tables = {f"pseudonymized/{file}": frame for file, frame in outputs.items() if not _is_csv(file)}
    files_out: dict[str, Artifact] = {
        f"pseudonymized/{file}": ExcelCsvFile(frame) for file, frame in outputs.items() if _is_csv(file)}
    files_out[AUDIT_JSON] = JsonFile(audit)
    files_out[AUDIT_MARKDOWN] = TextFile(render_markdown(audit) + "\n")
    files_out[DELETION_INFO] = JsonFile(deletion_info(policy, key, audits))
    return StageOutputs(
        tables=tables,
        files=files_out,
        runs=[audit_run(audit)],
        summary=f"pseudonymize: {len(outputs)} テーブルを仮名加工しました (監査判定: 合格)",
    )


def table_files(tables: Mapping[str, Any], source: str) -> dict[str, str]:
    """Table name (file stem) → file name; one table given in two formats stops the stage."""
    found: dict[str, str] = {}
    for file in sorted(tables):
        stem = PurePath(file).stem
        if stem in found:
            raise InputFileError(f"{source}/{file}: テーブル '{stem}' が複数の形式で存在します")
        found[stem] = file
    return found


def select_tables(files: Mapping[str, str], names: Sequence[str] | None, source: str) -> dict[str, str]:
    """The tables to pseudonymize: ``names`` (params ``tables``), or every table when None."""
    if names is None:
        return dict(files)
    missing = [t for t in names if t not in files]
    if missing:
        raise InputFileError(f"{source}: 指定されたテーブル {missing} のファイルがありません")
    return {t: files[t] for t in names}


def pseudonymize_table(
    frame: pd.DataFrame, table: TablePolicy, context: TransformContext, chunk_rows: int, running: Engine = PANDAS
) -> tuple[pd.DataFrame, TableStats]:
    """The table by its policy, ``chunk_rows`` rows at a time, and its audit counts.

    Each chunk is transformed on its own (keyed hashing, no global lookup), so the result
    does not depend on ``chunk_rows`` and the same code runs on Dask partitions (``running``:
    pandas or Dask, :mod:`kogadx.compute`; the chunks are the same either way). A table
    the policy keeps whole (e.g. the public town boundaries, GeoParquet) passes through as
    it came — the writer gives the same bytes as kogadx.io.write_parquet wrote — and is
    still transformed chunk by chunk for the audit counts.
    """
    stats = TableStats()
    parts = []
    for part, part_stats in running.map_partitions(frame, PseudonymizePartition(table, context), chunk_rows):
        parts.append(part)
        stats.update(part_stats)
    if all(r.action == "keep" and r.output == r.column for r in table.rules.values()):
        return frame, stats
    result = (parts[0] if len(parts) == 1 else pd.concat(parts)).reset_index(drop=True)
    return _keep_geometry(result, frame), stats


def pseudonymize_source(
    source: ParquetSource, columns: list[str], table: TablePolicy, context: TransformContext, chunk_rows: int,
    running: Engine = PANDAS,
) -> tuple[FrameStream, TableStats, list[str]]:
    """:func:`pseudonymize_table` on a table read ``chunk_rows`` rows at a time (``columns``
    only), never held whole (issue #25): each transformed chunk is set aside
    (:class:`kogadx.io.FrameSpill`) until the audit has passed, then written chunk by chunk.
    Returns the chunks, the audit counts and the output columns."""
    stats = TableStats()
    spill = FrameSpill()
    out_columns: list[str] = []
    keep_all = all(r.action == "keep" and r.output == r.column for r in table.rules.values())
    partition = PseudonymizePartition(table, context)
    for part, part_stats in running.map_stream(source.parts(chunk_rows, columns), partition):
        stats.update(part_stats)
        out_columns = out_columns or [str(c) for c in part.columns]
        if not keep_all:
            spill.append(part)
    if keep_all:  # passes through as it came, read again when written
        return FrameStream(lambda: source.parts(chunk_rows, columns), stats.rows), stats, out_columns
    return FrameStream(lambda: (spill[i] for i in range(len(spill))), stats.rows), stats, out_columns


def _keep_geometry(result: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """A GeoDataFrame in stays a GeoDataFrame out (GeoParquet) while its geometry column is kept."""
    if not (hasattr(frame, "geometry") and hasattr(frame, "crs")) or frame.geometry.name not in result.columns:
        return result
    import geopandas as gpd

    return gpd.GeoDataFrame(result, geometry=frame.geometry.name, crs=frame.crs)


def generalise_context(frames: Mapping[str, Any], params: PseudonymizeParams) -> dict[str, Any]:
    """Run-wide, non-personal inputs of the generalisation methods: reference date, town lookup."""
    context: dict[str, Any] = {}
    if params.reference_date is not None:
        context["reference_date"] = params.reference_date.isoformat()
    towns = frames.get(params.towns_table)
    if isinstance(towns, ParquetSource):
        towns = towns.read(["town_name", "town_code"])
    if towns is not None:
        context["towns"] = dict(zip(towns["town_name"].astype(str), towns["town_code"].astype(str), strict=True))
    return context


def name_sources(policy: Policy, selected: Mapping[str, str], frames: Mapping[str, Any]) -> list[str]:
    """Register names for scrub rules (``names_from: [residents.name, residents.name_kana]``)."""
    names: list[str] = []
    for name in selected:
        if name not in policy.tables:
            continue
        for rule in policy.tables[name].rules.values():
            for source in rule.names_from:
                table, _, column = source.partition(".")
                if table not in frames:
                    raise PolicyError(
                        f"列 '{name}.{rule.column}' の names_from '{source}' のテーブルが入力にありません")
                values = frames[table].read([column])[column] if isinstance(frames[table], ParquetSource) \
                    else frames[table][column]
                names.extend(values.dropna().astype(str).unique().tolist())
    return names


def deletion_info(policy: Policy, key: PseudonymKey, audits: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """削除情報等 for the secure zone: how replacement was made (no personal values)."""
    return {
        "説明": "削除情報等 (法第73条第3項の定義による)。仮名加工情報と照合してはならない。安全管理区域でのみ保管",
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


def audit_run(audit: Mapping[str, Any]) -> TrackedRun:
    """The MLflow run: counts, policy version and the audit files (no personal values)."""
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
    return TrackedRun("privacy", "pseudonymize", params=params, metrics=metrics,
                      artifacts={AUDIT_JSON: "audit", AUDIT_MARKDOWN: "audit"})


def _is_demo(check: bool | DemoCheck) -> bool:
    return check.synthetic if isinstance(check, DemoCheck) else bool(check)


def _is_csv(file: str) -> bool:
    return PurePath(file).suffix.lower() == ".csv"


# ----------------------------------------------------------------------------- anonymize
def run_anonymize(inputs: AnonymizeInputs, params: AnonymizeParams) -> StageOutputs:
    """The stage: the released table (k-anonymous, l-diverse), its report as metrics, one MLflow run."""
    result = anonymize_table(inputs.table, parse_hierarchies(inputs.hierarchies), params)
    report = result.report
    metrics = {**{k: v for k, v in report.items() if k != "levels"}, "level": report["levels"]}
    return StageOutputs(
        tables={"anonymized": result.table},
        metrics=report,
        runs=[TrackedRun("privacy", "anonymize", params=as_dict(params), metrics=metrics)],
        summary=f"anonymize: k={report['k']} l={report['l']} 削除 {report['records_suppressed']} 行 "
                f"({100 * report['suppression_rate']:.2f}%)",
    )


# ----------------------------------------------------------------------------- student tier
@dataclass(frozen=True)
class StudentTierInputs:
    """The pseudonymized ride log and stops, and the policy (its ``student_tiers`` section)."""

    rides: pd.DataFrame
    stops: pd.DataFrame
    policy: str | bytes
    policy_file: str = "policy.yaml"


def run_student_tier(inputs: StudentTierInputs, params: StudentTierParams) -> StageOutputs:
    """The stage: the student tier of the ride log and the uniqueness table (full log and tier).

    Full log: minute/hour/day × stop/町丁目 with the member pseudonym as rider. Tier: its own
    time step, zones and rider number. The metric the report states is the tier's share unique
    at the largest p.
    """
    import yaml

    text = inputs.policy.decode("utf-8") if isinstance(inputs.policy, bytes) else inputs.policy
    tiers = parse_student_tiers(yaml.safe_load(text) or {}, inputs.policy_file)
    if params.tier not in tiers:
        raise PolicyError(f"{inputs.policy_file}: student_tiers に '{params.tier}' がありません")
    spec = tiers[params.tier]
    rides = inputs.rides
    tier = build_student_tier(rides, inputs.stops, spec, params.seed)
    origin = next(iter(spec.place_columns))
    places: dict[str, pd.Series] = {level: rides[origin].astype("string").map(stop_zones(inputs.stops, level))
              for level in params.place_levels}
    time_column = spec.time_columns[1] if len(spec.time_columns) > 1 else spec.time_columns[0]
    full = uniqueness_table(rides[spec.person_key], rides[time_column], places, params.time_steps, params.points,
                            params.seed, "full")
    student = uniqueness_table(tier[spec.person_output], tier[time_column],
                               {spec.zone_level: tier[spec.place_columns[origin]]}, (spec.time_step,),
                               params.points, params.seed, "student")
    top = max(params.points)
    headline = next(r for r in student if r["p"] == top)
    metrics = {
        "tier": spec.name, "rows": int(len(tier)), "columns": list(tier.columns),
        "time_step": spec.time_step, "zone_level": spec.zone_level, "person_scope": spec.person_scope,
        "points_on": f"{time_column} × {origin}",
        "student_share_unique_at_max_p": headline["share_unique"], "student_riders_at_max_p": headline["riders"],
        "max_p": top, "uniqueness": full + student,
    }
    return StageOutputs(
        tables={f"student/{spec.source}.parquet": tier},
        metrics=metrics,
        runs=[TrackedRun("privacy", "student_tier", params=as_dict(params),
                         metrics={"student_share_unique_at_max_p": headline["share_unique"],
                                  "rows": float(len(tier))})],
        summary=f"student_tier: {len(tier):,} 行、{top} 点で一意な利用者 {100 * headline['share_unique']:.1f}% "
                f"(対象 {headline['riders']} 人)",
    )
