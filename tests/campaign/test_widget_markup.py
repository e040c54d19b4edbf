"""Inputs written in Python (campaign.widgets.render_input) are the templates' markup."""

import datetime

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting

from campaign.widgets import FormRenderer

WIDGETS = [
    (forms.TextInput(attrs={"placeholder": 'a "b" <c>', "required": True}), 'x"<&>'),
    (forms.TextInput(attrs={"class": "form-control-sm", "disabled": False}), None),
    (forms.NumberInput(attrs={"min": 0}), 12),
    (forms.EmailInput(), "a@b.cn"),
    (forms.URLInput(), "https://x.cn/?a=1&b=2"),
    (forms.PasswordInput(), "secret"),
    (forms.HiddenInput(), 7),
    (forms.DateInput(attrs={"type": "date"}), datetime.date(2026, 3, 10)),
    (forms.DateTimeInput(), datetime.datetime(2026, 3, 10, 8, 30)),
    (forms.TimeInput(), datetime.time(8, 30)),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(attrs={"class": "x"}), False),
    (forms.SearchInput(), ""),
    (forms.TelInput(), "13800000000"),
    (forms.ColorInput(), "#ff0000"),
]


@pytest.mark.parametrize(("widget", "value"), WIDGETS)
def test_input_written_in_python_is_the_templates_markup(widget, value):
    def markup(renderer):
        return widget.render("f", value, attrs={"id": "id_f"}, renderer=renderer).strip()

    assert markup(FormRenderer()) == markup(TemplatesSetting())
