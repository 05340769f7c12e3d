"""Build the embedded training set ``data/labelled_clauses.csv.gz`` from the benchmark sources.

A maintainer's tool. Run from the project root (needs the read-only benchmark folder, which a
user's clone lacks; the result is committed so ``dvc repro`` works without it)::

    .venv/bin/kogadx regulation build-training-data ../shared/benchmarks/analog_regulation \
        src/kogadx/regulation/data/labelled_clauses.csv.gz

The command reads the files (:data:`LAWS_DIR`, :data:`SUBSET_LABELS`, :data:`ALL_LABELS` inside
the benchmark folder); the functions here work on what it read.

Two kinds of rows (column ``source``):

* ``clause`` — every 項 of the main provisions of the 15 e-Gov XML files in ``laws/``; ``labels``
  holds the 工程表 categories whose row addresses the clause (article-only rows label every
  paragraph of the article, item rows label the paragraph holding the item); empty = negative.
* ``summary`` — the 工程表's own 規制等の内容概要 for all 7,532 rows, labelled with its category
  (positives only; rows repeating the same law, 条項 and summary are merged).

``group`` is the LawId (or ``名:<法令名>`` when the 工程表 could not resolve one): the unit of the
grouped cross-validation, so no law is in both train and test.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping

import pandas as pd

from kogadx.io import InputFileError
from kogadx.regulation.keywords import LABELLED_CATEGORIES
from kogadx.regulation.loaders import Clause, clauses_to_frame, parse_egov_xml

TRAINING_COLUMNS = ["source", "group", "law_title", "clause_ref", "caption", "text", "labels"]
# Inside the benchmark folder: the 15 e-Gov law XML files and the two 工程表 tables.
LAWS_DIR = "laws"
SUBSET_LABELS = "labels/koteihyo_subset_for_copied_laws.csv"
ALL_LABELS = "labels/digital_agency_koteihyo_20221221_all.csv"


def label_law_clauses(clauses: pd.DataFrame, label_rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Attach ``labels`` ("|"-joined, sorted) to clause rows; return frame and unmatched row count.

    ``label_rows`` needs LawId, a, p, i and 規制等の類型 (strings, blank = absent).
    """
    labels: dict[tuple[str, str, str], set[str]] = {}
    unmatched = 0
    paragraphs_by_article = clauses.groupby(["law_id", "article"])["paragraph"].apply(list).to_dict()
    for row in label_rows.itertuples(index=False):
        law_id, article, paragraph, item = row.LawId, row.a, row.p, row.i
        category = row.規制等の類型
        if category not in LABELLED_CATEGORIES:
            raise InputFileError(f"工程表: 未知の類型 {category!r} (LawId={law_id}, 条項={row.条項})")
        if not article:
            unmatched += 1
            continue
        if paragraph:
            targets = [paragraph]
        elif item:
            targets = ["1"]  # 第2条第3号 with no 項 means the article's only paragraph
        else:
            targets = paragraphs_by_article.get((law_id, article), [])
        hit = False
        for target in targets:
            if target in paragraphs_by_article.get((law_id, article), []):
                labels.setdefault((law_id, article, target), set()).add(category)
                hit = True
        unmatched += not hit
    keys = zip(clauses["law_id"], clauses["article"], clauses["paragraph"], strict=True)
    out = clauses.copy()
    out["labels"] = ["|".join(sorted(labels.get(k, ()))) for k in keys]
    return out, unmatched


def summary_rows(all_labels: pd.DataFrame) -> pd.DataFrame:
    """The 工程表 summaries as training rows (one per law × 条項 × summary, categories merged)."""
    frame = pd.DataFrame(
        {
            "source": "summary",
            "group": [lid if lid else f"名:{name}"
                      for lid, name in zip(all_labels["LawId"], all_labels["法令名"], strict=True)],
            "law_title": [t if t else n for t, n in zip(all_labels["LawTitle"], all_labels["法令名"], strict=True)],
            "clause_ref": all_labels["条項"],
            "caption": "",
            "text": all_labels["規制等の内容概要"].str.strip(),
            "labels": all_labels["規制等の類型"],
        }
    )
    frame = frame[frame["text"] != ""]
    merged = (
        frame.groupby(["source", "group", "law_title", "clause_ref", "caption", "text"], sort=True)["labels"]
        .agg(lambda s: "|".join(sorted(set(s))))
        .reset_index()
    )
    return merged[TRAINING_COLUMNS]


def build_training_frame(laws: Mapping[str, bytes], subset: pd.DataFrame,
                         all_labels: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Clause rows from the law XML files + summary rows from the 工程表, deterministic order.

    ``laws``: {file name: bytes} of ``laws/*.xml`` (the file name gives the LawId);
    ``subset``: the 工程表 rows of those laws (:data:`SUBSET_LABELS`); ``all_labels``: every
    工程表 row (:data:`ALL_LABELS`); both tables read as text.
    """
    clauses: list[Clause] = []
    for name in sorted(laws):
        clauses.extend(parse_egov_xml(laws[name], name))
    clause_frame, unmatched = label_law_clauses(clauses_to_frame(clauses), subset)
    clause_rows = pd.DataFrame(
        {
            "source": "clause",
            "group": clause_frame["law_id"],
            "law_title": clause_frame["law_title"],
            "clause_ref": clause_frame["clause_ref"],
            "caption": clause_frame["caption"],
            "text": clause_frame["text"],
            "labels": clause_frame["labels"],
        }
    )
    training = pd.concat([clause_rows, summary_rows(all_labels)], ignore_index=True)
    stats = {
        "clause_rows": len(clause_rows),
        "clause_positive_rows": int((clause_rows["labels"] != "").sum()),
        "label_rows_unmatched": unmatched,
        "summary_rows": int((training["source"] == "summary").sum()),
        "groups": int(training["group"].nunique()),
    }
    return training[TRAINING_COLUMNS], stats


def training_csv_gz(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV, gzip with mtime=0 so that rebuilding gives byte-identical files."""
    text = frame.to_csv(index=False, lineterminator="\n")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    return buffer.getvalue()
