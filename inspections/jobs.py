"""Background jobs of the ledger: the daily overdue run and the folding of the kept counts.
(Notices after a transition are outbox rows, delivered by the outbox relay.)"""

from celery import shared_task


@shared_task(acks_late=True, time_limit=600)
def escalate_overdue_findings(on=None):
    """Daily: raise the supervision level of overdue findings (普通 → 挂牌 → 重点).

    Idempotent: a level is issued once per finding (unique constraint), and each finding's
    raise, order, event and notice commit together, so a second run, or a rerun after a
    killed worker, issues nothing twice. Returns the number of supervision orders issued.
    """
    import datetime

    from .services import escalate_overdue

    return escalate_overdue(on=datetime.date.fromisoformat(on) if on else None)


@shared_task(acks_late=True, time_limit=300)
def compact_finding_tallies():
    """Every ten minutes: fold the rows the triggers added to `FindingTally` into one per
    campaign and status, so the counts bar sums a few rows. Safe to re-run or to run twice at
    once (the sums never change)."""
    from .models import FindingTally

    FindingTally.objects.compact()


@shared_task(acks_late=True, time_limit=300)
def check_finding_tallies():
    """Nightly: the kept counts against the findings, counted again where they disagree
    (findings written with the triggers off), which is logged as an error. Returns the
    (campaign id, status, kept, counted) that were wrong."""
    import logging

    from .models import FindingTally

    wrong = FindingTally.objects.check_against_findings()
    if wrong:
        logging.getLogger(__name__).error(
            "The ledger's kept counts were wrong, counted again: %s", wrong
        )
    return wrong
