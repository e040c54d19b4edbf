"""The tasks app's part of the home page."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from campaign.templatetags.site_tags import to_do_tiles
from tasks.filters import TO_DO, TaskFilter, to_do_keys
from tasks.models import Task

register = template.Library()


@register.simple_tag(takes_context=True)
def task_to_dos(context):
    """Counts of the person's tasks to report or accept, and of overdue ones."""
    request = context["request"]
    campaign = request.campaign
    visible = Task.objects.visible_to(request.user).filter(campaign=campaign)
    wanted = [({"todo": key}, TO_DO[key]) for key in to_do_keys(request.user, campaign)]
    wanted.append(({"overdue": "true"}, _("Overdue tasks")))
    return to_do_tiles(
        lambda query: TaskFilter(query, queryset=visible, user=request.user, campaign=campaign),
        wanted,
        reverse("tasks:task_list"),
    )
