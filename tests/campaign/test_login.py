"""Sign-in: every attempt recorded, lockout per username and address, idle sessions end."""

from django.test import Client
from django.utils import timezone

from campaign.models import LoginAttempt


def attempt(username, password, ip="10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def test_every_sign_in_attempt_is_recorded(personas):
    attempt("donghua", "wrong")
    attempt("donghua", "pw")
    assert list(LoginAttempt.objects.order_by("at").values_list("succeeded", flat=True)) == [
        False,
        True,
    ]


def test_five_failures_lock_the_account_even_with_the_right_password(personas, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 5
    for _ in range(5):
        assert attempt("donghua", "wrong").status_code == 200
    response = attempt("donghua", "pw")
    assert response.status_code == 200  # the form again, not a redirect home
    assert "30" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_lockout_is_per_address(personas):
    for _ in range(5):
        attempt("donghua", "wrong", ip="10.0.0.1")
    assert attempt("donghua", "pw", ip="10.0.0.2").status_code == 302


def test_lockout_ends_after_the_configured_minutes(personas, settings):
    for _ in range(5):
        attempt("donghua", "wrong")
    LoginAttempt.objects.update(at=timezone.now() - timezone.timedelta(minutes=31))
    assert attempt("donghua", "pw").status_code == 302


def test_four_failures_then_success_does_not_lock(personas):
    for _ in range(4):
        attempt("donghua", "wrong")
    assert attempt("donghua", "pw").status_code == 302


def test_sessions_end_after_thirty_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
