import base64

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from campaign.access import can_manage_account, current_campaign_or_404, page_rule
from campaign.access import security_admin as security_admin_rule
from campaign.models import SEPARATED_ROLES, AuditEntry, LoginAttempt, Person
from campaign.request_context import client_ip

from . import services
from .forms import ActivationCodeForm, AdministratorGrantForm, TokenForm


def _next_url(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# --- Two-factor sign-in ---------------------------------------------------------------------


def two_factor_verify(request):
    """Second step of signing in: a code from the authenticator app, or a recovery code."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_second_factor(request.user, form.cleaned_data["token"])
        if device:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is wrong or has expired. Try the current one."))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request, "")}
    )


def two_factor_setup(request):
    """Enrolment: scan the QR code with an authenticator app, type the first code; the page
    then shows the recovery codes once."""
    if services.confirmed_totp_device(request.user):
        return redirect("accounts:security_settings")
    device = services.pending_totp_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.confirm_totp_device(device, form.cleaned_data["token"])
        if codes is not None:
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error("token", _("The code is wrong or has expired. Try the current one."))
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            # Drawn on the server as inline SVG: no script, no outside service sees the secret.
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(
                scale=4, dark="#000", light="#fff"
            ),
            "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        },
    )


def security_settings(request):
    """The person's own sign-in settings: password, two-factor status, new recovery codes."""
    codes = None
    if request.method == "POST" and services.confirmed_totp_device(request.user):
        codes = services.make_recovery_codes(request.user)
        AuditEntry.record(
            actor=request.user,
            action=AuditEntry.Action.TWO_FACTOR,
            obj=request.user,
            summary=_("Made new recovery codes"),
        )
    return render(
        request,
        "accounts/security_settings.html",
        {
            "device": services.confirmed_totp_device(request.user),
            "required": request.user.needs_two_factor(),
            "codes": codes,
        },
    )


# --- Passwords and activation -------------------------------------------------------------


def password_change(request):
    """Change one's own password (also the forced change after someone else set it)."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_password(request.user, form.cleaned_data["new_password1"], by=request.user)
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect(_next_url(request))
    return render(
        request,
        "registration/password_change_form.html",
        {"form": form, "forced": request.user.must_change_password},
    )


@login_not_required
def activate_start(request):
    """Type the printed activation code."""
    form = ActivationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("accounts:activate", code=form.cleaned_data["code"].strip().upper())
    return render(request, "accounts/activate_start.html", {"form": form})


@login_not_required
def activate(request, code):
    """Choose one's first password with a one-time activation code or link."""
    ip = client_ip(request)
    # Wrong codes count as failed sign-ins from this address, so guessing codes locks it.
    if LoginAttempt.lock("activation", ip):
        raise PermissionDenied
    activation = services.find_activation(code)
    if activation is None:
        LoginAttempt.objects.create(username="activation", ip_address=ip, succeeded=False)
        raise Http404
    form = SetPasswordForm(activation.person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.activate_account(activation, form.cleaned_data["new_password1"])
        messages.success(request, _("Your account is active. Sign in with your new password."))
        return redirect("login")
    return render(request, "accounts/activate.html", {"form": form, "person": activation.person})


@require_POST
def person_activation(request, pk):
    """The office (or system administrator) prints a one-time activation code for a person."""
    campaign = current_campaign_or_404(request)
    person = get_object_or_404(
        Person.objects.filter(memberships__campaign=campaign).distinct(), pk=pk
    )
    if not can_manage_account(request.user, person, campaign):
        raise PermissionDenied
    issued = services.issue_activation(person, by=request.user)
    return render(request, "accounts/activation_issued.html", {"person": person, "issued": issued})


# --- The security administrator ---------------------------------------------------------


@page_rule(security_admin_rule)
def security_admin(request):
    """Locked sign-ins, two-factor resets and the three administrative duties (三员)."""
    campaign = current_campaign_or_404(request)
    form = AdministratorGrantForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            membership = form.save()
            AuditEntry.record(
                actor=request.user,
                action=AuditEntry.Action.ROLE,
                obj=membership.person,
                campaign=campaign,
                summary=_("Gave %(name)s the role: %(role)s")
                % {"name": membership.person, "role": membership.get_role_display()},
            )
        messages.success(request, _("Role added."))
        return redirect("accounts:security_admin")
    return render(
        request,
        "accounts/security_admin.html",
        {
            "form": form,
            "locked": services.recent_failures(),
            "administrators": campaign.memberships.filter(role__in=SEPARATED_ROLES)
            .select_related("person")
            .order_by("role"),
            "enrolled": Person.objects.filter(
                memberships__campaign=campaign, totpdevice__confirmed=True
            ).distinct(),
        },
    )


@require_POST
@page_rule(security_admin_rule)
def two_factor_reset(request, pk):
    campaign = current_campaign_or_404(request)
    person = get_object_or_404(
        Person.objects.filter(memberships__campaign=campaign).distinct(), pk=pk
    )
    services.reset_two_factor(person, by=request.user)
    messages.success(request, _("Two-factor sign-in of %(name)s reset.") % {"name": person})
    return redirect("accounts:security_admin")
