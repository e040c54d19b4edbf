"""Background jobs of the campaign app: the outbox relay and sign-in record clean-up."""

from celery import shared_task
from django.utils import timezone

from . import outbox
from .models import LoginAttempt

LOGIN_ATTEMPT_RETENTION_DAYS = 180


@shared_task(acks_late=True, time_limit=300)
def purge_login_attempts(days=LOGIN_ATTEMPT_RETENTION_DAYS):
    """Delete sign-in records older than `days` days; returns how many went. Safe to re-run."""
    cutoff = timezone.now() - timezone.timedelta(days=days)
    deleted, _by_model = LoginAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted


@shared_task(acks_late=True, time_limit=300)
def deliver_outbox(ids):
    """Deliver the outbox rows just committed (the kick); returns how many were delivered.

    Safe to redeliver: a delivered row is skipped.
    """
    return sum(outbox.deliver(pk) for pk in ids)


@shared_task(acks_late=True, time_limit=300)
def relay_outbox():
    """Every minute: deliver every due outbox row the kicks missed (broker down, retries)."""
    return outbox.relay()
