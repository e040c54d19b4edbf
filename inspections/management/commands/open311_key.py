"""Issue an Open311 API key to an integrating system: the key alone on the last line."""

from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from inspections.services import issue_open311_key


class Command(BaseCommand):
    help = "Issue an Open311 API key for an integrating system (printed once, stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, required=True, help="the campaign's id")
        parser.add_argument("name", help="the integrating system, e.g. 12345热线")

    def handle(self, *args, campaign, name, **options):
        found = Campaign.objects.filter(pk=campaign).first()
        if found is None:
            raise CommandError(f"No campaign with id {campaign}.")
        if not name.strip():
            raise CommandError("Give the integrating system's name.")
        row, key = issue_open311_key(campaign=found, name=name, actor=None)
        self.stdout.write(f"Open311 API key for {row.name} (campaign {found.pk}); shown only once:")
        self.stdout.write(key)
