"""Who may do what to a task. Reading is `Task.objects.visible_to(user)`; these add acting.

Out of scope is always 404 (the fetch goes through `visible_to` first); a visible task the
person may not act on is 403.
"""

from django.core.exceptions import PermissionDenied

from campaign.access import get_visible_or_404, scope_for

from .models import Task


def can_manage(user, task):
    """Office staff, and the staff of the task's command office, edit, reassign and accept."""
    scope = scope_for(user)
    if scope.is_office_admin(task.campaign):
        return True
    return task.command_office_id is not None and scope.is_command_staff(task.command_office)


def can_manage_any(user, campaign):
    """May create tasks and use the bulk actions at all (office staff or any command staff)."""
    scope = scope_for(user)
    return scope.is_office_admin(campaign) or any(
        m.campaign_id == campaign.pk and m.command_office_id for m in scope.memberships
    )


def can_report(user, task):
    """People of the lead or a responsible unit (or a unit above it) report progress."""
    scope = scope_for(user)
    if scope.is_read_only(task.campaign):
        return False
    units = [task.lead_unit, *task.responsible_units.all()]
    return any(scope.acts_for_unit(unit) for unit in units) or can_manage(user, task)


def managed_offices(user, campaign):
    """Command office ids the person manages; None means every office (office staff)."""
    scope = scope_for(user)
    if scope.is_office_admin(campaign):
        return None
    return {
        m.command_office_id
        for m in scope.memberships
        if m.campaign_id == campaign.pk and m.command_office_id
    }


def task_for(user, pk, *, action=None):
    """The task with this pk if the person sees it (else 404) and may do `action` (else 403).

    `action` is None (read), "report" or "manage".
    """
    task = get_visible_or_404(
        user,
        Task.objects.with_light().select_related(
            "campaign", "lead_unit", "command_office", "standard", "item"
        ),
        pk=pk,
    )
    if action == "report" and not can_report(user, task):
        raise PermissionDenied
    if action == "manage" and not can_manage(user, task):
        raise PermissionDenied
    return task
