"""Template filters of the evaluation-system pages."""

from decimal import InvalidOperation

from django import template

from campaign.scoring import format_points

register = template.Library()


@register.filter
def points(value):
    """Points as clerks write them: 31.5, 2, 0.75."""
    try:
        return format_points(value)
    except (InvalidOperation, ValueError):
        return value
