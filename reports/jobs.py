"""Background jobs of the reports app: the weekly bulletin.

(Rendering a bulletin's PDF and e-mailing it are outbox rows written by the change that
needs them; the outbox relay delivers them.)
"""

from celery import shared_task
from django.conf import settings
from django.utils import translation


@shared_task(acks_late=True, time_limit=300)
def queue_due_bulletins():
    """Every 15 minutes: queue the bulletin of each campaign whose weekly time has come.

    Idempotent: one outbox row per campaign and week, and the maker claims the week with a
    unique constraint. Returns how many were queued.
    """
    from .bulletins import produce_due_bulletins

    return len(produce_due_bulletins())


@shared_task(acks_late=True, time_limit=600)
def make_bulletin_job(campaign_id, period):
    """Make (or find) one campaign's bulletin for one week; returns its id.

    Two of these running at once for the same week make one bulletin between them.
    """
    from campaign.models import Campaign

    from .bulletins import make_bulletin

    campaign = Campaign.objects.get(pk=campaign_id)
    with translation.override(settings.LANGUAGE_CODE):
        bulletin, _created = make_bulletin(campaign=campaign, period=period)
    return bulletin.pk
