"""Template filters every app's pages share."""

import datetime

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def week(period):
    """An ISO week ("2026-W47") as staff say it: 2026年第47周（11月16日—11月22日）."""
    try:
        year, number = (int(part) for part in str(period).upper().split("-W"))
        start = datetime.date.fromisocalendar(year, number, 1)
    except ValueError:
        return period
    end = start + datetime.timedelta(days=6)
    return _("week %(week)s of %(year)s (%(start)s – %(end)s)") % {
        "year": year,
        "week": number,
        "start": _("%(month)s/%(day)s") % {"month": start.month, "day": start.day},
        "end": _("%(month)s/%(day)s") % {"month": end.month, "day": end.day},
    }
