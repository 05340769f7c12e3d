"""The analog-regulation report: what the scan found, how far to trust it, what to do next.

Reads the ``regulation_scan`` stage's outputs only: ``metrics/regulation.json`` (scan counts,
grouped cross-validation on the Digital Agency's labelled list) and the staff workbook
``reports/regulation/review.xlsx`` (sheet 「見直し候補」). Pure functions, tables and
sentences out, so tests can check that the report follows the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from kogadx.regulation.keywords import ALL_CATEGORIES, DIGITAL_ALTERNATIVES, FD_CATEGORY
from kogadx.reporting.blocks import fmt_int, fmt_pct

CANDIDATE_SHEET = "見直し候補"
# What each category means, in a sentence a policy officer can check a clause against
# (the Digital Agency's seven review categories, DOMAIN.md §4, plus recording media).
CATEGORY_EXPLAIN_JA = {
    "目視規制": "人が現地で目で見て確認することを求める規定",
    "実地監査": "事業所などに出向いて監査・検査することを求める規定",
    "定期検査": "一定の期間ごとに検査・点検することを求める規定",
    "書面掲示": "書面を事務所や現場に掲示することを求める規定",
    "常駐専任": "特定の資格者などが現場に常駐・専任することを求める規定",
    "対面講習": "講習・研修を対面で受けることを求める規定",
    "往訪閲覧": "書類を閲覧するために窓口へ出向くことを求める規定",
    FD_CATEGORY: "フロッピーディスク・CD-ROM などの記録媒体での提出を指定する規定",
}


def read_candidates(review_xlsx: str | Path) -> pd.DataFrame:
    """The 「見直し候補」 sheet of the staff workbook (one row per clause × category)."""
    return pd.read_excel(review_xlsx, sheet_name=CANDIDATE_SHEET, dtype={"条項": str})


def category_table(scan: Mapping[str, Any]) -> pd.DataFrame:
    """Candidates per category (all categories, zero included) with the digital alternative."""
    counts = scan.get("by_category") or {}
    rows = [{"category": c, "explain": CATEGORY_EXPLAIN_JA.get(c, ""), "n": int(counts.get(c, 0)),
             "alternative": DIGITAL_ALTERNATIVES.get(c, "")} for c in ALL_CATEGORIES]
    return pd.DataFrame(rows, columns=["category", "explain", "n", "alternative"])


def top_candidates(candidates: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The ``top_n`` highest-scoring candidate rows (score, then law and clause for ties)."""
    order = candidates.sort_values(["スコア", "法令名", "条項", "類型"], ascending=[False, True, True, True],
                                   kind="mergesort")
    return order.head(int(top_n)).reset_index(drop=True)


def accuracy_table(cv: Mapping[str, Any], level: str = "clause") -> pd.DataFrame:
    """Per-category precision/recall/F1 of the classifier and of keywords alone (grouped CV)."""
    part = cv[level]
    rows = []
    for category in [c for c in ALL_CATEGORIES if c in part["classifier"]["per_category"]]:
        model = part["classifier"]["per_category"][category]
        keywords = part["keywords"]["per_category"].get(category, {})
        rows.append({"category": category, "support": int(model.get("support", 0)),
                     "precision": model.get("precision"), "recall": model.get("recall"), "f1": model.get("f1"),
                     "kw_precision": keywords.get("precision"), "kw_recall": keywords.get("recall"),
                     "kw_f1": keywords.get("f1")})
    model, keywords = part["classifier"]["any_category"], part["keywords"]["any_category"]
    rows.append({"category": "どれかの類型に該当", "support": int(part.get("positive_rows", 0)),
                 "precision": model["precision"], "recall": model["recall"], "f1": model["f1"],
                 "kw_precision": keywords["precision"], "kw_recall": keywords["recall"], "kw_f1": keywords["f1"]})
    return pd.DataFrame(rows)


