"""The point register's rows are written in Python from value rows (issue 13, scale): the
markup is the template's they replaced, escaping included."""

import pytest
from django.template import Context, Template
from django.utils import translation

from fieldwork.models import Point
from fieldwork.templatetags.point_tags import point_row
from fieldwork.views import POINT_ROW_FIELDS, with_open_findings

pytestmark = pytest.mark.django_db

# The row as fieldwork/_point_table.html wrote it from a Point (with `open_findings`).
ROW = (
    "<tr>\n"
    '      <th scope="row"><a href="{{ p.get_absolute_url }}">{{ p.name }}</a>{% if not p.is_active %} <span class="badge text-bg-secondary">{% translate "out of use" %}</span>{% endif %}{% if not p.has_location %} <span class="badge text-bg-light border" title="{% translate \'No coordinates: not on the map\' %}"><i class="bi bi-geo"></i>?</span>{% endif %}</th>\n'
    "      <td>{{ p.type }}</td>\n"
    '      <td>{{ p.address|default:"—" }}</td>\n'
    "      <td>{{ p.territory }}</td>\n"
    '      <td>{{ p.unit }}{% if p.department %}<div class="small text-muted">{{ p.department }}</div>{% endif %}</td>\n'
    '      <td class="text-end">{% if p.open_findings %}<span class="badge text-bg-warning">{{ p.open_findings }}</span>{% else %}0{% endif %}</td>\n'
    "    </tr>"
)  # fmt: skip


def test_a_point_row_is_the_templates_row(personas, city, make_point, finding_at):
    points = [
        make_point('<b>"东华&市场"</b>', department=city.chengguan),
        make_point("无坐标 <i>", at=None, address=""),
        make_point("停用'点'", is_active=False, unit=city.xinshi, territory=city.xinshi),
    ]
    finding_at(points[0])
    finding_at(points[0])
    user = personas.office_admin
    rows = with_open_findings(
        list(Point.objects.filter(pk__in=[p.pk for p in points]).values(*POINT_ROW_FIELDS)),
        user,
    )
    by_pk = {row["pk"]: row for row in rows}
    template = Template("{% load i18n %}" + ROW)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for point in points:
                point.open_findings = by_pk[point.pk]["open_findings"]
                expected = template.render(Context({"p": point}))
                assert point_row(by_pk[point.pk]) == expected
    assert by_pk[points[0].pk]["open_findings"] == 2
