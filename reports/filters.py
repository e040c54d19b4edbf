import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Bulletin


class BulletinFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Bulletin.Status.choices, empty_label=_("Any status")
    )
    year = django_filters.NumberFilter(label=_("Year"))

    class Meta:
        model = Bulletin
        fields = ["status", "year"]
