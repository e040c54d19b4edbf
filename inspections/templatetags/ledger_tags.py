"""The ledger's tags: its part of the home page, and its rows and badges written in Python."""

from html import escape

from django import template
from django.template.defaulttags import querystring
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from campaign.links import pk_url, pk_url_parts
from campaign.templatetags.site_tags import to_do_tiles, truncated
from inspections.filters import TO_DO, FindingFilter, to_do_keys
from inspections.models import (
    STATUS_COLOURS,
    UNIT_PENDING,
    Finding,
    Severity,
    Status,
    SupervisionLevel,
    finding_code,
    supervision_order_number,
)

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


# A finding's status and deadline as the ledger's rows, cards and pages show them: written
# here, not included per row (two includes per row were a tenth of the ledger's render).


def _status_badges(status, supervision_level, relapse_of_id):
    """The status badge, and the supervision and relapse badges when they apply."""
    colour = STATUS_COLOURS[status]
    html = format_html(
        '<span class="badge text-bg-{}{}">{}</span>',
        colour,
        " border" if colour == "light" else "",
        Status(status).label,
    )
    if supervision_level:
        html += format_html(
            ' <span class="badge bg-danger-subtle text-danger-emphasis border'
            ' border-danger-subtle">{}</span>',
            SupervisionLevel(supervision_level).label,
        )
    if relapse_of_id:
        html += format_html(
            ' <span class="badge bg-warning-subtle text-warning-emphasis border">{}</span>',
            _("Relapse"),
        )
    return html


def _deadline(deadline, overdue):
    """The rectification deadline, red with "overdue" once it has passed; — without one."""
    if not deadline:
        return "—"
    if overdue:
        late = conditional_escape(_("overdue"))
        return mark_safe(
            f'<span class="status-red fw-semibold">{deadline.isoformat()} · {late}</span>'
        )
    return mark_safe(f"<span>{deadline.isoformat()}</span>")


def _overdue(status, deadline, today):
    """Waiting for the unit past its deadline, as `Finding.is_overdue()` decides, from a row's
    values."""
    return status in UNIT_PENDING and deadline is not None and deadline < today


@register.filter
def finding_status(finding):
    return _status_badges(finding.status, finding.supervision_level, finding.relapse_of_id)


@register.filter
def finding_deadline(finding):
    return _deadline(finding.deadline, finding.is_overdue())


def _or_dash(text):
    """A row's text from the database, escaped, or — without one."""
    return escape(text) if text is not None else "—"


@register.simple_tag
def finding_rows(rows):
    """The ledger table's rows, from value rows of `inspections.views.ROW_VALUES`: the markup
    a per-row template would write, escaped here, at a fraction of its cost. A page's rows
    share a handful of severities and badges, drawn once each; database text is escaped with
    `html.escape`, which is what Django's `escape` does to a str, without its lazy-text
    wrapper (six calls a row)."""
    today = timezone.localdate()
    before, after = pk_url_parts("inspections:finding_detail")
    severities, badges = {}, {}
    html = []
    for f in rows:
        status, deadline = f["status"], f["deadline"]
        standard, territory = f["standard__code"], f["territory__name"]
        severity = severities.get(f["severity"])
        if severity is None:
            severity = severities[f["severity"]] = conditional_escape(Severity(f["severity"]).label)
        badge_key = (status, f["supervision_level"], f["relapse_of_id"] is not None)
        badge = badges.get(badge_key)
        if badge is None:
            badge = badges[badge_key] = _status_badges(*badge_key)
        deadline_html = _deadline(deadline, _overdue(status, deadline, today))
        html.append(
            "\n      <tr>"
            f'\n        <td class="text-nowrap"><a href="{before}{f["pk"]}{after}">'
            f"{finding_code(f['found_on'], f['pk'])}</a></td>"
            f'\n        <td class="text-nowrap">{f["found_on"]:%m-%d}</td>'
            f"\n        <td>{_or_dash(f['category__name'])}"
            f'<div class="small text-muted">{severity}</div></td>'
            f"\n        <td>{escape(truncated(f['description'], 50))}"
            + (
                f'<div class="small text-muted">{escape(standard)}</div>'
                if standard is not None
                else ""
            )
            + f"</td>\n        <td>{escape(truncated(f['address'], 30))}"
            + (
                f'<div class="small text-muted">{escape(territory)}</div>'
                if territory is not None
                else ""
            )
            + f"</td>\n        <td>{_or_dash(f['unit__name'])}</td>"
            f'\n        <td class="text-nowrap">{deadline_html}</td>'
            f"\n        <td>{badge}</td>\n      </tr>\n    "
        )
    if not html:
        html.append(
            format_html(
                '\n      <tr><td colspan="8" class="text-center text-muted py-4">{}</td></tr>\n    ',
                _("No findings match."),
            )
        )
    return mark_safe("".join(html))


