"""The reports pages' tabs are written in Python (issue 13, scale): the markup is the
template's they replaced, in every language, with each tab active in turn."""

import pytest
from django.template import Context, Template
from django.utils import translation

from reports.templatetags.report_tags import reports_subnav

TEMPLATE = (
    "{% load i18n %}{# The reports pages' own tabs. #}\n"
    '<ul class="nav nav-tabs mb-3">\n'
    '  <li class="nav-item"><a class="nav-link text-nowrap{% if active == \'dashboard\' %} active{% endif %}" href="{% url \'reports:dashboard\' %}"><i class="bi bi-bar-chart-line"></i> {% translate "Dashboard" %}</a></li>\n'
    '  <li class="nav-item"><a class="nav-link text-nowrap{% if active == \'rankings\' %} active{% endif %}" href="{% url \'reports:ranking_list\' %}"><i class="bi bi-sort-numeric-down"></i> {% translate "Rankings" %}</a></li>\n'
    '  <li class="nav-item"><a class="nav-link text-nowrap{% if active == \'bulletins\' %} active{% endif %}" href="{% url \'reports:bulletin_list\' %}"><i class="bi bi-file-earmark-richtext"></i> {% translate "Weekly bulletins" %}</a></li>\n'
    '  <li class="nav-item"><a class="nav-link text-nowrap{% if active == \'rules\' %} active{% endif %}" href="{% url \'reports:scoringrule_edit\' %}"><i class="bi bi-calculator"></i> {% translate "Scoring rules" %}</a></li>\n'
    "</ul>\n"
)  # fmt: skip


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("active", ["dashboard", "rankings", "bulletins", "rules"])
def test_the_tabs_are_the_templates_markup(language, active):
    with translation.override(language):
        expected = Template(TEMPLATE).render(Context({"active": active}))
        assert reports_subnav(active) == expected
