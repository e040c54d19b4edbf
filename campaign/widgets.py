"""Form widgets shared by every app's filters and forms."""

from django import forms
from django.forms.renderers import TemplatesSetting
from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BaseCSVWidget

from .kept import kept


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
    groups = (
        (
            group_name,
            (
                (option["value"], option["label"], _attrs_html(option["attrs"]))
                for option in options
            ),
        )
        for group_name, options, _index in widget["optgroups"]
    )
    return _select_html(widget["name"], widget["attrs"], groups)


def _select_html(name, attrs, groups):
    """A `<select>` of `groups`: (group name or None, [(value, label, option's attributes)])."""
    if not attrs.get("class"):
        attrs = {"class": "form-select", **attrs}
    rendered = []
    for group_name, options in groups:
        # Escaped by hand, not format_html per option: the same markup at a third of the calls.
        html = "".join(
            f'\n  <option value="{conditional_escape(value)}"{option_attrs}>'
            f"{conditional_escape(label)}</option>"
            for value, label, option_attrs in options
        )
        rendered.append(
            format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, mark_safe(html))
            if group_name
            else html
        )
    return format_html(
        '<select name="{}"{}>{}\n</select>', name, _attrs_html(attrs), mark_safe("".join(rendered))
    )


def _plain_select_html(name, attrs, values, choices):
    """What `render_select` writes for a plain `forms.Select` of `choices` with `values`
    chosen, read as `ChoiceWidget.optgroups` reads them, without the dict of nine keys it makes
    per option."""
    selected_one = False
    groups = []
    for group_value, group_label in choices:
        if group_value is None:
            group_value = ""
        if isinstance(group_label, (list, tuple)):
            group_name, options = group_value, group_label
        else:
            group_name, options = None, ((group_value, group_label),)
        drawn = []
        for option_value, option_label in options:
            selected = not selected_one and str(option_value) in values
            selected_one |= selected
            drawn.append((option_value, option_label, " selected" if selected else ""))
        groups.append((group_name, drawn))
    return _select_html(name, attrs, groups)


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


# Django's check box and radio button templates for one choice of several (input_option.html).
OPTION_TEMPLATES = {
    "django/forms/widgets/checkbox_option.html",
    "django/forms/widgets/radio_option.html",
}


def render_option(widget):
    """One choice's check box or radio button written in Python, the markup of Django's
    input_option.html: this site's attrs.html gives a choice no class of its own."""
    value = widget["value"]
    html = format_html(
        '<input type="{}" name="{}"{}{}\n>',
        widget["type"],
        widget["name"],
        format_html(' value="{}"', value) if value is not None else "",
        _attrs_html(widget["attrs"]),
    )
    if not widget["wrap_label"]:
        return html
    label_id = widget["attrs"].get("id")
    return format_html(
        "<label{}>{}\n {}</label>",  # input.html ends in a line break
        format_html(' for="{}"', label_id) if label_id else "",
        html,
        widget["label"],
    )


class FormRenderer(TemplatesSetting):
    """Widgets from templates (Bootstrap classes come from templates/django/forms/widgets/
    attrs.html), except the select drop-down, the plain inputs and the choices of check boxes
    and radio buttons, which `render_select`, `render_input` and `render_option` write in
    Python."""

    def render(self, template_name, context, request=None):
        if template_name == forms.Select.template_name:
            return render_select(context["widget"])
        if template_name in INPUT_TEMPLATES:
            return render_input(context["widget"])
        if template_name in OPTION_TEMPLATES:
            return render_option(context["widget"])
        return super().render(template_name, context, request=request)


def filter_panel(form, *, action, target, panel, fields_html=None, filterset=None):
    """A list's filter panel (templates/_filter_panel.html draws it with `{% filter_panel %}`):
    written here because every list page draws one, and the template's loop over a dozen
    fields cost more than the rest of the page's template. `fields_html` replaces the form's
    fields when a list has no FilterSet (the rankings). Given a `filterset` with a
    `panel_key()` instead of its form, its fields are kept under that key (`campaign.kept`), and its
    form is built only when they are drawn."""
    panel, action, target = (conditional_escape(text) for text in (panel, action, target))
    title = conditional_escape(gettext("Filters and sorting"))
    if fields_html is None and filterset is not None:
        key = filterset.panel_key()
        if key is None:
            fields_html = _fields_html(filterset.form)
        else:
            key = ("panel", type(filterset), key)
            fields_html = kept(key, lambda: _fields_html(filterset.form))
    elif fields_html is None:
        fields_html = _fields_html(form)
    return mark_safe(
        f'<button class="btn btn-outline-secondary w-100 mb-2 d-md-none" type="button"'
        f' data-bs-toggle="offcanvas" data-bs-target="#{panel}" aria-controls="{panel}">'
        f'<i class="bi bi-funnel"></i> {title}</button>\n'
        f'<div class="offcanvas-md offcanvas-end mb-md-3" tabindex="-1" id="{panel}"'
        f' aria-labelledby="{panel}-title">\n'
        f'  <div class="offcanvas-header">\n'
        f'    <h2 class="offcanvas-title h5" id="{panel}-title">{title}</h2>\n'
        f'    <button type="button" class="btn-close" data-bs-dismiss="offcanvas"'
        f' data-bs-target="#{panel}" aria-label="{conditional_escape(gettext("Close"))}">'
        f"</button>\n"
        f"  </div>\n"
        f'  <div class="offcanvas-body">\n'
        f'    <form method="get" action="{action}" class="card card-body w-100 filter-form"'
        f' hx-get="{action}" hx-target="{target}" hx-push-url="true"'
        f' hx-trigger="change, submit">\n'
        f'      <div class="row g-2">\n'
        f"      {fields_html}\n"
        f'        <div class="col-12 col-md-4 col-lg-3 d-flex align-items-end gap-2">\n'
        f'          <button class="btn btn-danger flex-fill" type="submit"'
        f' data-bs-dismiss="offcanvas" data-bs-target="#{panel}">'
        f"{conditional_escape(gettext('Apply filters'))}</button>\n"
        f'          <a class="btn btn-outline-secondary" href="{action}">'
        f"{conditional_escape(gettext('Clear'))}</a>\n"
        f"        </div>\n"
        f"      </div>\n"
        f"    </form>\n"
        f"  </div>\n"
        f"</div>"
    )


