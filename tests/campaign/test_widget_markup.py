"""Widgets written in Python (campaign.widgets.render_input, Autocomplete) are the markup of
the templates they replace."""

import datetime

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting

from campaign.widgets import FormRenderer, StandardAutocomplete, UnitAutocomplete

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


# campaign/widgets/autocomplete.html, which `Autocomplete.render` replaces.
AUTOCOMPLETE_TEMPLATE = """<div class="autocomplete position-relative" data-autocomplete data-url="{{ widget.url }}" data-empty="{{ widget.empty }}">
  <input type="hidden" name="{{ widget.name }}" value="{{ widget.chosen_id }}" data-role="value">
  <input type="search" class="form-control" value="{{ widget.chosen_label }}" autocomplete="off" role="combobox" aria-autocomplete="list" aria-expanded="false" data-role="text"{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}{% if value is not True %}="{{ value|stringformat:'s' }}"{% endif %}{% endif %}{% endfor %}>
  <div class="list-group position-absolute start-0 end-0 z-3 shadow-sm d-none" role="listbox" data-role="list"></div>
</div>
"""  # noqa: E501


def test_autocomplete_written_in_python_is_the_templates_markup(city):
    from django.template import Context, Template

    from campaign.models import Unit

    shown = []
    for widget, value in (
        (UnitAutocomplete(attrs={"placeholder": '全部 "单位" <搜索>', "required": True}), None),
        (UnitAutocomplete(), city.donghua.pk),
        (StandardAutocomplete(attrs={"disabled": False}), "x"),
    ):
        widget.choices = forms.ModelChoiceField(Unit.objects.all()).choices
        context = widget.get_context("unit", value, {"id": "id_unit"})
        # Stripped, as Django's form renderer strips a widget template's output.
        expected = Template(AUTOCOMPLETE_TEMPLATE).render(Context(context)).strip()
        shown.append(widget.render("unit", value, {"id": "id_unit"}))
        assert shown[-1] == expected
    assert 'placeholder="全部 &quot;单位&quot; &lt;搜索&gt;" required' in shown[0]
    assert 'value="东华街道"' in shown[1]


@pytest.mark.parametrize("widget", [forms.CheckboxSelectMultiple, forms.RadioSelect])
def test_choices_of_check_boxes_written_in_python_are_the_templates_markup(widget):
    """`render_option` writes each choice, its label wrapped around it or not."""
    choices = [("a<b", 'x "&" <y>'), ("Group <g>", [("1", "one"), ("2", "二")]), ("3", "三")]
    boxes = widget(choices=choices, attrs={"data-x": '"q"'})

    def markup(renderer):
        whole = boxes.render("f", ["1", "3"], attrs={"id": "id_f"}, renderer=renderer)
        tags = [
            boxes._render(option["template_name"], {"widget": option}, renderer)
            for option in boxes.options("f", ["1", "3"], attrs={"id": "id_f"})
        ]
        return whole, tags

    assert markup(FormRenderer()) == markup(TemplatesSetting())
    assert 'for="id_f_1_0"><input type=' in markup(FormRenderer())[0]
