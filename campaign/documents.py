"""Official documents (公文): the one set of `.docx` primitives, and the PDF renderer.

Every editable document the campaign hands out (the weekly bulletin, the 督办通知单 …) is
built with `OfficialDocument`, which lays a python-docx document out in the official format
(GB/T 9704-2012, as offices and WPS expect it):

- A4, margins 37 mm top, 35 mm bottom, 28 mm left (binding side), 26 mm right; body in
  3号 (16 pt) 仿宋 at a fixed 28.95 pt line pitch (22 lines of 28 characters); the page
  number "— 1 —" at the foot;
- a red masthead (发文机关标志) in 小标宋, an optional issue line (第N期), the document
  number (文号, `document_number()` → 创文办〔2026〕12号) and the red rule under them;
- the title in 2号 小标宋; headings numbered by the official scheme 一、 （一） 1. （1）,
  in 黑体, 楷体, 仿宋 bold and 仿宋;
- bordered tables with a repeated bold header row, pictures, the signature/seal block
  (落款: issuing office, date in Chinese, seal note) and the 报/送/发 distribution lines.

Chinese needs the East-Asian font slot: python-docx's `font.name` sets only the ASCII and
high-ANSI slots, so `set_fonts()` also writes `w:rFonts/@w:eastAsia`; Word and WPS pick the
face for Chinese characters from that attribute alone.

    doc = OfficialDocument()
    doc.masthead("创建全国文明城市工作通报", number=document_number("创文办", 2026, 12))
    doc.title("关于……的通报")
    doc.addressee("各区县、各责任单位：")
    doc.heading("总体进展")            # 一、总体进展
    doc.heading("问题整改", level=2)   # （一）问题整改
    doc.paragraph("本周共发现问题……")
    doc.table(["单位", "问题数"], [["城东区", 12]], widths_mm=[100, 56])
    doc.signature("市创建办", datetime.date(2026, 3, 2))
    doc.distribution([("报", "市委、市政府"), ("发", "各区县创建办")])
    content = doc.to_bytes()

PDFs of the same documents are Django templates with print CSS rendered by WeasyPrint
(`render_pdf`); `campaign/pdf/official.css` holds their page set-up and the Noto CJK font
names, and `LocalFilesOnly` keeps rendering off the network.
"""

import io
import logging
import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .models import AuditEntry

# WeasyPrint logs every layout step at INFO: a worker's log does not need it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

MIME_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Faces named as Word and WPS on Chinese Windows know them. 仿宋 and 黑体 ship with every
# Chinese Windows and WPS; 方正小标宋简体 is the official title face offices install (where it
# is missing, Word substitutes it without complaint).
FANGSONG = "仿宋"
HEITI = "黑体"
KAITI = "楷体"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
LATIN = "Times New Roman"
RED = RGBColor(0xFF, 0x00, 0x00)

# Chinese type sizes (字号) in points.
SIZE_2 = Pt(22)  # 二号: title
SIZE_3 = Pt(16)  # 三号: body, headings
SIZE_4 = Pt(14)  # 四号: page number, distribution lines
SIZE_SMALL_4 = Pt(12)  # 小四: table cells
LINE_PITCH = Pt(28.95)  # 22 lines to the 225 mm type area

_DIGITS = "〇一二三四五六七八九"


