"""Corpus loaders: e-Gov law XML, Reiki-Base 例規集 HTML and plain text → clause rows.

Every loader returns :class:`Clause` records at paragraph (項) granularity, each carrying its
items (号). The address follows the e-Gov ``Num`` convention used by the Digital Agency's
review list (工程表): article ``"252_17_6"`` for 第二百五十二条の十七の六, paragraph ``"2"``,
item ``"3"``; so labelled rows join on ``(law_id, article, paragraph[, item])``.

Loaders parse bytes already in memory (the stage reads the corpus folder with
:func:`kogadx.io.read_folder_bytes`). ``name`` is the file's path inside the corpus: its last
part is the clause's ``source_file``, it gives the ``law_id`` and it names the file in messages.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pandas as pd

from kogadx.io import InputFileError, detect_bytes_encoding

CLAUSE_COLUMNS = [
    "source_file",
    "law_id",
    "law_title",
    "supplementary",
    "article",
    "paragraph",
    "caption",
    "clause_ref",
    "text",
    "items",
]

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = r"[0-9０-９〇一二三四五六七八九十百千]+"
_ARTICLE_RE = re.compile(rf"^第({_NUMERAL})条((?:の{_NUMERAL})*)")
_FULLWIDTH = str.maketrans("０１２３４５６７８９（）", "0123456789()")


@dataclass(frozen=True)
class Item:
    """One 号 of a paragraph: ``num`` in e-Gov convention ("1", "2_2"), ``text`` incl. subitems."""

    num: str
    title: str
    text: str


@dataclass(frozen=True)
class Clause:
    """One 項 with its 号; ``article``/``paragraph`` follow the e-Gov ``Num`` convention."""

    source_file: str
    law_id: str
    law_title: str
    article: str
    paragraph: str
    caption: str
    text: str
    items: tuple[Item, ...] = field(default_factory=tuple)
    supplementary: bool = False

    @property
    def clause_ref(self) -> str:
        """Human reference as written in the 工程表: 第12条の2第3項 (附則 prefixed)."""
        return format_clause_ref(self.article, self.paragraph, supplementary=self.supplementary)

    def full_text(self) -> str:
        """Paragraph sentence followed by its items, as one string (the classifier's unit)."""
        parts = [self.text] + [f"{item.title}　{item.text}".strip() for item in self.items]
        return "\n".join(p for p in parts if p)


def kanji_to_int(numeral: str) -> int:
    """Convert a numeral such as ``二百五十二``, ``１２`` or ``12`` to an int."""
    numeral = numeral.translate(_FULLWIDTH)
    if numeral.isdigit():
        return int(numeral)
    total, current = 0, 0
    for char in numeral:
        if char in _KANJI_DIGITS:
            current = _KANJI_DIGITS[char]
        elif char in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[char]
            current = 0
        else:
            raise ValueError(f"漢数字として読めません: {numeral!r}")
    return total + current


def article_num_from_title(title: str) -> str | None:
    """``第二百五十二条の十七の六`` / ``第9条の3`` → ``"252_17_6"`` / ``"9_3"``; None if no 条."""
    match = _ARTICLE_RE.match(title.strip().translate(_FULLWIDTH))
    if not match:
        return None
    parts = [str(kanji_to_int(match.group(1)))]
    parts += [str(kanji_to_int(n)) for n in re.findall(_NUMERAL, match.group(2) or "")]
    return "_".join(parts)


def format_clause_ref(article: str, paragraph: str, item: str = "", supplementary: bool = False) -> str:
    """e-Gov Num keys → ``第252条の17の6第1項第2号`` (the 工程表's 条項 notation)."""
    prefix = "附則" if supplementary else ""
    if not article:
        return f"{prefix}第{paragraph}項" if paragraph else (prefix or "(条なし)")
    head, *branches = article.split("_")
    ref = f"{prefix}第{head}条" + "".join(f"の{b}" for b in branches)
    if paragraph:
        ref += f"第{paragraph}項"
    if item:
        ref += f"第{item.replace('_', 'の')}号"
    return ref


# --------------------------------------------------------------------------- e-Gov XML
def _element_text(element: ET.Element | None) -> str:
    """Text of an e-Gov element without ruby readings (<Rt>), columns joined by a space."""
    if element is None:
        return ""
    pieces: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.tag == "Rt":
            return
        if node.tag in {"Column", "TableColumn"} and pieces:
            pieces.append("　")
        if node.text:
            pieces.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(child.tail)

    walk(element)
    return re.sub(r"\s*\n\s*", "", "".join(pieces)).strip()


def _egov_item(item: ET.Element, depth: int = 0) -> tuple[str, str]:
    """(title, text) of an Item/SubitemN, with nested subitems appended."""
    prefix = "Item" if depth == 0 else f"Subitem{depth}"
    title = _element_text(item.find(f"{prefix}Title"))
    text = _element_text(item.find(f"{prefix}Sentence"))
    for struct in item.findall("TableStruct"):
        text += "　" + _element_text(struct)
    for sub in item.findall(f"Subitem{depth + 1}"):
        sub_title, sub_text = _egov_item(sub, depth + 1)
        text += f"　{sub_title}　{sub_text}"
    return title, text.strip()


def parse_egov_xml(data: bytes, name: str, include_supplementary: bool = False) -> list[Clause]:
    """Split an e-Gov law XML (bulk ``<Law>`` or API v1 ``<DataRoot>``) into 項 clauses.

    ``law_id`` is the e-Gov LawId taken from the file name prefix (``322AC0000000067_…``)
    when present, else the file stem. Supplementary provisions (附則) are skipped unless
    ``include_supplementary``; their article keys are not unique across amendments.
    """
    path = PurePosixPath(name)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputFileError(f"{name}: e-Gov 法令XMLとして読めません: {exc}") from exc
    law = root if root.tag == "Law" else root.find(".//Law")
    if law is None:
        raise InputFileError(f"{name}: <Law> 要素がありません (e-Gov 法令XMLではありません)")
    law_title = _element_text(law.find("LawBody/LawTitle")) or path.stem
    law_id = _law_id_from_name(path)
    bodies: list[tuple[ET.Element, bool]] = [(b, False) for b in law.iter("MainProvision")]
    if include_supplementary:
        bodies += [(b, True) for b in law.iter("SupplProvision")]
    clauses: list[Clause] = []
    for body, supplementary in bodies:
        for article in body.iter("Article"):
            if article.get("Delete") == "true":
                continue
            article_num = article.get("Num", "")
            caption = _element_text(article.find("ArticleCaption"))
            for paragraph in article.findall("Paragraph"):
                clauses.append(
                    _egov_paragraph(path, law_id, law_title, article_num, caption, paragraph, supplementary)
                )
        if supplementary:  # 附則 without articles: paragraphs directly under SupplProvision
            for paragraph in body.findall("Paragraph"):
                clauses.append(_egov_paragraph(path, law_id, law_title, "", "", paragraph, True))
    return clauses


def _egov_paragraph(
    path: PurePosixPath, law_id: str, law_title: str, article_num: str, caption: str,
    paragraph: ET.Element, supplementary: bool,
) -> Clause:
    text = _element_text(paragraph.find("ParagraphSentence"))
    for struct in paragraph.findall("TableStruct"):
        text += "　" + _element_text(struct)
    items = []
    for item in paragraph.findall("Item"):
        title, item_text = _egov_item(item)
        items.append(Item(num=item.get("Num", ""), title=title, text=item_text))
    return Clause(
        source_file=path.name,
        law_id=law_id,
        law_title=law_title,
        article=article_num,
        paragraph=paragraph.get("Num", "1"),
        caption=caption or _element_text(paragraph.find("ParagraphCaption")),
        text=text,
        items=tuple(items),
        supplementary=supplementary,
    )


def _law_id_from_name(path: PurePosixPath) -> str:
    match = re.match(r"^(\d{3}[A-Z]+\w*?)_", path.name)
    return match.group(1) if match else path.stem


# --------------------------------------------------------------------------- Reiki-Base HTML
def parse_reiki_html(data: bytes, name: str, include_supplementary: bool = False) -> list[Clause]:
    """Split a Reiki-Base 例規集 page (ぎょうせい layout, ``div.eline`` per line) into 項 clauses.

    Title from ``p.title-irregular`` (leading ○ removed) or ``<title>``; ``law_id`` is the page id
    from the file name (``…k518RG00000080`` → ``k518RG00000080``) or the stem. Only the body
    (``#primary``) is read: the 条項目次 / 沿革 side panels are not law text.
    """
    from bs4 import BeautifulSoup  # imported here: only HTML scanning pays for it

    path = PurePosixPath(name)
    encoding = _html_encoding(data) or detect_bytes_encoding(data, name)
    soup = BeautifulSoup(data.decode(encoding, errors="replace"), "html.parser")
    body = soup.find(id="primary") or soup.body or soup
    lines = body.select("div.eline")
    if not lines:
        raise InputFileError(f"{name}: Reiki-Base 形式の本文 (div.eline) が見つかりません")
    title_el = body.select_one("p.title-irregular, p.title-regular") or soup.find("title")
    law_title = _clean(title_el.get_text()).lstrip("○") if title_el else path.stem
    match = re.search(r"([a-z]\d{3}RG\d+)", path.stem)
    law_id = match.group(1) if match else path.stem

    builder = _ClauseBuilder(path.name, law_id, law_title)
    supplementary = False
    for line in lines:
        if line.select_one(".s-head"):
            builder.flush()
            supplementary = True
            builder.start_supplementary()
            continue
        if supplementary and not include_supplementary:
            continue
        block = line.find("div", recursive=False)
        kind = (block.get("class") or [""])[0] if block is not None else ""
        num_el = line.select_one("span.num")
        num = _clean(num_el.get_text()) if num_el else ""
        text = _sentence_text(line)
        if kind == "article":
            caption_el = block.select_one("p.title") if block is not None else None
            article = article_num_from_title(num) or ""
            builder.new_article(article, _clean(caption_el.get_text()) if caption_el else "", text, supplementary)
        elif kind == "clause":
            builder.new_paragraph(_reiki_number(num), text, supplementary)
        elif kind == "item":
            builder.add_item(_reiki_number(num), num, text)
        elif kind == "table_frame":
            builder.append_text(_clean(line.get_text(" ")))
    builder.flush()
    return builder.clauses


class _ClauseBuilder:
    """Accumulates Reiki-Base / plain-text lines into Clause records."""

    def __init__(self, source_file: str, law_id: str, law_title: str) -> None:
        self.source_file, self.law_id, self.law_title = source_file, law_id, law_title
        self.clauses: list[Clause] = []
        self.article, self.caption = "", ""
        self._current: dict | None = None
        self._supplementary_count = 0

    def start_supplementary(self) -> None:
        self.article, self.caption = "", ""
        self._supplementary_count += 1

    def new_article(self, article: str, caption: str, text: str, supplementary: bool) -> None:
        self.flush()
        self.article, self.caption = article, caption
        self._current = {"paragraph": "1", "text": text, "items": [], "supplementary": supplementary}

    def new_paragraph(self, paragraph: str, text: str, supplementary: bool) -> None:
        self.flush()
        if not paragraph:  # unnumbered paragraph (single-paragraph 附則): number sequentially
            paragraph = str(sum(1 for c in self.clauses if c.article == self.article) + 1)
        self._current = {"paragraph": paragraph, "text": text, "items": [], "supplementary": supplementary}

    def add_item(self, num: str, title: str, text: str) -> None:
        if self._current is None:
            self._current = {"paragraph": "1", "text": "", "items": [], "supplementary": False}
        self._current["items"].append(Item(num=num, title=title, text=text))

    def append_text(self, text: str) -> None:
        if self._current is not None and text:
            if self._current["items"]:
                last = self._current["items"][-1]
                self._current["items"][-1] = Item(last.num, last.title, f"{last.text}　{text}")
            else:
                self._current["text"] = f"{self._current['text']}　{text}".strip()

    def flush(self) -> None:
        if self._current is None:
            return
        current, self._current = self._current, None
        if not current["text"] and not current["items"]:
            return
        self.clauses.append(
            Clause(
                source_file=self.source_file,
                law_id=self.law_id,
                law_title=self.law_title,
                article=self.article,
                paragraph=current["paragraph"],
                caption=self.caption,
                text=current["text"],
                items=tuple(current["items"]),
                supplementary=current["supplementary"],
            )
        )


def _html_encoding(raw: bytes) -> str | None:
    match = re.search(rb"charset=[\"']?([A-Za-z0-9_\-]+)", raw[:2048])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    return {"shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932"}.get(name, name)


def _sentence_text(line) -> str:
    spans = line.select("span.p")
    if spans:
        return _clean("".join(s.get_text() for s in spans))
    return ""


def _reiki_number(label: str) -> str:
    """``2`` / ``(3)`` / ``(3の2)`` / ``第2項`` → e-Gov style ``"2"`` / ``"3"`` / ``"3_2"``."""
    digits = re.findall(_NUMERAL, label.translate(_FULLWIDTH))
    try:
        return "_".join(str(kanji_to_int(d)) for d in digits)
    except ValueError:
        return ""


def _clean(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", "", text.replace("\xa0", " ")).strip()


# --------------------------------------------------------------------------- plain text
_TEXT_ARTICLE = re.compile(rf"^\s*(第{_NUMERAL}条(?:の{_NUMERAL})*)[\s　]*(.*)$")
_TEXT_CAPTION = re.compile(r"^\s*[（(]([^）)]{1,40})[）)]\s*$")
_TEXT_PARAGRAPH = re.compile(r"^\s*([0-9０-９]+)[\s　]+(.+)$")
_TEXT_ITEM = re.compile(r"^\s*([（(][0-9０-９]+[）)]|[一二三四五六七八九十]+)[\s　]+(.+)$")
_TEXT_SUPPL = re.compile(r"^\s*附[\s　]*則")


def parse_plain_text(data: bytes, name: str, include_supplementary: bool = False) -> list[Clause]:
    """Split a plain-text law or ordinance (UTF-8 / CP932) into 項 clauses.

    Layout expected (as copied from an 例規集): first non-empty line = title; ``（見出し）``
    lines; ``第N条　本文``; ``２　本文`` for further paragraphs; ``一　…`` or ``(1)　…`` for items;
    ``附　則`` starts the supplementary provisions. Lines that fit none continue the last unit.
    Lines starting with ``#`` before the title (source URL, date) are skipped.
    """
    path = PurePosixPath(name)
    text = data.decode(detect_bytes_encoding(data, name))
    lines = [line.rstrip() for line in text.splitlines()]
    # Leading "# 出典: …" lines carry the file's source and date (data/regulation/corpus): not law text.
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
        lines.pop(0)
    non_empty = [line.strip() for line in lines if line.strip()]
    if not non_empty:
        raise InputFileError(f"{name}: 空のテキストファイルです")
    law_title = non_empty[0].lstrip("○")
    builder = _ClauseBuilder(path.name, path.stem, law_title)
    pending_caption, supplementary, seen_title = "", False, False
    for line in lines:
        if not line.strip():
            continue
        if not seen_title:
            seen_title = True
            continue
        if _TEXT_SUPPL.match(line):
            builder.flush()
            builder.start_supplementary()
            supplementary = True
            continue
        if supplementary and not include_supplementary:
            continue
        if m := _TEXT_CAPTION.match(line):
            pending_caption = f"（{m.group(1)}）"
        elif m := _TEXT_ARTICLE.match(line):
            article = article_num_from_title(m.group(1)) or ""
            builder.new_article(article, pending_caption, m.group(2).strip(), supplementary)
            pending_caption = ""
        elif m := _TEXT_ITEM.match(line):
            builder.add_item(_reiki_number(m.group(1)), m.group(1), m.group(2).strip())
        elif m := _TEXT_PARAGRAPH.match(line):
            builder.new_paragraph(_reiki_number(m.group(1)), m.group(2).strip(), supplementary)
        elif builder._current is None and not builder.clauses:
            continue  # preamble lines (number, date) before the first article
        else:
            builder.append_text(line.strip())
    builder.flush()
    return builder.clauses


# --------------------------------------------------------------------------- corpus
Loader = Callable[..., list[Clause]]
LOADERS: dict[str, Loader] = {
    ".xml": parse_egov_xml,
    ".html": parse_reiki_html,
    ".htm": parse_reiki_html,
    ".txt": parse_plain_text,
}
CORPUS_SUFFIXES = tuple(LOADERS)  # what a corpus folder is read for


def load_file(name: str, data: bytes, include_supplementary: bool = False) -> list[Clause]:
    """Dispatch on the suffix of ``name`` (.xml / .html / .htm / .txt)."""
    loader = LOADERS.get(PurePosixPath(name).suffix.lower())
    if loader is None:
        raise InputFileError(f"{name}: 対応していない形式です (.xml / .html / .htm / .txt)")
    return loader(data, name, include_supplementary=include_supplementary)


def clauses_to_frame(clauses: Iterable[Clause]) -> pd.DataFrame:
    """One row per 項: keys, caption, 条項 notation, full text (sentence + items), item count."""
    rows = [
        {
            "source_file": c.source_file,
            "law_id": c.law_id,
            "law_title": c.law_title,
            "supplementary": c.supplementary,
            "article": c.article,
            "paragraph": c.paragraph,
            "caption": c.caption,
            "clause_ref": c.clause_ref,
            "text": c.full_text(),
            "items": len(c.items),
        }
        for c in clauses
    ]
    return pd.DataFrame(rows, columns=CLAUSE_COLUMNS)


def items_to_frame(clauses: Iterable[Clause]) -> pd.DataFrame:
    """One row per 号 (``item`` key in e-Gov convention), for item-level review."""
    rows = [
        {
            "law_id": c.law_id,
            "law_title": c.law_title,
            "article": c.article,
            "paragraph": c.paragraph,
            "item": item.num,
            "clause_ref": format_clause_ref(c.article, c.paragraph, item.num, c.supplementary),
            "text": item.text,
        }
        for c in clauses
        for item in c.items
    ]
    return pd.DataFrame(rows, columns=["law_id", "law_title", "article", "paragraph", "item", "clause_ref", "text"])


@dataclass(frozen=True)
class CorpusLoad:
    """The clauses read from a corpus (:func:`clauses_to_frame`) and the files skipped, by the
    file's name as the user knows it (the folder joined to the path inside it), with the reason."""

    clauses: pd.DataFrame
    skipped: dict[str, str]


def read_corpus(files: Mapping[str, bytes], source: str = "コーパス", include_supplementary: bool = False,
                refused: Mapping[str, str] | None = None) -> CorpusLoad:
    """Every .xml / .html / .txt of ``files`` ({path inside the corpus: bytes}) in one clause
    frame, files in path order; other files are left out.

    A file that cannot be parsed (not the format its suffix says, undecodable, empty) is
    skipped with its reason, as are the files the folder reader ``refused`` (path inside the
    corpus → reason): one bad file does not stop the scan. Raises InputFileError naming
    ``source`` (the corpus folder) when no file could be read at all.
    """
    # path order as the folder walk gave it before (by parts: "a/b.xml" before "a-c.xml")
    names = sorted((n for n in files if PurePosixPath(n).suffix.lower() in LOADERS),
                   key=lambda n: PurePosixPath(n).parts)
    # the folder joined to the name: messages name the file as the user knows it
    skipped = {str(PurePosixPath(source, name)): reason for name, reason in (refused or {}).items()}
    clauses: list[Clause] = []
    for name in names:
        label = str(PurePosixPath(source, name))
        try:
            clauses.extend(load_file(label, files[name], include_supplementary=include_supplementary))
        except InputFileError as exc:
            skipped[label] = str(exc).removeprefix(f"{label}: ")
        except ValueError as exc:  # a parser's own error: its class only (the text is the file's)
            skipped[label] = f"読めません ({type(exc).__name__})"
    if all(str(PurePosixPath(source, name)) in skipped for name in names):  # none read (or none there)
        detail = f" ({len(skipped)} 件は読めませんでした)" if skipped else ""
        raise InputFileError(f"{source}: 読める法令XML / 例規HTML / テキストのファイルがありません{detail}")
    return CorpusLoad(clauses_to_frame(clauses), dict(sorted(skipped.items())))


def load_corpus(files: Mapping[str, bytes], source: str = "コーパス",
                include_supplementary: bool = False) -> pd.DataFrame:
    """:func:`read_corpus`, strict: the first file that cannot be parsed is an
    :class:`InputFileError` naming it (for a corpus where every file matters)."""
    load = read_corpus(files, source, include_supplementary)
    for label, reason in load.skipped.items():
        raise InputFileError(f"{label}: {reason}")
    return load.clauses
