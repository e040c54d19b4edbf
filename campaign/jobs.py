"""Background jobs of the campaign app: the outbox relay, the daily digest of notices and
sign-in record clean-up."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import outbox
from .channels import send_digests
from .models import AuditEntry, FormSubmission, LoginAttempt
from .ratelimit import purge_expired_counters
from .uploads import sweep_orphan_files

# A file younger than this may belong to a transaction still running: the sweep leaves it.
ORPHAN_FILE_GRACE_HOURS = 24
# One-time form tokens answer repeated POSTs for this long.
FORM_TOKEN_RETENTION_DAYS = 7

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


@shared_task(acks_late=True, time_limit=300)
def deliver_outbox(ids):
    """Deliver the outbox rows just committed (the kick); returns how many were delivered.

    Safe to redeliver: a delivered row is skipped.
    """
    return sum(outbox.deliver(pk) for pk in ids)


@shared_task(acks_late=True, time_limit=300)
def relay_outbox():
    """Every minute: deliver every due outbox row the kicks missed (broker down, retries).
    Stops after four minutes; the next minute's run takes the rest."""
    return outbox.relay(seconds=240)


@shared_task(acks_late=True, time_limit=300)
def send_daily_digests():
    """Once a day: one message per person and channel with the last day's information
    notices they take as a digest. Idempotent (one outbox key per person, channel and day)."""
    return send_digests()


# Within the visibility timeout like every job: a sweep cut short finishes the next night.
@shared_task(acks_late=True, time_limit=600)
def sweep_orphans():
    """Delete media files no row refers to (older than a day), expired rate-limit counters
    and old one-time form tokens. Returns the counts; safe to re-run or run twice at once."""
    now = timezone.now()
    tokens, _by_model = FormSubmission.objects.filter(
        created_at__lt=now - timezone.timedelta(days=FORM_TOKEN_RETENTION_DAYS)
    ).delete()
    return {
        "files": sweep_orphan_files(older_than=timezone.timedelta(hours=ORPHAN_FILE_GRACE_HOURS)),
        "counters": purge_expired_counters(older_than=now - timezone.timedelta(days=1)),
        "tokens": tokens,
    }
