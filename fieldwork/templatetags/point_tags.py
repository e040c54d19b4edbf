"""The point register's rows, written in Python: a template row with a dozen look-ups per
point was most of the page's own time. The markup is the template's it replaced."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from campaign.links import pk_url_parts

register = template.Library()


@register.filter
def point_row(point):
    """One row of the point register (fieldwork/_point_table.html): `point` is one of the
    view's value rows (`fieldwork.views.POINT_ROW_FIELDS` and `open_findings`)."""
    e = escape
    before, after = pk_url_parts("fieldwork:point_detail")
    badges = ""
    if not point["is_active"]:
        badges += f' <span class="badge text-bg-secondary">{e(_("out of use"))}</span>'
    if point["latitude"] is None or point["longitude"] is None:
        badges += (
            f' <span class="badge text-bg-light border"'
            f' title="{e(_("No coordinates: not on the map"))}"><i class="bi bi-geo"></i>?</span>'
        )
    department = point["department__name"]
    if department is not None:
        department = f'<div class="small text-muted">{e(department)}</div>'
    url = f"{before}{point['pk']}{after}"
    n = point["open_findings"]
    open_findings = f'<span class="badge text-bg-warning">{n}</span>' if n else "0"
    cells = [
        f'<th scope="row"><a href="{e(url)}">{e(point["name"])}</a>{badges}</th>',
        f"<td>{e(point['type__name'])}</td>",
        f"<td>{e(point['address'] or '—')}</td>",
        f"<td>{e(point['territory__name'])}</td>",
        f"<td>{e(point['unit__name'])}{department or ''}</td>",
        f'<td class="text-end">{open_findings}</td>',
    ]
    return mark_safe("<tr>\n      " + "\n      ".join(cells) + "\n    </tr>")
