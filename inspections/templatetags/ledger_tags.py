"""The ledger's part of the home page."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from campaign.templatetags.site_tags import to_do_tiles
from inspections.filters import TO_DO, FindingFilter, to_do_keys
from inspections.models import Finding

register = template.Library()

# Kinds of work the home page counts (the others wait on someone else: see the inbox).
HOME_KEYS = ["acknowledge", "rectify", "verify", "triage", "decide"]


@register.simple_tag(takes_context=True)
def ledger_to_dos(context):
    """Counts of the person's findings to acknowledge, rectify, verify …, overdue, supervised."""
    request = context["request"]
    campaign = request.campaign
    visible = Finding.objects.visible_to(request.user).filter(campaign=campaign)
    keys = [key for key in HOME_KEYS if key in to_do_keys(request.user, campaign)]
    wanted = [({"todo": key}, TO_DO[key]) for key in keys]
    wanted += [
        ({"overdue": "true"}, _("Overdue findings")),
        ({"todo": "supervised"}, TO_DO["supervised"]),
    ]
    return to_do_tiles(
        lambda query: FindingFilter(query, queryset=visible, campaign=campaign, user=request.user),
        wanted,
        reverse("inspections:finding_list"),
    )
