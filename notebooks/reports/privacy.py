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
# # 個人情報の加工 自動点検レポート (仮名加工・匿名加工)

# %% tags=["parameters"]
pseudonymize_audit = "reports/privacy/pseudonymize_audit.json"
anonymize_metrics = "metrics/anonymize.json"
ingest_metrics = "metrics/ingest.json"
student_tier_metrics = "metrics/student_tier.json"

# %%
import json
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from kogadx.privacy.audit import ACTION_JA
from kogadx.reporting import blocks as b
from kogadx.reporting.columns import column_label
from kogadx.reporting.findings import APPI_ITEM_JA, privacy_decision, privacy_findings


def show(html: str) -> None:
    display(HTML(html))


audit = json.loads(Path(pseudonymize_audit).read_text(encoding="utf-8"))
anonymize = json.loads(Path(anonymize_metrics).read_text(encoding="utf-8"))
ingest = json.loads(Path(ingest_metrics).read_text(encoding="utf-8"))
tier_path = Path(student_tier_metrics)
tier = json.loads(tier_path.read_text(encoding="utf-8")) if tier_path.is_file() else None
legal = audit.get("legal") or {}
decision = privacy_decision(audit, anonymize, tier)
zones = pd.DataFrame(legal.get("zones") or [], columns=["zone", "what", "who", "basis"])
show(b.decision_block(decision["question"], decision["finding"], zones,
                      {"zone": "区域", "who": "渡してよい相手", "basis": "根拠"},
                      decision["uncertainty"], decision["decider"], decision["next_step"],
                      options_caption="区域ごとの渡してよい相手と根拠"))
show(b.summary_block("この報告の要点", privacy_findings(audit, anonymize, tier),
                     lead=f"市は{legal.get('regime_text', '行政機関等 (個人情報保護法 第5章)')}として、"
                          "分析用データから何を削除・置き換え、誰に渡せるかを記録します。"))
if audit["key"].get("demo_key") or audit.get("synthetic_demo"):
    show(b.note_block("このデータは合成 (架空) の古賀市データです。デモ用の鍵は実データには使えません。", kind="warn"))

# %% [markdown]
# ## 0. 法的な位置づけと渡してよい相手
# 市の個人情報の取扱いは個人情報保護法第5章 (行政機関等) の規律を受けます。大学へは委託契約の相手方
# (委託を受けた者) としてのみ渡し、匿名加工した表も公開用ではありません。

# %%
if legal:
    show(b.kv_block([
        ("適用される規律", legal["regime_text"]),
        ("提供の経路", f"{legal['route']} (相手方: {legal['contractor'] or '未記入'})"),
        ("利用目的", legal["purpose"] or "未記入"),
        ("加工の基準", legal["processing_yardstick"]),
        ("匿名加工した表", legal["anonymized_release"]),
    ], caption="表 0-1 法的な位置づけ"))
    show(b.table_block(pd.DataFrame(legal["articles"]), {"article": "条文", "about": "内容"},
                       caption="表 0-2 適用される条文"))
    show(b.table_block(pd.DataFrame(legal["zones"]), {"zone": "区域", "what": "中身", "who": "渡してよい相手",
                                                      "basis": "根拠"}, caption="表 0-3 区域ごとの提供先"))

# %% [markdown]
# ## 1. 施行規則の号ごとの処理
# 削除する項目の基準として用いる施行規則第31条第1号〜第3号 (事業者向けの仮名加工情報の加工基準) ごとに、
# どの列をどう処理したかをまとめます。

# %%
rows = [{"table": t, **c} for t, v in sorted(audit["tables"].items()) for c in v["columns"]]
columns = pd.DataFrame(rows)
columns["action_ja"] = [ACTION_JA.get(a, a) for a in columns["action"]]
columns["item_ja"] = [APPI_ITEM_JA.get(i, i) for i in columns["appi"]]
columns["column"] = [column_label(t, c) for t, c in zip(columns["table"], columns["column"], strict=True)]
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
    heading = f"表 {table_name} ({b.fmt_int(info['rows'])} 行、自動点検 {verdict})"
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
# 行政機関等匿名加工情報の候補として加工した住民データの指標です。公開用ではなく、提案募集と契約を経た相手にのみ提供します。

# %%
show(b.kv_block([
    ("提供する列", "、".join(anonymize["released_columns"])),
    ("準識別子 (組み合わせると個人を絞り込める列)", "、".join(anonymize["quasi_identifiers"])),
    ("k (同じ準識別子の人の最小人数)", f"{b.fmt_int(anonymize['k'])} (目標 {anonymize['k_target']} 以上)"),
    (f"l (各グループの {anonymize.get('sensitive_ja') or anonymize['sensitive']} の種類の最小数)", f"{anonymize['l']} (目標 {anonymize['l_target']} 以上)"),
    ("一般化した内容", "、".join(f"{k}: {v}" for k, v in sorted(anonymize.get("generalisation", {}).items()))
     or "、".join(f"{k}: {v}" for k, v in sorted(anonymize["levels"].items()))),
    ("年齢が 10 歳幅以下の行の割合", b.fmt_pct(anonymize["age_band_10y_or_narrower_share"])
     if "age_band_10y_or_narrower_share" in anonymize else "—"),
    ("削除した行の年齢 (20 歳幅)", "、".join(f"{k} 歳: {v} 行" for k, v in anonymize.get("suppressed_by_age_20y", {}).items())
     or "なし"),
    ("有用性の指標 (情報損失)", f"{anonymize.get('metric', '—')}: {b.fmt_num(anonymize['information_loss'], 0)}"
     if "information_loss" in anonymize else "—"),
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
    ("偶然の重複確率 (10 万人 / 今回の人数)", f"{b.fmt_tiny(ps['collision_probability_n100000'])} / "
                                           f"{b.fmt_tiny(ps['collision_probability_observed'])}"),
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

# %% [markdown]
# ## 6. 乗車記録から個人を特定できる危険 (再識別リスク)
# 利用者ごとに乗車記録から p 件を無作為に選び、その p 件をすべて持つ利用者が本人だけである割合です
# (de Montjoye ほか 2013: 携帯電話の記録では 4 点で 95% が一意)。学生向けの階層は時刻を 1 時間単位、
# 停留所を町丁目にし、利用者番号を日ごとに振り直したもので、名簿・会員・アンケートとは結合できません。

# %%
if tier is not None:
    table = pd.DataFrame(tier["uniqueness"])
    table["tier_ja"] = table["tier"].map({"full": "仮名加工ログ (委託先)", "student": "学生向け"})
    wide = table.pivot_table(index=["tier_ja", "label"], columns="p", values="share_unique").reset_index()
    wide.columns = [str(c) for c in wide.columns]
    points = [c for c in wide.columns if c.isdigit()]
    show(b.table_block(wide, {"tier_ja": "データ", "label": "時刻 × 場所", **{p: f"{p} 点" for p in points}},
                       {p: b.fmt_pct for p in points}, caption="表 6-1 p 点で一意に特定できる利用者の割合"))
    show(b.paragraph(f"学生向けの階層で {tier['max_p']} 点で一意になる割合は "
                     f"{b.fmt_pct(tier['student_share_unique_at_max_p'])} です (1 日に {tier['max_p']} 回以上"
                     f"乗った利用者×日 {b.fmt_int(tier['student_riders_at_max_p'])} 件が対象。"
                     "日をまたぐと利用者番号が変わるため、それ以上の点は結び付きません)。"))
