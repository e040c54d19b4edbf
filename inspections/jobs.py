"""Background jobs of the ledger: notifications after a transition, the daily overdue run."""

from celery import shared_task


@shared_task(acks_late=True, time_limit=120, max_retries=2)
def send_finding_notifications(event_id):
    """Tell the people concerned about one ledger event; returns how many were notified.

    Safe to re-run: every notification carries the event's id as its dedupe key.
    """
    from .services import notify_event

    return notify_event(event_id)


@shared_task(acks_late=True, time_limit=900)
def escalate_overdue_findings(on=None):
    """Daily: raise the supervision level of overdue findings (普通 → 挂牌 → 重点).

    Idempotent: a level is issued once per finding (unique constraint), so a second run
    on the same day issues nothing. Returns the number of supervision orders issued.
    """
    import datetime

    from .services import escalate_overdue

    return escalate_overdue(on=datetime.date.fromisoformat(on) if on else None)
