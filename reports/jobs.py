"""Background jobs of the reports app: the weekly bulletin and its e-mail."""

from celery import shared_task
from django.conf import settings
from django.utils import translation


@shared_task(acks_late=True, time_limit=300)
def produce_due_bulletins():
    """Every 15 minutes: queue the bulletin of each campaign whose weekly time has come.

    Idempotent: a campaign whose bulletin for the week exists is skipped, and the maker
    claims the week with a unique constraint. Returns how many were queued.
    """
    from .services import produce_due_bulletins as produce

    return len(produce())


@shared_task(acks_late=True, time_limit=600)
def make_bulletin_job(campaign_id, period):
    """Make (or find) one campaign's bulletin for one week; returns its id.

    Two of these running at once for the same week make one bulletin between them.
    """
    from campaign.models import Campaign

    from .services import make_bulletin

    campaign = Campaign.objects.get(pk=campaign_id)
    with translation.override(settings.LANGUAGE_CODE):
        bulletin, _created = make_bulletin(campaign=campaign, period=period)
    return bulletin.pk


@shared_task(
    acks_late=True,
    time_limit=120,
    autoretry_for=(OSError,),
    max_retries=3,
    retry_backoff=60,
)
def email_bulletin(bulletin_id):
    """E-mail a published bulletin to the distribution list (once; retried on mail errors)."""
    from .services import email_bulletin as send

    return send(bulletin_id)
