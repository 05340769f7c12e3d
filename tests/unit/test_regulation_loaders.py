"""Loaders: e-Gov XML, Reiki-Base HTML and plain text → 項 clauses keyed like the 工程表."""

from __future__ import annotations

from pathlib import Path

import pytest

from kogadx.io import InputFileError, read_folder_bytes
from kogadx.regulation.loaders import (
    CORPUS_SUFFIXES,
    article_num_from_title,
    format_clause_ref,
    items_to_frame,
    kanji_to_int,
    load_corpus,
    parse_egov_xml,
    parse_plain_text,
    parse_reiki_html,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "regulation" / "reiki_shiken_kisoku.html"

EGOV_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Law Era="Showa" Lang="ja" LawType="Act" Num="001" Year="50"><LawNum>昭和五十年法律第一号</LawNum>
<LawBody><LawTitle Kana="てすとほう">試験法</LawTitle>
<MainProvision>
 <Article Num="3"><ArticleCaption>（掲示）</ArticleCaption><ArticleTitle>第三条</ArticleTitle>
  <Paragraph Num="1"><ParagraphNum/><ParagraphSentence><Sentence Num="1">事業者は、<Ruby>標<Rt>ひよう</Rt>\
</Ruby>識を公衆の見やすい場所に掲示しなければならない。</Sentence></ParagraphSentence></Paragraph>
  <Paragraph Num="2"><ParagraphNum>２</ParagraphNum><ParagraphSentence>\
<Sentence>前項の標識には、次に掲げる事項を記載する。</Sentence></ParagraphSentence>
   <Item Num="1"><ItemTitle>一</ItemTitle><ItemSentence><Sentence>氏名</Sentence></ItemSentence></Item>
   <Item Num="2"><ItemTitle>二</ItemTitle><ItemSentence><Column><Sentence>登録番号</Sentence></Column>\
<Column><Sentence>登録年月日</Sentence></Column></ItemSentence>
    <Subitem1 Num="1"><Subitem1Title>イ</Subitem1Title><Subitem1Sentence><Sentence>細目</Sentence>\
</Subitem1Sentence></Subitem1></Item>
  </Paragraph>
 </Article>
 <Article Num="252_17_6"><ArticleTitle>第二百五十二条の十七の六</ArticleTitle>
  <Paragraph Num="1"><ParagraphNum/><ParagraphSentence><Sentence>実地に検査する。</Sentence>\
</ParagraphSentence></Paragraph>
 </Article>
</MainProvision>
<SupplProvision><SupplProvisionLabel>附　則</SupplProvisionLabel>
 <Paragraph Num="1"><ParagraphNum/><ParagraphSentence><Sentence>この法律は、公布の日から施行する。</Sentence>\
</ParagraphSentence></Paragraph>
</SupplProvision>
</LawBody></Law>
"""


def test_kanji_and_article_numbers():
    assert kanji_to_int("二百五十二") == 252
    assert kanji_to_int("十七") == 17
    assert kanji_to_int("１２") == 12
    assert article_num_from_title("第二百五十二条の十七の六") == "252_17_6"
    assert article_num_from_title("第9条の3") == "9_3"
    assert article_num_from_title("附則") is None
    assert format_clause_ref("252_17_6", "1", "2") == "第252条の17の6第1項第2号"
    assert format_clause_ref("", "2", supplementary=True) == "附則第2項"


def test_egov_xml_split_into_keyed_paragraphs_with_items():
    name = "laws/350AC0000000001_試験法.xml"
    clauses = parse_egov_xml(EGOV_XML.encode("utf-8"), name)
    assert [(c.law_id, c.article, c.paragraph) for c in clauses] == [
        ("350AC0000000001", "3", "1"), ("350AC0000000001", "3", "2"), ("350AC0000000001", "252_17_6", "1"),
    ]
    first, second, third = clauses
    assert first.law_title == "試験法"
    assert first.source_file == "350AC0000000001_試験法.xml"  # the file name, not its folder
    assert first.caption == "（掲示）"
    assert first.text == "事業者は、標識を公衆の見やすい場所に掲示しなければならない。"  # ruby reading dropped
    assert [i.num for i in second.items] == ["1", "2"]
    assert "登録番号　登録年月日" in second.items[1].text and "イ　細目" in second.items[1].text
    assert third.clause_ref == "第252条の17の6第1項"
    items = items_to_frame(clauses)
    assert items["clause_ref"].tolist() == ["第3条第2項第1号", "第3条第2項第2号"]
    with_suppl = parse_egov_xml(EGOV_XML.encode("utf-8"), name, include_supplementary=True)
    assert len(with_suppl) == 4 and with_suppl[-1].supplementary


def test_egov_api_wrapper_and_bad_xml():
    body = EGOV_XML.split("?>", 1)[1]
    wrapped = (f"<DataRoot><Result><Code>0</Code></Result><ApplData><LawFullText>{body}</LawFullText></ApplData>"
               "</DataRoot>")
    assert len(parse_egov_xml(wrapped.encode("utf-8"), "wrapped.xml")) == 3
    with pytest.raises(InputFileError, match="broken.xml"):
        parse_egov_xml(b"<Law><LawBody>", "broken.xml")


def test_reiki_html_fixture_keys_captions_items_and_body_only():
    clauses = parse_reiki_html(FIXTURE.read_bytes(), FIXTURE.name)
    assert {c.law_title for c in clauses} == {"試験町掲示及び閲覧に関する規則(テスト用)"}
    keys = [(c.article, c.paragraph) for c in clauses]
    assert keys == [("1", "1"), ("2", "1"), ("2", "2"), ("2_2", "1"), ("3", "1")]
    posting = clauses[1]
    assert posting.caption == "(掲示)" and "掲示場に掲示" in posting.text
    assert [i.num for i in clauses[2].items] == ["1", "2"]
    # The 条項目次 side panel repeats keywords; it must not leak into any clause.
    assert not any("目次の語" in c.full_text() for c in clauses)
    with_suppl = parse_reiki_html(FIXTURE.read_bytes(), FIXTURE.name, include_supplementary=True)
    assert with_suppl[-1].supplementary and "施行する" in with_suppl[-1].text


def test_plain_text_loader_cp932():
    text = ("試験村公告式条例\n\n（掲示場）\n第1条　公告は、村役場前の掲示場に掲示して行う。\n"
            "2　前項の掲示は、7日間とする。\n"
            "（閲覧）\n第1条の2　次に掲げる書類は閲覧に供する。\n(1)　議事録\n(2)　予算書\n附　則\n"
            "この条例は、公布の日から施行する。\n")
    clauses = parse_plain_text(text.encode("cp932"), "kokokushiki.txt")
    assert [(c.article, c.paragraph, c.caption) for c in clauses] == [
        ("1", "1", "（掲示場）"), ("1", "2", "（掲示場）"), ("1_2", "1", "（閲覧）"),
    ]
    assert clauses[0].law_title == "試験村公告式条例"
    assert [i.text for i in clauses[2].items] == ["議事録", "予算書"]


def test_load_corpus_mixed_folder_and_errors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "rule.html").write_bytes(FIXTURE.read_bytes())
    (tmp_path / "law.xml").write_text(EGOV_XML, encoding="utf-8")
    (tmp_path / "notes.csv").write_text("ignored", encoding="utf-8")
    files = read_folder_bytes(tmp_path, CORPUS_SUFFIXES)
    assert list(files) == ["law.xml", "sub/rule.html"]  # notes.csv is not read
    frame = load_corpus(files, str(tmp_path))
    assert sorted(frame["source_file"].unique()) == ["law.xml", "rule.html"]
    assert frame["text"].str.len().gt(0).all()
    assert load_corpus({**files, "notes.csv": b"ignored"}).equals(frame)  # other files are skipped
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFileError, match="empty"):
        load_corpus(read_folder_bytes(empty, CORPUS_SUFFIXES), str(empty))
    with pytest.raises(InputFileError, match="フォルダがありません"):
        read_folder_bytes(tmp_path / "missing", CORPUS_SUFFIXES)
    # a bad file is named with its folder, as the user knows it
    with pytest.raises(InputFileError, match=f"{tmp_path}/sub/broken.xml"):
        load_corpus({**files, "sub/broken.xml": b"<Law><LawBody>"}, str(tmp_path))


@pytest.mark.shared
def test_real_reiki_samples_and_label_join(shared_dir):
    """The real Reiki-Base pages parse with no code change; 工程表 rows join to the real XML."""
    from kogadx.io import read_text_table
    from kogadx.regulation.build_training_data import label_law_clauses
    from kogadx.regulation.loaders import clauses_to_frame

    bench = shared_dir / "benchmarks" / "analog_regulation"
    ordinances = load_corpus(read_folder_bytes(bench / "ordinances", CORPUS_SUFFIXES))
    assert ordinances["source_file"].nunique() == 3
    parking = ordinances[ordinances["law_id"] == "k518RG00000080"]
    assert parking["law_title"].iloc[0] == "かつらぎ町駐車場等設置条例"
    assert ("4", "2") in set(zip(parking["article"], parking["paragraph"], strict=True))
    subset, _ = read_text_table(bench / "labels" / "koteihyo_subset_for_copied_laws.csv")
    law = bench / "laws" / "358AC1000000043_浄化槽法.xml"
    clauses = clauses_to_frame(parse_egov_xml(law.read_bytes(), law.name))
    rows = subset[subset["LawId"] == "358AC1000000043"]
    labelled, unmatched = label_law_clauses(clauses, rows)
    assert unmatched == 0
    assert (labelled["labels"] != "").sum() >= len(rows)
