"""The analog-regulation report: what to read first, how much of it staff will find, what to do next.

Reads the ``regulation_scan`` stage's outputs only: ``metrics/regulation.json`` (grouped
cross-validation at a review budget on the Digital Agency's labelled list, the city's rounds of
decisions, the scan) and the staff workbook ``reports/regulation/review.xlsx`` (sheet
「見直し候補」, one row per clause in rank order). Pure functions, tables and sentences out,
so tests can check that the report follows the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from kogadx.regulation.keywords import ALL_CATEGORIES, DIGITAL_ALTERNATIVES, FD_CATEGORY, LABELLED_CATEGORIES
from kogadx.reporting.blocks import fmt_int, fmt_pct

CANDIDATE_SHEET = "見直し候補"
TARGET_RECALL = 0.90  # issue #21: recall (any category) at a 10 % budget
MIN_SUPPORT = 10  # fewer labelled clauses than this: a category's recall is not measurable
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
    """The 「見直し候補」 sheet of the staff workbook (one row per clause, in rank order)."""
    return pd.read_excel(review_xlsx, sheet_name=CANDIDATE_SHEET, dtype={"条項": str, "上位の目安": str})


def score_column(candidates: pd.DataFrame) -> str:
    """確率 when the ranker was calibrated, else スコア (a rank, not a probability)."""
    return "確率" if "確率" in candidates.columns else "スコア"


def read_first(candidates: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The first ``top_n`` rows of the list (順位 order): what staff read first."""
    return candidates.sort_values("順位", kind="mergesort").head(int(top_n)).reset_index(drop=True)


def _pct_range(interval: Mapping[str, float]) -> str:
    return f"{fmt_pct(interval['low'], 0)}〜{fmt_pct(interval['high'], 0)}"


def weak_categories(cv: Mapping[str, Any], min_recall: float = TARGET_RECALL) -> list[tuple[str, int, float, str]]:
    """(category, support, recall, why) for categories below ``min_recall`` or with too few examples."""
    out = []
    for category in LABELLED_CATEGORIES:
        entry = cv["model"]["per_category"][category]
        support, recall = int(entry["support"]), float(entry["recall_at_budget"])
        if support < MIN_SUPPORT:
            out.append((category, support, recall, "正解の条項が少なく、確かめられていません"))
        elif recall < min_recall:
            out.append((category, support, recall, "見落としが多めです"))
    return out


def regulation_findings(metrics: Mapping[str, Any], candidates: pd.DataFrame | None) -> list[str]:
    """What to read first, how much of it staff find, how far to trust the numbers, rounds, weak spots."""
    scan, cv, city = metrics["scan"], metrics["cv"], metrics.get("city_labels", {})
    budget = float(cv["budget"])
    out = [f"{fmt_int(scan['files'])} 件の例規の {fmt_int(scan['clauses'])} 条項を、"
           "アナログ規制に当たりそうな順に並べました。"
           f"まず上位 {fmt_int(scan['clauses_in_budget'])} 条項 (全体の {fmt_pct(budget, 0)}、"
           "review.xlsx の「上位の目安」が ○ の行) を読んでください。"]
    if candidates is not None and len(candidates):
        first = read_first(candidates, 3)
        col = score_column(candidates)
        unit = "確率" if col == "確率" else "スコア"
        out[-1] += "最初の 3 条項は " + "、".join(
            f"「{r['法令名']}」{r['条項']} ({r['類型の候補']}、{unit} {float(r[col]):.2f})"
            for _, r in first.iterrows()) + " です。"
    model, kw = cv["model"], cv["keywords"]
    reached = model["recall_at_budget"] >= TARGET_RECALL
    out.append(f"見つかる割合: デジタル庁の見直しリストのある {fmt_int(cv['laws_with_clauses'])} 法令 "
               f"({fmt_int(cv['clauses'])} 条項、うち該当 {fmt_int(cv['positive_clauses'])} 条項) で、"
               "判定に使う法令を学習から外して"
               f"確かめると、上位 {fmt_pct(budget, 0)} を読めば該当する条項の {fmt_pct(model['recall_at_budget'], 0)} "
               f"(95% 区間 {_pct_range(model['recall_interval'])}) が見つかりました。キーワードの数で並べた場合は "
               f"{fmt_pct(kw['recall_at_budget'], 0)} ({_pct_range(kw['recall_interval'])}) です。"
               + ("目標の 90% に届いています。" if reached else
                  f"目標の 90% には届いていません。残りの該当条項を見落とさないよう、上位 {fmt_pct(budget, 0)} の後も"
                  "キーワード検索と併せて確認してください。"))
    if metrics.get("calibrated"):
        out.append(f"「確率」は、同じような条項のうち実際にアナログ規制だった割合に合うよう較正してあります "
                   f"(交差検証での平均のずれ {fmt_pct(cv['calibration']['ece'], 1)})。"
                   "確率 0.3 の条項は、10 件読めば 3 件ほどが該当する見込みという意味です。")
    else:
        out.append("「スコア」は並べる順の目安で、確率ではありません (較正に使える法令が足りませんでした)。")
    rounds = int(city.get("rounds", 0))
    if rounds:
        out.append(f"市の職員の判定を {fmt_int(rounds)} 回分 ({fmt_int(city['decisions'])} 件: "
                   f"該当 {fmt_int(city['該当'])}・"
                   f"非該当 {fmt_int(city['非該当'])}・保留 {fmt_int(city['保留'])}) 学習に加えています。")
    else:
        out.append("市の職員の判定はまだ学習していません。review.xlsx の「判定」「類型」「見直し方針」に記入して "
                   "`kogadx regulation learn review.xlsx` を実行すると、次の点検からその判定を加えて並べ直します。")
    weak = weak_categories(cv)
    if weak:
        out.append("弱い類型: " + "、".join(f"{c} (正解 {fmt_int(n)} 条項、上位 {fmt_pct(budget, 0)} で "
                                            f"{fmt_pct(r, 0)}; {why})"
                                            for c, n, r, why in weak)
                   + "。これらは例規集のキーワード検索でも確認してください。")
    return out


