"""Outputs of the reports app: the ranking workbook and the bulletin PDF.

The PDF is a Django template with print CSS rendered by WeasyPrint. Fonts, page size and
margins live in `templates/reports/pdf/print.css` only. The renderer (`campaign.documents.
render_pdf`) reads local files only — the app's static files and the private media a
bulletin's photos come from — so rendering never touches the network.
"""

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.documents import render_pdf
from campaign.exports import TabularExport


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
        return _("%(angle)s · %(kind)s · week %(period)s (%(status)s)") % {
            "angle": self.angle.label,
            "kind": self.kind_label,
            "period": self.period,
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
    """What both the web page and the PDF show of a bulletin: its frozen content."""
    from .charts import bar_chart_svg, weekly_chart_svg

    data = bulletin.data or {}
    return {
        "bulletin": bulletin,
        "data": data,
        "weekly_svg": weekly_chart_svg(data.get("weekly", [])),
        "district_svg": bar_chart_svg(data.get("districts", [])),
        "issued_on": timezone.localdate(bulletin.published_at or bulletin.generated_at),
    }


def render_bulletin_pdf_bytes(bulletin):
    return render_pdf(render_to_string("reports/pdf/bulletin.html", bulletin_context(bulletin)))


def render_bulletin_pdf(bulletin):
    """Render the bulletin to PDF and store it on the bulletin (replacing a draft's PDF)."""
    content = render_bulletin_pdf_bytes(bulletin)
    old = bulletin.pdf.name if bulletin.pdf else ""
    suffix = "" if bulletin.status == bulletin.Status.PUBLISHED else "-draft"
    name = f"{bulletin.period}-{bulletin.number}{suffix}.pdf"
    bulletin.pdf.save(name, ContentFile(content), save=False)
    type(bulletin).objects.filter(pk=bulletin.pk).update(pdf=bulletin.pdf.name)
    if old and old != bulletin.pdf.name:
        bulletin.pdf.storage.delete(old)
    return bulletin.pdf
