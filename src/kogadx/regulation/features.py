"""What the ranker reads of a clause: its text, its words, its context.

* ``main``    — article caption (見出し) + clause text, cut to ``max_chars`` (long tables add noise);
* ``words``   — ``main`` split into words by MeCab (fugashi + unidic-lite, both from PyPI with
  wheels for Windows, macOS and Linux), space-separated surfaces, for word n-grams beside the
  character n-grams (Japanese has no spaces; 「閲覧」「備え置く」 are words a char n-gram only
  approximates);
* ``context`` — the neighbouring paragraphs (previous and next clause of the same law or file),
  so 「前項の書類を閲覧に供する」 carries what 前項 was about.

Pure functions on frames; the tagger is created once per process (MeCab start-up ~0.1 s).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

CONTEXT_CHARS = 200  # of each neighbour: enough for its subject, not its whole table
MODEL_COLUMNS = ["main", "words", "context"]


@lru_cache(maxsize=1)
def _tagger() -> Any:
    import fugashi

    return fugashi.Tagger("-Owakati")


def tokenize(texts: pd.Series) -> pd.Series:
    """Space-separated words of each text (MeCab, UniDic lite)."""
    tagger = _tagger()
    return pd.Series([tagger.parse(str(t)).strip() for t in texts], index=texts.index, dtype=object)


def main_text(frame: pd.DataFrame, max_chars: int) -> pd.Series:
    """Caption + newline + clause text, cut to ``max_chars`` characters."""
    caption = frame["caption"].fillna("") if "caption" in frame else pd.Series("", index=frame.index)
    return (caption + "\n" + frame["text"].fillna("")).str.slice(0, max_chars)


def neighbour_context(frame: pd.DataFrame, group_column: str, sequence: pd.Series | None = None) -> pd.Series:
    """Previous and next clause text of the same group (law / file), in the frame's order.

    ``sequence`` (bool) marks rows that are consecutive clauses of a text; other rows (the
    工程表's one-line summaries) get no context.
    """
    text = frame["text"].fillna("").str.slice(0, CONTEXT_CHARS)
    group = frame[group_column].astype(str)
    in_seq = pd.Series(True, index=frame.index) if sequence is None else sequence.astype(bool)
    prev_ok = (group.shift(1) == group) & in_seq & in_seq.shift(1, fill_value=False)
    next_ok = (group.shift(-1) == group) & in_seq & in_seq.shift(-1, fill_value=False)
    prev = text.shift(1).where(prev_ok, "").fillna("")
    nxt = text.shift(-1).where(next_ok, "").fillna("")
    return (prev + "\n" + nxt).str.strip()


def model_frame(frame: pd.DataFrame, max_chars: int, group_column: str = "group",
                sequence: pd.Series | None = None, words: pd.Series | None = None) -> pd.DataFrame:
    """The three text columns the ranker reads (:data:`MODEL_COLUMNS`), index kept.

    ``words`` can be passed when already tokenised (the grouped CV tokenises once).
    """
    main = main_text(frame, max_chars)
    return pd.DataFrame({
        "main": main,
        "words": tokenize(main) if words is None else words,
        "context": neighbour_context(frame, group_column, sequence),
    }, index=frame.index)


def training_model_frame(training: pd.DataFrame, max_chars: int) -> pd.DataFrame:
    """:func:`model_frame` of the training set: clause rows (and city-labelled rows) have
    neighbours within their law; summary rows have none."""
    return model_frame(training, max_chars, "group", sequence=training["source"] != "summary")


def corpus_model_frame(clauses: pd.DataFrame, max_chars: int) -> pd.DataFrame:
    """:func:`model_frame` of scanned clauses: neighbours within the same file."""
    return model_frame(clauses, max_chars, "source_file")
