import django_filters
from django import forms
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign import choices_cache
from campaign.access import scope_for
from campaign.filters import LightFilterSet
from campaign.models import CommandOffice, IndicatorNode, Unit
from campaign.widgets import UnitAutocomplete

from .models import Task, TaskPart, overdue_q
from .permissions import can_manage_any, managed_offices

DATE_INPUT = forms.DateInput(attrs={"type": "date"})

# What waits for a person among the tasks: the home page's counts and the list's "to-do"
# filter both read `to_do()`, so a count always matches its list.
TO_DO = {"report": _("To report"), "accept": _("To accept")}


def to_do_keys(user, campaign):
    scope = scope_for(user)
    if scope.is_read_only(campaign):
        return []
    keys = ["report"] if scope.units else []
    return keys + (["accept"] if can_manage_any(user, campaign) else [])


def to_do(queryset, key, user, campaign):
    """The tasks of `queryset` waiting for this person: their own unit's part to report on,
    or a unit's part to accept."""
    if key not in to_do_keys(user, campaign):
        return queryset.none()
    if key == "report":
        units = [m.unit_id for m in scope_for(user).memberships if m.campaign_id == campaign.pk]
        parts = TaskPart.objects.filter(
            unit__in=[u for u in units if u], status__in=Task.OPEN_STATUSES
        )
        return queryset.filter(pk__in=parts.values("task"))
    offices = managed_offices(user, campaign)
    waiting = queryset.filter(
        pk__in=TaskPart.objects.filter(status=Task.Status.SUBMITTED).values("task")
    )
    return waiting if offices is None else waiting.filter(command_office__in=offices)


def item_label(item):
    if item.namesakes > 1:
        return _("%(item)s (%(system)s)") % {"item": item.name, "system": item.system.name}
    return item.name


class TaskFilter(LightFilterSet):
    """The task list's filters; the unit, office and item choices are scoped to the person."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    todo = django_filters.ChoiceFilter(
        label=_("My to-do"), choices=list(TO_DO.items()), method="filter_todo", empty_label=_("All")
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Task.Status.choices, widget=forms.CheckboxSelectMultiple
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        method="filter_unit",
        widget=UnitAutocomplete(attrs={"placeholder": _("All units: type to search")}),
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
    deadline_after = django_filters.DateFilter(
        label=_("Deadline from"), field_name="deadline", lookup_expr="gte", widget=DATE_INPUT
    )
    deadline_before = django_filters.DateFilter(
        label=_("Deadline until"), field_name="deadline", lookup_expr="lte", widget=DATE_INPUT
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Task.Priority.choices, empty_label=_("All priorities")
    )

    class Meta:
        model = Task
        fields = []

    def __init__(self, *args, user, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.campaign = campaign
        self.todo_keys = tuple(to_do_keys(user, campaign))
        self.filters["todo"].extra["choices"] = [(key, TO_DO[key]) for key in self.todo_keys]
        self.filters["unit"].queryset = (
            Unit.objects.visible_to(user).filter(campaign=campaign).order_by("path")
        )
        self.filters["command_office"].queryset = CommandOffice.objects.visible_to(user).filter(
            campaign=campaign
        )
        # Items that visible tasks belong to: nobody is offered an item they have no task in.
        # Two systems may share an item's name (思想道德建设): `namesakes` counts them in the
        # same query, and such items are named with their system.
        self.filters["item"].queryset = (
            IndicatorNode.objects.filter(
                # One look-up per item, not the distinct items of every visible task.
                Exists(Task.objects.visible_to(user).filter(campaign=campaign, item=OuterRef("pk")))
            )
            .select_related("system")
            .annotate(namesakes=Window(Count("pk"), partition_by=[F("name")]))
            .order_by("system", "position")
        )
        self.form.fields["item"].label_from_instance = item_label
        choices_cache.offer(self.form.fields["command_office"], campaign, user, "command offices")
        # Kept too: a task made, deleted, handed to other units or given another item, and an
        # item or system renamed, change the campaign's choices version (tasks.signals).
        choices_cache.offer(self.form.fields["item"], campaign, user, "task items")

    def count_overdue_parts(self):
        """How many parts of these tasks are overdue today, of those the person's figures
        count (`TaskQuerySet.count_overdue_parts`). For a person who sees the whole campaign,
        with no filter asked, they are the campaign's open parts past their task's deadline,
        read from their own index (`task_part_late`): joined from the tasks, every late task
        of the campaign was hashed to find them (9,500 at city size)."""
        if not self.asked() and scope_for(self.user).sees(self.campaign.pk) == "all":
            today = timezone.localdate()
            late = overdue_q(today, deadline="task_deadline")
            return TaskPart.objects.filter(late, task_campaign=self.campaign).count()
        return self.qs.count_overdue_parts(self.user)

    def filter_todo(self, queryset, name, value):
        return to_do(queryset, value, self.user, self.campaign)

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_unit(self, queryset, name, unit):
        # A unit's tasks include those of the units below it (属地管理).
        return queryset.for_units([unit])

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset
