# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 個人情報の加工 監査レポート (仮名加工・匿名加工)

# %% tags=["parameters"]
pseudonymize_audit = "reports/privacy/pseudonymize_audit.json"
anonymize_metrics = "metrics/anonymize.json"
ingest_metrics = "metrics/ingest.json"

# %%
import json
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from kogadx.privacy.audit import ACTION_JA
from kogadx.reporting import blocks as b
from kogadx.reporting.findings import APPI_ITEM_JA, privacy_findings


def show(html: str) -> None:
    display(HTML(html))


audit = json.loads(Path(pseudonymize_audit).read_text(encoding="utf-8"))
anonymize = json.loads(Path(anonymize_metrics).read_text(encoding="utf-8"))
ingest = json.loads(Path(ingest_metrics).read_text(encoding="utf-8"))
show(b.summary_block("この報告の要点", privacy_findings(audit, anonymize),
                     lead="個人情報保護法 (施行規則第31条・第34条) に沿って、分析用データから何を削除・置き換えたかの記録です。"))
if audit["key"].get("demo_key") or audit.get("synthetic_demo"):
    show(b.note_block("このデータは合成 (架空) の古賀市データです。デモ用の鍵は実データには使えません。", kind="warn"))

# %% [markdown]
# ## 1. 施行規則の号ごとの処理
# 仮名加工情報の三つの措置 (第31条第1号〜第3号) ごとに、どの列をどう処理したかをまとめます。

# %%
rows = [{"table": t, **c} for t, v in sorted(audit["tables"].items()) for c in v["columns"]]
columns = pd.DataFrame(rows)
columns["action_ja"] = [ACTION_JA.get(a, a) for a in columns["action"]]
columns["item_ja"] = [APPI_ITEM_JA.get(i, i) for i in columns["appi"]]
by_item = (columns[columns["appi"] != "not_personal"]
           .groupby(["item_ja", "action_ja"], as_index=False)
           .agg(n_columns=("column", "size"),
                tables=("table", lambda s: "、".join(sorted(set(s)))),
                names=("column", lambda s: "、".join(sorted(set(s))))))
show(b.table_block(by_item, {"item_ja": "号", "action_ja": "処理", "n_columns": "列数", "tables": "表",
                             "names": "列名"}, {"n_columns": b.fmt_int}, caption="表 1-1 号ごとの処理"))

# %% [markdown]
# ## 2. 表ごとの処理
# 列ごとに、処理の内容・根拠・処理前後の異なり数 (値の種類の数) を示します。値そのものは載せていません。

# %%
for table_name, info in sorted(audit["tables"].items()):
    part = columns[columns["table"] == table_name].copy()
    part["output"] = part["output"].fillna("—")
    verdict = "合格" if info["passed"] else "不合格"
    heading = f"表 {table_name} ({b.fmt_int(info['rows'])} 行、監査 {verdict})"
    show(f"<h3>{b.esc(heading)}</h3>")
    show(b.table_block(part, {"column": "列", "action_ja": "処理", "item_ja": "根拠 (第31条)", "output": "出力列",
                              "distinct_before": "異なり数 (前)", "distinct_after": "異なり数 (後)"},
                       {"distinct_before": b.fmt_int, "distinct_after": b.fmt_int}))
    survivors = info["deleted_columns_surviving"]
    leaks = info["raw_value_survivals"]
    show(b.paragraph(f"削除した列の残存: {'なし' if not survivors else '、'.join(survivors)}。"
                     f" 元の値が他の列に残っている箇所: {'なし' if not leaks else len(leaks)}。"))

# %% [markdown]
# ## 3. 匿名加工した住民データ (k 匿名性・l 多様性)
# 第三者に渡せる形 (匿名加工情報) にした住民データの安全性の指標です。

# %%
show(b.kv_block([
    ("公開する列", "、".join(anonymize["released_columns"])),
    ("準識別子 (組み合わせると個人を絞り込める列)", "、".join(anonymize["quasi_identifiers"])),
    ("k (同じ準識別子の人の最小人数)", f"{b.fmt_int(anonymize['k'])} (目標 {anonymize['k_target']} 以上)"),
    ("l (各グループの続柄の種類の最小数)", f"{anonymize['l']} (目標 {anonymize['l_target']} 以上)"),
    ("一般化の段階", "、".join(f"{k}: {v}" for k, v in sorted(anonymize["levels"].items()))),
    ("グループ数", b.fmt_int(anonymize["n_classes"])),
    ("入力行数 / 公開行数", f"{b.fmt_int(anonymize['rows_in'])} / {b.fmt_int(anonymize['rows_released'])}"),
    ("削除した行 (割合、上限)", f"{b.fmt_int(anonymize['records_suppressed'])} ({b.fmt_pct(anonymize['suppression_rate'])}、上限 {b.fmt_pct(anonymize['max_suppression'])})"),
], caption="表 3-1 匿名加工の結果"))

# %% [markdown]
# ## 4. 仮IDと削除情報等の管理
# 仮IDの作り方と、元に戻すための情報 (削除情報等) の保管場所です。

# %%
ps = audit["pseudonym"]
show(b.kv_block([
    ("方式", f"{ps['algorithm']} (秘密鍵つきハッシュ)、先頭 {ps['hex_length']} 桁 ({ps['bits']} ビット)"),
    ("偶然の重複確率 (10 万人 / 今回の人数)", f"{ps['collision_probability_n100000']:.1e} / {ps['collision_probability_observed']:.1e}"),
    ("鍵の出所", str(audit["key"]["source"])),
    ("加工ポリシーの版", f"{audit['policy']['version']} (SHA-256 {audit['policy']['sha256'][:16]})"),
    ("削除情報等の保管", "安全管理区域 (data/secure/) に分析用データと分けて保管"),
]))

# %% [markdown]
# ## 5. 取り込み時に除外した行
# 元データの検査で形式の誤りや重複のため除外した行の数です (除外した行の中身は安全管理区域にのみ残ります)。

# %%
ing = [{"table": t, "rows_in": v["rows_in"], "rows_out": v["rows_out"], "rows_quarantined": v["rows_quarantined"],
        "reasons": "、".join(f"{r} ({n})" for r, n in sorted(v.get("reasons", {}).items())) or "—"}
       for t, v in sorted(ingest.items()) if isinstance(v, dict) and "rows_in" in v]
show(b.table_block(pd.DataFrame(ing), {"table": "表", "rows_in": "入力行", "rows_out": "取り込んだ行",
                                       "rows_quarantined": "除外した行", "reasons": "理由 (件数)"},
                   {"rows_in": b.fmt_int, "rows_out": b.fmt_int, "rows_quarantined": b.fmt_int},
                   caption="表 5-1 取り込みの行数"))
