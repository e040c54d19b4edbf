from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaign.actions import VersionField
from campaign.forms import OneTimeTokenMixin
from campaign.models import CommandOffice, EvaluationSystem, Unit
from campaign.uploads import (
    DocumentFileField,
    MultipleFileInput,
    MultipleImageField,
    WorkbookFileField,
)
from campaign.widgets import UnitAutocomplete

from .models import Milestone, Task
from .services import GenerationMode, deadline_from_working_days, unpublished_warning

MAX_WORKING_DAYS = 750


class DeadlineMixin:
    """A deadline given as a date, or as a number of working days from today (holidays and
    调休 counted); `self.warning` explains when the year's schedule is not published."""

    warning = ""

    def clean_deadline_fields(self, cleaned, *, required=True):
        days = cleaned.get("working_days")
        if days:
            cleaned["deadline"], self.warning = deadline_from_working_days(days)
        elif cleaned.get("deadline"):
            self.warning = unpublished_warning(cleaned["deadline"])
        elif required and "deadline" not in self.errors:
            self.add_error("deadline", _("Give a deadline date or a number of working days."))
        return cleaned


def working_days_field():
    return forms.IntegerField(
        label=_("or: working days from today"),
        required=False,
        min_value=1,
        max_value=MAX_WORKING_DAYS,
        help_text=_("Public holidays and make-up working days (调休) are counted."),
    )


class UnitCheckboxes(forms.CheckboxSelectMultiple):
    template_name = "tasks/widgets/unit_checkboxes.html"


def _indented(unit):
    # Full-width spaces show the territorial tree in a flat list.
    return "\u3000" * unit.depth + unit.name


def _scoped_units(field, campaign):
    field.queryset = Unit.objects.filter(campaign=campaign).order_by("path")
    field.label_from_instance = _indented


