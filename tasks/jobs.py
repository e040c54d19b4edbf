"""Background jobs of the tasks app (Celery calls them jobs: `tasks` is the domain app)."""

import uuid

from celery import shared_task
from django.conf import settings
from django.urls import reverse
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


def queue_assignment_notice(task_ids):
    """Queue `notify_tasks_assigned` for after the transaction commits."""
    notify_tasks_assigned.delay_on_commit(list(task_ids), uuid.uuid4().hex)


@shared_task(acks_late=True, time_limit=300)
def notify_tasks_assigned(task_ids, token):
    """Tell each lead unit's leader and liaison about the tasks newly given to it: one
    message per unit, listing the tasks, however many were generated at once.

    `token` is made when the job is queued, so a redelivered job sends nothing twice.
    """
    from collections import defaultdict

    from .models import Task

    tasks = Task.objects.filter(pk__in=task_ids).select_related("campaign", "lead_unit")
    by_unit = defaultdict(list)
    for task in tasks.order_by("deadline", "pk"):
        by_unit[task.lead_unit].append(task)
    people = defaultdict(list)
    memberships = Membership.objects.filter(
        unit__in=list(by_unit), role__in=UNIT_ROLES
    ).select_related("person")
    for membership in memberships:
        people[membership.unit_id].append(membership.person)
    with translation.override(settings.LANGUAGE_CODE):
        for unit, unit_tasks in by_unit.items():
            first = unit_tasks[0]
            lines = [f"{t.title}（{t.deadline:%Y-%m-%d}）" for t in unit_tasks[:20]]
            if len(unit_tasks) > 20:
                lines.append(_("… and %(n)s more") % {"n": len(unit_tasks) - 20})
            notify(
                recipients=people[unit.pk],
                subject=_("%(n)s new tasks for %(unit)s") % {"n": len(unit_tasks), "unit": unit},
                body="\n".join(lines),
                url=first.get_absolute_url()
                if len(unit_tasks) == 1
                else reverse("tasks:task_mine"),
                campaign=first.campaign,
                dedupe_key=f"tasks:assigned:{unit.pk}:{token}",
            )
