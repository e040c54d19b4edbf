"""Two-factor sign-in (TOTP) for office admins and the three administrators, with recovery
codes; other roles may sign in with a password alone."""

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.testing import enrol_totp, totp_code
from campaign.models import AuditEntry, Membership, Role


def sign_in(username):
    client = Client()
    response = client.post("/login/", {"username": username, "password": "pw"})
    assert response.status_code == 302
    return client


def test_an_office_admin_without_an_authenticator_must_enrol_before_anything_else(personas):
    client = sign_in("office")
    response = client.get(reverse("campaign:unit_tree"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor_setup"))
    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code, drawn on the server
    device = TOTPDevice.objects.get(user=personas.office_admin, confirmed=False)
    done = client.post(reverse("accounts:two_factor_setup"), {"token": totp_code(device)})
    assert done.status_code == 200
    assert len(done.context["codes"]) == 10
    assert client.get(reverse("campaign:unit_tree")).status_code == 200


def test_a_wrong_code_does_not_enrol(personas):
    client = sign_in("office")
    client.get(reverse("accounts:two_factor_setup"))
    client.post(reverse("accounts:two_factor_setup"), {"token": "000000"})
    assert not TOTPDevice.objects.filter(user=personas.office_admin, confirmed=True).exists()


def test_an_enrolled_person_gives_the_code_after_the_password(personas):
    device = enrol_totp(personas.office_admin)
    client = sign_in("office")
    response = client.get(reverse("campaign:person_list"))
    assert response.url.startswith(reverse("accounts:two_factor_verify"))
    wrong = client.post(reverse("accounts:two_factor_verify"), {"token": "123456"})
    assert wrong.status_code == 200
    assert client.get(reverse("campaign:person_list")).status_code == 302
    ok = client.post(
        reverse("accounts:two_factor_verify"),
        {"token": totp_code(device), "next": reverse("campaign:person_list")},
    )
    assert ok.url == reverse("campaign:person_list")
    assert client.get(reverse("campaign:person_list")).status_code == 200
    outcomes = set(
        AuditEntry.objects.filter(action=AuditEntry.Action.TWO_FACTOR).values_list(
            "outcome", flat=True
        )
    )
    assert outcomes == {AuditEntry.Outcome.SUCCESS, AuditEntry.Outcome.FAILURE}


def test_a_recovery_code_signs_in_once(personas):
    from accounts.services import make_recovery_codes

    enrol_totp(personas.office_admin)
    code = make_recovery_codes(personas.office_admin)[0]
    first = sign_in("office")
    assert first.post(reverse("accounts:two_factor_verify"), {"token": code}).status_code == 302
    assert first.get(reverse("campaign:person_list")).status_code == 200
    second = sign_in("office")
    assert second.post(reverse("accounts:two_factor_verify"), {"token": code}).status_code == 200


def test_the_security_roles_need_two_factor_too(personas, campaign):
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR):
        person = personas.leader.__class__.objects.create_user(role, password="pw", name=role)
        Membership.objects.create(person=person, campaign=campaign, role=role)
        assert person.needs_two_factor()


def test_unit_people_sign_in_with_a_password_alone(personas):
    client = sign_in("donghua")
    assert client.get(reverse("tasks:task_list")).status_code == 200


def test_the_admin_site_is_behind_the_second_factor_too(personas):
    personas.office_admin.is_staff = True
    personas.office_admin.is_superuser = True
    personas.office_admin.save()
    enrol_totp(personas.office_admin)
    client = Client()
    client.post("/admin/login/", {"username": "office", "password": "pw"})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor_verify"))
