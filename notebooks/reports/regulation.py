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

from kogadx.reporting import alt
from kogadx.reporting import blocks as b
from kogadx.reporting import regulation as reg
from kogadx.reporting.norute import figure_png


def show(html: str) -> None:
    display(HTML(html))


metrics = json.loads(Path(regulation_metrics).read_text(encoding="utf-8"))
candidates = reg.read_candidates(review_xlsx) if Path(review_xlsx).exists() else None
cv = metrics["cv"]
decision = reg.regulation_decision(metrics)
show(b.decision_block(decision["question"], decision["finding"], reg.decision_options(metrics),
                      {"share": "読む割合", "read": "読む条項数 (市の例規)", "recall_model": "見つかる割合 (判定モデル)",
                       "recall_keywords": "見つかる割合 (キーワードだけ)"},
                      decision["uncertainty"], decision["decider"], decision["next_step"],
                      {"share": lambda v: b.fmt_pct(v, 0), "read": b.fmt_int, "recall_model": lambda v: b.fmt_pct(v, 0),
                       "recall_keywords": lambda v: b.fmt_pct(v, 0)}))
show(b.summary_block("この報告の要点", reg.regulation_findings(metrics, candidates),
                     lead="条例・規則などの条文を、デジタル庁の類型に当たる「アナログ規制」らしい順に並べた結果です。"))
show(b.note_block("並べ順は判定モデルによる絞り込みです。該当するかどうか、どう見直すかは、担当課が条文を読んで"
                  "判断してください。全条項の一覧は、担当課に配る Excel ファイル (review.xlsx) にあります。"))

# %% [markdown]
# ## 1. まず読む条項
# アナログ規制に当たりそうな順の先頭です。確率は「同じような条項のうち実際に該当した割合」の見込みです
# (記録媒体 (FD 等) は学習用の正解がないため、キーワードの規則で類型の候補に加えています)。

# %%
if candidates is not None and len(candidates):
    in_budget = int((candidates["上位の目安"] == "○").sum())
    first = reg.read_first(candidates, min(int(top_n), max(in_budget, 1)))
    col = reg.score_column(candidates)
    show(b.table_block(first, {"順位": "順位", "法令名": "例規", "条項": "条項", "見出し": "見出し", col: col,
                               "類型の候補": "類型の候補", "条文": "条文", "デジタル代替案": "デジタル代替案の例"},
                       {col: lambda v: b.fmt_num(v, 2)},
                       caption=f"表 1-1 まず読む条項 (上位の目安 {b.fmt_int(len(first))} 条項 / 全 {b.fmt_int(len(candidates))} 条項; 全件は review.xlsx)",
                       numeric=["順位", col]))
else:
    show(b.note_block("見直し候補の一覧 (review.xlsx) がまだないか、条項が 0 件です。", kind="missing"))

# %% [markdown]
# ## 2. どこまで読めば、どれだけ見つかるか
# デジタル庁が公表した見直しリスト (工程表) の条項を正解として、法令ごとに分けた交差検証で確かめました
# (ある法令の条項を並べるときは、その法令を学習に使っていません)。横軸は並べた順に上から読む条項の割合、
# 縦軸は該当する条項のうち見つかる割合 (再現率) です。括弧内は法令を選び直して求めた 95% 区間です。

# %%
show(b.figure_bytes_block(figure_png(reg.plot_recall_curve(cv)), "図 2-1 読む条項の割合と見つかる割合",
                          alt.recall_curve(cv)))
model, kw = cv["model"], cv["keywords"]
rows = [(f"上位 {b.fmt_pct(cv['budget'], 0)} を読んだときの再現率 (判定モデル)",
         f"{b.fmt_pct(model['recall_at_budget'], 0)} ({b.fmt_pct(model['recall_interval']['low'], 0)}〜{b.fmt_pct(model['recall_interval']['high'], 0)})"),
        ("同 (キーワードの数で並べた場合)",
         f"{b.fmt_pct(kw['recall_at_budget'], 0)} ({b.fmt_pct(kw['recall_interval']['low'], 0)}〜{b.fmt_pct(kw['recall_interval']['high'], 0)})")]
