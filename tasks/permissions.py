"""Who may do what to a task. Reading is `Task.objects.visible_to(user)`; acting is the rule
table `Task.RULES` (tasks/models.py), read here, by the page's buttons and by the model.

Out of scope is always 404 (the fetch goes through `visible_to` first); a visible task the
person may not act on is 403.
"""

from campaign.access import get_visible_or_404, scope_for
from campaign.transitions import require_action

from .models import Task, TaskPart


def can_manage_any(user, campaign):
    """May create tasks and use the bulk actions at all (office staff or any command staff)."""
    scope = scope_for(user)
    return scope.is_office_admin(campaign) or any(
        m.campaign_id == campaign.pk and m.command_office_id for m in scope.memberships
    )


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
    """The task with this pk if the person sees it (else 404) and the rule table lets them
    take `action` on it (else 403). `action` is None (read) or a key of `Task.RULES`."""
    task = get_visible_or_404(
        user,
        Task.objects.with_light().select_related(
            "campaign", "lead_unit", "command_office", "standard", "item"
        ),
        pk=pk,
    )
    if action is not None:
        require_action(user, task, action)
    return task


def part_for(user, pk, *, action=None):
    """A unit's part of a task the person sees (else 404) on which the rule table lets them
    take `action` (else 403): `action` is None (read) or a key of `TaskPart.RULES`."""
    part = get_visible_or_404(
        user,
        TaskPart.objects.with_light().select_related(
            "task__campaign", "task__command_office", "unit"
        ),
        pk=pk,
    )
    if action is not None:
        require_action(user, part, action)
    return part
