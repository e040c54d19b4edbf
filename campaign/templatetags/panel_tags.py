"""The list pages' filter panel, drawn by `campaign.widgets.filter_panel`."""

from django import template

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
