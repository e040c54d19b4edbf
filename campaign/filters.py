import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Channel, CommandOffice, Delivery, Notification, Standard, Unit


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Unit.Kind.choices)

    class Meta:
        model = Unit
        fields = ["q", "kind"]

    def search(self, queryset, name, value):
        # Aliases are a JSON list; a text match on it is enough for a search box.
        return queryset.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(aliases__icontains=value)
        )


class StandardFilter(django_filters.FilterSet):
    """Search and filters of the evaluation-system tree."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    method = django_filters.ChoiceFilter(
        label=_("Assessment method"), choices=Standard.Method.choices, method="filter_method"
    )
    command_office = django_filters.ModelChoiceFilter(
        label=_("Command office"),
        field_name="lead_command_office",
        queryset=None,
        empty_label=_("All command offices"),
    )
    veto = django_filters.BooleanFilter(
        label=_("Veto items only"),
        method="filter_veto",
        widget=django_filters.widgets.BooleanWidget,
    )
    difficulty = django_filters.ChoiceFilter(
        label=_("Difficulty"), choices=Standard.Difficulty.choices
    )
    assessment = django_filters.ChoiceFilter(
        label=_("Self-assessment"), choices=Standard.Assessment.choices
    )

    class Meta:
        model = Standard
        fields = ["q", "method", "command_office", "veto", "difficulty", "assessment"]

    def __init__(self, *args, request=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The command-office choices are scoped like everything else.
        offices = (
            CommandOffice.objects.visible_to(request.user) if request else CommandOffice.objects
        )
        self.filters["command_office"].queryset = offices.filter(campaign=campaign)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(text__icontains=value)
            | Q(code__istartswith=value)
            | Q(node__name__icontains=value)
            | Q(node__parent__name__icontains=value)
        )

    def filter_method(self, queryset, name, value):
        # Methods are a JSON list of codes; no code is part of another, so a text match is exact.
        return queryset.filter(methods__icontains=f'"{value}"')

    def filter_veto(self, queryset, name, value):
        return queryset.filter(is_veto=True) if value else queryset


class TimeRangeFilter(django_filters.FilterSet):
    """From and until dates over a log's `at` time (the audit log, the delivery log)."""

    since = django_filters.DateFilter(
        label=_("From date"), field_name="at", lookup_expr="date__gte"
    )
    until = django_filters.DateFilter(
        label=_("Until date"), field_name="at", lookup_expr="date__lte"
    )


class AuditEntryFilter(TimeRangeFilter):
    """The auditor's search over the audit log."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditEntry.Action.choices)
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=AuditEntry.Outcome.choices)
    ip_address = django_filters.CharFilter(label=_("IP address"), lookup_expr="startswith")

    class Meta:
        model = AuditEntry
        fields = ["q", "action", "outcome", "ip_address", "since", "until"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(summary__icontains=value)
            | Q(actor__username__icontains=value)
            | Q(actor__name__icontains=value)
        )


class DeliveryFilter(TimeRangeFilter):
    """The office's search over the delivery log."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    event = django_filters.ChoiceFilter(label=_("Event"), choices=Notification.Event.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Delivery.Status.choices)

    class Meta:
        model = Delivery
        fields = ["q", "channel", "event", "status", "since", "until"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(subject__icontains=value) | Q(recipient__icontains=value))
