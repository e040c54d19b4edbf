"""The ledger as Excel, in the layout the office hands to meetings (问题整改台账)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.exports import TabularExport

from .models import Severity, Source, Status, SupervisionLevel


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
