"""The HTML page around a rendered notebook body: style, embedded font, provenance footer.

No external resource of any kind: no scripts, no stylesheets, no web fonts, no tiles.
:func:`external_references` finds anything that would load from the network.
"""

from __future__ import annotations

import re

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
@page{size:A4;margin:14mm 12mm}
@media print{
  html{font-size:10.5pt}
  body{background:#fff}
  main,footer.provenance{max-width:none;padding:0}
  h2{break-before:page}
  .summary h2.summary-title{break-before:avoid}
  h2,h3{break-after:avoid}
  figure,table.kv,tr{break-inside:avoid}
  footer.provenance{break-before:page}
}
"""


def footer_html(prov: Provenance) -> str:
    """The provenance footer: commit, date, params sections + SHA-256, data files + SHA-256."""
    rows = "".join(f"<tr><td><code>{esc(path)}</code></td><td><code>{esc(digest[:16])}</code></td></tr>"
                   for path, digest in prov.data)
    sections = "、".join(prov.params_sections) or "なし"
    return (
        "<footer class=\"provenance\"><h2 class=\"provenance-title\">出典と再現情報</h2>"
        "<table class=\"kv\"><tbody>"
        f"<tr><th scope=\"row\">作成日 (コミット日)</th><td>{esc(prov.date)}</td></tr>"
        f"<tr><th scope=\"row\">git コミット</th><td><code>{esc(prov.commit)}</code></td></tr>"
        f"<tr><th scope=\"row\">パラメータ (params.yaml: {esc(sections)})</th>"
        f"<td><code>sha256:{esc(prov.params_sha256[:16])}</code></td></tr>"
        "</tbody></table>"
        "<table class=\"data\"><caption>読み込んだデータ (SHA-256 先頭16桁)</caption>"
        f"<thead><tr><th>ファイル</th><th>SHA-256</th></tr></thead><tbody>{rows}</tbody></table>"
        "<p>この文書の数値はすべてパイプラインの出力 (上記ファイル) から自動で読み込んでいます。"
        "同じコミット・パラメータ・データからは同じ文書が再生成されます。</p>"
        "</footer>"
    )


def assemble_page(title: str, body: str, footer: str) -> str:
    """A complete HTML document with the style and a font subset for exactly its characters."""
    shell = ("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>{esc(title)}</title><style>%FONT%{CSS % {'family': FONT_FAMILY}}</style></head>"
             f"<body><main>{body}</main>{footer}</body></html>\n")
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