rows += [(f"先頭 {k} 条項のうち該当の割合 (判定モデル / キーワード)",
          f"{b.fmt_pct(model['precision_at'][k], 0)} / {b.fmt_pct(kw['precision_at'][k], 0)}")
         for k in sorted(model["precision_at"], key=int)]
rows.append(("キーワードが 1 つでも当たった条項 (件数・うち該当の割合・再現率)",
             f"{b.fmt_int(cv['keywords_any_hit']['flagged'])} 件・{b.fmt_pct(cv['keywords_any_hit']['precision'], 0)}・"
             f"{b.fmt_pct(cv['keywords_any_hit']['recall'], 0)}"))
show(b.kv_block(rows, caption=f"表 2-1 交差検証の結果 ({b.fmt_int(cv['laws_with_clauses'])} 法令・{b.fmt_int(cv['clauses'])} 条項、"
                              f"うち該当 {b.fmt_int(cv['positive_clauses'])} 条項、{b.fmt_int(cv['folds'])} 分割)", numeric=False))

# %% [markdown]
# ## 3. 類型別
# 類型ごとに、その類型の確からしさの順で上位を読んだときの再現率です。正解の条項が少ない類型は確かめようがなく、
# 数字をそのまま信じないでください。

# %%
categories = reg.category_table(metrics)
show(b.table_block(categories, {"category": "類型", "explain": "どんな規定か", "support": "正解の条項数",
                                "recall": f"再現率 (上位 {b.fmt_pct(cv['budget'], 0)})", "kw_recall": "キーワードのみ",
                                "n": "今回の上位に入った条項", "alternative": "デジタル代替案の例"},
                   {"support": lambda v: "—" if v != v else b.fmt_int(v), "recall": lambda v: "—" if v != v else b.fmt_pct(v, 0),
                    "kw_recall": lambda v: "—" if v != v else b.fmt_pct(v, 0), "n": b.fmt_int},
                   caption="表 3-1 類型別の再現率と今回の上位の条項", numeric=["support", "recall", "kw_recall", "n"]))

# %% [markdown]
# ## 4. 判定を記入して、次の点検に活かす
# review.xlsx の「判定」(該当 / 非該当 / 保留)、「類型」、「見直し方針」を一覧から選んで記入し、
# `kogadx regulation learn review.xlsx` を実行すると、市の判定ラベル (data/regulation/city_labels.csv) に加わり、
# 判定モデルがその判定を加えて学習し直します。書き換えられた条項ID や一覧にない判定があると、シート名と行番号を示して
# 取り込みを止めます (判定は黙って捨てません)。

# %%
city = metrics.get("city_labels", {})
show(b.kv_block([("学習した判定の回数", b.fmt_int(city.get("rounds", 0))),
                 ("判定の件数 (該当 / 非該当 / 保留)",
                  f"{b.fmt_int(city.get('decisions', 0))} ({b.fmt_int(city.get('該当', 0))} / {b.fmt_int(city.get('非該当', 0))}"
                  f" / {b.fmt_int(city.get('保留', 0))})")],
                caption="表 4-1 市の職員の判定", numeric=False))

# %% [markdown]
# ## 5. 確率の確かさ
# 確率の区間ごとに、交差検証で実際に該当した割合を並べました。両者が近いほど、確率をそのまま読めます。

# %%
if metrics.get("calibrated"):
    show(b.table_block(reg.calibration_table(cv), {"bin": "確率の区間", "n": "条項数", "predicted": "確率の平均",
                                                   "observed": "実際に該当した割合"},
                       {"n": b.fmt_int, "predicted": lambda v: b.fmt_pct(v, 1), "observed": lambda v: b.fmt_pct(v, 1)},
                       caption=f"表 5-1 確率と実際の割合 (Brier スコア {b.fmt_num(cv['calibration']['brier'], 3)})",
                       numeric=["n", "predicted", "observed"]))
else:
    show(b.note_block("このモデルは較正できていないため、スコアは確率として読めません。", kind="missing"))
