"""Form widgets shared by every app's filters and forms."""

from django import forms
from django.forms.renderers import TemplatesSetting
from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


class Autocomplete(forms.Widget):
    """A search box over the person's scope instead of a drop-down listing every choice.

    For a `ModelChoiceField` whose queryset is already scoped: the field still validates the
    chosen id against it, the page carries only the chosen object's name, and the box asks
    `url_name` (JSON `{"results": [{"id", "text", "kind"?}]}`) for matches as the person types
    (static/js/autocomplete.js).
    """

    template_name = None  # drawn by render()
    url_name = ""
    empty = ""  # said when nothing matches
    choices = ()

    def __init__(self, attrs=None, query=None):
        super().__init__(attrs)
        self.query = query or {}  # more of the endpoint's parameters, e.g. {"exclude": …}

    def label(self, chosen):
        return str(chosen)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        queryset = getattr(self.choices, "queryset", None)
        chosen = None
        if queryset is not None and str(value or "").isdecimal():  # "²" is a digit, no id
            chosen = queryset.filter(pk=value).first()
        context["widget"].update(
            url=reverse(self.url_name) + (f"?{urlencode(self.query)}" if self.query else ""),
            empty=self.empty,
            chosen_id=chosen.pk if chosen else "",
            chosen_label=self.label(chosen) if chosen else "",
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        """Written here rather than in a template: it is on every list's filter panel."""
        widget = self.get_context(name, value, attrs)["widget"]
        return format_html(
            '<div class="autocomplete position-relative" data-autocomplete data-url="{}"'
            ' data-empty="{}">'
            '\n  <input type="hidden" name="{}" value="{}" data-role="value">'
            '\n  <input type="search" class="form-control" value="{}" autocomplete="off"'
            ' role="combobox" aria-autocomplete="list" aria-expanded="false" data-role="text"{}>'
            '\n  <div class="list-group position-absolute start-0 end-0 z-3 shadow-sm d-none"'
            ' role="listbox" data-role="list"></div>\n</div>',
            widget["url"],
            widget["empty"],
            widget["name"],
            widget["chosen_id"],
            widget["chosen_label"],
            _attrs_html(widget["attrs"]),
        )


class UnitAutocomplete(Autocomplete):
    """The person's units, by name or short name (`campaign:unit_autocomplete`)."""

    url_name = "campaign:unit_autocomplete"
    empty = _("No unit matches.")

    def label(self, chosen):
        return chosen.name


class StandardAutocomplete(Autocomplete):
    """The person's standards, by code or text (`campaign:standard_autocomplete`)."""

    url_name = "campaign:standard_autocomplete"
    empty = _("No standard matches.")


def _attrs_html(attrs):
    """An element's attributes as templates/django/forms/widgets/attrs.html writes them."""
    if not attrs:  # most options
        return ""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def render_select(widget):
    """A select drop-down written in Python: the same markup as Django's select template with
    this site's attrs.html (Bootstrap's `form-select` unless the widget has a class), without
    two template includes per option — a ledger filter of two hundred standards spent most of
    the filter panel's time (~15 ms) in them."""
    attrs = widget["attrs"]
    if not attrs.get("class"):
        attrs = {"class": "form-select", **attrs}
    groups = []
    for group_name, options, _index in widget["optgroups"]:
        # Escaped by hand, not format_html per option: the same markup at a third of the calls.
        rendered = "".join(
            f'\n  <option value="{conditional_escape(o["value"])}"{_attrs_html(o["attrs"])}>'
            f"{conditional_escape(o['label'])}</option>"
            for o in options
        )
        groups.append(
            format_html(
                '\n  <optgroup label="{}">{}\n  </optgroup>', group_name, mark_safe(rendered)
            )
            if group_name
            else rendered
        )
    return format_html(
        '<select name="{}"{}>{}\n</select>',
        widget["name"],
        _attrs_html(attrs),
        mark_safe("".join(groups)),
    )


# Django's widget templates that are nothing but `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = {
    f"django/forms/widgets/{kind}.html"
    for kind in ("text", "number", "email", "url", "password", "hidden", "date", "datetime")
    + ("time", "checkbox", "search", "tel", "color")
}


def render_input(widget):
    """An `<input>` written in Python: the markup of Django's input template with this site's
    attrs.html (`form-check-input` on check boxes and radios, else `form-control`, unless the
    widget has a class), without its two template includes."""
    attrs = widget["attrs"]
    if not attrs.get("class"):
        kind = "form-check-input" if widget["type"] in ("checkbox", "radio") else "form-control"
        attrs = {"class": kind, **attrs}
    value = widget["value"]
    return format_html(
        '<input type="{}" name="{}"{}{}\n>',  # attrs.html ends in a line break
        widget["type"],
        widget["name"],
        format_html(' value="{}"', value) if value is not None else "",
        _attrs_html(attrs),
    )


class FormRenderer(TemplatesSetting):
    """Widgets from templates (Bootstrap classes come from templates/django/forms/widgets/
    attrs.html), except the select drop-down and the plain inputs, which `render_select` and
    `render_input` write in Python."""

    def render(self, template_name, context, request=None):
        if template_name == forms.Select.template_name:
            return render_select(context["widget"])
        if template_name in INPUT_TEMPLATES:
            return render_input(context["widget"])
        return super().render(template_name, context, request=request)
