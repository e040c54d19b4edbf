"""Background jobs of the campaign app."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import AuditEntry, LoginAttempt

LOGIN_ATTEMPT_RETENTION_DAYS = 180


@shared_task(acks_late=True, time_limit=300)
def purge_login_attempts(days=LOGIN_ATTEMPT_RETENTION_DAYS):
    """Delete sign-in records older than `days` days; returns how many went. Safe to re-run."""
    cutoff = timezone.now() - timezone.timedelta(days=days)
    deleted, _by_model = LoginAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted


@shared_task(acks_late=True, time_limit=600)
def purge_audit_entries():
    """Delete audit entries past the retention period (AUDIT_RETENTION_DAYS, never under 180
    days; the database refuses younger ones anyway). Returns how many went. Safe to re-run."""
    return AuditEntry.purge(older_than_days=settings.AUDIT_RETENTION_DAYS)
