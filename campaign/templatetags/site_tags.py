"""Template filters every app's pages share."""

import datetime
import functools
import html
import unicodedata
from urllib.parse import urlencode

from django import template
from django.urls import resolve, reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from campaign import access

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


@register.filter
def may_open(request, url_name):
    """`{% if request|may_open:"tasks:progress_import" %}`: the page's own rule decides the link."""
    return access.may_open(request, _view(url_name))


@functools.cache
def _view(url_name):
    """The view a URL name leads to (the URLconf is fixed once loaded)."""
    return resolve(reverse(url_name)).func


@register.filter
def visible(obj, user):
    """`{% if office|visible:user %}`: link an object only when its page would open."""
    return obj is not None and access.is_visible(user, obj)


def to_do_tiles(make_filter, wanted, list_url):
    """Home-page counts, each linking to its list: `wanted` is [(query, label)], and each count
    is the list's own filter (`make_filter(query)`) run on that query, so the two agree."""
    return [
        {
            "label": label,
            "count": make_filter(query).qs.count(),
            "url": f"{list_url}?{urlencode(query)}",
            "alarm": "overdue" in query or query.get("todo") == "supervised",
        }
        for query, label in wanted
    ]


def escaped(text):
    """`conditional_escape(text)` for the plain text (names, titles, labels) of rows written in
    Python: the standard library's escape that Django's calls, without its lazy-text wrapper
    (a tenth of a row's time at ten per row). Not for text already marked safe."""
    return html.escape(str(text))


def truncated(text, length):
    """`text|truncatechars:length` for rows written in Python: a Truncator (a walk over every
    character) only for text longer than `length`."""
    if len(text) <= length:
        return unicodedata.normalize("NFC", text)  # all that Truncator does to it
    return Truncator(text).chars(length)
