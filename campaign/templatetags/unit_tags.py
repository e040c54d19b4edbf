"""Template tags of the unit pages."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from campaign.links import pk_url_parts
from campaign.models import Unit

register = template.Library()


@register.simple_tag
def unit_rows(rows, searching):
    """The unit tree's rows, drawn here rather than per row in the template (a page shows
    200 units). `rows` are value rows of `views.UNIT_COLUMNS` with their `indent`; values
    are escaped with `html.escape`, what Django's `escape` calls."""
    kinds = {value: escape(str(label)) for value, label in Unit.Kind.choices}
    before, after = pk_url_parts("campaign:unit_detail")
    html = []
    for row in rows:
        indent = "" if searching else f"tree-indent-{row['indent']}"
        branch = '<span class="text-muted">└</span> ' if row["indent"] and not searching else ""
        short = row["short_name"]
        short = f' <span class="text-muted small">（{escape(short)}）</span>' if short else ""
        kind = kinds.get(row["kind"]) or escape(row["kind"])
        html.append(
            f'<tr>\n<td class="{indent}">{branch}<a href="{before}{row["pk"]}{after}">'
            f"{escape(row['name'])}</a>{short}</td>\n"
            f'<td><span class="badge text-bg-light border">{kind}</span></td>\n'
            f'<td class="d-none d-md-table-cell">{escape(row["parent_name"] or "—")}</td>\n'
            f'<td class="text-end">{row["people_count"]}</td>\n</tr>\n'
        )
    return mark_safe("".join(html))
