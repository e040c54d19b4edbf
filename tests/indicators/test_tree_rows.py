"""The tree's rows are drawn in Python (issue 13, scale) with the markup the per-row template drew."""

import datetime
import re
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from campaign.models import EvaluationSystem, IndicatorNode, Standard
from campaign.templatetags.indicator_tags import tree_rows
from campaign.views import TREE_COLUMNS, _tree_rows

# The rows as the template drew them, one include-free loop over model instances.
TEMPLATE_ROWS = """{% load i18n indicator_tags %}
    {% for row in rows %}
      {% if row.node %}
      <tr class="{% if row.level == 0 %}table-secondary{% else %}table-light{% endif %}">
        <td class="tree-indent-{{ row.level }} fw-semibold"><span class="badge text-bg-light border fw-normal me-1 d-none d-sm-inline">{{ row.label }}</span>{% if row.node.code %}{{ row.node.code }} {% endif %}{{ row.node.name }}</td>
        <td class="text-end fw-semibold">{{ row.score.points|points }}</td>
        <td class="d-none d-md-table-cell small text-muted">{% blocktranslate count n=row.score.standard_count %}{{ n }} standard{% plural %}{{ n }} standards{% endblocktranslate %}</td>
        <td class="d-none d-lg-table-cell"></td><td class="d-none d-lg-table-cell"></td>
        <td class="small text-muted text-nowrap">{% translate "projected" %} {{ row.score.earned|points }}</td>
      </tr>
      {% else %}{% with s=row.standard %}
      <tr>
        <td class="tree-indent-{{ row.level }}"><a href="{{ s.get_absolute_url }}" class="text-decoration-none"><span class="text-muted me-1">{{ s.code }}</span>{{ s.text|truncatechars:120 }}</a>
          {% if s.is_veto %}<span class="badge text-bg-danger">{% translate "veto" %}</span>{% endif %}
          {% if s.difficulty %}<span class="badge text-bg-light border">{{ s.get_difficulty_display }}</span>{% endif %}</td>
        <td class="text-end">{{ s.points|points }}</td>
        <td class="d-none d-md-table-cell small">{{ s.method_labels|join:"、" }}</td>
        <td class="d-none d-lg-table-cell small">{{ s.lead_command_office|default:"—" }}{% if s.lead_unit %}<div class="text-muted">{{ s.lead_unit }}</div>{% endif %}</td>
        <td class="d-none d-lg-table-cell small text-nowrap">{{ s.deadline|date:"Y-m-d"|default:"—" }}</td>
        <td class="small text-nowrap">{{ s|assessment_badge }}</td>
      </tr>
      {% endwith %}{% endif %}
    {% endfor %}"""


def normalised(html):
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


def test_tree_rows_are_the_templates_markup(city):
    system = EvaluationSystem.objects.create(
        campaign=city.campaign, name="体系", level_names=["测评项目", "测评内容"]
    )
    item = IndicatorNode.objects.create(system=system, level=0, code="1", name="项目 <a>")
    content = IndicatorNode.objects.create(system=system, parent=item, level=1, name="内容&")
    deeper = IndicatorNode.objects.create(system=system, parent=content, level=2, name="无名层级")
    variants = [
        {"is_veto": True, "assessment": "met", "deadline": datetime.date(2026, 5, 1)},
        {"difficulty": "hard", "assessment": "mostly_met", "lead_command_office": None},
        {"assessment": "not_met", "lead_unit": None, "methods": ["survey", "legacy"]},
        {"text": "长" * 130 + "<script>", "code": 'S"4', "points": Decimal("0.75")},
    ]
    for position, extra in enumerate(variants):
        fields = {
            "system": system,
            "node": deeper if position == 3 else content,
            "code": f"S{position}",
            "text": f"标准 {position} & <b>",
            "points": Decimal("2.5"),
            "methods": ["field_check", "document_review"],
            "lead_command_office": city.command_office,
            "lead_unit": city.donghua,
            "position": position,
        }
        Standard.objects.create(**(fields | extra))
    nodes = list(IndicatorNode.objects.filter(system=system).order_by("position", "pk"))
    node_values = IndicatorNode.objects.filter(system=system).order_by("position", "pk")
    node_values = list(
        node_values.values_list("pk", "parent_id", "level", "code", "name", named=True)
    )
    standards = Standard.objects.filter(system=system).order_by("position")
    with translation.override("zh-hans"):
        by_template = Template(TEMPLATE_ROWS).render(
            Context({"rows": _tree_rows(nodes, list(standards), system.level_names)})
        )
        values = list(standards.values_list(*TREE_COLUMNS, named=True))
        by_python = tree_rows(_tree_rows(node_values, values, system.level_names))
    assert normalised(by_python) == normalised(by_template)
    for shown in ("一票否决", "2026-05-01", "&lt;b&gt;", "长...", "项目 &lt;a&gt;", "legacy", "—"):
        assert shown in by_python
