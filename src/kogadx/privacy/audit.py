"""Audit of a pseudonymisation run: JSON dict + Japanese Markdown, no personal values.

The audit holds column names, actions, APPI items, counts (rows, distinct before/after,
missing) and check results. It never holds a value of the data, the key or its
fingerprint (the fingerprint goes to the secure zone with the deletion information).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kogadx.privacy.policy import APPI_ITEMS, Policy, TablePolicy
from kogadx.privacy.pseudonym import collision_probability
from kogadx.privacy.transform import TableStats

ACTION_JA = {
    "delete": "削除",
    "pseudonym": "仮ID化 (鍵付きハッシュ)",
    "generalise": "一般化",
    "keep": "そのまま",
    "scrub": "自由記述の墨消し",
}


def table_audit(
    table: TablePolicy, stats: TableStats, output_columns: list[str], dropped_columns: list[str] | None = None
) -> dict[str, Any]:
    """Audit entry for one table, with the checks that no deleted column survives and that no
    protected raw value appears in an output cell, whole or inside a longer text.

    ``dropped_columns``: extra columns of the export (stored by ingest under the reserved
    prefix) that the policy does not name, dropped before the transform (names only)."""
    columns = []
    deleted = []
    for name, col_stats in stats.columns.items():
        rule = table.rules[name]
        if rule.action == "delete":
            deleted.append(name)
        entry: dict[str, Any] = {
            "column": name,
            "action": rule.action,
            "appi": rule.appi,
            "appi_text": APPI_ITEMS[rule.appi],
            "output": rule.output,
            **col_stats.summary(),
        }
        if rule.method:
            entry["method"] = rule.method
        if rule.domain:
            entry["domain"] = rule.domain
        if rule.note:
            entry["note"] = rule.note
        columns.append(entry)
    surviving = sorted(set(deleted) & set(output_columns))
    return {
        "rows": stats.rows,
        "person_key": table.person_key,
        "columns": columns,
        "deleted_columns": deleted,
        "output_columns": output_columns,
        "deleted_columns_surviving": surviving,
        "dropped_columns": list(dropped_columns or []),
        "raw_value_survivals": dict(sorted(stats.survival_hits.items())),
        "raw_value_inside_text": dict(sorted(stats.substring_hits.items())),
        "passed": not surviving and not stats.survival_hits and not stats.substring_hits,
    }


def build_audit(
    policy: Policy,
    tables: Mapping[str, dict[str, Any]],
    key_source: str,
    synthetic_demo: bool,
    collision_n: int = 100_000,
) -> dict[str, Any]:
    """The run's audit dict (JSON-ready)."""
    person_counts = [
        c["distinct_after"]
        for t in tables.values()
        for c in t["columns"]
        if c.get("domain") == "person"
    ]
    observed = max(person_counts, default=0)
    return {
        "policy": {"version": policy.version, "sha256": policy.sha256},
        "pseudonym": {
            "algorithm": "HMAC-SHA256",
            "hex_length": policy.hex_length,
            "bits": 4 * policy.hex_length,
            f"collision_probability_n{collision_n}": collision_probability(collision_n, policy.hex_length),
            "persons_observed": observed,
            "collision_probability_observed": collision_probability(observed, policy.hex_length),
        },
        "key": {"source": key_source, "demo_key": key_source == "demo"},
        "synthetic_demo": synthetic_demo,
        "tables": dict(tables),
        "passed": all(t["passed"] for t in tables.values()),
    }


def render_markdown(audit: Mapping[str, Any]) -> str:
    """Japanese Markdown summary of the audit (for policy staff and the data controller)."""
    pseudo = audit["pseudonym"]
    lines = [
        "# 仮名加工 監査記録",
        "",
        f"- ポリシー版: `{audit['policy']['version']}` (SHA-256 `{audit['policy']['sha256'][:16]}…`)",
        f"- 仮ID方式: {pseudo['algorithm']}、先頭 {pseudo['hex_length']} 桁 (16進, {pseudo['bits']} ビット)",
        f"- 衝突確率 (10万人): {pseudo['collision_probability_n100000']:.2e}、"
        f"今回の人数 {pseudo['persons_observed']:,} 人: {pseudo['collision_probability_observed']:.2e}",
        f"- 鍵の出所: {audit['key']['source']}"
        + (" 【デモ用公開キー: 合成データ専用】" if audit["key"]["demo_key"] else ""),
        f"- 合成デモデータ: {'はい' if audit['synthetic_demo'] else 'いいえ'}",
        "- 削除情報等 (鍵の指紋・ポリシー版) は安全管理区域 data/secure/ に別保管",
        f"- 総合判定: {'合格' if audit['passed'] else '不合格'}",
        "",
    ]
    legal = audit.get("legal")
    if legal:
        lines += [
            "## 法的な位置づけ",
            "",
            f"- 適用される規律: {legal['regime_text']}",
            f"- 提供の経路: {legal['route']} (相手方: {legal['contractor'] or '未記入'})",
            f"- 利用目的: {legal['purpose'] or '未記入'}",
            f"- 加工の基準: {legal['processing_yardstick']}",
            f"- {legal['anonymized_release']}",
            "",
            "| 条文 | 内容 |",
            "|---|---|",
            *[f"| {a['article']} | {a['about']} |" for a in legal["articles"]],
            "",
            "| 区域 | 中身 | 渡してよい相手 | 根拠 |",
            "|---|---|---|---|",
            *[f"| {z['zone']} | {z['what']} | {z['who']} | {z['basis']} |" for z in legal["zones"]],
            "",
        ]
    for name, table in audit["tables"].items():
        lines += [
            f"## テーブル `{name}` ({table['rows']:,} 行)",
            "",
            "| 列 | 処理 | 加工の基準 (施行規則第31条の号) | 出力列 | 行数 | 異なり数 (前) | 異なり数 (後) |",
            "|---|---|---|---|---:|---:|---:|",
        ]
        for col in table["columns"]:
            action = ACTION_JA[col["action"]] + (f" ({col['method']})" if col.get("method") else "")
            lines.append(
                f"| {col['column']} | {action} | {col['appi_text']} | {col['output'] or '—'} | "
                f"{col['rows']:,} | {col['distinct_before']:,} | {col['distinct_after']:,} |"
            )
        surviving = table["deleted_columns_surviving"]
        lines += [
            "",
            f"- 削除列が出力に残っていないか: {'残存なし' if not surviving else '残存あり ' + str(surviving)}",
            "- 保護対象列の元の値が出力の他の列にそのまま現れていないか: "
            + ("なし" if not table["raw_value_survivals"] else f"あり {table['raw_value_survivals']}"),
            "- 保護対象列の元の値 (氏名・住所・電話番号・個人番号等) が出力の長い文字列の中に含まれていないか: "
            + ("なし" if not table.get("raw_value_inside_text") else f"あり {table['raw_value_inside_text']}"),
            "- ポリシーにない追加列 (取り込み時の予約接頭辞付き) の削除: "
            + ("なし" if not table.get("dropped_columns") else f"{len(table['dropped_columns'])} 列 "
               + str(table["dropped_columns"])),
            "",
        ]
    return "\n".join(lines)
