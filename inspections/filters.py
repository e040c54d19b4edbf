import django_filters
from django import forms
from django.db.models import F, Q, lookups
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from campaign import choices_cache
from campaign.access import scope_for
from campaign.filters import LightFilterSet
from campaign.models import Standard, Unit
from campaign.widgets import StandardAutocomplete, UnitAutocomplete

from .models import (
    OPEN,
    UNIT_PENDING,
    Finding,
    FindingCategory,
    FindingTally,
    Severity,
    Source,
    Status,
    SupervisionLevel,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class ContainsInAnyCase(lookups.IContains):
    """`icontains` written as PostgreSQL's ILIKE, which a trigram index of the column as
    written serves (pg_trgm folds the case of its trigrams); Django writes it as
    UPPER(column) LIKE UPPER(…), which only an index of that expression serves. Elsewhere
    (SQLite) as Django writes it."""

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs}::text ILIKE {rhs}", (*lhs_params, *rhs_params)


# What waits for a person in the ledger, by kind: the inbox's sections, the home page's counts
# and the ledger's "to-do" filter all read `to_do()`, so a count always matches its list.
TO_DO = {
    "acknowledge": _("To acknowledge"),
    "rectify": _("To rectify"),
    "disputed": _("Disputed, waiting for the office"),
    "waiting": _("Submitted, waiting for verification"),
    "verify": _("To verify"),
    "triage": _("To assign"),
    "decide": _("Disputes to decide"),
    "supervised": _("Under supervision"),
}


def to_do_keys(user, campaign):
    """The kinds of ledger work this person has, in the order they are shown."""
    scope = scope_for(user)
    if scope.is_read_only(campaign):
        return []
    keys = ["acknowledge", "rectify", "disputed", "waiting"] if scope.units else []
    if scope.is_office_admin(campaign) or scope.is_inspector(campaign):
        keys += ["verify", "triage"]
    if scope.is_office_admin(campaign):
        keys.append("decide")
    return keys


def to_do(queryset, key, user, campaign):
    """The findings of `queryset` waiting for this person's `key` kind of work."""
    scope = scope_for(user)
    if key == "supervised":
        return queryset.filter(status__in=OPEN, supervision_level__gt=0)
    if key not in to_do_keys(user, campaign):
        return queryset.none()
    mine = Q(unit__any=scope.unit_ids)
    if key == "acknowledge":
        return queryset.filter(mine, status=Status.ASSIGNED)
    if key == "rectify":
        return queryset.filter(mine, status__in=[Status.RECTIFYING, Status.RETURNED])
    if key == "disputed":
        return queryset.filter(mine, status=Status.DISPUTED)
    if key == "waiting":
        return queryset.filter(mine, status=Status.AWAITING)
    if key == "verify":
        # Never offer someone their own unit's rectification to verify.
        own = [*scope.unit_ids, *(pk for unit in scope.units for pk in unit.ancestor_ids)]
        return queryset.filter(status=Status.AWAITING).exclude(unit__any=own)
    if key == "triage":
        return queryset.filter(status=Status.REGISTERED)
    return queryset.filter(status=Status.DISPUTED)  # "decide"