def chinese_number(n):
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (for headings up to 99)."""
    if not 0 < n < 100:
        raise ValueError(f"Headings are numbered 1–99, not {n}")
    tens, ones = divmod(n, 10)
    text = (_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
    return text + (_DIGITS[ones] if ones else "")


def chinese_date(date, *, hanzi=False):
    """The date of a 落款: 2026年3月2日 (GB/T 9704-2012, Arabic numerals), or with
    `hanzi=True` the older form 二〇二六年三月二日."""
    if not hanzi:
        return f"{date.year}年{date.month}月{date.day}日"
    year = "".join(_DIGITS[int(d)] for d in str(date.year))
    return f"{year}年{chinese_number(date.month)}月{chinese_number(date.day)}日"


def document_number(prefix, year, sequence):
    """A 文号: document_number("创文办", 2026, 12) → 创文办〔2026〕12号 (hexagonal brackets,
    no leading zeros, as the standard requires)."""
    return f"{prefix}〔{year}〕{sequence}号"


def heading_number(level, n):
    """The official numbering of headings: 一、 （一） 1. （1） for levels 1–4."""
    return {
        1: f"{chinese_number(n)}、",
        2: f"（{chinese_number(n)}）",
        3: f"{n}.",
        4: f"（{n}）",
    }[level]


# Theme font attributes win over named faces in Word: a style or run names its faces only.
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(target, east_asia, *, latin=LATIN, size=None, bold=None, color=None):
    """Set the faces of a run or a style, the East-Asian one included (see module doc)."""
    font = target.font
    font.name = latin
    fonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in _THEME_FONTS:
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), east_asia)
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = color
    return target


# The children that come after <w:pBdr> in <w:pPr> and after <w:tblBorders> in <w:tblPr>:
# OOXML fixes the order of properties, and Word calls a file with them out of order corrupt.
_FOLLOWING = {
    "w:pBdr": (
        "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
        "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
        "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange",
    ),
    "w:tblBorders": (
        "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
        "w:tblDescription", "w:tblPrChange",
    ),
}  # fmt: skip


def _border(element, tag, edges, *, size=4, color="000000"):
    """Draw single lines on `edges` (top, bottom …) of a pPr or tblPr element, in its
    `<tag>` (w:pBdr or w:tblBorders), created in its schema place when missing."""
    borders = element.find(qn(tag))
    if borders is None:
        borders = OxmlElement(tag)
        element.insert_element_before(borders, *_FOLLOWING[tag])
    for edge in edges:
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), str(size))  # eighths of a point
        line.set(qn("w:space"), "1")
        line.set(qn("w:color"), color)
        borders.append(line)


def _page_field(run):
    """A PAGE field in `run`: Word and WPS fill in the page number."""
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        else:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = text
        run._r.append(node)


class OfficialDocument:
    """A python-docx document in the official layout; see the module docstring."""

    def __init__(self):
        self.document = Document()
        self._counters = [0, 0, 0, 0]
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(20)
        normal = self.document.styles["Normal"]
        set_fonts(normal, FANGSONG, size=SIZE_3)
        # Chinese proofing and line breaking. The template's Normal style has no w:lang, and
        # w:lang comes after every run property set above, so appending keeps schema order.
        lang = OxmlElement("w:lang")
        lang.set(qn("w:eastAsia"), "zh-CN")
        normal.element.get_or_add_rPr().append(lang)
        fmt = normal.paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH
        fmt.space_before = fmt.space_after = Pt(0)
        for name in (f"Heading {n}" for n in range(1, 5)):
            # The built-in headings come in theme faces and colours: make them official.
            style = self.document.styles[name]
            set_fonts(style, HEITI, size=SIZE_3, bold=False, color=RGBColor(0, 0, 0))
        # The built-in Title (kept so Word's navigation and outline know the title) comes
        # with a theme face, colour and a bottom border: the red rule is the only rule.
        title = self.document.styles["Title"]
        set_fonts(title, XIAOBIAOSONG, size=SIZE_2, bold=False, color=RGBColor(0, 0, 0))
        for border in title.element.get_or_add_pPr().findall(qn("w:pBdr")):
            border.getparent().remove(border)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(footer.add_run("— "), SONGTI, size=SIZE_4)
        _page_field(set_fonts(footer.add_run(), SONGTI, size=SIZE_4))
        set_fonts(footer.add_run(" —"), SONGTI, size=SIZE_4)

    # --- text ----------------------------------------------------------------------------

    def paragraph(self, text="", *, indent=True, align=None, font=FANGSONG, size=None, bold=None):
        """A body paragraph, first line indented by two characters unless `indent=False`."""
        para = self.document.add_paragraph()
        if indent:
            para.paragraph_format.first_line_indent = Pt(32)
        if align is not None:
            para.alignment = align
        if text:
            set_fonts(para.add_run(str(text)), font, size=size, bold=bold)
        return para

    def masthead(self, text, *, number="", issue=""):
        """发文机关标志 in red 小标宋, then `issue` (第N期) and the 文号, then the red rule."""
        head = self.paragraph(text, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        head.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        head.paragraph_format.space_after = Pt(12)
        set_fonts(head.runs[0], XIAOBIAOSONG, size=Pt(36) if len(text) < 10 else Pt(26))
        head.runs[0].font.color.rgb = RED
        lines = [line for line in (issue, number) if line]
        last = head
        for line in lines:
            last = self.paragraph(line, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        # The red rule (版头中的分隔线) runs under the last line of the masthead.
        last.paragraph_format.space_after = Pt(18)
        _border(last._p.get_or_add_pPr(), "w:pBdr", ["bottom"], size=18, color="FF0000")
        return head

    def title(self, text):
        """The document's title (标题): centred, 2号 小标宋, a blank line after it."""
        para = self.paragraph(text, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        para.style = self.document.styles["Title"]
        fmt = para.paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(35)
        fmt.space_after = LINE_PITCH
        set_fonts(para.runs[0], XIAOBIAOSONG, size=SIZE_2)
        return para

    def addressee(self, text):
        """主送机关: flush left, ending with a full-width colon."""
        return self.paragraph(text, indent=False)

    def heading(self, text, level=1, *, number=None):
        """A numbered heading; a heading resets the numbers of the levels below it.
        `number` prints a number the caller already gave it (a document numbered once for
        several renderers) instead of counting."""
        self._counters[level - 1] += 1
        self._counters[level:] = [0] * (4 - level)
        label = heading_number(level, self._counters[level - 1]) if number is None else number
        font, bold = {1: (HEITI, False), 2: (KAITI, False), 3: (FANGSONG, True)}.get(
            level, (FANGSONG, False)
        )
        para = self.document.add_paragraph(style=f"Heading {level}")
        fmt = para.paragraph_format
        fmt.first_line_indent = Pt(32)
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.keep_with_next = True
        set_fonts(para.add_run(f"{label}{text}"), font, size=SIZE_3, bold=bold)
        return para

    def picture(self, image, *, width_mm=70, caption=""):
        """A centred picture (a path or a binary stream), with an optional caption under it."""
        para = self.paragraph(indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
        # A fixed line pitch would crop the picture to one line's height.
        para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        para.add_run().add_picture(image, width=Mm(width_mm))
        if caption:
            self.paragraph(caption, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=SIZE_4)
        return para

    # --- tables ----------------------------------------------------------------------------

    def table(self, headers, rows, *, widths_mm=None, size=SIZE_SMALL_4):
        """A bordered table; `headers` is a bold row repeated on every page (or empty)."""
        rows = [list(row) for row in rows]
        columns = len(headers) if headers else len(rows[0]) if rows else 1
        table = self.document.add_table(rows=0, cols=columns)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _border(
            table._tbl.tblPr,
            "w:tblBorders",
            ["top", "left", "bottom", "right", "insideH", "insideV"],
        )
        if headers:
            cells = table.add_row().cells
            header_row = table.rows[0]._tr.get_or_add_trPr()
            header_row.append(OxmlElement("w:tblHeader"))
            for cell, text in zip(cells, headers, strict=True):
                self._cell(cell, text, HEITI, size, center=True)
        for row in rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                self._cell(cell, text, FANGSONG, size)
        if widths_mm:
            for row in table.rows:
                for cell, width in zip(row.cells, widths_mm, strict=True):
                    cell.width = Mm(width)
        return table

    @staticmethod
    def _cell(cell, value, font, size, *, center=False):
        para = cell.paragraphs[0]
        fmt = para.paragraph_format
        fmt.line_spacing_rule, fmt.first_line_indent = WD_LINE_SPACING.SINGLE, None
        if center:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(para.add_run("" if value is None else str(value)), font, size=size)

    # --- the end of a document -------------------------------------------------------------

    def signature(self, office, date, *, seal_note=""):
        """落款: the issuing office and the date, right-aligned with the date four characters
        from the right margin, after two blank lines (the seal goes over them); `seal_note`
        (e.g. "（盖章）") is printed beside the office."""
        self.paragraph(indent=False)
        self.paragraph(indent=False)
        lines = [f"{office}{seal_note}", chinese_date(date)]
        paras = []
        for line in lines:
            para = self.paragraph(line, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
            para.paragraph_format.right_indent = Pt(64)
            paras.append(para)
        return paras

    def distribution(self, lines, *, printed=None):
        """版记: the 报/送/发 lines, e.g. [("报", "市委、市政府"), ("发", "各区县")], between
        thin rules; a label's text wraps under itself. `printed` = (印发机关, "2026年3月2日印发")
        adds the printing line, the office flush left and the date flush right."""
        self.paragraph(indent=False)
        paras = []
        for label, text in lines:
            para = self.paragraph(indent=False, size=SIZE_4)
            set_fonts(para.add_run(f"{label}：{text}"), FANGSONG, size=SIZE_4)
            para.paragraph_format.left_indent = Pt(14)
            para.paragraph_format.first_line_indent = Pt(-14)
            paras.append(para)
        if printed:
            office, date = printed
            para = self.paragraph(indent=False)
            width = self.document.sections[0].page_width
            width -= self.document.sections[0].left_margin + self.document.sections[0].right_margin
            para.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
            set_fonts(para.add_run(f"{office}\t{date}"), FANGSONG, size=SIZE_4)
            paras.append(para)
        if paras:
            _border(paras[0]._p.get_or_add_pPr(), "w:pBdr", ["top"], size=8)
            _border(paras[-1]._p.get_or_add_pPr(), "w:pBdr", ["bottom"], size=8)
        return paras

    def to_bytes(self):
        """The `.docx` file's content."""
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


# --- PDF ---------------------------------------------------------------------------------


class LocalFilesOnly(URLFetcher):
    """Serves `static:` and `media:` URLs from local disk and refuses everything else."""

    def fetch(self, url, headers=None):
        if url.startswith("static:"):
            found = finders.find(url.removeprefix("static:").lstrip("/"))
            path = Path(found) if found else None
        elif url.startswith("media:"):
            root = Path(settings.MEDIA_ROOT).resolve()
            path = (root / url.removeprefix("media:").lstrip("/")).resolve()
            if not path.is_relative_to(root):
                path = None
        else:
            raise ValueError(f"Only local files are rendered into PDFs, not {url[:80]}")
        if path is None or not path.is_file():
            raise ValueError(f"No such local file: {url[:80]}")
        mime_type, _encoding = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={"Content-Type": mime_type or "application/octet-stream"},
        )


def render_pdf(html):
    """Render an HTML document (a template with print CSS) to PDF bytes, reading only local
    files: `static:app/file.css` and `media:path` (private media, e.g. photos)."""
    return HTML(string=html, base_url="static:/", url_fetcher=LocalFilesOnly()).write_pdf()


def document_response(content, *, filename, content_type, obj, actor):
    """A generated document (a notice's PDF or .docx) as a download, recorded in the audit
    log like every other download; never cached, never sniffed."""
    AuditEntry.record(
        actor=actor,
        action=AuditEntry.Action.DOWNLOAD,
        obj=obj,
        summary=_("Downloaded “%(name)s”") % {"name": filename},
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
