"""Form widgets shared by every app's filters and forms."""

from django import forms
from django.urls import reverse


class UnitAutocomplete(forms.Widget):
    """A search box over the person's units instead of a drop-down listing every unit.

    For a `ModelChoiceField` whose queryset is already scoped: the field still validates the
    chosen id against it, the page carries only the chosen unit's name, and the box asks
    `campaign:unit_autocomplete` for matches as the person types (static/js/unit-autocomplete.js).
    """

    template_name = "campaign/widgets/unit_autocomplete.html"
    choices = ()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        queryset = getattr(self.choices, "queryset", None)
        chosen = None
        if queryset is not None and str(value or "").isdecimal():  # "²" is a digit, no id
            chosen = queryset.filter(pk=value).first()
        context["widget"].update(url=reverse("campaign:unit_autocomplete"), chosen=chosen)
        return context
