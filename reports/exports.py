"""Outputs of the reports app: the ranking workbook and the bulletin PDF.

The PDF is a Django template with print CSS rendered by WeasyPrint. Fonts, page size and
margins live in `templates/reports/pdf/bulletin.css` only. The renderer's URL fetcher reads
local files only — the app's static files and the private media a bulletin's photos come
from — so rendering never touches the network.
"""

import logging
import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from campaign.exports import TabularExport

# WeasyPrint logs every layout step at INFO: a weekly worker log does not need it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


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


def bulletin_context(bulletin):
    """What both the web page and the PDF show of a bulletin: its blocks."""
    from .sections import document

    return {"bulletin": bulletin, "doc": document(bulletin)}


def render_bulletin_pdf_bytes(bulletin):
    html = render_to_string("reports/pdf/bulletin.html", bulletin_context(bulletin))
    return HTML(string=html, base_url="static:/", url_fetcher=LocalFilesOnly()).write_pdf()


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
