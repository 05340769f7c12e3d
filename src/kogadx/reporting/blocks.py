"""HTML building blocks the report templates display (summary, figures, tables, notes).

Every function returns an HTML string; templates show it with
``IPython.display.display(IPython.display.HTML(...))``. Images become data URIs so the
report is one self-contained file. Text is escaped: values from data never become markup.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd


def fmt_int(value: float) -> str:
    """58998 → '58,998' (rounded to a whole number)."""
    return f"{round(float(value)):,}"


def fmt_num(value: float, digits: int = 1) -> str:
    """Thousands separators and ``digits`` decimals; '—' for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):,.{digits}f}"


def fmt_pct(share: float, digits: int = 1) -> str:
    """0.9533 → '95.3%' (a share, not a percentage, goes in)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return f"{100 * float(share):.{digits}f}%"


_JA_UNITS = ((1e16, "京"), (1e12, "兆"), (1e8, "億"), (1e4, "万"))


def fmt_tiny(probability: float) -> str:
    """A small probability as a reader says it: 9.4e-11 → '約 110 億分の 1' (not '9.4e-11')."""
    p = float(probability)
    if p <= 0:
        return "0"
    if p >= 1e-4:
        return f"{100 * p:.2g}%"
    odds = 1.0 / p
    for size, unit in _JA_UNITS:
        if odds >= size and odds / size < 10_000:
            return f"約 {float(f'{odds / size:.2g}'):,.0f} {unit}分の 1"
    return f"およそ 10 の {round(math.log10(odds))} 乗分の 1"


def esc(text: Any) -> str:
    """HTML-escape any value's string form."""
    return html.escape(str(text), quote=True)


def summary_block(title: str, findings: Sequence[str], lead: str | None = None) -> str:
    """The one-page summary: a title, an optional lead sentence and 3–5 numbered findings."""
    items = "".join(f"<li>{esc(f)}</li>" for f in findings)
    lead_html = f"<p class=\"lead\">{esc(lead)}</p>" if lead else ""
    return (f"<section class=\"summary\"><h2 class=\"summary-title\">{esc(title)}</h2>{lead_html}"
            f"<ol class=\"findings\">{items}</ol></section>")


def decision_block(question: str, finding: str, options: pd.DataFrame, columns: Mapping[str, str],
                   uncertainty: str, decider: str, next_step: str, formats: Mapping[str, Any] | None = None,
                   options_caption: str = "選択肢と費用") -> str:
    """The decision page that opens a report (one A4 page when printed).

    The question, the finding in one sentence, the options with the cost per unit that matters,
    the uncertainty in words, who decides and the next step; technical tables come after it.
    """
    rows = [("問い", question), ("結論", finding), ("不確かさ", uncertainty), ("判断する人", decider),
            ("次の一歩", next_step)]
    head = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows[:2])
    tail = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows[2:])
    table = table_block(options, columns, formats, caption=options_caption)
    return (f"<section class=\"decision\"><h2 class=\"decision-title\">判断のためのページ</h2>"
            f"<dl>{head}</dl>{table}<dl>{tail}</dl></section>")


def image_data_uri(path: str | Path) -> str:
    """A PNG/JPEG/SVG file as a ``data:`` URI (raises with the path when it is missing)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 図のファイルがありません")
    mime = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
            ".svg": "image/svg+xml"}.get(path.suffix.lower())
    if mime is None:
        raise ValueError(f"{path}: 対応していない画像形式です ({path.suffix})")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def figure_block(path: str | Path, caption: str, alt: str) -> str:
    """An embedded figure with a Japanese caption; ``alt`` says what the figure shows (for a screen
    reader: a sentence with the reading, from :mod:`kogadx.reporting.alt`, not the caption again)."""
    return (f"<figure class=\"fig\"><img src=\"{image_data_uri(path)}\" alt=\"{esc(alt)}\">"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def figure_bytes_block(png: bytes, caption: str, alt: str) -> str:
    """Like :func:`figure_block` for a PNG already in memory (figures drawn by the template)."""
    uri = f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}"
    return (f"<figure class=\"fig\"><img src=\"{uri}\" alt=\"{esc(alt)}\">"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table_block(frame: pd.DataFrame, columns: Mapping[str, str], formats: Mapping[str, Any] | None = None,
                caption: str | None = None, numeric: Iterable[str] = ()) -> str:
    """A table of ``frame[columns]`` with Japanese headers (``columns`` maps name → header).

    ``formats`` maps a column to a function value → text; ``numeric`` columns align right.
    """
    formats = dict(formats or {})
    numeric = set(numeric) | {c for c in columns if c in formats}
    head = "".join(f"<th>{esc(h)}</th>" for h in columns.values())
    rows = []
    for record in frame[list(columns)].itertuples(index=False, name=None):
        cells = []
        for name, value in zip(columns, record, strict=True):
            text = formats[name](value) if name in formats else ("—" if _missing(value) else value)
            cls = " class=\"num\"" if name in numeric else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table class=\"data\">{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def kv_block(rows: Sequence[tuple[str, str]], caption: str | None = None, numeric: bool = True) -> str:
    """A two-column table of label → value (both shown as text).

    ``numeric`` aligns values right (figures); False leaves them left-aligned (sentences).
    """
    cls = " class=\"num\"" if numeric else ""
    body = "".join(f"<tr><th scope=\"row\">{esc(k)}</th><td{cls}>{esc(v)}</td></tr>" for k, v in rows)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table class=\"kv\">{cap}<tbody>{body}</tbody></table>"


def note_block(text: str, kind: str = "note") -> str:
    """A boxed remark; ``kind`` is 'note' (grey), 'warn' (amber) or 'missing' (result absent)."""
    return f"<p class=\"box {esc(kind)}\">{esc(text)}</p>"


def paragraph(text: str) -> str:
    """A plain paragraph of escaped text."""
    return f"<p>{esc(text)}</p>"


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