class StableOrderingFilter(django_filters.OrderingFilter):
    """A sort with the id as its last key, in the sort's direction: findings that tie on the
    chosen column keep one order, so no page repeats or skips one."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            ordering = list(qs.query.order_by)
            qs = qs.order_by(*ordering, "-pk" if ordering[0].startswith("-") else "pk")
        return qs


class FindingFilter(LightFilterSet):
    """The ledger's filters. Choices are scoped: a unit leader only sees their own units."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    todo = django_filters.ChoiceFilter(
        label=_("My to-do"), choices=list(TO_DO.items()), method="filter_todo", empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("open", _("All open"))] + list(Status.choices),
        method="filter_status",
        empty_label=_("All statuses"),
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Responsible unit (and those below)"),
        queryset=Unit.objects.none(),
        method="filter_unit",
        widget=UnitAutocomplete(attrs={"placeholder": _("All units: type to search")}),
    )
    # District and category choices are read as (id, name) pairs once, only when the form is
    # validated or drawn: no model instances, no server-side cursor per drop-down.
    district = django_filters.ChoiceFilter(
        label=_("District"), method="filter_district", empty_label=_("All districts")
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), field_name="category", empty_label=_("All categories")
    )
    severity = django_filters.ChoiceFilter(
        label=_("Severity"), choices=Severity.choices, empty_label=_("All severities")
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=Source.choices, empty_label=_("All sources")
    )
    standard = django_filters.ModelChoiceFilter(
        label=_("Standard"),
        queryset=Standard.objects.none(),
        widget=StandardAutocomplete(attrs={"placeholder": _("All standards: type to search")}),
    )
    supervision = django_filters.ChoiceFilter(
        label=_("Supervision"),
        field_name="supervision_level",
        choices=[(str(v), label) for v, label in SupervisionLevel.choices],
        empty_label=_("Any supervision"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    found_after = django_filters.DateFilter(
        label=_("Found from"), field_name="found_on", lookup_expr="gte", widget=DATE_WIDGET
    )
    found_before = django_filters.DateFilter(
        label=_("Found until"), field_name="found_on", lookup_expr="lte", widget=DATE_WIDGET
    )
    sort = StableOrderingFilter(
        label=_("Sort by"),
        empty_label=_("Newest first"),
        fields=[
            ("found_on", "found_on"),
            ("deadline", "deadline"),
            ("status", "status"),
            ("supervision_level", "supervision"),
            ("unit__path", "unit"),
        ],
        field_labels={
            "found_on": _("Date found"),
            "deadline": _("Rectification deadline"),
            "status": _("Status"),
            "supervision_level": _("Supervision"),
            "unit__path": _("Unit"),
        },
    )

    # A standard's text can change without moving the choices version.
    drawn_when_chosen = ("standard",)

    class Meta:
        model = Finding
        fields = []

    def __init__(self, data=None, *args, campaign, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.user, self.campaign = user, campaign
        keys = self.todo_keys = (*to_do_keys(user, campaign), "supervised")
        self.filters["todo"].extra["choices"] = [(key, TO_DO[key]) for key in keys]
        units = Unit.objects.visible_to(user).filter(campaign=campaign).order_by("path")
        self.filters["unit"].queryset = units
        self.filters["district"].extra["choices"] = lambda: [
            (pk, name) for pk, (name, _path) in self.districts.items()
        ]
        self.filters["category"].extra["choices"] = lambda: self.categories
        self.filters["standard"].queryset = (
            Standard.objects.visible_to(user).filter(system__campaign=campaign).only("code", "text")
        )

    @cached_property
    def districts(self):
        """{id: (name, path)} of the districts the person may see, in tree order (kept: not to
        be changed)."""

        def read():
            units = Unit.objects.visible_to(self.user).filter(
                campaign=self.campaign, kind=Unit.Kind.DISTRICT
            )
            return {pk: (name, path) for pk, name, path in units.values_list("pk", "name", "path")}

        return choices_cache.choices(self.campaign, self.user, "district paths", read)

    @cached_property
    def categories(self):
        # Ordered as Meta.ordering within one campaign, without its join to the campaign.
        categories = FindingCategory.objects.filter(campaign=self.campaign)
        return choices_cache.choices(
            self.campaign,
            self.user,
            "categories",
            lambda: list(categories.order_by("position", "name").values_list("pk", "name")),
        )

    def search(self, queryset, name, value):
        value = value.strip()
        # Text without a cased letter (Chinese, digits) is compared as written, other text in
        # any case. The trigram indexes, of the columns as written (migration 0017), serve
        # both from three characters on; shorter text gives them nothing to look up, and the
        # person's findings are read one by one. Either way each row read is compared, and
        # upper-casing its address and description cost twice the comparison itself (at city
        # size, the office's 垃圾: 188 → 95 ms; its 建设路's counts, 27,500 matches: 16.7 →
        # 9.6 ms).
        uncased = all(c.upper() == c == c.lower() for c in value)
        contains = lookups.Contains if uncased else ContainsInAnyCase
        # The short address first: each finding a trigram index offers is checked on its row,
        # and one found by its address is then not also read for its long description.
        query = Q(contains(F("address"), value)) | Q(contains(F("description"), value))
        # "2026-00012" or "12" finds a finding by its number.
        tail = value.rsplit("-", 1)[-1]
        if tail.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
            query |= Q(pk=int(tail))
        return queryset.filter(query)

    def filter_todo(self, queryset, name, value):
        return to_do(queryset, value, self.user, self.campaign)

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=statuses_of(value))

    def filter_unit(self, queryset, name, unit):
        return queryset.filter(unit__path__startswith=unit.path)

    def filter_district(self, queryset, name, district):
        _name, path = self.districts[int(district)]
        return queryset.filter(Q(territory__path__startswith=path) | Q(unit__path__startswith=path))

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.overdue(on=timezone.localdate())
        return queryset

    def status_counts(self, *, on, cap):
        """The counts bar when only filters the counts indexes hold are asked (the ledger's
        COUNTED_APART): `FindingQuerySet.status_counts` read way by way the person sees
        findings; for a person who sees the whole campaign, with only the status asked (and
        the sort, which no count reads), summed from the tally PostgreSQL keeps
        (`FindingTally`), with the overdue ones counted from their index."""
        findings = self.applied_to(Finding.objects.filter(campaign=self.campaign))
        if (
            self.asked() <= {"status", "sort"}
            and FindingTally.is_kept(findings.db)
            and scope_for(self.user).sees(self.campaign.pk) == "all"
        ):
            counted = FindingTally.objects.filter(campaign=self.campaign)
            if status := self.is_bound and self.form.cleaned_data.get("status"):
                counted = self.filter_status(counted, "status", status)
            return counted.status_counts(findings.overdue(on=on), cap=cap)
        return findings.status_counts(
            on=on, cap=cap, seen_by=self.user, statuses=self.counted_statuses()
        )

    def counted_statuses(self):
        """The statuses the findings kept may have, as the status and overdue filters say
        (every status when neither is asked): the counts bar reads no other."""
        asked = self.form.cleaned_data if self.is_bound else {}
        statuses = statuses_of(asked["status"]) if asked.get("status") else Status.values
        if asked.get("overdue"):
            # Overdue findings wait for the unit (`overdue_q`).
            statuses = [status for status in statuses if status in UNIT_PENDING]
        return statuses


def statuses_of(value):
    """The statuses the ledger's status filter keeps for `value`: "open" every open one."""
    return OPEN if value == "open" else [value]


# Filters whose choices are scoped: asking for a value outside them is asking for
# another unit's data, which answers 404 like any out-of-scope object.
SCOPED_FILTERS = {"unit", "district", "standard", "category"}


def ledger_filter(user, campaign, data):
    """The ledger as `user` may see it, filtered by `data` (a query string): the page's list,
    its export and the export job all read this one. 404 for an out-of-scope filter value."""
    result = FindingFilter(
        data or None,
        queryset=Finding.objects.visible_to(user).filter(campaign=campaign),
        campaign=campaign,
        user=user,
    )
    if result.is_bound and SCOPED_FILTERS & set(result.errors):
        raise Http404
    return result
