"""The review loop: staff decisions in ``review.xlsx`` → the city's label set → training rows.

:func:`read_decisions` parses a reviewed workbook (bytes) and refuses, naming the sheet and the
row, a workbook whose 判定 or 類型 is not one of the drop-down values, whose 条項ID or 条文 was
edited (照合キー no longer matches), or that lacks the sheet or a column. Every filled 判定
becomes one decision: none is dropped (``rows_in = decisions + undecided``).

:func:`append_round` adds the decisions to the label set (``data/regulation/city_labels.csv``)
as the next round; :func:`city_training_rows` turns the label set into training rows
(``source = "city"``; the latest decision per clause wins; 保留 stays in the set but is not
trained on, nor is 該当 with 類型 FD等記録媒体, a category without labelled training data).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd

from kogadx.io import InputFileError
from kogadx.regulation.keywords import ALL_CATEGORIES, LABELLED_CATEGORIES
from kogadx.regulation.review import DECISIONS, REVIEW_SHEET, STAFF_COLUMNS, check_key

LABEL_COLUMNS = ["round", "clause_id", "check_key", "law_title", "clause_ref", "caption", "text", "decision",
                 "category", "policy", "source_file"]
_REQUIRED = ["条項ID", "法令名", "条項", "見出し", "条文", *STAFF_COLUMNS, "ファイル", "照合キー"]


@dataclass(frozen=True)
class Decisions:
    """Decisions read from one workbook and the count of rows left undecided (判定 blank)."""

    frame: pd.DataFrame  # LABEL_COLUMNS without round
    undecided: int
    rows: int


def empty_labels() -> pd.DataFrame:
    """A label set with no decision yet (the columns of :data:`LABEL_COLUMNS`)."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "round" else object) for c in LABEL_COLUMNS})


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def read_decisions(data: bytes, source: str = "review.xlsx") -> Decisions:
    """The filled 判定 rows of the 「見直し候補」 sheet; InputFileError naming sheet and row."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # not an xlsx: zipfile, openpyxl and XML parsers raise many kinds
        raise InputFileError(f"{source}: Excel ブック (.xlsx) として読めません ({type(exc).__name__})") from None
    if REVIEW_SHEET not in workbook.sheetnames:
        raise InputFileError(f"{source}: シート「{REVIEW_SHEET}」がありません (見直し候補リストのブックではありません)")
    rows = list(workbook[REVIEW_SHEET].iter_rows(values_only=True))
    if not rows:
        raise InputFileError(f"{source}: シート「{REVIEW_SHEET}」が空です")
    header = [_cell(h) for h in rows[0]]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputFileError(f"{source}: シート「{REVIEW_SHEET}」の 1 行目に列がありません: {', '.join(missing)}")
    col = {name: header.index(name) for name in _REQUIRED}
    out, undecided = [], 0
    for number, values in enumerate(rows[1:], start=2):
        cells = {name: _cell(values[i]) if i < len(values) else "" for name, i in col.items()}
        if not any(cells.values()):
            continue  # a blank line at the end of the sheet
        where = f"{source}: シート「{REVIEW_SHEET}」の {number} 行目"
        decision = cells["判定"]
        if not decision:
            undecided += 1
            continue
        if decision not in DECISIONS:
            raise InputFileError(f"{where}: 判定は {' / '.join(DECISIONS)} のどれかにしてください (一覧にない値です)")
        if check_key(cells["条項ID"], cells["条文"]) != cells["照合キー"]:
            raise InputFileError(f"{where}: 条項ID または条文が書き換えられています (照合キーと一致しません)。"
                                 "元のリストの値に戻してください")
        category = cells["類型"]
        if category and category not in ALL_CATEGORIES:
            raise InputFileError(f"{where}: 類型は一覧 ({'、'.join(ALL_CATEGORIES)}) から選んでください")
        if decision == "該当" and not category:
            raise InputFileError(f"{where}: 判定が「該当」のときは類型を選んでください")
        out.append({"clause_id": cells["条項ID"], "check_key": cells["照合キー"], "law_title": cells["法令名"],
                    "clause_ref": cells["条項"], "caption": cells["見出し"], "text": cells["条文"],
                    "decision": decision,
                    "category": category if decision == "該当" else "", "policy": cells["見直し方針"],
                    "source_file": cells["ファイル"]})
    frame = pd.DataFrame(out, columns=[c for c in LABEL_COLUMNS if c != "round"])
    return Decisions(frame, undecided, len(out) + undecided)


def read_labels(data: bytes | None, source: str = "city_labels.csv") -> pd.DataFrame:
    """The city's label set (UTF-8 CSV, :data:`LABEL_COLUMNS`); empty when ``data`` is None."""
    if data is None or not data.strip():
        return empty_labels()
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise InputFileError(f"{source}: 列がありません: {', '.join(missing)}")
    bad = [i + 2 for i, r in enumerate(frame["round"]) if not r.isdigit()]
    if bad:
        raise InputFileError(f"{source}: {bad[0]} 行目: round は正の整数にしてください")
    frame["round"] = frame["round"].astype("int64")
    return frame[LABEL_COLUMNS]


def append_round(labels: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The label set with ``decisions`` added as round ``max(round) + 1`` (earlier rounds kept)."""
    next_round = int(labels["round"].max()) + 1 if len(labels) else 1
    added = decisions.assign(round=next_round)[LABEL_COLUMNS]
    return pd.concat([labels[LABEL_COLUMNS], added], ignore_index=True) if len(labels) else added.reset_index(drop=True)


def labels_csv(labels: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header, ``\\n`` line ends (same rows → same bytes)."""
    return labels[LABEL_COLUMNS].to_csv(index=False, lineterminator="\n").encode("utf-8")


def city_training_rows(labels: pd.DataFrame) -> pd.DataFrame:
    """Training rows (columns of the embedded set) from the latest decision per clause."""
    columns = ["source", "group", "law_title", "clause_ref", "caption", "text", "labels"]
    if labels.empty:
        return pd.DataFrame(columns=columns)
    latest = labels.sort_values("round", kind="stable").drop_duplicates("clause_id", keep="last")
    usable = latest[(latest["decision"] == "非該当")
                    | ((latest["decision"] == "該当") & latest["category"].isin(LABELLED_CATEGORIES))]
    usable = usable.sort_values(["source_file", "clause_id"], kind="stable")
    return pd.DataFrame({
        "source": "city",
        "group": "city:" + usable["source_file"].astype(str),
        "law_title": usable["law_title"], "clause_ref": usable["clause_ref"], "caption": usable["caption"],
        "text": usable["text"], "labels": usable["category"].where(usable["decision"] == "該当", ""),
    })[columns].reset_index(drop=True)


def label_summary(labels: pd.DataFrame) -> dict[str, int]:
    """Rounds learned and decisions by kind (all rounds; the report's 「学習した判定」)."""
    counts = labels["decision"].value_counts() if len(labels) else pd.Series(dtype=int)
    return {"rounds": int(labels["round"].max()) if len(labels) else 0, "decisions": len(labels),
            "clauses": int(labels["clause_id"].nunique()) if len(labels) else 0,
            **{d: int(counts.get(d, 0)) for d in DECISIONS}}