class TaskForm(DeadlineMixin, forms.ModelForm):
    """A new task, or the text, office, units and priority of an existing one.

    An existing task's lead unit and deadline change through their own actions, which
    keep the history (reassign, change deadline).
    """

    working_days = working_days_field()
    version = VersionField()
    field_order = [
        "title",
        "description",
        "command_office",
        "lead_unit",
        "responsible_units",
        "cooperating_units",
        "deadline",
        "working_days",
        "priority",
    ]

    class Meta:
        model = Task
        fields = [
            "title",
            "description",
            "command_office",
            "lead_unit",
            "responsible_units",
            "cooperating_units",
            "deadline",
            "priority",
        ]
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
            "responsible_units": UnitCheckboxes,
            "cooperating_units": UnitCheckboxes,
        }

    def __init__(self, *args, campaign, offices=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead_unit", "responsible_units", "cooperating_units"):
            if name in self.fields:
                _scoped_units(self.fields[name], campaign)
        office_qs = CommandOffice.objects.filter(campaign=campaign)
        if offices is not None:  # command staff create tasks for their own offices only
            office_qs = office_qs.filter(pk__in=offices)
            self.fields["command_office"].required = True
        self.fields["command_office"].queryset = office_qs
        self.fields["command_office"].empty_label = _("(none)")
        if "lead_unit" in self.fields:
            self.fields["lead_unit"].empty_label = _("Choose a unit")
        if self.instance.pk:
            del self.fields["lead_unit"], self.fields["deadline"], self.fields["working_days"]
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
            self.fields["deadline"].required = False

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            self.clean_deadline_fields(cleaned)
            self.instance.deadline_working_days = cleaned.get("working_days")
        return cleaned


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["date", "expected_progress", "deliverable"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


MilestoneFormSet = forms.inlineformset_factory(
    Task, Milestone, form=MilestoneForm, extra=2, can_delete=True, max_num=20
)


class MultipleDocumentField(DocumentFileField):
    """Several evidence documents in one input; cleans to a list, each checked by content."""

    def __init__(self, *args, max_files=5, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        self.max_files = max_files
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > self.max_files:
            raise ValidationError(
                _("Upload at most %(max)s documents at a time.") % {"max": self.max_files}
            )
        cleaned, errors = [], []
        for upload in files:
            try:
                cleaned.append(super().clean(upload, initial))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class ProgressForm(OneTimeTokenMixin, forms.Form):
    """A unit's progress report: what was done, how far along, evidence."""

    text = forms.CharField(
        label=_("Progress"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("What was done since the last report, and what comes next."),
    )
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 5}),
    )
    photos = MultipleImageField(label=_("Photos"), required=False, max_files=9)
    documents = MultipleDocumentField(
        label=_("Documents"),
        required=False,
        help_text=_("PDF, Word, Excel or WPS files; photos go in the field above."),
    )
    milestones = forms.ModelMultipleChoiceField(
        label=_("Milestones reached with this report"),
        queryset=Milestone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    submit = forms.BooleanField(
        label=_("The work is finished: submit it for acceptance"), required=False
    )
    version = VersionField()

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        # Milestones given as a deliverable are ticked off by the unit; percentages tick themselves.
        pending = task.milestones.filter(reached_at__isnull=True).order_by("date")
        self.fields["milestones"].queryset = pending
        self.fields["milestones"].label_from_instance = lambda m: (
            f"{m.date:%Y-%m-%d} {m.deliverable or ''}"
            + (f"（{m.expected_progress}%）" if m.expected_progress is not None else "")
        )
        if not pending.exists():
            del self.fields["milestones"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("submit") and cleaned.get("progress") not in (None, 100):
            self.add_error(
                "progress",
                _("Set the progress to 100 % before submitting the task for acceptance."),
            )
        return cleaned


class DecisionForm(forms.Form):
    """Accept, or return with a reason."""

    note = forms.CharField(
        label=_("Comments / reason for returning"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = VersionField()


class DeadlineForm(DeadlineMixin, forms.Form):
    deadline = forms.DateField(
        label=_("New deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    working_days = working_days_field()
    note = forms.CharField(label=_("Reason"), required=False, max_length=500)
    version = VersionField()

    def clean(self):
        return self.clean_deadline_fields(super().clean())


class ReassignForm(forms.Form):
    lead_unit = forms.ModelChoiceField(
        label=_("New lead unit"),
        queryset=Unit.objects.none(),
        widget=UnitAutocomplete(attrs={"placeholder": _("Type to search units")}),
    )
    responsible_units = forms.ModelMultipleChoiceField(
        label=_("Responsible units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=UnitCheckboxes,
    )
    note = forms.CharField(label=_("Reason"), required=False, max_length=500)
    version = VersionField()

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        _scoped_units(self.fields["lead_unit"], campaign)
        _scoped_units(self.fields["responsible_units"], campaign)


class BulkForm(DeadlineMixin, forms.Form):
    """Several ticked tasks at once: a new lead unit, or a new deadline."""

    class Action:
        REASSIGN = "reassign"
        DEADLINE = "deadline"

    action = forms.ChoiceField(
        label=_("What to change"),
        choices=[(Action.REASSIGN, _("Lead unit")), (Action.DEADLINE, _("Deadline"))],
    )
    tasks = forms.ModelMultipleChoiceField(queryset=Task.objects.none())
    lead_unit = forms.ModelChoiceField(
        label=_("New lead unit"),
        queryset=Unit.objects.none(),
        required=False,
        widget=UnitAutocomplete(attrs={"placeholder": _("Type to search units")}),
    )
    deadline = forms.DateField(
        label=_("New deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    working_days = working_days_field()
    note = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, campaign, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tasks"].queryset = tasks
        _scoped_units(self.fields["lead_unit"], campaign)
        self.fields["tasks"].error_messages["required"] = _("Tick at least one task.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.Action.REASSIGN and not cleaned.get("lead_unit"):
            self.add_error("lead_unit", _("Choose the new lead unit."))
        if cleaned.get("action") == self.Action.DEADLINE:
            self.clean_deadline_fields(cleaned)
        return cleaned


class GenerateForm(DeadlineMixin, forms.Form):
    """Which evaluation system to break into tasks, and how."""

    system = forms.ModelChoiceField(label=_("Evaluation system"), queryset=None)
    mode = forms.ChoiceField(
        label=_("How to split"),
        choices=[
            (GenerationMode.PER_STANDARD, _("One task per standard, led by its lead unit")),
            (GenerationMode.PER_DISTRICT, _("One task per standard and district")),
        ],
        widget=forms.RadioSelect,
        initial=GenerationMode.PER_STANDARD,
    )
    use_standard_deadlines = forms.BooleanField(
        label=_("Use the standard's own deadline where it has one"), required=False, initial=True
    )
    deadline = forms.DateField(
        label=_("Default deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    working_days = working_days_field()
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        systems = EvaluationSystem.objects.filter(campaign=campaign)
        self.fields["system"].queryset = systems
        self.fields["system"].empty_label = _("Choose an evaluation system")
        self.fields["system"].initial = systems.order_by("-imported_at", "-pk").first()

    def clean(self):
        return self.clean_deadline_fields(super().clean(), required=False)


class ProgressImportForm(forms.Form):
    file = WorkbookFileField(
        label=_("Workbook (.xlsx)"),
        help_text=_("The task list exported from this page, with the 进展 column filled in."),
    )


class WorkdayOverrideForm(forms.Form):
    """One day of the published holiday schedule: a holiday on a weekday, or a 调休 workday."""

    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    is_working_day = forms.TypedChoiceField(
        label=_("This day is"),
        choices=[("0", _("a day off (holiday)")), ("1", _("a working day (make-up day, 调休)"))],
        coerce=lambda v: v == "1",
    )
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
