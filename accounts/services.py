"""Account workflows: setting passwords, one-time activation codes, two-factor devices.

Every path that sets a password goes through `set_password`, so Django's password validators
always apply and every change lands in the audit log.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign.models import AuditEntry, LoginAttempt

from .models import Activation

RECOVERY_CODE_COUNT = 10
# Activation codes avoid letters and digits that read alike on paper (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@transaction.atomic
def set_password(person, raw_password, *, by):
    """Validate and set `person`'s password. When someone else (`by`) chose it, the person must
    choose their own at their next sign-in. Raises ValidationError for a weak password."""
    password_validation.validate_password(raw_password, person)
    person.set_password(raw_password)
    person.must_change_password = by is not None and by.pk != person.pk
    person.save(update_fields=["password", "must_change_password"])
    AuditEntry.record(
        actor=by,
        action=AuditEntry.Action.PASSWORD,
        obj=person,
        summary=(
            _("Changed their own password")
            if not person.must_change_password
            else _("Set the password of %(name)s (to be changed at next sign-in)")
            % {"name": person}
        ),
    )


def _hash(code):
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()


@dataclass(frozen=True)
class IssuedActivation:
    """What to hand the person: the code to type or the link to open, until `expires_at`."""

    code: str
    url: str
    expires_at: object


@transaction.atomic
def issue_activation(person, *, by):
    """A new one-time activation code for `person` (earlier unused ones stop working).

    Returns an `IssuedActivation`; only the code's hash is stored, so show or print it now.
    """
    Activation.objects.filter(person=person, used_at__isnull=True).update(expires_at=timezone.now())
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    activation = Activation.objects.create(
        person=person,
        code_hash=_hash(code),
        issued_by=by,
        expires_at=timezone.now() + timezone.timedelta(days=settings.ACTIVATION_DAYS),
    )
    AuditEntry.record(
        actor=by,
        action=AuditEntry.Action.PASSWORD,
        obj=person,
        summary=_("Issued an activation code for %(name)s") % {"name": person},
    )
    url = settings.SITE_URL.rstrip("/") + reverse("accounts:activate", args=[code])
    return IssuedActivation(code=code, url=url, expires_at=activation.expires_at)


def find_activation(code):
    """The usable activation for this code, or None."""
    return (
        Activation.objects.usable().select_related("person").filter(code_hash=_hash(code)).first()
    )


@transaction.atomic
def activate_account(activation, raw_password):
    """Use the code once: the person's own password, chosen by themselves."""
    activation = Activation.objects.select_for_update().get(pk=activation.pk)
    if activation.used_at is not None:
        raise ValueError("activation already used")
    set_password(activation.person, raw_password, by=activation.person)
    activation.used_at = timezone.now()
    activation.save(update_fields=["used_at"])
    return activation.person


# --- Two-factor sign-in (TOTP) -------------------------------------------------------------


def confirmed_totp_device(person):
    return TOTPDevice.objects.filter(user=person, confirmed=True).first()


def pending_totp_device(person):
    """The unconfirmed device being enrolled (one per person), made on first call."""
    device = TOTPDevice.objects.filter(user=person, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=person, name="TOTP", confirmed=False)


@transaction.atomic
def confirm_totp_device(device, token):
    """Enrolment: the first code from the phone confirms the device. Returns the new recovery
    codes (shown once), or None when the code is wrong."""
    if not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    AuditEntry.record(
        actor=device.user,
        action=AuditEntry.Action.TWO_FACTOR,
        obj=device.user,
        summary=_("Enrolled an authenticator app for two-factor sign-in"),
    )
    return make_recovery_codes(device.user)


@transaction.atomic
def make_recovery_codes(person):
    """A fresh set of single-use recovery codes; earlier ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=person, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def verify_second_factor(person, token):
    """The device that accepts this code (authenticator code or unused recovery code), or None.
    Records the outcome in the audit log."""
    token = (token or "").strip().replace(" ", "")
    device = None
    for candidate in [
        *TOTPDevice.objects.filter(user=person, confirmed=True),
        *StaticDevice.objects.filter(user=person, confirmed=True),
    ]:
        if candidate.verify_token(token):
            device = candidate
            break
    AuditEntry.record(
        actor=person,
        action=AuditEntry.Action.TWO_FACTOR,
        outcome=AuditEntry.Outcome.SUCCESS if device else AuditEntry.Outcome.FAILURE,
        obj=person,
        summary=(
            _("Second factor accepted (%(kind)s)")
            % {
                "kind": _("recovery code")
                if isinstance(device, StaticDevice)
                else _("authenticator")
            }
            if device
            else _("Wrong second-factor code")
        ),
    )
    return device


@transaction.atomic
def reset_two_factor(person, *, by):
    """The security administrator's help for a lost phone: the person enrols again."""
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()
    AuditEntry.record(
        actor=by,
        action=AuditEntry.Action.TWO_FACTOR,
        obj=person,
        summary=_("Reset the two-factor sign-in of %(name)s") % {"name": person},
    )


def recent_failures():
    """Usernames and addresses with failed sign-ins inside the lockout window, most first."""
    window = timezone.now() - timezone.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return (
        LoginAttempt.objects.filter(at__gte=window, succeeded=False)
        .values("username", "ip_address")
        .annotate(failures=Count("pk"), refused=Count("pk", filter=Q(refused=True)), last=Max("at"))
        .order_by("-failures")[:100]
    )


# --- Sign-in and sign-out records (auth signals) ------------------------------------------


def record_sign_in(sender, request, user, **kwargs):
    AuditEntry.record(
        actor=user,
        action=AuditEntry.Action.LOGIN,
        obj=user,
        summary=_("Signed in (%(path)s)") % {"path": request.path[:100]},
    )


def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        AuditEntry.record(
            actor=user, action=AuditEntry.Action.LOGOUT, obj=user, summary=_("Signed out")
        )