def _fields_html(form):
    return "".join(_panel_field(field) for field in form)


def _panel_field(field):
    """One field of the filter panel with its label: a check box beside its label, a group of
    check boxes under a legend, anything else under its label."""
    label = conditional_escape(field.label)
    kind = field.widget_type
    if kind == "checkbox":
        html = (
            f'<div class="col-12 col-md-4 col-lg-3 d-flex align-items-end">'
            f'<div class="form-check mb-2">{_panel_widget(field)} <label class="form-check-label"'
            f' for="{conditional_escape(field.id_for_label)}">{label}</label></div></div>'
        )
    elif kind == "checkboxselectmultiple":
        html = f'<fieldset class="col-12"><legend class="form-label small mb-0">{label}</legend>'
        html += _panel_check_boxes(field) + "</fieldset>"
    else:
        html = (
            f'<div class="col-12 col-md-4 col-lg-3"><label class="form-label small mb-0"'
            f' for="{conditional_escape(field.id_for_label)}">{label}</label>'
            f"{_panel_widget(field)}</div>"
        )
    # The blank lines and indents the template's loop left around each field.
    return f"\n        \n        {html}\n        \n      "


def _panel_check_boxes(field):
    """A group of check boxes, each beside its label, kept while its choices are the same."""

    def draw():
        return "".join(
            f'<span class="form-check form-check-inline">{choice.tag()} <label'
            f' class="form-check-label" for="{conditional_escape(choice.id_for_label)}">'
            f"{conditional_escape(choice.choice_label)}</label></span>"
            for choice in field
        )

    widget = field.field.widget
    # Only a list of choices is sure to be what `draw()` reads, as it reads them again.
    if type(widget) is not forms.CheckboxSelectMultiple or type(field.field.choices) is not list:
        return draw()
    # What BoundField.subwidgets gives each check box.
    attrs = {"id": widget.attrs.get("id") or field.auto_id}
    attrs = widget.build_attrs(widget.attrs, field.build_widget_attrs(attrs if attrs["id"] else {}))
    key = (
        "check boxes",
        field.html_name,
        _key(attrs.items()),
        tuple(widget.format_value(field.value())),
        _key(_choices(field.field)),
    )
    return kept(key, draw)


def _panel_widget(field):
    """`str(field)`; a plain drop-down is read straight from its choices (`_plain_select_html`)
    and kept while they are the same (`campaign.kept`)."""
    widget = field.field.widget
    sort = type(widget).__bases__ == (BaseCSVWidget, forms.Select)  # a FilterSet's sort
    if not (sort or type(widget) is forms.Select) or field.field.localize:
        return str(field)
    if field.field.show_hidden_initial:
        return str(field)
    value = field.value()
    if sort and widget._isiterable(value):
        # BaseCSVWidget.render: its drop-down draws one value, a text box several.
        if len(value) > 1:
            return str(field)
        value = value[0] if value else ""
    # BoundField.as_widget's attributes.
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    values = widget.format_value(value)
    choices = _choices(field.field)
    return kept(
        ("select", field.html_name, _key(attrs.items()), tuple(values), _key(choices)),
        lambda: _plain_select_html(field.html_name, attrs, values, choices),
    )


def _choices(field):
    """A choice field's choices as a list. ModelChoiceIterator reads a model choice field's
    rows through a server-side cursor (three round trips on PostgreSQL); one query will do for
    a drop-down."""
    kept_choices = getattr(field, "kept_choices", None)  # set by `choices_cache.offer`
    if kept_choices is not None:
        return kept_choices()
    if not isinstance(field, forms.ModelChoiceField):
        return list(field.choices)
    iterator = field.choices
    choices = [("", field.empty_label)] if field.empty_label is not None else []
    return choices + [iterator.choice(row) for row in field.queryset]


def _key(pairs):
    """`pairs` (choices or attributes) as a memo key: each text as shown, and whether it is
    already safe HTML (then it is not escaped). True and False stay themselves: an attribute of
    True is written without a value, and the text "True" with one."""
    return tuple(
        (
            _key(value) if isinstance(value, (list, tuple)) else _text(value),
            _key(label) if isinstance(label, (list, tuple)) else _text(label),
        )
        for value, label in pairs
    )


def _text(value):
    if value is True or value is False or value is None:
        return value
    return (str(value), hasattr(value, "__html__"))
