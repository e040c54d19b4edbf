"""Template filters of the evaluation-system pages."""

from decimal import InvalidOperation

from django import template
from django.utils.html import format_html

from campaign.scoring import format_points

register = template.Library()


@register.filter
def points(value):
    """Points as clerks write them: 31.5, 2, 0.75."""
    try:
        return format_points(value)
    except (InvalidOperation, ValueError):
        return value


# The badge colour of each self-assessment (the rest: light with a border).
ASSESSMENT_BADGES = {
    "met": "text-bg-success",
    "mostly_met": "text-bg-warning",
    "not_met": "text-bg-danger",
}


@register.filter
def assessment_badge(standard):
    """A standard's self-assessment as a badge: written here, not included per row, as the
    tree shows hundreds of them."""
    return format_html(
        '<span class="badge {}">{}</span>',
        ASSESSMENT_BADGES.get(standard.assessment, "text-bg-light border"),
        standard.get_assessment_display(),
    )
