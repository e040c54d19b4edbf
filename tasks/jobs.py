"""Background jobs of the tasks app (Celery calls them jobs: `tasks` is the domain app)."""

from celery import shared_task
from django.conf import settings
from django.utils import translation


@shared_task(acks_late=True, time_limit=600)
def check_task_deadlines():
    """Daily: mark overdue tasks and milestones, warn of near deadlines, notify the units.

    Safe to run twice on one day, or again after being killed: see
    `services.check_deadlines` (one transaction per item, notices through the outbox).
    """
    from .services import check_deadlines

    with translation.override(settings.LANGUAGE_CODE):
        return check_deadlines()
