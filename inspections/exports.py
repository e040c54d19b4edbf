"""The ledger's outputs: the ledger as Excel, in the layout the office hands to meetings
(问题整改台账), and the supervision notice (督办通知单) of an order as PDF and .docx."""

from django.db.models import BooleanField, ExpressionWrapper
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.documents import OfficialDocument, chinese_date, render_pdf
from campaign.exports import TabularExport, builder, query_dict
from campaign.models import Standard, Unit

from .filters import ledger_filter
from .models import (
    FindingCategory,
    FindingPhoto,
    LedgerSettings,
    Severity,
    Source,
    Status,
    SupervisionLevel,
    finding_code,
    overdue_q,
)

# What each row reads: plain values, so 100,000 rows build no model instances; names of units,
# categories and standards come from dictionaries of the campaign's (a few thousand at most).
LEDGER_COLUMNS = [
    "pk",
    "found_on",
    "source",
    "category_id",
    "description",
    "address",
    "territory_id",
    "unit_id",
    "severity",
    "standard_id",
    "deadline",
    "status",
    "late",
    "supervision_level",
    "measures",
    "closed_at",
]


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

    def count(self):
        return self.findings.order_by().count()

    def rows(self):
        campaign = self.campaign
        late = ExpressionWrapper(overdue_q(timezone.localdate()), output_field=BooleanField())
        # Labels and names looked up once, not per row.
        statuses, severities, sources = (
            {k: str(v) for k, v in Status.choices},
            {k: str(v) for k, v in Severity.choices},
            {k: str(v) for k, v in Source.choices},
        )
        levels = {k: str(v) for k, v in SupervisionLevel.choices if k}
        units = dict(Unit.objects.filter(campaign=campaign).values_list("pk", "name"))
        categories = dict(
            FindingCategory.objects.filter(campaign=campaign).values_list("pk", "name")
        )
        standards = {
            s.pk: str(s)
            for s in Standard.objects.filter(system__campaign=campaign).only("code", "text")
        }
        yes = _("Yes")
        rows = (
            self.findings.annotate(late=late)
            .order_by("found_on", "pk")
            .values_list(*LEDGER_COLUMNS)
            .iterator(chunk_size=500)
        )
        for n, row in enumerate(rows, start=1):
            (pk, found_on, source, category, text, address, territory, unit, severity, standard,
             deadline, status, overdue, level, measures, closed_at) = row  # fmt: skip
            yield [
                n,
                finding_code(found_on, pk),
                found_on,
                sources.get(source, source),
                categories.get(category, ""),
                text,
                address,
                units.get(territory, ""),
                units.get(unit, ""),
                severities.get(severity, ""),
                standards.get(standard, ""),
                deadline,
                statuses.get(status, status),
                yes if overdue else "",
                levels.get(level, ""),
                measures,
                closed_at,
            ]


@builder
def ledger_export(*, person, campaign, params):
    """The ledger `person` sees, filtered like the ledger page by `params`."""
    return FindingLedgerExport(
        ledger_filter(person, campaign, query_dict(params)).qs, campaign=campaign
    )


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