def regulation_findings(metrics: Mapping[str, Any], candidates: pd.DataFrame | None) -> list[str]:
    """Scan volume, where the candidates are, and how reliable the flags are (clause level)."""
    scan = metrics["scan"]
    several = (f" (類型との組で {fmt_int(scan['candidate_rows'])} 件。1 条項が複数の類型に当たることがあります)"
               if int(scan["candidate_rows"]) > int(scan["candidate_clauses"]) else "")
    out = [f"{fmt_int(scan['files'])} 件の例規・法令ファイルの {fmt_int(scan['clauses'])} 条項を点検し、"
           f"アナログ規制の見直し候補を {fmt_int(scan['candidate_clauses'])} 条項{several}見つけました。"]
    counts = {c: int(n) for c, n in (scan.get("by_category") or {}).items() if int(n) > 0}
    if counts:
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], ALL_CATEGORIES.index(kv[0])
                                                        if kv[0] in ALL_CATEGORIES else 99))
        out.append("類型別では " + "、".join(f"{c} {fmt_int(n)} 件" for c, n in ranked[:4])
                   + ("などです。" if len(ranked) > 4 else "です。"))
    scored = candidates[candidates["類型"] != FD_CATEGORY] if candidates is not None else None
    if scored is not None and len(scored):
        best = top_candidates(scored, 1).iloc[0]
        out.append(f"判定モデルのスコアが最も高い候補は「{best['法令名']}」{best['条項']} ({best['類型']}、"
                   f"スコア {best['スコア']:.2f}) で、デジタル代替案の例は「{best['デジタル代替案']}」です。")
    n_fd = int(counts.get(FD_CATEGORY, 0))
    if n_fd:
        out[-1] += f"記録媒体 (FD 等) を指定する規定は {fmt_int(n_fd)} 件で、これはキーワードの規則で拾っています。"
    clause = metrics["cv"]["clause"]
    model, keywords = clause["classifier"]["any_category"], clause["keywords"]["any_category"]
    out.append(f"判定の確かさ: デジタル庁の見直しリスト {fmt_int(metrics['training']['laws'])} 法令で、"
               "学習に使わなかった"
               f"法令の条項を判定させると、候補に挙げた条項のうち本当に該当したのは {fmt_pct(model['precision'], 0)}、"
               f"該当する条項のうち候補に挙げられたのは {fmt_pct(model['recall'], 0)} でした "
               f"(キーワード検索だけでは {fmt_pct(keywords['precision'], 0)} と {fmt_pct(keywords['recall'], 0)})。"
               "候補は職員が条文を読んで判断するための絞り込みで、該当の判定ではありません。")
    return out


def plot_category_counts(table: pd.DataFrame) -> Any:
    """Horizontal bars: candidate clauses per category (all categories, in the official order)."""
    from kogadx.plotting import setup

    plt = setup()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.2))
    ordered = table.iloc[::-1]
    ax.barh(ordered["category"], ordered["n"], color="#3b6ea5")
    for y, n in enumerate(ordered["n"]):
        ax.text(n, y, f" {int(n)}", va="center", fontsize=9)
    ax.set_xlabel("見直し候補の件数")
    ax.set_title("類型別の見直し候補")
    ax.set_xlim(0, max(1, int(table["n"].max())) * 1.15)
    ax.xaxis.get_major_locator().set_params(integer=True)  # counts: no 0.5 ticks
    return fig


def accuracy_note(cv: Mapping[str, Any], level: str = "clause", weak_f1: float = 0.1) -> str:
    """Plain reading of :func:`accuracy_table`: model vs keywords overall, and the weak categories."""
    part = cv[level]
    model, keywords = part["classifier"]["any_category"], part["keywords"]["any_category"]
    text = (f"どれかの類型に当たる条項を拾う力で比べると、判定モデルの候補は {fmt_pct(model['precision'], 0)} が該当し"
            f" (キーワード検索だけでは {fmt_pct(keywords['precision'], 0)})、"
            f"該当する条項の {fmt_pct(model['recall'], 0)} を拾いました"
            f" (キーワード検索だけでは {fmt_pct(keywords['recall'], 0)})。")
    text += ("キーワード検索より候補を絞り込める代わりに、見落としは増えます。"
             if model["precision"] > keywords["precision"] and model["recall"] < keywords["recall"] else "")
    weak = [c for c, m in part["classifier"]["per_category"].items() if float(m.get("f1") or 0.0) < weak_f1]
    if weak:
        support = {c: int(part["classifier"]["per_category"][c].get("support", 0)) for c in weak}
        text += ("次の類型は判定がほとんど当たりません (F1 が " + fmt_pct(weak_f1, 0) + " 未満): "
                 + "、".join(f"{c} (正解 {fmt_int(support[c])} 条項)" for c in weak)
                 + "。これらの類型はこの判定に頼らず、これまでどおり例規集のキーワード検索でも確認してください。")
    return text
