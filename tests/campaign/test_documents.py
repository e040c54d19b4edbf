"""Official-document primitives: the .docx layout every editable document is built on."""

import datetime
import io

import docx
from docx.oxml.ns import qn

from campaign.documents import (
    FANGSONG,
    HEITI,
    OfficialDocument,
    chinese_date,
    chinese_number,
    document_number,
    heading_number,
)


def test_numbers_dates_and_document_numbers_are_written_the_official_way():
    assert [chinese_number(n) for n in (1, 10, 12, 20, 99)] == [
        "一",
        "十",
        "十二",
        "二十",
        "九十九",
    ]
    assert chinese_date(datetime.date(2026, 3, 2)) == "2026年3月2日"
    assert chinese_date(datetime.date(2026, 11, 30), hanzi=True) == "二〇二六年十一月三十日"
    assert document_number("创文办", 2026, 12) == "创文办〔2026〕12号"
    assert [heading_number(level, 2) for level in (1, 2, 3, 4)] == ["二、", "（二）", "2.", "（2）"]


def _east_asia(run):
    return run.element.rPr.rFonts.get(qn("w:eastAsia"))


def test_an_official_document_opens_with_a4_pages_cjk_faces_and_numbered_headings():
    doc = OfficialDocument()
    doc.masthead(
        "创建全国文明城市工作通报", number=document_number("创文办", 2026, 12), issue="第3期"
    )
    doc.title("关于第12周问题整改情况的通报")
    doc.heading("总体进展")
    doc.heading("问题整改", level=2)
    doc.heading("重点问题", level=2)
    doc.heading("下周要求")
    doc.heading("落实责任", level=2)
    doc.paragraph("本周共发现问题12个。")
    doc.table(["单位", "问题数"], [["城东区", 12], ["城西区", 3]], widths_mm=[100, 56])
    doc.signature("市创建办", datetime.date(2026, 3, 2))
    doc.distribution([("报", "市委、市政府"), ("发", "各区县创建办")])

    opened = docx.Document(io.BytesIO(doc.to_bytes()))
    section = opened.sections[0]
    # Word stores lengths in twips: compare to the millimetre.
    sizes = [section.page_width, section.page_height, section.top_margin, section.left_margin]
    assert [round(length.mm) for length in sizes] == [210, 297, 37, 28]
    texts = [p.text for p in opened.paragraphs]
    assert texts[:3] == ["创建全国文明城市工作通报", "第3期", "创文办〔2026〕12号"]
    headings = [p.text for p in opened.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "一、总体进展",
        "（一）问题整改",
        "（二）重点问题",
        "二、下周要求",
        "（一）落实责任",
    ]
    body = next(p for p in opened.paragraphs if p.text == "本周共发现问题12个。")
    assert _east_asia(body.runs[0]) == FANGSONG
    first_heading = next(p for p in opened.paragraphs if p.text == "一、总体进展")
    assert _east_asia(first_heading.runs[0]) == HEITI
    normal = opened.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == FANGSONG
    # The red rule under the document number, and a red masthead.
    assert opened.paragraphs[0].runs[0].font.color.rgb == docx.shared.RGBColor(0xFF, 0, 0)
    rule = opened.paragraphs[2]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000"
    (table,) = opened.tables
    assert [c.text for c in table.rows[1].cells] == ["城东区", "12"]
    assert table._tbl.tblPr.find(qn("w:tblBorders")) is not None
    assert "2026年3月2日" in texts and "报：市委、市政府" in texts


def _children(element):
    return [child.tag.split("}")[1] for child in element]


def test_borders_sit_where_the_schema_puts_them_so_word_opens_the_file():
    doc = OfficialDocument()
    doc.masthead("某市创建办", number="督办〔2026〕1号")
    doc.table(["单位"], [["城东区"]])
    doc.distribution([("发", "各区县")])  # one line: its top and bottom rules share a w:pBdr
    opened = docx.Document(io.BytesIO(doc.to_bytes()))
    for para in opened.paragraphs:
        p_pr = para._p.pPr
        if p_pr is None or p_pr.find(qn("w:pBdr")) is None:
            continue
        tags = _children(p_pr)
        assert tags.count("pBdr") == 1
        assert all(
            tags.index("pBdr") < tags.index(t) for t in ("spacing", "ind", "jc") if t in tags
        )
    tbl_pr = _children(opened.tables[0]._tbl.tblPr)
    assert tbl_pr.index("tblBorders") < tbl_pr.index("tblLook")
    title_fonts = opened.styles["Heading 1"].element.rPr.rFonts
    assert title_fonts.get(qn("w:eastAsiaTheme")) is None
