"""Outputs of the reports app: the ranking workbook and the bulletin as PDF and .docx.

Both bulletin documents draw the same blocks (`reports.sections.document`): the PDF through
a Django template with print CSS rendered by WeasyPrint, the .docx through the official
document primitives of `campaign.documents`. Fonts, page size and
margins live in `templates/reports/pdf/print.css` only. The renderer (`campaign.documents.
render_pdf`) reads local files only — the app's static files and the private media a
bulletin's photos come from — so rendering never touches the network.
"""

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from docx.shared import RGBColor

from campaign.documents import render_pdf
from campaign.exports import TabularExport
from campaign.templatetags.site_tags import week

RED_DRAFT = RGBColor(0xC0, 0x00, 0x00)


def _safe(text):
    for char in "/\\?*[]:":
        text = text.replace(char, "·")
    return text


class RankingExport(TabularExport):
    """One ranking (one angle, one kind of unit) as the office hands it to a meeting."""

    column_widths = [8, 28, 14, 12, 12, 12, 12, 12, 12, 14, 30]

    def __init__(self, *, items, angle, kind_label, period, frozen):
        self.items, self.angle, self.kind_label = items, angle, kind_label
        self.period, self.frozen = period, frozen

    @property
    def sheet_title(self):
        # Excel refuses / \\ ? * [ ] : in sheet names ("District / county").
        return _safe(f"{self.angle.label}·{self.kind_label}")[:31]

    def get_title(self):
        status = _("frozen") if self.frozen else _("live, not yet frozen")
        return _("%(angle)s · %(kind)s · %(week)s (%(status)s)") % {
            "angle": self.angle.label,
            "kind": self.kind_label,
            "week": week(self.period),
            "status": status,
        }

    def get_filename(self):
        return _safe(f"{_('Ranking')}-{self.angle.label}-{self.kind_label}-{self.period}")

    def get_headers(self):
        return [
            _("Rank"),
            _("Unit"),
            str(self.angle.value_label),
            _("Since last week"),
            _("New this week"),
            _("Still open"),
            _("Overdue"),
            _("Closure rate (%)"),
            _("Task completion (%)"),
            _("Composite score"),
            _("Note"),
        ]

    def rows(self):
        for item in self.items:
            row = item.row
            yield [
                item.rank,
                row.unit_name,
                item.value,
                item.change,
                row.found_week,
                row.open_count,
                row.overdue_count,
                row.closure_rate,
                row.completion_rate,
                row.score,
                item.note,
            ]


def bulletin_context(bulletin):
    """What both the web page and the PDF show of a bulletin: its blocks."""
    from .sections import document

    return {"bulletin": bulletin, "doc": document(bulletin)}


def render_bulletin_docx_bytes(bulletin):
    """The bulletin as an editable .docx in the official layout (`campaign.documents`),
    drawn from the same blocks as the PDF (`reports.sections.document`). A chart is a
    drawing only: its figures are in the table that follows it in both documents."""
    from django.core.files.storage import default_storage
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from campaign.documents import FANGSONG, HEITI, OfficialDocument, set_fonts

    from .sections import document

    doc = document(bulletin)
    out = OfficialDocument()
    if doc.draft_mark:
        header = out.document.sections[0].header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_fonts(header.add_run(doc.draft_mark), HEITI, color=RED_DRAFT)
    out.masthead(doc.masthead, number=doc.document_number, issue=doc.issue)
    out.paragraph(f"{doc.issuing_office}\u3000{doc.date_text}", indent=False)
    out.title(doc.title)
    for line in doc.summary:
        out.paragraph(line)
    for block in doc.blocks:
        if block.kind == "heading":
            out.heading(block.text, block.level, number=block.number)
        elif block.kind == "paragraph":
            centred = block.style == "caption"
            out.paragraph(
                f"{block.number}{block.text}",
                indent=not centred,
                align=WD_ALIGN_PARAGRAPH.CENTER if centred else None,
                font=HEITI if block.style in ("caption", "subhead") else FANGSONG,
            )
        elif block.kind == "table":
            out.table(block.headers, block.rows)
        elif block.kind == "photos":
            for _case, _index, name, label in block.items:
                with default_storage.open(name, "rb") as image:
                    out.picture(image, width_mm=70, caption=label)
    out.signature(doc.issuing_office, doc.date)
    out.distribution(doc.distribution, printed=(doc.issuing_office, doc.printed))
    return out.to_bytes()


def render_bulletin_pdf_bytes(bulletin):
    return render_pdf(render_to_string("reports/pdf/bulletin.html", bulletin_context(bulletin)))
