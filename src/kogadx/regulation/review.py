"""Review list for staff: every clause ranked by its probability of being an analog regulation.

One row per clause, in rank order (順位). The top ``budget`` share is marked (上位の目安): that
is what the recall-at-budget figure of the report promises staff will find by reading it. Staff
fill three columns, each with a drop-down list (Excel data validation):

* 判定 — 該当 / 非該当 / 保留 (:data:`DECISIONS`);
* 類型 — pre-filled with the suggested category; staff correct it when 該当;
* 見直し方針 — what to do (:data:`POLICIES`).

``kogadx regulation learn`` reads them back (:mod:`kogadx.regulation.learning`). 条項ID and
照合キー (a hash of 条項ID and 条文) tie each row to its clause, so an edited id is refused.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kogadx.io import FORMULA_TRIGGERS
from kogadx.regulation.keywords import (
    ALL_CATEGORIES,
    DIGITAL_ALTERNATIVES,
    FD_CATEGORY,
    LABELLED_CATEGORIES,
    KeywordMatcher,
)

REVIEW_SHEET = "見直し候補"
DECISIONS = ("該当", "非該当", "保留")
POLICIES = ("デジタル化して見直す", "見直し不要 (アナログのままでよい)", "国の法令改正に合わせる", "他課・他機関に確認",
            "その他 (備考に記入)")
STAFF_COLUMNS = ["判定", "類型", "見直し方針"]
REVIEW_COLUMNS = ["順位", "上位の目安", "条項ID", "法令名", "条項", "見出し", "条文", "確率", "類型の候補",
                  "該当キーワード", "デジタル代替案", *STAFF_COLUMNS, "ファイル", "照合キー"]
# A fixed timestamp for the workbook metadata and zip entries: same input → same bytes.
_FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"
_FIXED_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def clause_ids(clauses: pd.DataFrame) -> list[str]:
    """``<file>#<条項>``, with ``#2``, ``#3`` … on a repeat (a file with two 附則 第1条)."""
    seen: dict[str, int] = {}
    out = []
    for file, ref in zip(clauses["source_file"], clauses["clause_ref"], strict=True):
        base = f"{file}#{ref}"
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def check_key(clause_id: str, text: str) -> str:
    """First 12 hex digits of SHA-256 over 条項ID and 条文: an edited id (or text) no longer matches."""
    return hashlib.sha256(f"{clause_id}\n{text}".encode()).hexdigest()[:12]


def build_review_list(clauses: pd.DataFrame, scores: np.ndarray, budget: float, threshold: float,
                      calibrated: bool = True) -> pd.DataFrame:
    """Every clause, ranked by ``scores[:, 0]`` (the ``any`` probability), with category hints.

    ``scores`` is the (n, 8) array of :meth:`kogadx.regulation.model.RegulationRanker.scores`
    (``any`` then the seven categories). 類型の候補 lists the categories scoring ≥ ``threshold``
    (at least the best one) and FD等記録媒体 where its keywords occur (rule: no labels exist).
    The column is 確率 only when the ranker is ``calibrated``; otherwise スコア (not a probability).
    """
    from kogadx.regulation.ranking import budget_size

    matcher = KeywordMatcher.default()
    ids = clause_ids(clauses)
    rows = []
    for position, (clause_id, (_, clause)) in enumerate(zip(ids, clauses.iterrows(), strict=True)):
        matched = matcher.match(f"{clause['caption']}\n{clause['text']}")
        cat_scores = scores[position, 1:]
        order = np.argsort(-cat_scores, kind="stable")
        suggested = ([LABELLED_CATEGORIES[j] for j in order if cat_scores[j] >= threshold]
                     or [LABELLED_CATEGORIES[order[0]]])
        if FD_CATEGORY in matched:
            suggested = [FD_CATEGORY, *suggested]
        rows.append({
            "条項ID": clause_id, "法令名": clause["law_title"], "条項": clause["clause_ref"],
            "見出し": clause["caption"],
            "条文": clause["text"], "確率": float(round(scores[position, 0], 3)), "類型の候補": "、".join(suggested),
            "該当キーワード": "、".join(k for c in ALL_CATEGORIES for k in matched.get(c, [])),
            "デジタル代替案": DIGITAL_ALTERNATIVES[suggested[0]], "判定": "", "類型": suggested[0], "見直し方針": "",
            "ファイル": clause["source_file"], "照合キー": check_key(clause_id, str(clause["text"])),
            "_order": position,
        })
    review = pd.DataFrame(rows, columns=[c for c in REVIEW_COLUMNS if c not in ("順位", "上位の目安")] + ["_order"])
    review = review.sort_values(["確率", "_order"], ascending=[False, True], kind="stable").drop(columns="_order")
    review.insert(0, "順位", np.arange(1, len(review) + 1))
    top = budget_size(len(review), budget)
    review.insert(1, "上位の目安", ["○" if i < top else "" for i in range(len(review))])
    review = review.reset_index(drop=True)[REVIEW_COLUMNS]
    return review if calibrated else review.rename(columns={"確率": "スコア"})


