"""The ledger's outputs: the ledger as Excel, in the layout the office hands to meetings
(问题整改台账), and the supervision notice (督办通知单) of an order as PDF and .docx."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.documents import OfficialDocument, chinese_date, render_pdf
from campaign.exports import TabularExport

from .models import FindingPhoto, LedgerSettings, Severity, Source, Status, SupervisionLevel


class FindingLedgerExport(TabularExport):
    """One row per finding of an already scoped and filtered queryset, read in chunks."""

    title = gettext_lazy("Rectification ledger")
    headers = [
        gettext_lazy("Serial number"),
        gettext_lazy("Finding number"),
        gettext_lazy("Date found"),
        gettext_lazy("Source of the finding"),
        gettext_lazy("Category of the problem"),
        gettext_lazy("Problem description"),
        gettext_lazy("Exact place"),
        gettext_lazy("Area (territory)"),
        gettext_lazy("Responsible unit"),
        gettext_lazy("Severity"),
        gettext_lazy("Evaluation standard"),
        gettext_lazy("Rectification deadline"),
        gettext_lazy("Rectification status"),
        gettext_lazy("Overdue?"),
        gettext_lazy("Supervision level"),
        gettext_lazy("Rectification measures"),
        gettext_lazy("Closed off on"),
    ]
    column_widths = [6, 12, 12, 14, 12, 40, 28, 12, 16, 8, 30, 12, 12, 8, 12, 40, 16]

    def __init__(self, findings, *, campaign):
        self.findings = findings
        self.campaign = campaign

    def get_title(self):
        return _("%(campaign)s rectification ledger (as of %(date)s)") % {
            "campaign": self.campaign,
            "date": timezone.localdate(),
        }

    def get_filename(self):
        return _("Rectification ledger %(date)s") % {"date": timezone.localdate().isoformat()}

    def rows(self):
        today = timezone.localdate()
        # Labels looked up once, not per row.
        statuses, severities, sources = (
            dict(Status.choices),
            dict(Severity.choices),
            dict(Source.choices),
        )
        levels = dict(SupervisionLevel.choices)
        yes = _("Yes")
        queryset = self.findings.select_related(
            "category", "territory", "unit", "standard"
        ).order_by("found_on", "pk")
        for n, f in enumerate(queryset.iterator(chunk_size=500), start=1):
            yield [
                n,
                f.code,
                f.found_on,
                str(sources.get(f.source, f.source)),
                f.category.name if f.category_id else "",
                f.description,
                f.address,
                f.territory.name if f.territory_id else "",
                f.unit.name if f.unit_id else "",
                str(severities.get(f.severity, "")),
                str(f.standard) if f.standard_id else "",
                f.deadline,
                str(statuses.get(f.status, f.status)),
                yes if f.is_overdue(today) else "",
                str(levels[f.supervision_level]) if f.supervision_level else "",
                f.measures,
                f.closed_at,
            ]


# --- The supervision notice (督办通知单) -------------------------------------------------------

# At most this many before-photos are printed on a notice (two rows of two on the page).
NOTICE_PHOTOS = 4


def notice_context(order):
    """What both renderings of a supervision notice show, in the campaign's words."""
    finding = order.finding
    ledger = LedgerSettings.for_campaign(order.campaign)
    deadline = order.deadline or finding.deadline
    standard = finding.standard
    rows = [
        (_("Finding number"), finding.code),
        (_("Supervision level"), order.get_level_display()),
        (_("Problem description"), finding.description),
        (_("Exact place"), finding.address or "—"),
        (_("Evaluation standard"), f"{standard.code} {standard.text}" if standard else "—"),
        (_("Date found"), chinese_date(finding.found_on)),
        (_("Rectification deadline"), chinese_date(deadline) if deadline else "—"),
    ]
    if order.reason:
        rows.append((_("Requirements"), order.reason))
    photos = [
        p for p in finding.photos.all() if p.kind == FindingPhoto.Kind.BEFORE and p.thumbnail
    ][:NOTICE_PHOTOS]
    office = ledger.signing_office()
    return {
        "order": order,
        "finding": finding,
        "number": order.number,
        "title": _("Supervision notice"),
        "unit": finding.unit.name if finding.unit_id else "—",
        "rows": rows,
        "photos": photos,
        "legal_basis": ledger.legal_basis_line(),
        "request": _(
            "Rectify it by %(deadline)s and report the rectification, with photos before and "
            "after, to %(office)s."
        )
        % {"deadline": chinese_date(deadline) if deadline else "—", "office": office},
        "office": office,
        "issued_on": chinese_date(timezone.localdate(order.issued_at)),
        "seal_note": _("(seal)"),
        "receipt": _("Received by: ____________    Date received: ____________"),
    }


def notice_filename(order, suffix):
    return f"{order.number}{suffix}"


def render_notice_pdf(order):
    """The supervision notice as PDF bytes (one page; rendered on demand: it is small)."""
    html = render_to_string("inspections/pdf/supervision_notice.html", notice_context(order))
    return render_pdf(html)


def render_notice_docx(order):
    """The supervision notice as an editable .docx in the official layout."""
    ctx = notice_context(order)
    doc = OfficialDocument()
    doc.masthead(ctx["office"], number=ctx["number"])
    doc.title(ctx["title"])
    doc.addressee(f"{ctx['unit']}：")
    doc.paragraph(ctx["legal_basis"])
    doc.table([], ctx["rows"], widths_mm=[36, 120])
    for photo in ctx["photos"]:
        with photo.thumbnail.open("rb") as image:
            doc.picture(image, width_mm=60)
    doc.paragraph(ctx["request"])
    doc.signature(ctx["office"], timezone.localdate(order.issued_at), seal_note=ctx["seal_note"])
    doc.paragraph(ctx["receipt"], indent=False)
    return doc.to_bytes()
