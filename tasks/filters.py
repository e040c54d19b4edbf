import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign.models import CommandOffice, IndicatorNode, Unit

from .models import Task


class TaskFilter(django_filters.FilterSet):
    """The task list's filters; the unit, office and item choices are scoped to the person."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Task.Status.choices, widget=forms.CheckboxSelectMultiple
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        method="filter_unit",
        empty_label=_("All units"),
    )
    command_office = django_filters.ModelChoiceFilter(
        label=_("Command office"),
        queryset=CommandOffice.objects.none(),
        empty_label=_("All command offices"),
    )
    item = django_filters.ModelChoiceFilter(
        label=_("Evaluation item"),
        queryset=IndicatorNode.objects.none(),
        empty_label=_("All items"),
    )
    deadline = django_filters.DateFromToRangeFilter(
        label=_("Deadline between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Task.Priority.choices, empty_label=_("All priorities")
    )

    class Meta:
        model = Task
        fields = ["q", "status", "unit", "command_office", "item", "deadline", "overdue"]

    def __init__(self, *args, request, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        user = request.user
        self.filters["unit"].queryset = (
            Unit.objects.visible_to(user).filter(campaign=campaign).order_by("path")
        )
        self.filters["command_office"].queryset = CommandOffice.objects.visible_to(user).filter(
            campaign=campaign
        )
        # Items that visible tasks belong to: nobody is offered an item they have no task in.
        self.filters["item"].queryset = IndicatorNode.objects.filter(
            pk__in=Task.objects.visible_to(user).filter(campaign=campaign).values("item")
        ).order_by("position")

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_unit(self, queryset, name, unit):
        # A unit's tasks include those of the units below it (属地管理).
        q = Q()
        for lookup in ("lead_unit", "responsible_units", "cooperating_units"):
            q |= Q(**{f"{lookup}__path__startswith": unit.path})
        return queryset.filter(pk__in=Task.objects.filter(q).values("pk"))

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.overdue()
