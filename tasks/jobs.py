"""Background jobs of the tasks app (Celery calls them jobs: `tasks` is the domain app)."""

from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from campaign.models import UNIT_ROLES, Membership, Role
from campaign.notifications import notify


@shared_task(acks_late=True, time_limit=600)
def check_task_deadlines():
    """Daily: mark overdue tasks and milestones, warn of near deadlines, notify the units.

    Safe to run twice on one day: see `services.check_deadlines`.
    """
    from .services import check_deadlines

    with translation.override(settings.LANGUAGE_CODE):
        return check_deadlines()


@shared_task(acks_late=True, time_limit=120)
def notify_task_submitted(task_id):
    """Tell the command office staff (or the creation office) that work awaits acceptance."""
    from .models import Task

    task = Task.objects.select_related("campaign", "lead_unit", "command_office").get(pk=task_id)
    if task.command_office_id:
        people = Membership.objects.filter(command_office=task.command_office_id)
    else:
        people = Membership.objects.filter(campaign=task.campaign, role=Role.OFFICE_ADMIN)
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipients=[m.person for m in people.select_related("person")],
            subject=_("Awaiting acceptance: %(title)s") % {"title": task.title[:120]},
            body=_("%(unit)s submitted the task “%(title)s” for acceptance.")
            % {"unit": task.lead_unit, "title": task.title},
            url=task.get_absolute_url(),
            campaign=task.campaign,
            dedupe_key=f"task:{task.pk}:submitted:{task.version}",
        )


@shared_task(acks_late=True, time_limit=120)
def notify_task_decided(task_id, accepted):
    """Tell the lead unit's leader and liaison that their work was accepted or returned."""
    from .models import Task

    task = Task.objects.select_related("campaign").get(pk=task_id)
    people = Membership.objects.filter(unit=task.lead_unit_id, role__in=UNIT_ROLES)
    last = task.events.order_by("-at", "-pk").first()
    with translation.override(settings.LANGUAGE_CODE):
        if accepted:
            subject = _("Accepted: %(title)s") % {"title": task.title[:120]}
            body = _("The command office accepted the task “%(title)s”.") % {"title": task.title}
        else:
            subject = _("Returned: %(title)s") % {"title": task.title[:120]}
            body = _("The command office returned the task “%(title)s”: %(reason)s") % {
                "title": task.title,
                "reason": last.note if last else "",
            }
        notify(
            recipients=[m.person for m in people.select_related("person")],
            subject=subject,
            body=body,
            url=task.get_absolute_url(),
            level="info",
            campaign=task.campaign,
            dedupe_key=f"task:{task.pk}:decided:{task.version}",
        )
