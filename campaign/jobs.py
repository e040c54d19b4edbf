"""Background jobs of the campaign app."""

from celery import shared_task
from django.utils import timezone

from .models import LoginAttempt

LOGIN_ATTEMPT_RETENTION_DAYS = 180


@shared_task(acks_late=True, time_limit=300)
def purge_login_attempts(days=LOGIN_ATTEMPT_RETENTION_DAYS):
    """Delete sign-in records older than `days` days; returns how many went. Safe to re-run."""
    cutoff = timezone.now() - timezone.timedelta(days=days)
    deleted, _by_model = LoginAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted
