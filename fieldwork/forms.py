from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.actions import VersionField
from campaign.models import Unit
from campaign.uploads import WorkbookFileField

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
