import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Unit


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
