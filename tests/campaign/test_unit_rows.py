"""The unit tree's rows are drawn in Python (issue 13, scale) with the markup the template drew."""

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from campaign.models import Role, Unit
from tests.conftest import make_person, make_unit

# The rows as the template drew them from units annotated by the view.
TEMPLATE_ROWS = """{% for unit in page %}
      <tr>
        <td class="{% if not searching %}tree-indent-{{ unit.indent }}{% endif %}">{% if unit.indent and not searching %}<span class="text-muted">└</span> {% endif %}<a href="{{ unit.get_absolute_url }}">{{ unit.name }}</a>{% if unit.short_name %} <span class="text-muted small">（{{ unit.short_name }}）</span>{% endif %}</td>
        <td><span class="badge text-bg-light border">{{ unit.get_kind_display }}</span></td>
        <td class="d-none d-md-table-cell">{{ unit.parent_name|default:"—" }}</td>
        <td class="text-end">{{ unit.people_count }}</td>
      </tr>
    {% endfor %}"""


def normalised(html):
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


def table_rows(html):
    return normalised(html.split("<tbody>")[1].split("</tbody>")[0])


@pytest.mark.parametrize("query", ["", "?q=街道", "?kind=street"])
def test_unit_rows_are_the_templates_markup(personas, city, client_for, query):
    odd = make_unit(city.campaign, '街道 <b>&"', "street", city.east, short_name="<短>")
    make_person(city.campaign, "odd-liaison", Role.UNIT_LIAISON, unit=odd)
    make_person(city.campaign, "odd-leader", Role.UNIT_LEADER, unit=odd)
    response = client_for(personas.office_admin).get(f"/org/units/{query}")
    searching = bool(query)
    units = list(Unit.objects.filter(campaign=city.campaign).order_by("path"))
    if query == "?q=街道":
        units = [u for u in units if "街道" in u.name or "街道" in u.short_name]
    if query == "?kind=street":
        units = [u for u in units if u.kind == "street"]
    top = min(u.depth for u in units)
    for unit in units:
        unit.indent = min(unit.depth - top, 4)
        unit.parent_name = unit.parent.name if unit.parent else None
        unit.people_count = unit.memberships.count()
    with translation.override("zh-hans"):
        expected = Template(TEMPLATE_ROWS).render(Context({"page": units, "searching": searching}))
    assert table_rows(response.content.decode()) == normalised(expected)
    assert "街道 &lt;b&gt;&amp;&quot;" in response.content.decode()
