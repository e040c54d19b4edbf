from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.actions import VersionField
from campaign.models import Person, Role, Standard, Unit
from campaign.uploads import ImageFileField, WorkbookFileField

from .models import HotSpotSettings, Point, PointType

# --- Point register (helper "points") ----------------------------------------------------------


class PointForm(forms.ModelForm):
    """A point as the office enters it; WGS-84 coordinates as a phone or a survey gives them."""

    version = VersionField(required=False)

    class Meta:
        model = Point
        fields = [
            "type",
            "name",
            "address",
            "latitude",
            "longitude",
            "territory",
            "unit",
            "department",
            "is_active",
        ]
        help_texts = {
            "latitude": _("WGS-84 (as a phone's GPS gives it), e.g. 34.757812."),
            "longitude": _("WGS-84, e.g. 113.665412."),
            "is_active": _("Untick to take the point out of use: it is kept with its history."),
        }

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        units = Unit.objects.filter(campaign=campaign).order_by("path")
        self.fields["type"].queryset = PointType.objects.filter(campaign=campaign)
        self.fields["territory"].queryset = units.filter(
            kind__in=[Unit.Kind.DISTRICT, Unit.Kind.STREET, Unit.Kind.COMMUNITY]
        )
        self.fields["unit"].queryset = units
        self.fields["department"].queryset = units.filter(kind=Unit.Kind.DEPARTMENT)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"], self.fields["is_active"]

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError(_("Give both latitude and longitude, or neither."))
        return data


class PointTypeForm(forms.ModelForm):
    class Meta:
        model = PointType
        fields = ["name", "position", "is_active"]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = PointType.objects.filter(campaign=self.instance.campaign, name=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("There is already a point type of this name."))
        return name


class PointImportForm(forms.Form):
    file = WorkbookFileField(
        label=_("Workbook (.xlsx)"),
        help_text=_(
            "Columns: 点位名称, 点位类型, 地址, 纬度, 经度 (WGS-84), 所属区域, 责任单位, "
            "行业主管部门. The export of this list is such a workbook."
        ),
    )


class HotSpotSettingsForm(forms.ModelForm):
    class Meta:
        model = HotSpotSettings
        fields = ["window_days", "min_findings"]


# --- Sampling rounds and recurring rounds (helper "rounds") ---------------------------------


def campaign_inspectors(campaign):
    return Person.objects.filter(
        memberships__campaign=campaign, memberships__role=Role.INSPECTOR
    ).distinct()


class RoundForm(forms.Form):
    """A sampling plan: what kind of round, who goes, and how many points of each type in each
    district (the strata; a count under "any district" draws from the whole city)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"))
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.ModelMultipleChoiceField(
        label=_("Inspectors"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    exclude_days = forms.IntegerField(
        label=_("Leave out points inspected in the last N days"), min_value=0, initial=0
    )
    mostly_met_weight = forms.DecimalField(
        label=_("Weight of 基本达标"),
        min_value=0,
        max_value=1,
        decimal_places=2,
        help_text=_("得分率 = (达标 × 1 + 基本达标 × this weight) ÷ observations."),
    )

    def __init__(self, *args, campaign, point_types, districts, **kwargs):
        from fieldwork.rounds import DEFAULT_MOSTLY_MET_WEIGHT, KINDS

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in KINDS]
        self.fields["inspectors"].queryset = campaign_inspectors(campaign)
        self.fields["mostly_met_weight"].initial = DEFAULT_MOSTLY_MET_WEIGHT
        self.strata = []
        for point_type in point_types:
            row = []
            for district in [*districts, None]:
                name = f"n_{point_type.pk}_{district.pk if district else 0}"
                self.fields[name] = forms.IntegerField(
                    label=f"{point_type} · {district or _('any district')}",
                    min_value=0,
                    initial=0,
                    required=False,
                )
                row.append((name, district))
            self.strata.append((point_type, row))

    def visible_fields(self):
        # The count grid is laid out by the page, not by the generic form partial.
        return [f for f in super().visible_fields() if not f.name.startswith("n_")]

    def grid(self):
        return [(t, [(self[name], d) for name, d in row]) for t, row in self.strata]

    def clean(self):
        data = super().clean()
        quotas = [
            {"type": t.pk, "district": d.pk if d else None, "count": data.get(name) or 0}
            for t, row in self.strata
            for name, d in row
            if data.get(name)
        ]
        if not quotas:
            raise forms.ValidationError(_("Ask for at least one point of one type."))
        data["quotas"] = quotas
        return data


class RoundActionForm(forms.Form):
    """A round's action button: the version shown, and for a draw an optional seed and the
    reason when the sample is drawn again."""

    version = VersionField()
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        min_value=0,
        help_text=_("Leave empty for a new random seed; it is recorded with the draw."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea({"rows": 2}))


class ObservationForm(forms.Form):
    """One sampled point on a phone: a result per applicable standard, a photo for 不达标."""

    def __init__(self, *args, standards, **kwargs):
        from fieldwork.models import RATING_CHOICES

        super().__init__(*args, **kwargs)
        self.standards = standards
        for standard in standards:
            self.fields[f"rating_{standard.pk}"] = forms.ChoiceField(
                label=f"{standard.code} {standard.text}",
                choices=RATING_CHOICES,
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{standard.pk}"] = forms.CharField(
                label=_("Note"), max_length=300, required=False
            )
            self.fields[f"photo_{standard.pk}"] = ImageFileField(
                label=_("Photo"),
                required=False,
                widget=forms.ClearableFileInput(
                    attrs={"accept": "image/*", "capture": "environment"}
                ),
            )

    def rows(self):
        return [
            (s, self[f"rating_{s.pk}"], self[f"note_{s.pk}"], self[f"photo_{s.pk}"])
            for s in self.standards
        ]

    def results(self):
        """{standard: (rating, note, photos)} for `record_observations`."""
        data = self.cleaned_data
        return {
            s: (
                data[f"rating_{s.pk}"],
                data[f"note_{s.pk}"],
                [data[f"photo_{s.pk}"]] if data.get(f"photo_{s.pk}") else [],
            )
            for s in self.standards
        }


class PointTypeStandardsForm(forms.Form):
    """The standards an inspector observes at a point of this type."""

    standards = forms.ModelMultipleChoiceField(
        label=_("Applicable standards"),
        queryset=Standard.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standards"].queryset = (
            Standard.objects.current()
            .filter(system__campaign=campaign)
            .order_by("system", "node__position", "position", "pk")
        )


class RoundScheduleForm(forms.Form):
    """A recurring round: a point type visited every week or month by these inspectors."""

    point_type = forms.ModelChoiceField(label=_("Point type"), queryset=None)
    frequency = forms.ChoiceField(label=_("Frequency"))
    sample_size = forms.IntegerField(
        label=_("Points per round"),
        min_value=0,
        initial=0,
        help_text=_("0 visits every point of the type."),
    )
    starts_on = forms.DateField(
        label=_("First period starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    inspectors = forms.ModelMultipleChoiceField(
        label=_("Inspectors"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, campaign, **kwargs):
        from fieldwork.models import Frequency, PointType

        super().__init__(*args, **kwargs)
        self.fields["point_type"].queryset = PointType.objects.filter(
            campaign=campaign, is_active=True
        )
        self.fields["frequency"].choices = Frequency.choices
        self.fields["inspectors"].queryset = campaign_inspectors(campaign)


def districts_of(campaign):
    return list(Unit.objects.filter(campaign=campaign, kind=Unit.Kind.DISTRICT).order_by("path"))
