"""Review list for staff: candidate clauses, category, keywords, score, digital alternative.

One row per (clause, category): a clause flagged for two categories appears twice, so staff
can filter by 類型 in Excel. Sorted by score (desc), then law and clause order.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping

import numpy as np
import pandas as pd

from kogadx.io import FORMULA_TRIGGERS
from kogadx.regulation.keywords import (
    DIGITAL_ALTERNATIVES,
    FD_CATEGORY,
    LABELLED_CATEGORIES,
    KeywordMatcher,
)

REVIEW_COLUMNS = ["法令名", "条項", "条文", "類型", "該当キーワード", "スコア", "デジタル代替案", "見出し", "ファイル"]
# A fixed timestamp for the workbook metadata and zip entries: same input → same bytes.
_FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"
_FIXED_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def build_review_list(clauses: pd.DataFrame, scores: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Candidates: categories with score ≥ ``threshold``, plus FD等記録媒体 by rule (score 1.0).

    ``clauses`` is a frame from :func:`kogadx.regulation.loaders.load_corpus`; ``scores`` the
    (n, 7) frame of :func:`kogadx.regulation.model.score_clauses`, same index.
    """
    matcher = KeywordMatcher.default()
    rows = []
    for position, (index, clause) in enumerate(clauses.iterrows()):
        matched = matcher.match(f"{clause['caption']}\n{clause['text']}")
        flagged = [(c, float(scores.at[index, c])) for c in LABELLED_CATEGORIES if scores.at[index, c] >= threshold]
        if FD_CATEGORY in matched:
            flagged.append((FD_CATEGORY, 1.0))  # rule-based: no labels exist for FD等
        for category, score in flagged:
            rows.append(
                {
                    "法令名": clause["law_title"],
                    "条項": clause["clause_ref"],
                    "条文": clause["text"],
                    "類型": category,
                    "該当キーワード": "、".join(matched.get(category, [])),
                    "スコア": round(score, 3),
                    "デジタル代替案": DIGITAL_ALTERNATIVES[category],
                    "見出し": clause["caption"],
                    "ファイル": clause["source_file"],
                    "_order": position,
                }
            )
    review = pd.DataFrame(rows, columns=[*REVIEW_COLUMNS, "_order"])
    review = review.sort_values(["スコア", "_order", "類型"], ascending=[False, True, True], kind="stable")
    return review.drop(columns="_order").reset_index(drop=True)


def review_summary(review: pd.DataFrame, clauses: pd.DataFrame) -> pd.DataFrame:
    """Per-category count of candidate rows, with the digital alternative (second sheet)."""
    counts = review["類型"].value_counts()
    categories = [*LABELLED_CATEGORIES, FD_CATEGORY]
    return pd.DataFrame(
        {
            "類型": categories,
            "候補件数": [int(counts.get(c, 0)) for c in categories],
            "デジタル代替案": [DIGITAL_ALTERNATIVES[c] for c in categories],
            "走査した条項数": len(clauses),
        }
    )


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
    sheet.title = "見直し候補"
    _write_frame(sheet, review)
    widths = {"法令名": 24, "条項": 18, "条文": 80, "類型": 12, "該当キーワード": 18, "スコア": 8,
              "デジタル代替案": 36, "見出し": 18, "ファイル": 28}
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
