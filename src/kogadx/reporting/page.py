"""The HTML page around a rendered notebook body: style, embedded font, provenance footer.

No external resource of any kind: no scripts, no stylesheets, no web fonts, no tiles.
:func:`external_references` finds anything that would load from the network.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from kogadx.reporting.blocks import esc
from kogadx.reporting.fonts import FONT_FAMILY, font_face_css
from kogadx.reporting.provenance import Provenance

CSS = """
:root{--ink:#1d2733;--accent:#1f5fa8;--muted:#5b6673;--line:#d5dbe1}
html{font-family:"%(family)s",sans-serif;color:var(--ink);line-height:1.7;font-size:15px}
body{margin:0;background:#eef1f4}
*{font-family:inherit}
main{max-width:980px;margin:0 auto;background:#fff;padding:28px 48px 40px}
h1{font-size:1.9em;margin:.2em 0 .4em;border-bottom:4px solid var(--accent);padding-bottom:.2em}
h2{font-size:1.45em;margin:1.8em 0 .6em;border-left:7px solid var(--accent);padding-left:.5em}
h3{font-size:1.15em;margin:1.4em 0 .4em;color:var(--accent)}
p{margin:.5em 0}
.anchor-link{display:none}
.summary{border:2px solid var(--accent);border-radius:8px;padding:.6em 1.6em 1em;background:#f2f6fb;margin:1em 0}
.summary h2.summary-title{border:none;padding:0;margin:.4em 0}
.summary .lead{color:var(--muted)}
ol.findings li{margin:.6em 0;font-size:1.08em}
figure.fig{margin:1em 0;text-align:center}
figure.fig img{max-width:100%%;height:auto;border:1px solid var(--line)}
figcaption{font-size:.9em;color:var(--muted)}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
caption{text-align:left;font-weight:bold;padding:.2em 0}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
thead th{background:#e9eef4;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv th{font-weight:normal;color:var(--muted)}
.box{padding:.6em 1em;border-radius:4px;margin:.8em 0}
.box.note{background:#f3f4f6;border-left:4px solid #9aa5b1}
.box.warn{background:#fff4e5;border-left:4px solid #e07b39}
.box.missing{background:#fdecec;border-left:4px solid #c23b3b;font-weight:bold}
footer.provenance{max-width:980px;margin:0 auto;padding:16px 48px 32px;font-size:.8em;color:var(--muted);\
background:#fff;border-top:1px solid var(--line)}
footer.provenance table{font-size:1em}
footer.provenance code{font-family:inherit;word-break:break-all}
.synthetic-banner{background:#fff3c4;border:2px solid #b8860b;color:#5c4400;font-weight:bold;\
padding:.4em .9em;margin:0 0 1em;border-radius:4px}
.synthetic-tag{display:inline-block;background:#fff3c4;border:1px solid #b8860b;color:#5c4400;font-size:.85em;\
padding:0 .4em;margin-right:.4em;border-radius:3px}
.decision{border:2px solid var(--ink);border-radius:8px;padding:.4em 1.4em 1em;margin:1em 0}
.decision h2.decision-title{border:none;padding:0;margin:.4em 0}
.decision dt{font-weight:bold;color:var(--accent);margin-top:.4em}
.decision dd{margin:0 0 .2em 0;font-size:1.05em}
.decision thead th{white-space:normal}
.decision tbody td:first-child{min-width:7em}
section.glossary{border-top:1px solid var(--line);margin-top:2em}
section.glossary dt{font-weight:bold;margin-top:.5em}
section.glossary dd{margin:0 0 .3em 1.2em}
/* Wide tables scroll inside their own box instead of cutting the page on a phone. */
table{display:block;max-width:100%%;overflow-x:auto}
@media (max-width:640px){
  html{font-size:14px}
  main{padding:14px 12px 24px}
  footer.provenance{padding:12px}
  h1{font-size:1.5em}
  h2{font-size:1.25em}
}
@page{size:A4;margin:14mm 12mm}
@media print{
  html{font-size:10.5pt}
  body{background:#fff}
  main,footer.provenance{max-width:none;padding:0}
  h2{break-before:page}
  .summary h2.summary-title,.decision h2.decision-title{break-before:avoid}
  .decision{break-after:page}
  h2,h3{break-after:avoid}
  figure,table.kv,tr{break-inside:avoid}
  footer.provenance{break-before:page}
  table{display:table;overflow:visible}
  /* fixed in print: Chromium repeats it at the top of every printed page */
  .synthetic-banner{position:fixed;top:0;left:0;right:0;margin:0;font-size:9pt;padding:.1em .6em}
  main.synthetic{padding-top:2.2em}
}
"""


SYNTHETIC_LABEL = "合成データによる試算"
SYNTHETIC_BANNER = ("合成データによる試算です。この文書の数値は、古賀市の地理と公表統計をもとに作った架空のデータから"
                    "計算したもので、実際の市民・事業所・運行の状況を表すものではありません。")


def footer_html(prov: Provenance) -> str:
    """The provenance footer: owner, version, data date, commit, params sections + SHA-256, data files.

    A ``-dirty`` commit (uncommitted changes) is said in words, and then the footer does not
    promise that the same commit regenerates the document: it may not.
    """
    rows = "".join(f"<tr><td><code>{esc(path)}</code></td><td><code>{esc(digest[:16])}</code></td></tr>"
                   for path, digest in prov.data)
    sections = "、".join(prov.params_sections) or "なし"
    dirty = prov.commit.endswith("-dirty")
    commit = prov.commit.removesuffix("-dirty")
    commit_cell = f"<code>{esc(commit)}</code>" + (
        " (作成時に未コミットの変更がありました)" if dirty else "")
    owner = [("担当課", prov.department), ("作成者", prov.author), ("版", prov.version),
             ("データの基準日", prov.data_date)]
    owner_rows = "".join(f"<tr><th scope=\"row\">{label}</th><td>{esc(value)}</td></tr>"
                         for label, value in owner if value)
    source = ("<tr><th scope=\"row\">入力データ</th><td>合成データ (架空)</td></tr>" if prov.synthetic
              else "")
    promise = ("この文書の数値はすべてパイプラインの出力 (上記ファイル) から自動で読み込んでいます。"
               + ("作成時に未コミットの変更があったため、同じコミットから同じ文書が再生成されるとは限りません。"
                  if dirty else "同じコミット・パラメータ・データからは同じ文書が再生成されます。"))
    return (
        "<footer class=\"provenance\"><h2 class=\"provenance-title\">出典と再現情報</h2>"
        "<table class=\"kv\"><tbody>"
        f"{owner_rows}{source}"
        f"<tr><th scope=\"row\">作成日 (コミット日)</th><td>{esc(prov.date)}</td></tr>"
        f"<tr><th scope=\"row\">git コミット</th><td>{commit_cell}</td></tr>"
        f"<tr><th scope=\"row\">パラメータ (params.yaml: {esc(sections)})</th>"
        f"<td><code>sha256:{esc(prov.params_sha256[:16])}</code></td></tr>"
        "</tbody></table>"
        "<table class=\"data\"><caption>読み込んだデータ (SHA-256 先頭16桁)</caption>"
        f"<thead><tr><th>ファイル</th><th>SHA-256</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p>{promise}</p>"
        "</footer>"
    )


def load_glossary() -> dict[str, str]:
    """The one shared glossary (``reporting/glossary.yaml``): {term: plain-Japanese explanation}."""
    from importlib import resources

    import yaml

    text = resources.files("kogadx.reporting").joinpath("glossary.yaml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in (yaml.safe_load(text) or {}).items()}


_TAG = re.compile(r"<[^>]+>")
_STYLE_OR_IMG = re.compile(r"<(style|script)\b.*?</\1>|<img\b[^>]*>", re.S | re.I)


def visible_text(html_body: str) -> str:
    """The page body's text without markup, styles or embedded images (for matching terms)."""
    return _TAG.sub(" ", _STYLE_OR_IMG.sub(" ", html_body))


def glossary_block(html_body: str, glossary: dict[str, str] | None = None) -> str:
    """「用語の説明」: every glossary term that appears in the body, in order of first appearance."""
    terms = glossary if glossary is not None else load_glossary()
    text = visible_text(html_body)
    found = sorted((text.find(term), term) for term in terms if term in text)
    if not found:
        return ""
    items = "".join(f"<dt>{esc(term)}</dt><dd>{esc(terms[term])}</dd>" for _, term in found)
    return f"<section class=\"glossary\"><h2>用語の説明</h2><dl>{items}</dl></section>"


def label_synthetic(html_body: str) -> str:
    """Prefix every figure caption with a 「合成データ」 tag, so a figure copied alone keeps it."""
    return re.sub(r"<figcaption>", f"<figcaption><span class=\"synthetic-tag\">{SYNTHETIC_LABEL}</span>",
                  html_body)


def assemble_page(title: str, body: str, footer: str, synthetic: bool = False, glossary: bool = True) -> str:
    """A complete HTML document with the style and a font subset for exactly its characters.

    ``synthetic`` (from the run's provenance) puts the 「合成データによる試算」 banner at the top
    (repeated on every printed page), in the title and on every figure caption; ``glossary``
    appends the shared glossary's entries for the terms the page uses.
    """
    if synthetic:
        title = f"【{SYNTHETIC_LABEL}】{title}"
        body = (f"<div class=\"synthetic-banner\" role=\"note\">{esc(SYNTHETIC_BANNER)}</div>"
                + label_synthetic(body))
    extra = glossary_block(body) if glossary else ""
    main_open = "<main class=\"synthetic\">" if synthetic else "<main>"
    shell = ("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>{esc(title)}</title><style>%FONT%{CSS % {'family': FONT_FAMILY}}</style></head>"
             f"<body>{main_open}{body}{extra}</main>{footer}</body></html>\n")
    # The page's own characters (markup included) are a superset of its visible text.
    return shell.replace("%FONT%", font_face_css(shell.replace("%FONT%", "")), 1)


_EXTERNAL = [
    re.compile(r"""\b(?:src|href|srcset|poster|data|action)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I),
    re.compile(r"""url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I),
    re.compile(r"@import", re.I),
    re.compile(r"<\s*(?:script|link|iframe|object|embed)\b", re.I),
]


def external_references(html_text: str) -> list[str]:
    """Snippets that would load something from outside the file (or run a script); [] if none."""
    found = []
    for pattern in _EXTERNAL:
        for match in pattern.finditer(html_text):
            start = max(match.start() - 30, 0)
            found.append(html_text[start:match.end() + 50])
    return found


class _FigureParser(HTMLParser):
    """Collects (alt, caption) of every ``<figure>`` in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[str | None, str]] = []
        self._alt: str | None = None
        self._in_figure = self._in_caption = False
        self._caption: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self._in_figure, self._alt, self._caption = True, None, []
        elif tag == "img" and self._in_figure:
            self._alt = dict(attrs).get("alt")
        elif tag == "figcaption":
            self._in_caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._in_caption = False
        elif tag == "figure" and self._in_figure:
            self.figures.append((self._alt, "".join(self._caption).strip()))
            self._in_figure = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption.append(data)


def figure_alt_problems(html_text: str) -> list[str]:
    """Figures whose alt text does not say what they show: missing, the caption again, or not a
    sentence (it must end with 「。」). [] when every figure is described."""
    parser = _FigureParser()
    parser.feed(html_text)
    problems = []
    for alt, caption in parser.figures:
        text = (alt or "").strip()
        if not text:
            problems.append(f"{caption}: 代替テキストがありません")
        elif text == caption or caption.endswith(text):
            problems.append(f"{caption}: 代替テキストが図の題と同じです")
        elif not text.endswith("。"):
            problems.append(f"{caption}: 代替テキストが文になっていません (「。」で終わる文で図の読み方を書く)")
    return problems
