"""The Celery app and the whole beat schedule.

Each app keeps its jobs in `jobs.py` (`tasks` is a domain app here). Without
REDIS_URL jobs run in-process (eager), which the log says once at start-up.
Production runs exactly one beat process: a second beat would fire every entry twice.
"""

import logging
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("chuangcheng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")

# Queues, so that a heavy PDF or export never delays reminders: every job goes to "default"
# unless routed here; outbox rows go to the queue their handler names (`@handler(queue=…)`:
# bulletin PDFs to "pdf", large exports and a week's live figures to "exports").
# Run at least one worker per queue (README: production topology).
app.conf.task_default_queue = "default"
app.conf.task_routes = {
    # Makes the week's bulletin, PDF included.
    "reports.jobs.make_bulletin_job": {"queue": "pdf"},
}

# One commented entry per periodic job; every job is idempotent for its period.
app.conf.beat_schedule = {
    # Outbox: deliver every notice, e-mail and job request the after-commit kick missed
    # (broker down or hung, a worker killed, a retry whose back-off has passed); every minute.
    "relay-outbox": {
        "task": "campaign.jobs.relay_outbox",
        "schedule": 60.0,
    },
    # Export files whose download link has expired (EXPORT_LINK_HOURS) are deleted (hourly, :05).
    "purge-expired-exports": {
        "task": "campaign.jobs.purge_expired_exports",
        "schedule": crontab(minute=5),
    },
    # Notices: the daily digest of information notices for people who chose it (17:30 daily,
    # before the end of the working day).
    "send-daily-digests": {
        "task": "campaign.jobs.send_daily_digests",
        "schedule": crontab(hour=17, minute=30),
    },
    # Sign-in records are kept half a year for audits, then dropped (03:10 daily).
    "purge-login-attempts": {
        "task": "campaign.jobs.purge_login_attempts",
        "schedule": crontab(hour=3, minute=10),
    },
    # The audit log is kept AUDIT_RETENTION_DAYS (at least 180), then dropped (03:20 daily).
    "purge-audit-entries": {
        "task": "campaign.jobs.purge_audit_entries",
        "schedule": crontab(hour=3, minute=20),
    },
    # Media files no row refers to (left by a crash mid-save), expired rate-limit counters and
    # old one-time form tokens are swept (03:40 daily).
    "sweep-orphans": {
        "task": "campaign.jobs.sweep_orphans",
        "schedule": crontab(hour=3, minute=40),
    },
    # Tasks: reminders of overdue (red) and near (yellow) deadlines; lights are derived (06:30 daily).
    "check-task-deadlines": {
        "task": "tasks.jobs.check_task_deadlines",
        "schedule": crontab(hour=6, minute=30),
    },
    # Ledger: overdue findings raised to 普通/挂牌/重点 supervision with numbered orders (06:40 daily).
    "escalate-overdue-findings": {
        "task": "inspections.jobs.escalate_overdue_findings",
        "schedule": crontab(hour=6, minute=40),
    },
    # Ledger: the counts kept for the office's counts bar, folded to a row per status (every
    # ten minutes; the triggers only add rows, so that no two changes wait on one count).
    "compact-finding-tallies": {
        "task": "inspections.jobs.compact_finding_tallies",
        "schedule": crontab(minute="*/10"),
    },
    # Ledger: the kept counts checked against the findings and counted again where they
    # disagree (03:50 daily; the findings' writers wait for it, a tenth of a second).
    "check-finding-tallies": {
        "task": "inspections.jobs.check_finding_tallies",
        "schedule": crontab(hour=3, minute=50),
    },
    # Reports: every 15 minutes, each campaign whose bulletin weekday/time has come gets that
    # week's bulletin (第N期) made once — the unique (campaign, week) claim stops repeats.
    "produce-due-bulletins": {
        "task": "reports.jobs.queue_due_bulletins",
        "schedule": crontab(minute="*/15"),
    },
}

_logged = False


def log_execution_mode():
    """Say once per process whether jobs go to a broker or run in-process."""
    global _logged
    if _logged:
        return
    _logged = True
    from django.conf import settings

    logger = logging.getLogger("chuangcheng.jobs")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        logger.info("REDIS_URL is not set: background jobs run in-process.")
    else:
        logger.info("Background jobs are sent to the Celery broker.")
