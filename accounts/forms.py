from django import forms
from django.utils.translation import gettext_lazy as _

from campaign.models import SEPARATED_ROLES, Membership, Person


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ActivationCodeForm(forms.Form):
    code = forms.CharField(label=_("Activation code"), max_length=20)


class AdministratorGrantForm(forms.ModelForm):
    """The security administrator gives one of the three administrative duties (三员)."""

    class Meta:
        model = Membership
        fields = ["person", "role"]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["person"].queryset = Person.objects.filter(
            memberships__campaign=campaign
        ).distinct()
        self.fields["role"].choices = [
            (value, label)
            for value, label in self.fields["role"].choices
            if value in SEPARATED_ROLES
        ]
