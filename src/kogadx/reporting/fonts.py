"""Embed a subset of a Japanese font in a report, so it renders without any installed font.

The font is IPAex Gothic (IPA Font License), shipped inside the ``matplotlib_fontja``
package that the figures already use. Only the characters a page uses are kept
(fontTools subsetter), and the result is embedded as a base64 WOFF ``@font-face``.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

FONT_FAMILY = "KogaReportGothic"
_FACE_RE = re.compile(r"@font-face\s*{[^}]*?font-family:\s*\"?" + FONT_FAMILY
                      + r"\"?;[^}]*?url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", re.S)


def default_font_path() -> Path:
    """Path of IPAex Gothic (ipaexg.ttf) inside the installed ``matplotlib_fontja`` package."""
    import matplotlib_fontja

    path = Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: IPAex ゴシックが見つかりません (matplotlib-fontja を確認してください)")
    return path


def subset_font_woff(text: str, font_path: str | Path | None = None) -> bytes:
    """WOFF bytes of the font reduced to the characters of ``text`` plus printable ASCII.

    Glyph hinting is dropped (smaller; browsers render fine without it). Deterministic:
    the same text gives the same bytes (fontTools writes no timestamps with these options).
    """
    from fontTools import subset

    chars = {c for c in text if not c.isspace()} | {chr(c) for c in range(0x20, 0x7F)}
    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]  # keep the licence and family names
    options.notdef_outline = True
    font = subset.load_font(str(font_path or default_font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    # head.modified would otherwise carry the original file's date, which is fine, but pin it
    # so the bytes depend only on the characters.
    font["head"].modified = font["head"].created
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()


def font_face_css(text: str, font_path: str | Path | None = None) -> str:
    """A ``@font-face`` rule embedding the subset font for ``text`` as a data URI."""
    data = base64.b64encode(subset_font_woff(text, font_path)).decode("ascii")
    return (
        "@font-face{font-family:\"" + FONT_FAMILY + "\";font-style:normal;font-weight:400;"
        "src:url(data:font/woff;base64," + data + ") format(\"woff\");}"
    )


def embedded_font_codepoints(html: str) -> set[int]:
    """Code points covered by the embedded font's cmap in a rendered report (empty if none)."""
    from fontTools.ttLib import TTFont

    match = _FACE_RE.search(html)
    if match is None:
        return set()
    font = TTFont(io.BytesIO(base64.b64decode(match.group(1))))
    return set(font.getBestCmap() or {})
