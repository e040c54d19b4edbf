import uuid

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Case, Value, When
from django.utils.translation import gettext_lazy as _

from .models import (
    SEPARATED_ROLES,
    AuditEntry,
    Channel,
    ChannelEndpoint,
    CommandOffice,
    EvaluationSystem,
    Evidence,
    LoginAttempt,
    Membership,
    NoticePreference,
    Notification,
    Person,
    Standard,
    Unit,
)
from .request_context import client_ip
from .uploads import WorkbookFileField, clean_document
from .widgets import UnitAutocomplete


class ThrottledLoginMixin:
    """Sign-in that records every attempt (sign-in table and audit log) and refuses it while a
    lock holds (`LoginAttempt.lock`). Used by the site's sign-in and by `/admin/login/`."""

    lock_messages = {
        LoginAttempt.Lock.USERNAME_AT_ADDRESS: _(
            "Too many failed sign-ins. This account is locked at this address for "
            "%(minutes)s minutes; try again later or ask the creation office to help."
        ),
        LoginAttempt.Lock.ADDRESS: _(
            "Too many failed sign-ins from this address. Try again in %(minutes)s minutes."
        ),
        LoginAttempt.Lock.USERNAME: _(
            "Too many failed sign-ins for this account from several addresses. Wait "
            "%(minutes)s minutes and try again, or sign in from an address you used before."
        ),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        ip = client_ip(self.request)
        lock = LoginAttempt.lock(username, ip) if username else None
        if lock:
            LoginAttempt.objects.create(
                username=username, ip_address=ip, succeeded=False, refused=True
            )
            self._audit(username, AuditEntry.Action.LOCKOUT, AuditEntry.Outcome.DENIED, lock)
            minutes = (
                settings.LOGIN_USERNAME_BACKOFF_MINUTES
                if lock == LoginAttempt.Lock.USERNAME
                else settings.LOGIN_LOCKOUT_MINUTES
            )
            raise forms.ValidationError(
                self.lock_messages[lock], code="locked", params={"minutes": minutes}
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            LoginAttempt.objects.create(username=username, ip_address=ip, succeeded=False)
            self._audit(username, AuditEntry.Action.LOGIN_FAILED, AuditEntry.Outcome.FAILURE)
            raise
        LoginAttempt.objects.create(username=username, ip_address=ip, succeeded=True)
        return cleaned

    def _audit(self, username, action, outcome, lock=None):
        AuditEntry.record(
            actor=Person.objects.filter(username=username).first(),
            action=action,
            outcome=outcome,
            summary=_("Sign-in as “%(username)s”") % {"username": username[:150]},
            changes={"username": username[:150], **({"lock": lock} if lock else {})},
        )


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The site's sign-in form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """`/admin/login/` under the same throttling and records as the site's sign-in."""


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
    """A person's account details; a password typed here is checked by Django's validators and
    the view sets it through `accounts.services.set_password` (forced change at next sign-in)."""

    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave empty to keep the current password. The person must change it at their next "
            "sign-in; an activation code lets them choose it themselves instead."
        ),
    )

    class Meta:
        model = Person
        fields = ["name", "username", "phone", "title", "email", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["password"].required = True
            self.fields["password"].help_text = _(
                "The person must change it at their next sign-in."
            )

    def _post_clean(self):
        super()._post_clean()
        # After the instance has the form's values, so the similarity check sees the new name.
        password = self.cleaned_data.get("password")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password", error)


class MembershipForm(forms.ModelForm):
    replaces = forms.BooleanField(
        label=_("Replaces the unit's current holder of this role"),
        required=False,
        help_text=_("Their role ends and their open items pass to this person."),
    )

    class Meta:
        model = Membership
        fields = ["role", "unit", "command_office", "title"]

    def __init__(self, *args, campaign, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["unit"].queryset = Unit.objects.visible_to(user).filter(campaign=campaign)
        self.fields["command_office"].queryset = CommandOffice.objects.filter(campaign=campaign)
        # The three administrative duties are given by the security administrator only.
        self.fields["role"].choices = [
            (value, label)
            for value, label in self.fields["role"].choices
            if value not in SEPARATED_ROLES
        ]
        self.fields["unit"].help_text = _("Required for unit leaders and liaisons.")
        self.fields["command_office"].help_text = _("Required for command office staff.")

    def validate_unique(self):
        # Replacing a holder may hand the role to someone who held it before: the service
        # checks what is in force.
        if not self.cleaned_data.get("replaces"):
            super().validate_unique()


class OrganisationImportForm(forms.Form):
    file = WorkbookFileField(
        label=_("Workbook (.xlsx)"),
        help_text=_(
            "Columns: unit name, kind, parent unit, first responsible person, title, liaison, "
            "phone. A title row above the header is fine."
        ),
    )


# --- Evaluation systems (测评体系) ------------------------------------------------------------


class IndicatorImportForm(forms.Form):
    """Upload an evaluation-system workbook, as a new system or a revised edition of one."""

    file = WorkbookFileField(
        label=_("Workbook (.xlsx)"),
        help_text=_(
            "Columns: 测评项目, [指标], 测评内容, 测评标准, 分值, 测评方法, 牵头单位, 责任单位, "
            "完成时限. Title rows, two-row headers and an instructions sheet are fine."
        ),
    )
    system = forms.ModelChoiceField(
        label=_("Revised edition of"),
        queryset=None,
        required=False,
        empty_label=_("— a new evaluation system —"),
        help_text=_(
            "Choose an existing system to see what the new edition changes; its standards keep "
            "their tasks, findings and evidence."
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the workbook's title row."),
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    issuer = forms.CharField(label=_("Issued by"), max_length=200, required=False)
    city_group = forms.CharField(
        label=_("City group"),
        max_length=100,
        required=False,
        help_text=_("e.g. 地级市 or 县级市."),
    )
    pass_mark = forms.DecimalField(
        label=_("Pass mark"),
        required=False,
        max_digits=7,
        decimal_places=2,
        help_text=_("Only for systems with their own minimum score, e.g. the minors' system."),
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = EvaluationSystem.objects.filter(campaign=campaign)

    def details(self):
        """The system fields as plain values (kept in the session between preview and confirm)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "year": data["year"],
            "issuer": data["issuer"],
            "city_group": data["city_group"],
            "pass_mark": str(data["pass_mark"]) if data["pass_mark"] is not None else None,
        }


def units_by_kind(campaign):
    """The campaign's units grouped by kind (districts, streets, communities, departments,
    others), in tree order within a kind: the order the unit check-box lists show them in."""
    kinds = list(Unit.Kind.values)
    return (
        Unit.objects.filter(campaign=campaign)
        .annotate(
            kind_order=Case(
                *[When(kind=kind, then=Value(i)) for i, kind in enumerate(kinds)],
                default=Value(len(kinds)),
            )
        )
        .order_by("kind_order", "path")
    )


class UnitMappingForm(forms.Form):
    """One choice per unit name the workbook uses that matches no unit: which units it means."""

    def __init__(self, *args, names, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.names = list(names)
        units = units_by_kind(campaign)
        for index, name in enumerate(self.names):
            self.fields[f"map_{index}"] = forms.ModelMultipleChoiceField(
                label=name,
                queryset=units,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Choose the unit or units this name stands for.")},
            )

    def mapping(self):
        return {name: list(self.cleaned_data[f"map_{i}"]) for i, name in enumerate(self.names)}


class SystemForm(forms.ModelForm):
    class Meta:
        model = EvaluationSystem
        fields = ["name", "year", "issuer", "document_number", "city_group", "pass_mark"]


class AssessmentForm(forms.Form):
    """A self-assessment (自评) of one standard."""

    status = forms.ChoiceField(label=_("Self-assessment"), choices=())
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is done, what is missing, what it rests on."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = Standard.Assessment.choices


class StandardPlanForm(forms.ModelForm):
    """The planning fields of a standard: who leads it, by when, how hard it is."""

    class Meta:
        model = Standard
        fields = [
            "difficulty",
            "deadline",
            "lead_command_office",
            "lead_unit",
            "responsible_units",
            "evidence_required",
        ]
        widgets = {
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "responsible_units": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, campaign, can_move_office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = Unit.objects.filter(campaign=campaign).order_by("path")
        self.fields["responsible_units"].queryset = units_by_kind(campaign)
        self.fields["difficulty"].choices = [
            ("", _("Not classified yet")),
            *Standard.Difficulty.choices,
        ]
        self.fields["lead_command_office"].queryset = CommandOffice.objects.filter(
            campaign=campaign
        )
        if not can_move_office:
            # Only the creation office moves a standard to another command office.
            del self.fields["lead_command_office"]


class EvidenceForm(forms.ModelForm):
    """One document or photo for the evidence archive, with the captions evaluators look for."""

    upload = forms.FileField(
        label=_("File"),
        help_text=_("A photo, PDF, Word, Excel or WPS document."),
    )

    class Meta:
        model = Evidence
        fields = ["subject", "taken_on", "place", "people", "description"]
        widgets = {
            "taken_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "subject": _("What it shows, e.g. 理论学习中心组第三季度集中学习."),
            "people": _("Who took part or who is shown."),
        }

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        # Photos come back re-encoded, documents renamed to match their content.
        self.kind, upload = clean_document(upload)
        return upload


class OneTimeTokenMixin:
    """A hidden one-time token on a form that creates something: the first POST of the page
    is acted on, a repeat (double click, retry after an error) gets the first result back
    (`campaign.services.submit_once`). Put it before the form class in the bases."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not required, so a page opened before a deploy still posts (without the protection).
        self.fields["form_token"] = forms.UUIDField(
            widget=forms.HiddenInput, initial=uuid.uuid4, required=False
        )


class ChannelEndpointForm(forms.ModelForm):
    """The office's SMS gateway or a group robot. The address and the secret are credentials:
    an edit shows neither, and leaving them empty keeps what is stored."""

    CREDENTIALS = ("url", "secret")

    url = forms.URLField(label=_("address (URL)"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events posted to the group"),
        choices=Notification.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Robots only: every notice of these events to the group's people."),
    )

    class Meta:
        model = ChannelEndpoint
        fields = ["channel", "unit", "name", "url", "secret", "template", "events", "enabled"]
        widgets = {"unit": UnitAutocomplete, "secret": forms.PasswordInput(render_value=False)}

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign = campaign
        self.fields["unit"].queryset = Unit.objects.filter(campaign=campaign)
        self.fields["url"].widget.attrs["autocomplete"] = "off"
        self.fields["secret"].help_text = _(
            "钉钉: the SEC… string of 加签. SMS: the gateway's signing key."
        )
        if self.instance.pk:
            for name in self.CREDENTIALS:
                self.initial[name] = ""
                self.fields[name].required = False
                self.fields[name].help_text = _("Stored; leave empty to keep it.")

    def clean(self):
        data = super().clean()
        for name in self.CREDENTIALS:
            if self.instance.pk and not data.get(name) and name not in self.errors:
                data[name] = getattr(self.instance, name)  # as stored: not yet changed
        channel = data.get("channel")
        if channel == Channel.SMS and data.get("unit"):
            self.add_error("unit", _("The SMS gateway serves the whole campaign: leave it empty."))
        if channel == Channel.SMS and not data.get("secret"):
            self.add_error("secret", _("The SMS gateway needs a signing secret."))
        return data


class MobileForm(forms.Form):
    """A person's own mobile number (SMS, the group robots' @mentions)."""

    phone = forms.CharField(
        label=_("My mobile number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Shown masked once saved."),
    )

    def clean_phone(self):
        from .channels import MOBILE

        phone = "".join(self.cleaned_data["phone"].split()).replace("-", "")
        if not MOBILE.fullmatch(phone):
            raise forms.ValidationError(
                _("Enter a mainland China mobile number: 11 digits starting with 13 to 19.")
            )
        return phone


class NoticePreferenceForm(forms.Form):
    """One person's channels per event, with the digest for information notices."""

    CHANNELS = Channel.choices

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        stored = {p.event: p for p in NoticePreference.objects.filter(person=person)}
        self.rows = []
        for event, label in Notification.Event.choices:
            row = stored.get(event)
            channels = forms.MultipleChoiceField(
                label=label,
                choices=self.CHANNELS,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                initial=row.channels if row else [Channel.EMAIL],
            )
            digest = forms.BooleanField(
                label=_("Daily digest"), required=False, initial=row.digest if row else False
            )
            self.fields[f"{event}-channels"] = channels
            self.fields[f"{event}-digest"] = digest
            self.rows.append((label, self[f"{event}-channels"], self[f"{event}-digest"]))

    def save(self):
        for event, _label in Notification.Event.choices:
            NoticePreference.objects.update_or_create(
                person=self.person,
                event=event,
                defaults={
                    "channels": self.cleaned_data[f"{event}-channels"],
                    "digest": self.cleaned_data[f"{event}-digest"],
                },
            )
