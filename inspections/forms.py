from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.actions import VersionField
from campaign.forms import OneTimeTokenMixin
from campaign.models import Standard, Unit
from campaign.uploads import DocumentFileField, MultipleImageField, WorkbookFileField
from campaign.widgets import UnitAutocomplete
from fieldwork.models import Point

from .models import (
    Finding,
    FindingCategory,
    Inspection,
    LedgerSettings,
    Severity,
    Source,
    SupervisionLevel,
)


class VersionedForm(forms.Form):
    """Every action form carries the finding's version, so a stale page cannot overwrite."""

    version = VersionField()


def _units(campaign):
    return Unit.objects.filter(campaign=campaign).order_by("path")


class FindingForm(OneTimeTokenMixin, forms.ModelForm):
    """Fast field entry: what, where, photos; the unit and deadline are suggested."""

    photos = MultipleImageField(
        label=_("Photos"),
        capture=True,
        help_text=_("Take or choose up to 9 photos of the problem."),
    )
    assign_now = forms.BooleanField(
        label=_("Hand it to the unit now (交办)"),
        required=False,
        initial=True,
    )

    class Meta:
        model = Finding
        fields = [
            "description",
            "category",
            "severity",
            "address",
            "latitude",
            "longitude",
            "point",
            "territory",
            "unit",
            "deadline",
            "standard",
            "source",
            "found_on",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.HiddenInput,
            "longitude": forms.HiddenInput,
            # Chosen from the points nearest the phone's location (fieldwork:point_nearest).
            "point": forms.HiddenInput,
            "found_on": forms.DateInput(attrs={"type": "date"}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, campaign, user, inspection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign, self.inspection = campaign, inspection
        self.fields["category"].queryset = FindingCategory.objects.filter(
            campaign=campaign, is_active=True
        )
        self.fields["category"].required = True
        self.fields["territory"].queryset = _units(campaign).filter(
            kind__in=[Unit.Kind.DISTRICT, Unit.Kind.STREET, Unit.Kind.COMMUNITY]
        )
        self.fields["unit"].queryset = _units(campaign)
        self.fields["unit"].help_text = _(
            "Suggested from the category and the area; change it if another unit is responsible."
        )
        self.fields["deadline"].help_text = _(
            "Leave empty to count the working days set for the severity."
        )
        self.fields["standard"].queryset = Standard.objects.filter(system__campaign=campaign).only(
            "code", "text"
        )
        self.fields["point"].queryset = Point.objects.visible_to(user).filter(
            campaign=campaign, is_active=True
        )
        # A chosen point gives the address; without one the inspector types it.
        self.fields["address"].required = False
        self.fields["found_on"].required = False
        if inspection is not None:
            del self.fields["source"]
            self.fields["found_on"].initial = inspection.date
            if inspection.area_id:
                self.fields["territory"].initial = inspection.area_id
        else:
            self.fields["source"].initial = Source.ROUTINE
            self.fields["source"].required = False
            self.fields["found_on"].initial = timezone.localdate

    def clean(self):
        data = super().clean()
        if "source" in self.fields and not data.get("source"):
            data["source"] = Source.ROUTINE
        if not data.get("found_on"):
            data["found_on"] = self.inspection.date if self.inspection else timezone.localdate()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            data["latitude"] = data["longitude"] = None
        point = data.get("point")
        if point is not None:
            # The point fills what the inspector left empty: where it is and who answers for it.
            data["address"] = data.get("address") or point.address or point.name
            data["territory"] = data.get("territory") or point.territory
            data["unit"] = data.get("unit") or point.unit
        if not data.get("address") and "address" not in self.errors:
            self.add_error("address", _("Type the address, or choose a point nearby."))
        if data.get("assign_now") and not data.get("unit"):
            suggestion = Finding.suggest_unit(data.get("category"), data.get("territory"))
            if suggestion is None:
                self.add_error("unit", _("Choose the unit to hand it to, or untick “hand it now”."))
            data["unit"] = suggestion
        return data

    @property
    def chosen_point(self):
        """The point the form shows as chosen (after a failed save, the one posted)."""
        value = self["point"].value()
        if not str(value or "").isdecimal():
            return None
        return self.fields["point"].queryset.filter(pk=value).first()

    def finding_values(self):
        data = dict(self.cleaned_data)
        for name in ("photos", "assign_now", "unit", "deadline", "form_token"):
            data.pop(name, None)
        if self.inspection is not None:
            data["inspection"] = self.inspection
            data["source"] = self.inspection.kind
        return data


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["kind", "date", "team", "area", "notes"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["area"].queryset = _units(campaign).filter(
            kind__in=[Unit.Kind.DISTRICT, Unit.Kind.STREET, Unit.Kind.COMMUNITY]
        )


class AssignForm(VersionedForm):
    unit = forms.ModelChoiceField(
        label=_("Responsible unit"),
        queryset=Unit.objects.none(),
        widget=UnitAutocomplete(attrs={"placeholder": _("Type to search units")}),
    )
    deadline = forms.DateField(
        label=_("Rectification deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to count the working days set for the severity."),
    )
    note = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Triage: complete what a citizen's report left open.
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=FindingCategory.objects.none(), required=False
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, required=False)
    territory = forms.ModelChoiceField(
        label=_("Area (territory)"),
        queryset=Unit.objects.none(),
        required=False,
        widget=UnitAutocomplete(
            attrs={"placeholder": _("Type to search units")},
            query={"exclude": Unit.Kind.DEPARTMENT},
        ),
    )

    def __init__(self, *args, finding, **kwargs):
        super().__init__(*args, **kwargs)
        units = _units(finding.campaign)
        self.fields["unit"].queryset = units
        self.fields["unit"].initial = finding.unit_id or getattr(
            Finding.suggest_unit(finding.category, finding.territory), "pk", None
        )
        self.fields["category"].queryset = FindingCategory.objects.filter(
            campaign=finding.campaign, is_active=True
        )
        self.fields["category"].initial = finding.category_id
        self.fields["severity"].initial = finding.severity
        self.fields["territory"].queryset = units.exclude(kind=Unit.Kind.DEPARTMENT)
        self.fields["territory"].initial = finding.territory_id


class NoteForm(VersionedForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(VersionedForm):
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RectificationForm(OneTimeTokenMixin, VersionedForm):
    measures = forms.CharField(
        label=_("Measures taken"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done, by whom, and how it will be kept from coming back."),
    )
    photos = MultipleImageField(
        label=_("Photos after rectification"),
        capture=True,
        help_text=_("At least one photo of the place after the rectification."),
    )


class VerifyForm(VersionedForm):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("Passed: close it off (销号)")), ("0", _("Not passed: return it"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Verification note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the rectification is not accepted."),
    )
    photos = MultipleImageField(label=_("Photos at verification"), capture=True, required=False)

    def clean(self):
        data = super().clean()
        if data.get("passed") is False and not (data.get("note") or "").strip():
            self.add_error("note", _("Give the reason the rectification is not accepted."))
        return data


class DecideDisputeForm(VersionedForm):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[
            ("1", _("Upheld: hand it to another unit")),
            ("0", _("Rejected: the unit keeps it")),
        ],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    unit = forms.ModelChoiceField(
        label=_("Hand it to"),
        queryset=Unit.objects.none(),
        required=False,
        widget=UnitAutocomplete(attrs={"placeholder": _("Type to search units")}),
    )
    note = forms.CharField(
        label=_("Reason for the decision"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, finding, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(finding.campaign).exclude(pk=finding.unit_id)

    def clean(self):
        data = super().clean()
        if data.get("upheld") and not data.get("unit"):
            self.add_error("unit", _("Choose the unit the finding goes to instead."))
        return data


class SuperviseForm(VersionedForm):
    level = forms.TypedChoiceField(
        label=_("Supervision level"),
        coerce=int,
        choices=[c for c in SupervisionLevel.choices if c[0] > 0],
    )
    note = forms.CharField(
        label=_("Requirements"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, finding, **kwargs):
        super().__init__(*args, **kwargs)
        # Supervision only rises: offer the levels above the current one.
        self.fields["level"].choices = [
            c for c in SupervisionLevel.choices if c[0] > finding.supervision_level
        ]


class InterviewForm(VersionedForm):
    """约谈: who was interviewed, by whom, when and where, and what came of it."""

    interviewees = forms.CharField(
        label=_("Interviewed (names and posts)"),
        max_length=300,
        help_text=_("E.g. the unit's first responsible person and the leader in charge."),
    )
    conducted_by = forms.CharField(label=_("Conducted by"), max_length=300)
    held_at = forms.DateTimeField(
        label=_("Held at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    outcome = forms.CharField(
        label=_("Outcome and commitments"), widget=forms.Textarea(attrs={"rows": 3})
    )
    attachment = DocumentFileField(
        label=_("Record of the interview (optional)"),
        required=False,
        help_text=_("A photo, PDF, Word, Excel or WPS document."),
    )


class RelapseForm(forms.Form):
    description = forms.CharField(
        label=_("What was found this time"), widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleImageField(label=_("Photos"), capture=True, required=False)


class CategoryIconSelect(forms.RadioSelect):
    """Categories as tiles, each with its icon (inspections/static/inspections/icons/)."""

    template_name = "inspections/widgets/category_choices.html"
    option_template_name = "inspections/widgets/category_option.html"


class CitizenReportForm(OneTimeTokenMixin, forms.Form):
    """随手拍: the public form. `website` is a honeypot that people never see."""

    category = forms.ModelChoiceField(
        label=_("What kind of problem?"),
        queryset=FindingCategory.objects.none(),
        widget=CategoryIconSelect,
        empty_label=None,
        required=False,
    )
    description = forms.CharField(
        label=_("What is the problem?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Where is it?"), max_length=200)
    photo = MultipleImageField(label=_("Photo"), capture=True, max_files=3)
    latitude = forms.DecimalField(
        max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("Your phone (optional, for a reply)"), max_length=30, required=False
    )
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = FindingCategory.objects.filter(
            campaign=campaign, is_active=True
        )


class Open311KeyForm(forms.Form):
    name = forms.CharField(
        label=_("Integrating system"),
        max_length=100,
        help_text=_("e.g. 12345 hotline, digital city management (数字城管)"),
    )


class FindingImportForm(forms.Form):
    file = WorkbookFileField(
        label=_("Findings workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    kind = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.MOCK)
    date = forms.DateField(
        label=_("Inspection date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=lambda: timezone.localdate(),
    )
    team = forms.CharField(label=_("Team"), max_length=100, required=False)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = FindingCategory
        fields = ["name", "icon", "department", "position", "is_active"]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["department"].queryset = _units(campaign).filter(kind=Unit.Kind.DEPARTMENT)
        # Forms and imports written before icons existed leave it out: the neutral one then.
        self.fields["icon"].required = False

    def clean_icon(self):
        return self.cleaned_data["icon"] or FindingCategory.Icon.OTHER

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = FindingCategory.objects.filter(campaign=self.instance.campaign, name=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This category already exists."))
        return name


class PhotoPublicityForm(forms.Form):
    """The office's 公开/不公开 switch of one photo."""

    public = forms.ChoiceField(
        choices=[("public", _("Public")), ("private", _("Private"))], label=_("Visibility")
    )


class LedgerSettingsForm(forms.ModelForm):
    class Meta:
        model = LedgerSettings
        fields = [
            "days_minor",
            "days_serious",
            "days_critical",
            "listed_after",
            "key_after",
            "interview_after",
            "notice_office",
            "legal_basis",
        ]
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 3})}
