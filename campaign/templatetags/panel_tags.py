"""The list pages' filter panel, drawn by `campaign.widgets.filter_panel`, and what a list is
shown with, said in the list for phones."""

import django_filters
from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext

from campaign import filters
from campaign.widgets import filter_panel as draw

register = template.Library()


@register.simple_tag(takes_context=True)
def filter_panel(context):
    """The panel of templates/_filter_panel.html's context: `form` (or `filterset`, whose form
    is built only if its drawing is not kept), `action`, `target`, `panel`, or `fields`, a
    template of hand-made fields drawn with the page's context."""
    fields = context.get("fields")
    return draw(
        context.get("form"),
        filterset=context.get("filterset"),
        action=context.get("action"),
        target=context.get("target"),
        panel=context.get("panel"),
        fields_html=context.template.engine.get_template(fields).render(context)
        if fields
        else None,
    )


@register.simple_tag(takes_context=True)
def filters_in_force(context, filterset):
    """What a list is shown with, for phones, where its filter panel is folded behind a
    button: the search as typed, how many other filters, and a link to the list without
    them. Sorting is not a filter. Drawn inside the part of the list that htmx redraws, so it
    follows each change; read from the values sent, without building the filters' form."""
    asked = {
        name
        for name in filters.asked(filterset)
        if not isinstance(filterset.filters[name], django_filters.OrderingFilter)
    }
    if not asked:
        return ""
    said = []
    others = len(asked)
    if "q" in asked:
        others -= 1
        text = gettext("Search “%(text)s”") % {"text": filterset.data["q"].strip()}
        said.append(format_html('<span class="fw-semibold text-break">{}</span>', text))
    if others:
        text = (
            ngettext("%(n)s more filter", "%(n)s more filters", others)
            if said
            else ngettext("%(n)s filter in force", "%(n)s filters in force", others)
        )
        said.append(format_html("<span>{}</span>", text % {"n": others}))
    return format_html(
        '<div class="d-md-none d-flex flex-wrap align-items-center gap-2 mb-2 small"'
        ' id="filters-in-force" aria-label="{}"><i class="bi bi-funnel-fill text-danger"'
        ' aria-hidden="true"></i>{}<a class="ms-auto" href="{}">{}</a></div>',
        gettext("Filters in force"),
        format_html_join("", "{}", ((part,) for part in said)),
        context["request"].path,
        gettext("Clear all"),
    )
