"""Markup of the reports pages written in Python: the ranking (a city's communities are
hundreds of rows), the red and black lists and the dashboard's figures tables; a template
loop spent more on them than the pages' queries. The markup is the one the templates wrote,
values shown as `{{ }}` shows them (localized, escaped)."""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaign.kept import kept

register = template.Library()

DASH = "—"


def _shown(value):
    """A value as the template language shows it. A whole number is its digits unless
    thousands are grouped: what `localize` makes of it, without its three format look-ups
    (most cells are counts)."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return conditional_escape(localize(value))


def _change(change):
    """Places moved since last week: ↑ up, ↓ down, "same", — when unknown."""
    if change is None:
        return f'<span class="text-muted">{DASH}</span>'
    if change > 0:
        return f'<span class="text-success">↑{_shown(change)}</span>'
    if change < 0:
        return f'<span class="text-danger">↓{_shown(-change)}</span>'
    return f'<span class="text-muted">{conditional_escape(_("same"))}</span>'


@register.filter
def ranking_rows(items, angle):
    """The ranking table's body rows for `items` (`rankings.Ranked`) ranked by `angle`."""
    figure = '\n      <td class="text-end d-none d-md-table-cell">{}</td>'
    with_score = angle.key != "composite"
    rows = []
    for item in items:
        row = item.row
        unranked = item.rank is None
        note = f'<div class="small">{_shown(item.note)}</div>' if item.note else ""
        figures = [row.found_week, row.open_count, row.overdue_count]
        rows += [
            '\n    <tr class="text-muted">' if unranked else "\n    <tr>",
            f"\n      <td>{DASH if unranked else _shown(item.rank)}</td>",
            f"\n      <td>{_shown(row.unit_name)}{note}</td>",
            '\n      <td class="text-end fw-semibold">',
            DASH if item.value is None else _shown(item.value),
            f'</td>\n      <td class="text-end">{_change(item.change)}</td>',
            *(figure.format(_shown(n)) for n in figures + ([row.score] if with_score else [])),
            "\n    </tr>",
        ]
    return mark_safe("".join(rows))


@register.filter
def honours_items(items):
    """The list items of a red or black list (`rankings.Ranked`, 并列 marked)."""
    tied = f"（{conditional_escape(_('tied'))}）"
    return mark_safe(
        "".join(
            '<li class="list-group-item d-flex justify-content-between">'
            f"<span>{_shown(i.row.unit_name)}{tied if i.tied else ''}</span>"
            f"<span>{_shown(i.value)}</span></li>"
            for i in items
        )
    )


@register.filter
def figure_rows(rows, red_column=None):
    """The rows of a dashboard table: the first value of each row is its header, the others
    right-aligned figures; the cell at position `red_column` (from 0) is shown in red."""
    cells = []
    for row in rows:
        cells.append(f'<tr><th scope="row">{_shown(row[0])}</th>')
        for position, value in enumerate(row[1:], start=1):
            red = " text-danger" if position == red_column else ""
            cells.append(f'<td class="text-end{red}">{_shown(value)}</td>')
        cells.append("</tr>")
    return mark_safe("".join(cells))


# The reports pages' tabs: (key, URL name, icon, label).
@register.simple_tag
def reports_subnav(active):
    """The reports pages' own tabs (reports/_subnav.html), the one named `active` marked:
    drawn once per language and URL prefix and kept (`campaign.kept`)."""
    return mark_safe(
        kept(
            ("reports tabs", active, get_language(), get_script_prefix()),
            lambda: render_to_string("reports/_subnav.html", {"active": active}),
        )
    )
