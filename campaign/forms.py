from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import CommandOffice, LoginAttempt, Membership, Person, Unit


def client_ip(request):
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class LoginForm(AuthenticationForm):
    """Sign-in that records every attempt and locks a username at one address after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed sign-ins. This account is locked at this address for "
            "%(minutes)s minutes; try again later or ask the creation office to help."
        ),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        ip = client_ip(self.request)
        if username and LoginAttempt.is_locked(username, ip):
            LoginAttempt.objects.create(username=username, ip_address=ip, succeeded=False)
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.LOGIN_LOCKOUT_MINUTES},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            LoginAttempt.objects.create(username=username, ip_address=ip, succeeded=False)
            raise
        LoginAttempt.objects.create(username=username, ip_address=ip, succeeded=True)
        return cleaned


class UnitForm(forms.ModelForm):
    aliases_text = forms.CharField(
        label=_("Aliases"),
        required=False,
        help_text=_("Other names used in workbooks, separated by commas or 、."),
    )

    class Meta:
        model = Unit
        fields = ["name", "short_name", "kind", "parent", "phone"]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        parents = Unit.objects.filter(campaign=campaign)
        if self.instance.pk:
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents
        self.fields["aliases_text"].initial = "、".join(self.instance.aliases or [])

    def clean_aliases_text(self):
        from .workbook import split_list

        return split_list(self.cleaned_data["aliases_text"])

    def save(self, commit=True):
        self.instance.aliases = self.cleaned_data["aliases_text"]
        return super().save(commit)


class CommandOfficeForm(forms.ModelForm):
    class Meta:
        model = CommandOffice
        fields = ["name", "head", "duties", "units"]
        widgets = {"units": forms.SelectMultiple(attrs={"size": 12})}

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["units"].queryset = Unit.objects.filter(campaign=campaign)
        self.fields["head"].queryset = Person.objects.filter(
            memberships__campaign=campaign
        ).distinct()


class PersonForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Leave empty to keep the current password."),
    )

    class Meta:
        model = Person
        fields = ["name", "username", "phone", "title", "email", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["password"].required = True
            self.fields["password"].help_text = ""

    def save(self, commit=True):
        person = super().save(commit=False)
        if self.cleaned_data["password"]:
            person.set_password(self.cleaned_data["password"])
        if commit:
            person.save()
        return person


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role", "unit", "command_office", "title"]

    def __init__(self, *args, campaign, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["unit"].queryset = Unit.objects.visible_to(user).filter(campaign=campaign)
        self.fields["command_office"].queryset = CommandOffice.objects.filter(campaign=campaign)
        self.fields["unit"].help_text = _("Required for unit leaders and liaisons.")
        self.fields["command_office"].help_text = _("Required for command office staff.")


class OrganisationImportForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        help_text=_(
            "Columns: unit name, kind, parent unit, first responsible person, title, liaison, "
            "phone. A title row above the header is fine."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": settings.UPLOAD_MAX_MB}
            )
        return upload
