"""Signing a test client in as a person, second factor included (tests and benchmarks)."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def enrol_totp(person):
    """The person's confirmed authenticator (made on first call), as after enrolment."""
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=person, name="phone", confirmed=True)


def totp_code(device):
    """The code the person's phone shows now. The device forgets the last code it accepted and
    its back-off after wrong codes, so callers need not wait for the next 30-second step."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def force_login(client, person):
    """`client.force_login(person)`, verified with the authenticator when the role needs it."""
    client.force_login(person)
    if person.needs_two_factor():
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = enrol_totp(person).persistent_id
        session.save()
    return client
