"""Template filters of the evaluation-system pages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def points(value):
    """Points as clerks write them: 31.5, 2, 0.75 (no trailing zeros, never 3E+1)."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return value
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
