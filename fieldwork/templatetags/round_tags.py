"""The rounds' part of the home page and of the dashboard."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.access import scope_for
from fieldwork import rounds
from fieldwork.models import RoundSchedule

register = template.Library()


def _schedules(request, *, mine):
    campaign = request.campaign
    schedules = RoundSchedule.objects.visible_to(request.user).filter(
        campaign=campaign, is_active=True
    )
    if mine:
        schedules = schedules.filter(inspectors=request.user)
    return schedules.select_related("point_type")


@register.simple_tag(takes_context=True)
def round_to_dos(context):
    """An inspector's recurring rounds due this period and sampled points still to observe."""
    request = context["request"]
    campaign = request.campaign
    scope = scope_for(request.user)
    if not scope.is_inspector(campaign):
        return []
    url = reverse("fieldwork:round_list")
    due = rounds.due_schedules(_schedules(request, mine=True), on=timezone.localdate())
    return [
        {
            "label": _("Recurring rounds due"),
            "count": len(due),
            "url": f"{url}#due-rounds",
            "alarm": False,
        },
        {
            "label": _("Points to observe"),
            "count": rounds.my_open_samples(request.user, campaign).count(),
            "url": f"{url}#my-points",
            "alarm": False,
        },
    ]


@register.inclusion_tag("fieldwork/_round_dashboard.html", takes_context=True)
def missed_rounds(context, limit=10):
    """The dashboard's list of recurring rounds whose period ended without the round done."""
    request = context["request"]
    # The columns the periods are worked out from and the list shows (`RoundSchedule.__str__`):
    # compiling the two models' every column cost the dashboard more than running the query.
    schedules = list(
        _schedules(request, mine=False).only("frequency", "starts_on", "point_type__name")
    )
    missed = rounds.missed_periods(schedules, on=timezone.localdate())
    return {
        "shown": bool(schedules),
        "missed": missed[::-1][:limit],
        "missed_count": len(missed),
    }
