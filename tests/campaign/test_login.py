"""Sign-in: every attempt recorded, lockout per username and address, idle sessions end."""

import datetime

from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaign.middleware import RENEWED_AT
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


def session_writes(client, url="/"):
    """The statements a page view wrote to the session table."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
    ]


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_session_is_renewed_at_most_once_a_minute(personas, client_for):
    """Thirty idle minutes end a session, so a page view moves its end on, but only when the
    last move is a minute old: moved on every request, every page wrote the session's row
    (three statements) for a minute of precision nobody needs."""
    client = client_for(personas.street_liaison)  # signing in saved the session
    renewed = expiry(client)
    assert session_writes(client) == [] and session_writes(client, "/ledger/") == []
    assert expiry(client) == renewed

    session = client.session
    session[RENEWED_AT] -= 61
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=renewed - datetime.timedelta(seconds=61)
    )
    assert len(session_writes(client)) == 1
    assert expiry(client) >= renewed


def test_a_session_ends_after_thirty_idle_minutes(personas, client_for, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = client_for(personas.street_liaison)
    before = timezone.now()
    client.get("/")
    assert (
        before + datetime.timedelta(minutes=29)
        < expiry(client)
        <= timezone.now() + datetime.timedelta(minutes=30)
    )
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/ledger/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()


def test_an_anonymous_visit_makes_no_session(db):
    client = Client()
    assert client.get("/login/").status_code == 200
    assert not Session.objects.exists()