@register.simple_tag(takes_context=True)
def ledger_count_links(context, counts, overdue_count):
    """The counts bar's links: one per status with findings, then the overdue ones, each
    keeping the filters in force (a template loop of querystring tags cost more)."""
    links = "".join(
        format_html(
            '<a class="badge text-bg-light border fw-normal text-decoration-none" href="{}">'
            "{} <strong>{}</strong></a>",
            querystring(context, status=value, page=None),
            label,
            n,
        )
        for value, label, n in counts
        if n
    )
    overdue = ""
    if overdue_count:
        overdue = format_html(
            '<a class="badge text-bg-danger fw-normal text-decoration-none" href="{}">{} '
            "<strong>{}</strong></a>",
            querystring(context, overdue="true", page=None),
            _("Overdue"),
            overdue_count,
        )
    return mark_safe(f"{links}\n  {overdue}")


@register.filter
def notice_links(order):
    """The downloads of one supervision order's notice (督办通知单), PDF and Word."""
    return _notice_links(order.pk)


def _notice_links(pk):
    return format_html(
        '\n<div class="notice-links text-nowrap"><a href="{}" download>{}</a> · '
        '<a href="{}" download>{}</a></div>\n',
        pk_url("inspections:supervisionorder_pdf", pk),
        _("Notice (PDF)"),
        pk_url("inspections:supervisionorder_docx", pk),
        _("Notice (Word)"),
    )


@register.simple_tag
def supervision_rows(rows):
    """The supervision list's rows, from value rows of `inspections.views.SUPERVISION_VALUES`
    each with its orders' values (pk, year, sequence) under "orders", written as
    `finding_rows` is."""
    today = timezone.localdate()
    before, after = pk_url_parts("inspections:finding_detail")
    html = []
    for f in rows:
        status, deadline = f["status"], f["deadline"]
        overdue = _overdue(status, deadline, today)
        orders = "".join(
            '<div class="text-nowrap">'
            f"{conditional_escape(supervision_order_number(o['year'], o['sequence']))}</div>"
            f"{_notice_links(o['pk'])}"
            for o in f["orders"]
        )
        category = f["category__name"]
        category = conditional_escape(category) if category is not None else ""
        html.append(
            "\n    <tr>"
            f'\n      <td class="small">{orders}</td>'
            '\n      <td><span class="badge text-bg-danger">'
            f"{conditional_escape(SupervisionLevel(f['supervision_level']).label)}</span></td>"
            f'\n      <td><a href="{before}{f["pk"]}{after}">'
            f"{finding_code(f['found_on'], f['pk'])}</a> {category}"
            f'<div class="small text-muted">{conditional_escape(truncated(f["address"], 30))}'
            "</div></td>"
            f"\n      <td>{_or_dash(f['unit__name'])}</td>"
            f'\n      <td class="text-nowrap">{conditional_escape(_deadline(deadline, overdue))}'
            "</td>"
            f"\n      <td>{conditional_escape(Status(status).label)}</td>"
            "\n    </tr>\n  "
        )
    if not html:
        html.append(
            format_html(
                '\n    <tr><td colspan="6" class="text-center text-muted py-4">{}</td></tr>\n  ',
                _("No findings are under supervision."),
            )
        )
    return mark_safe("".join(html))


@register.simple_tag
def finding_cards(rows):
    """Findings as a list of cards (the inbox, an inspection's findings), from value rows of
    `inspections.views.CARD_VALUES`, written as `finding_rows` is."""
    today = timezone.localdate()
    before, after = pk_url_parts("inspections:finding_detail")
    cards = []
    for f in rows:
        status, deadline = f["status"], f["deadline"]
        overdue = _overdue(status, deadline, today)
        channel = ""
        if f["channel"]:
            via = _("via %(channel)s") % {"channel": conditional_escape(f["channel"])}
            channel = f' <span class="badge text-bg-light border">{via}</span>'
        unit = conditional_escape(f["unit__name"]) if f["unit__name"] is not None else ""
        cards.append(
            '\n  <a class="list-group-item list-group-item-action"'
            f' href="{before}{f["pk"]}{after}">'
            '\n    <div class="d-flex justify-content-between gap-2"><span class="fw-semibold">'
            f"{_or_dash(f['category__name'])} · {conditional_escape(truncated(f['address'], 28))}"
            "</span>"
            '<span class="text-muted small text-nowrap">'
            f"{finding_code(f['found_on'], f['pk'])}</span></div>"
            '\n    <div class="small text-body-secondary">'
            f"{conditional_escape(truncated(f['description'], 70))}</div>"
            '\n    <div class="small mt-1">'
            f"{_status_badges(status, f['supervision_level'], f['relapse_of_id'])}"
            f' <span class="text-muted">{unit}</span>'
            f" {conditional_escape(_deadline(deadline, overdue))}{channel}</div>"
            "\n  </a>\n  "
        )
    if not cards:
        cards.append(
            format_html(
                '\n  <div class="list-group-item text-muted small">{}</div>\n  ',
                _("Nothing here."),
            )
        )
    return mark_safe(f'<div class="list-group mb-3">\n  {"".join(cards)}\n</div>\n')
