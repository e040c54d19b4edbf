"""The ledger as Excel, in the layout the office hands to meetings (问题整改台账)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from campaign.exports import TabularExport

from .models import Severity, Source, Status, SupervisionLevel


class FindingLedgerExport(TabularExport):
    """One row per finding of an already scoped and filtered queryset, read in chunks."""

    title = gettext_lazy("Rectification ledger")
    headers = [
        pgettext_lazy("ledger export", "No."),
        pgettext_lazy("ledger export", "Finding number"),
        pgettext_lazy("ledger export", "Date found"),
        pgettext_lazy("ledger export", "Source"),
        pgettext_lazy("ledger export", "Category"),
        pgettext_lazy("ledger export", "Description"),
        pgettext_lazy("ledger export", "Place"),
        pgettext_lazy("ledger export", "Area"),
        pgettext_lazy("ledger export", "Responsible unit"),
        pgettext_lazy("ledger export", "Severity"),
        pgettext_lazy("ledger export", "Standard"),
        pgettext_lazy("ledger export", "Deadline"),
        pgettext_lazy("ledger export", "Status"),
        pgettext_lazy("ledger export", "Overdue"),
        pgettext_lazy("ledger export", "Supervision"),
        pgettext_lazy("ledger export", "Rectification measures"),
        pgettext_lazy("ledger export", "Closed off on"),
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
