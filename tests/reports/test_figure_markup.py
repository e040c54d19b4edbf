"""The reports' Python-written cells show a value as `{{ }}` shows it (issue 13, scale: whole
numbers, most of the figures, are written without the locale's number formatting, which
leaves them unchanged unless thousands are grouped)."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from reports.templatetags.report_tags import _shown

VALUES = [
    0,
    7,
    -3,
    1234567,
    True,
    False,
    Decimal("66.7"),
    Decimal("-0.5"),
    2.5,
    "东城区 <b>&",
    None,
]


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_value_is_shown_as_the_template_shows_it(language, grouped):
    with translation.override(language), override_settings(USE_THOUSAND_SEPARATOR=grouped):
        for value in VALUES:
            assert _shown(value) == Template("{{ v }}").render(Context({"v": value}))
