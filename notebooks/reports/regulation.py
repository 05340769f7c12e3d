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
# # アナログ規制の点検レポート

# %% tags=["parameters"]
regulation_metrics = "metrics/regulation.json"
review_xlsx = "reports/regulation/review.xlsx"
top_n = 30

# %%
import json
from pathlib import Path

from IPython.display import HTML, display

from kogadx.reporting import blocks as b
from kogadx.reporting import regulation as reg
from kogadx.reporting.norute import figure_png


def show(html: str) -> None:
    display(HTML(html))


metrics = json.loads(Path(regulation_metrics).read_text(encoding="utf-8"))
candidates = reg.read_candidates(review_xlsx) if Path(review_xlsx).exists() else None
show(b.summary_block("この報告の要点", reg.regulation_findings(metrics, candidates),
                     lead="条例・規則などの条文から、デジタル庁の類型に当たる「アナログ規制」の見直し候補を機械的に拾い出した結果です。"))
show(b.note_block("候補はキーワードと判定モデルによる絞り込みです。該当するかどうか、どう見直すかは、"
                  "担当課が条文を読んで判断してください。全件の一覧は reports/regulation/review.xlsx (Excel) にあります。"))

# %% [markdown]
# ## 1. 類型別の候補件数
# デジタル庁が示すアナログ規制の類型ごとに、候補の件数と、よく使われるデジタル代替案を示します。

# %%
categories = reg.category_table(metrics["scan"])
show(b.figure_bytes_block(figure_png(reg.plot_category_counts(categories)), "図 1-1 類型別の見直し候補の件数"))
show(b.table_block(categories, {"category": "類型", "explain": "どんな規定か", "n": "候補件数", "alternative": "デジタル代替案の例"},
                   {"n": b.fmt_int}, caption=f"表 1-1 類型別の候補 (点検した条項 {b.fmt_int(metrics['scan']['clauses'])})",
                   numeric=["n"]))

# %% [markdown]
# ## 2. 見直し候補 (確からしい順)
# スコアは判定モデルが「その類型に当たる」と見積もった確からしさ (0〜1) です。記録媒体 (FD 等) は
# 学習用の正解がないため、キーワードの規則で拾い、スコアは 1 としています。

# %%
if candidates is not None and len(candidates):
    top = reg.top_candidates(candidates, top_n)
    show(b.table_block(top, {"法令名": "例規・法令", "条項": "条項", "見出し": "見出し", "類型": "類型", "スコア": "スコア",
                             "該当キーワード": "該当キーワード", "条文": "条文", "デジタル代替案": "デジタル代替案"},
                       {"スコア": lambda v: b.fmt_num(v, 2)},
                       caption=f"表 2-1 見直し候補 (上位 {b.fmt_int(len(top))} 件 / 全 {b.fmt_int(len(candidates))} 件)",
                       numeric=["スコア"]))
else:
    show(b.note_block("見直し候補の一覧 (review.xlsx) がまだないか、候補が 0 件です。", kind="missing"))

# %% [markdown]
# ## 3. 判定の確かさ
# デジタル庁が公表した見直しリストの条項を正解として、法令ごとに分けた交差検証で確かめました
# (ある法令の条項を判定するときは、その法令を学習に使っていません)。
# 「適合率」は候補に挙げたもののうち本当に該当した割合、「再現率」は該当するもののうち候補に挙げられた割合です。

# %%
clause = reg.accuracy_table(metrics["cv"], "clause")
pct = {c: (lambda v: b.fmt_pct(v, 0)) for c in ("precision", "recall", "f1", "kw_precision", "kw_recall", "kw_f1")}
show(b.table_block(clause, {"category": "類型", "support": "正解の条項数", "precision": "適合率", "recall": "再現率",
                            "f1": "F1", "kw_precision": "キーワードのみ: 適合率", "kw_recall": "キーワードのみ: 再現率",
                            "kw_f1": "キーワードのみ: F1"},
                   {"support": b.fmt_int, **pct}, numeric=["support", *pct],
                   caption=f"表 3-1 条項の本文での判定 (学習データ {b.fmt_int(metrics['training']['clause_rows'])} 条項、"
                           f"{b.fmt_int(metrics['cv']['folds'])} 分割)"))
show(b.paragraph(reg.accuracy_note(metrics["cv"], "clause")))