def review_summary(review: pd.DataFrame, clauses: pd.DataFrame) -> pd.DataFrame:
    """Per category: clauses in the top budget whose first suggested category it is (second sheet)."""
    top = review[review["上位の目安"] == "○"]
    counts = top["類型"].value_counts()
    return pd.DataFrame({
        "類型": list(ALL_CATEGORIES),
        "上位の目安に入った条項": [int(counts.get(c, 0)) for c in ALL_CATEGORIES],
        "デジタル代替案": [DIGITAL_ALTERNATIVES[c] for c in ALL_CATEGORIES],
        "点検した条項数": len(clauses),
    })


SKIPPED_SHEET = "読み飛ばしたファイル"


def review_workbook(review: pd.DataFrame, summary: pd.DataFrame, skipped: Mapping[str, str] | None = None) -> bytes:
    """The xlsx with 「見直し候補」 and 「類型別件数」 sheets (openpyxl); byte-identical for same input.
    A third sheet 「読み飛ばしたファイル」 lists the files the scan skipped, with the reason, when any.

    openpyxl stamps the save time into docProps/core.xml and the zip entries; both are
    rewritten to a fixed date afterwards so DVC sees no change on a rerun.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = REVIEW_SHEET
    _write_frame(sheet, review)
    widths = {"スコア": 8, "順位": 6, "上位の目安": 8, "条項ID": 20, "法令名": 24, "条項": 14, "条文": 70, "確率": 8,
              "類型の候補": 16,
              "該当キーワード": 16, "デジタル代替案": 30, "判定": 9, "類型": 13, "見直し方針": 24, "見出し": 18,
              "ファイル": 24, "照合キー": 14}
    for j, column in enumerate(review.columns, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = widths.get(column, 14)
    text_col = list(review.columns).index("条文") + 1 if "条文" in review.columns else None
    for row in sheet.iter_rows(min_row=2):
        if text_col:
            row[text_col - 1].alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if len(review):
        sheet.auto_filter.ref = sheet.dimensions
        _add_dropdowns(sheet, list(review.columns), len(review))

    summary_sheet = workbook.create_sheet("類型別件数")
    _write_frame(summary_sheet, summary)
    for cell in summary_sheet[1]:
        cell.font = Font(bold=True)
    summary_sheet.column_dimensions["A"].width = 16
    summary_sheet.column_dimensions["C"].width = 48
    if skipped:
        skipped_sheet = workbook.create_sheet(SKIPPED_SHEET)
        _write_frame(skipped_sheet, pd.DataFrame({"ファイル": list(skipped), "理由": list(skipped.values())}))
        for cell in skipped_sheet[1]:
            cell.font = Font(bold=True)
        skipped_sheet.column_dimensions["A"].width = 48
        skipped_sheet.column_dimensions["B"].width = 60

    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise_xlsx(buffer.getvalue())


def _add_dropdowns(sheet, columns: list[str], n_rows: int) -> None:
    """Drop-down lists for 判定, 類型 and 見直し方針 (an entry off the list is refused by Excel,
    and ``learn`` refuses an unknown 判定 or 類型 from any other editor)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = {"判定": DECISIONS, "類型": ALL_CATEGORIES, "見直し方針": POLICIES}
    for column, values in lists.items():
        if column not in columns:
            continue
        letter = get_column_letter(columns.index(column) + 1)
        strict = column != "見直し方針"  # a policy may be typed freely; 判定 and 類型 may not
        validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                    showErrorMessage=strict, errorTitle="入力できない値です",
                                    error=f"{column} は一覧から選んでください")
        validation.add(f"{letter}2:{letter}{n_rows + 1}")
        sheet.add_data_validation(validation)


def _write_frame(sheet, frame: pd.DataFrame) -> None:
    """Header and rows; every text cell is stored as text, never as a formula.

    openpyxl stores a string starting with ``=`` as a formula: clause text from a scanned
    file is set back to a plain string (data type ``s``). A cell starting with a character a
    spreadsheet reads as a formula (:data:`kogadx.io.FORMULA_TRIGGERS`, after OWASP's CSV
    injection guidance) also gets Excel's quote prefix — the apostrophe a person types before
    such text — so that editing the cell does not turn it into a formula either.
    """
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        sheet.append([_cell_value(v) for v in values])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_TRIGGERS):
                    cell.quotePrefix = True


def _cell_value(value):
    if isinstance(value, np.generic):
        return value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _normalise_xlsx(data: bytes) -> bytes:
    """Fixed created/modified stamps and zip dates, entries in their original order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + _FIXED_TIMESTAMP.encode() + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()
