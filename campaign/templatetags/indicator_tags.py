"""Template filters of the evaluation-system pages."""

from decimal import InvalidOperation
from html import escape

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from campaign.links import pk_url_parts
from campaign.models import Standard
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


@register.simple_tag
def tree_rows(rows):
    """The tree table's rows, drawn here rather than per row in the template, as a system
    shows hundreds of standards. `rows` come from `views._tree_rows` over value rows.

    Values are escaped with `html.escape`, which is what Django's `escape` calls (without
    its lazy-string wrapper, a third of the time on a 200-standard tree).
    """
    # Choice labels translated once per table, not once per row.
    labels = {
        name: {value: escape(str(label)) for value, label in choices}
        for name, choices in (
            ("method", Standard.Method.choices),
            ("difficulty", Standard.Difficulty.choices),
            ("assessment", Standard.Assessment.choices),
        )
    }
    projected, veto = escape(gettext("projected")), escape(gettext("veto"))
    url = pk_url_parts("campaign:standard_detail")
    html = []
    for row in rows:
        if row["node"]:
            html.append(_node_row(row, projected))
        else:
            html.append(_standard_row(row, labels, veto, url))
    return mark_safe("".join(html))


def _node_row(row, projected):
    node, score, level = row["node"], row["score"], row["level"]
    count = score.standard_count
    code = f"{escape(node.code)} " if node.code else ""
    standards = ngettext("%(n)s standard", "%(n)s standards", count) % {"n": count}
    return (
        f'<tr class="{"table-secondary" if level == 0 else "table-light"}">\n'
        f'<td class="tree-indent-{level} fw-semibold"><span class="badge text-bg-light border'
        f' fw-normal me-1 d-none d-sm-inline">{escape(row["label"])}</span>'
        f"{code}{escape(node.name)}</td>\n"
        f'<td class="text-end fw-semibold">{format_points(score.points)}</td>\n'
        f'<td class="d-none d-md-table-cell small text-muted">{escape(standards)}</td>\n'
        '<td class="d-none d-lg-table-cell"></td><td class="d-none d-lg-table-cell"></td>\n'
        f'<td class="small text-muted text-nowrap">{projected} {format_points(score.earned)}'
        "</td>\n</tr>\n"
    )


def _standard_row(row, labels, veto, url):
    s = row["standard"]
    # Combining characters only shorten the count, so a short text needs no Truncator.
    text = s.text if len(s.text) <= 120 else Truncator(s.text).chars(120)
    badges = '<span class="badge text-bg-danger">' + veto + "</span>" if s.is_veto else ""
    badges += "\n"
    if s.difficulty:
        difficulty = labels["difficulty"].get(s.difficulty) or escape(s.difficulty)
        badges += f'<span class="badge text-bg-light border">{difficulty}</span>'
    methods = "、".join(labels["method"].get(code) or escape(code) for code in s.methods)
    lead = escape(s.lead_command_office__name or "—")
    if s.lead_unit__name is not None:
        lead += f'<div class="text-muted">{escape(s.lead_unit__name)}</div>'
    assessment = labels["assessment"].get(s.assessment) or escape(s.assessment)
    colour = ASSESSMENT_BADGES.get(s.assessment, "text-bg-light border")
    return (
        f'<tr>\n<td class="tree-indent-{row["level"]}">'
        f'<a href="{url[0]}{s.pk}{url[1]}" class="text-decoration-none">'
        f'<span class="text-muted me-1">{escape(s.code)}</span>{escape(text)}</a>\n{badges}</td>\n'
        f'<td class="text-end">{format_points(s.points)}</td>\n'
        f'<td class="d-none d-md-table-cell small">{methods}</td>\n'
        f'<td class="d-none d-lg-table-cell small">{lead}</td>\n'
        '<td class="d-none d-lg-table-cell small text-nowrap">'
        f"{s.deadline.isoformat() if s.deadline else '—'}</td>\n"
        f'<td class="small text-nowrap"><span class="badge {colour}">{assessment}</span></td>\n'
        "</tr>\n"
    )
