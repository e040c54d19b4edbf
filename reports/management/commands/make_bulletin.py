"""Make a campaign's weekly bulletin by hand (back-fills, scripts).

    manage.py make_bulletin --campaign 1 [--period 2026-W47] [--publish]

Prints the bulletin's number and the PDF's path. Running it again for the same week
prints the same bulletin: a week's bulletin is made once.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from campaign.models import Campaign
from reports.bulletins import make_bulletin, render_now
from reports.periods import PeriodError, normalise_period


class Command(BaseCommand):
    help = "Make (or show) a campaign's weekly bulletin and print its number and PDF path."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, required=True, help="campaign id")
        parser.add_argument("--period", help="ISO week, e.g. 2026-W47 (default: per settings)")
        parser.add_argument(
            "--publish", action="store_true", help="publish (and e-mail) a newly made bulletin"
        )

    def handle(self, *args, campaign, period=None, publish=False, **options):
        translation.activate(settings.LANGUAGE_CODE)
        try:
            target = Campaign.objects.get(pk=campaign)
        except Campaign.DoesNotExist:
            raise CommandError(
                _("There is no campaign with id %(id)s.") % {"id": campaign}
            ) from None
        if period:
            try:
                period = normalise_period(period)
            except PeriodError as error:
                raise CommandError(str(error)) from None
        try:
            bulletin, created = make_bulletin(
                campaign=target, period=period, auto_publish=True if publish else None
            )
        except PeriodError as error:
            raise CommandError(str(error)) from None
        state = _("made") if created else _("already made")
        self.stdout.write(
            f"{bulletin.document_number} 第{bulletin.number}期 {bulletin.period} "
            f"({bulletin.get_status_display()}, {state})"
        )
        self.stdout.write(render_now(bulletin).pdf.path)