def curve_table(cv: Mapping[str, Any]) -> pd.DataFrame:
    """Budget × (model, keywords) recall, one row per budget."""
    budgets = list(cv["model"]["curve"])
    return pd.DataFrame({"budget": [float(b) for b in budgets],
                         "model": [float(cv["model"]["curve"][b]) for b in budgets],
                         "keywords": [float(cv["keywords"]["curve"][b]) for b in budgets]})


def category_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Per category: meaning, labelled support, recall at budget (model / keywords), clauses in the top."""
    cv, in_top = metrics["cv"], metrics["scan"].get("by_category") or {}
    rows = []
    for c in ALL_CATEGORIES:
        model = cv["model"]["per_category"].get(c)
        kw = cv["keywords"]["per_category"].get(c)
        rows.append({"category": c, "explain": CATEGORY_EXPLAIN_JA.get(c, ""),
                     "support": int(model["support"]) if model else None,
                     "recall": float(model["recall_at_budget"]) if model else None,
                     "kw_recall": float(kw["recall_at_budget"]) if kw else None,
                     "n": int(in_top.get(c, 0)), "alternative": DIGITAL_ALTERNATIVES.get(c, "")})
    return pd.DataFrame(rows, columns=["category", "explain", "support", "recall", "kw_recall", "n", "alternative"])


def calibration_table(cv: Mapping[str, Any]) -> pd.DataFrame:
    """Reliability bins: predicted probability vs observed share of analog clauses."""
    return pd.DataFrame(cv["calibration"]["bins"], columns=["bin", "n", "predicted", "observed"])


def plot_recall_curve(cv: Mapping[str, Any]) -> Any:
    """Recall at each budget, model vs keywords (log x), the review budget marked."""
    from kogadx.plotting import setup

    plt = setup()
    table = curve_table(cv)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.plot(table["budget"] * 100, table["model"] * 100, "-o", label="判定モデル")
    ax.plot(table["budget"] * 100, table["keywords"] * 100, "--s", label="キーワードの数で並べた場合")
    ax.axvline(float(cv["budget"]) * 100, color="grey", lw=0.8)
    ax.axhline(TARGET_RECALL * 100, color="#b55", lw=0.8, ls=":", label="目標 90%")
    ax.set_xscale("log")
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100) if t >= table["budget"].min() * 100 - 1e-9]
    ax.set_xticks(ticks, [f"{t}%" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("読む条項の割合 (並べた順に上から)")
    ax.set_ylabel("該当する条項のうち見つかる割合 (%)")
    ax.set_ylim(0, 102)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def decision_options(metrics: Mapping[str, Any],
                     shares: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5)) -> pd.DataFrame:
    """How much to read: for each share of the city's clauses, the clauses staff read (rounded up, as
    the scan's 上位の目安) and the recall the law-grouped CV measured for the model and for keywords
    at that share (``cv.*.curve``)."""
    cv, clauses = metrics["cv"], int(metrics["scan"]["clauses"])
    rows = []
    for share in shares:
        key = format(share, "g")
        model = cv["model"]["curve"].get(key)
        words = cv["keywords"]["curve"].get(key)
        if model is None:
            continue
        rows.append({"share": share, "read": max(1, math.ceil(share * clauses - 1e-9)), "recall_model": model,
                     "recall_keywords": words if words is not None else float("nan")})
    return pd.DataFrame(rows)


def regulation_decision(metrics: Mapping[str, Any]) -> dict[str, str]:
    """The decision page's sentences for the regulation report, every number from ``metrics``."""
    cv, scan = metrics["cv"], metrics["scan"]
    budget = float(cv["budget"])
    model = cv["model"]
    interval = model.get("recall_interval", {})
    rounds = int(metrics.get("city_labels", {}).get("rounds", 0))
    finding = (f"点検した {fmt_int(scan['files'])} 件の例規の {fmt_int(scan['clauses'])} 条項のうち、上位 "
               f"{fmt_pct(budget, 0)} ({fmt_int(scan['clauses_in_budget'])} 条項) を読むと、法令での検証では"
               f"アナログ規制の約 {fmt_pct(model['recall_at_budget'], 0)}"
               + (f" ({_pct_range(interval)})" if interval else "")
               + f" が見つかります (キーワードだけでは {fmt_pct(cv['keywords']['recall_at_budget'], 0)})。")
    return {
        "question": "アナログ規制の見直しで、職員はどの条項から、どこまで読むか。",
        "finding": finding,
        "uncertainty": ("再現率は国の法令 (デジタル庁の点検結果が正解として付いたもの) で測った値で、"
                        "市の例規での値ではありません。"
                        "並べ順は読む順番の目安で、該当するかどうかは職員が条文を読んで判断します。"
                        + (f"市の職員の判定は {rounds} 回分を学習済みです。" if rounds else
                           "市の職員の判定はまだ学習していません。")),
        "decider": "行政改革・DX 担当課 (見直しの進め方)、各条例を所管する課 (条項ごとの判定と見直し方針)。",
        "next_step": ("上位の条項から読み、担当課に配る Excel (review.xlsx) の「判定」「見直し方針」に"
                      "記入して返してもらう。返ってきた判定を学習させると、次の点検の並べ順に反映されます。"),
    }
