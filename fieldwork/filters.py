import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaign import choices_cache
from campaign.filters import LightFilterSet
from campaign.models import Unit
from campaign.widgets import UnitAutocomplete

from .models import Point, PointType

# Filters whose choices are scoped: a value outside them asks for another unit's points (404).
SCOPED_FILTERS = {"type", "district", "unit"}


class PointFilter(LightFilterSet):
    """The point register's filters; unit choices are the person's own units only."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    type = django_filters.ModelChoiceFilter(
        label=_("Point type"), queryset=PointType.objects.none(), empty_label=_("All types")
    )
    district = django_filters.ModelChoiceFilter(
        label=_("District"),
        queryset=Unit.objects.none(),
        method="filter_district",
        empty_label=_("All districts"),
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Responsible unit (and those below)"),
        queryset=Unit.objects.none(),
        method="filter_unit",
        widget=UnitAutocomplete(attrs={"placeholder": _("All units: type to search")}),
    )
    inactive = django_filters.BooleanFilter(
        label=_("Include points out of use"), method="filter_inactive", widget=forms.CheckboxInput
    )

    class Meta:
        model = Point
        fields = []

    def __init__(self, data=None, *args, campaign, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        units = Unit.objects.visible_to(user).filter(campaign=campaign).order_by("path")
        self.filters["type"].queryset = PointType.objects.filter(campaign=campaign)
        self.filters["district"].queryset = units.filter(kind=Unit.Kind.DISTRICT)
        self.filters["unit"].queryset = units
        fields = self.form.fields
        choices_cache.offer(fields["type"], campaign, user, "point types")
        choices_cache.offer(fields["district"], campaign, user, "districts")

    @property
    def qs(self):
        queryset = super().qs
        # Points out of use are hidden unless asked for (they are never deleted).
        if not (self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("inactive")):
            queryset = queryset.filter(is_active=True)
        return queryset

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value))

    def filter_district(self, queryset, name, district):
        return queryset.filter(
            Q(territory__path__startswith=district.path) | Q(unit__path__startswith=district.path)
        )

    def filter_unit(self, queryset, name, unit):
        return queryset.filter(unit__path__startswith=unit.path)

    def filter_inactive(self, queryset, name, value):
        return queryset
