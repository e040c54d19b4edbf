from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.actions import VersionField
from campaign.models import Unit

from .models import Bulletin, BulletinSettings, ScoringRule
from .periods import PeriodError, normalise_period
from .rankings import ANGLES


class ScoringRuleForm(forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = ScoringRule.FROZEN_FIELDS


class BulletinSettingsForm(forms.ModelForm):
    class Meta:
        model = BulletinSettings
        fields = [
            "is_enabled",
            "weekday",
            "time",
            "covers",
            "auto_publish",
            "masthead",
            "issuing_office",
            "document_prefix",
            "report_to",
            "send_to",
            "issue_to",
            "list_size",
            "list_min_activity",
            "recipients",
        ]
        widgets = {
            "time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "recipients": forms.Textarea(attrs={"rows": 4}),
        }


class PeriodField(forms.CharField):
    """An ISO week written 2026-W47 (the browser's week picker sends this form)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            return normalise_period(value)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from None


class BulletinCreateForm(forms.Form):
    period = PeriodField(
        label=_("Week"),
        widget=forms.TextInput(attrs={"type": "week"}),
        help_text=_("Monday to Sunday. The bulletin for a week is made once."),
    )


class BulletinActionForm(forms.Form):
    """Publish or recompute: only the version the page showed."""

    version = VersionField(required=False)


class CaseChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, finding):
        return f"{finding.code} · {finding.unit} · {finding.description[:60]}"


class BulletinCasesForm(forms.Form):
    """The office ticks a draft's typical cases among the week's candidates (handed to a
    unit, photographed before and after); the automatic suggestions come ticked."""

    findings = CaseChoiceField(
        label=_("Typical cases"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only problems handed to a unit with photos before and after rectification can be "
            "chosen. Ticked at first: the system's suggestions."
        ),
    )
    version = VersionField(required=False)

    def __init__(self, bulletin, *args, **kwargs):
        from inspections.models import Finding

        from .sections import case_candidates

        chosen = [case["id"] for case in bulletin.data.get("cases", []) if "id" in case]
        initial = {
            "findings": chosen or bulletin.data.get("suggested_cases", []),
            "version": bulletin.version,
        }
        super().__init__(*args, initial=initial, **kwargs)
        candidates = case_candidates(bulletin.campaign, start=bulletin.start, end=bulletin.end)
        # The week's candidates, in the order they are offered (most serious first).
        self.fields["findings"].queryset = Finding.objects.filter(
            pk__in=[f.pk for f in candidates]
        ).select_related("unit")


class BulletinTextForm(forms.ModelForm):
    version = VersionField(required=False)

    class Meta:
        model = Bulletin
        fields = ["summary", "requirements"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "requirements": forms.Textarea(attrs={"rows": 5}),
        }


class RankingForm(forms.Form):
    """Which ranking to show: week, angle and kind of unit."""

    period = PeriodField(
        label=_("Week"), required=False, widget=forms.TextInput(attrs={"type": "week"})
    )
    angle = forms.ChoiceField(
        label=_("Ranking"), choices=[(a.key, a.label) for a in ANGLES], required=False
    )
    kind = forms.ChoiceField(label=_("Kind of unit"), choices=Unit.Kind.choices, required=False)
