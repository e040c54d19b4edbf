"""Template filters every app's pages share."""

import datetime
import functools
import re
import unicodedata
from urllib.parse import urlencode

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, resolve, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, add_truncation_text, calculate_truncate_chars_length
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaign import access
from campaign.kept import kept

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


# What the navigation bar shows per request, drawn into its kept copy as markers.
_NAV_MARKER = re.compile("\x00(\\w+)\x00")


@register.simple_tag(takes_context=True)
def navigation_bar(context):
    """The navigation bar of every signed-in page (templates/_nav.html).

    Drawing the template cost every page ~0.7 ms, so it is drawn once per language, URL
    prefix, campaign or none, roles, links the person may open (their pages' own rules), badge
    or none and form token or none, and kept in the process; the person's name, the page's
    address, the unread count and the form token are set into that copy per request.
    """
    request = context["request"]
    token = context.get("csrf_token")
    has_token = bool(token) and token != "NOTPROVIDED"  # as {% csrf_token %} decides
    count = context.get("nav_unread_count")
    key = (
        "navigation bar",
        get_language(),
        get_script_prefix(),
        bool(context.get("current_campaign")),
        frozenset(context.get("nav_roles") or ()),
        may_open(request, "campaign:audit_list"),
        may_open(request, "accounts:security_admin"),
        bool(count),
        has_token,
    )
    parts = kept(key, lambda: _navigation_parts(*key[3:]))
    values = {
        "nav_name": conditional_escape(context["user"]),
        "nav_next": escape(request.get_full_path()),
        "nav_unread_count": escape(localize(count)),
        "csrf_token": escape(token) if has_token else "",
    }
    return mark_safe("".join(values[p] if i % 2 else p for i, p in enumerate(parts)))


def _navigation_parts(has_campaign, roles, may_audit, may_secure, badge, token):
    """The bar drawn in the active language and URL prefix, split into text and the names of
    the per-request values between. Kept for the life of the process (`campaign.kept`), like
    a compiled template: an edited _nav.html shows after a restart."""
    html = render_to_string(
        "_nav.html",
        {
            "current_campaign": has_campaign,
            "nav_roles": roles,
            "nav_may_audit": may_audit,
            "nav_may_secure": may_secure,
            "nav_unread_count": "\x00nav_unread_count\x00" if badge else 0,
            "csrf_token": "\x00csrf_token\x00" if token else None,
            "nav_name": "\x00nav_name\x00",
            "nav_next": "\x00nav_next\x00",
        },
    )
    return tuple(_NAV_MARKER.split(html))


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


def truncated(text, length):
    """`text|truncatechars:length` for rows written in Python. A Truncator walks the text a
    character at a time in Python, not counting combining marks: 20 µs for a description
    longer than its column, 0.6 ms of a ledger page of thirty. Where no combining mark comes
    before the cut, which is all Chinese text, every character counts and the text is
    sliced (12 µs, most of it the translation of the ellipsis)."""
    text = unicodedata.normalize("NFC", text)  # as Truncator reads it
    if len(text) <= length:
        return text
    if length > 0 and not any(map(unicodedata.combining, text[: length + 1])):
        return add_truncation_text(text[: calculate_truncate_chars_length(length, None)])
    return Truncator(text).chars(length)
