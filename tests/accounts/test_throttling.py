"""Sign-in throttling (issue 9, defect 4): per username and address, per address across
usernames (spraying), per username across addresses with a short back-off an attacker cannot
stretch; forwarded addresses read from the trusted proxies only; /admin/login/ the same."""

import pytest
from django.test import Client
from django.utils import timezone

from campaign.models import AuditEntry, LoginAttempt, Person


def attempt(username, password, *, ip="10.0.0.1", forwarded=None, path="/login/"):
    headers = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client(**headers).post(path, {"username": username, "password": password})


def signed_in(response):
    return "_auth_user_id" in response.client.session


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.USE_X_FORWARDED_FOR = True  # the switch before TRUSTED_PROXY_COUNT replaced it
    return "192.168.0.2"  # the proxy: every request's socket address


def test_a_spoofed_forwarded_address_does_not_escape_the_lockout(personas, behind_one_proxy):
    # nginx appends the real client (203.0.113.9) after whatever the client sent.
    for n in range(5):
        attempt("donghua", "wrong", ip=behind_one_proxy, forwarded=f"10.9.9.{n}, 203.0.113.9")
    response = attempt("donghua", "pw", ip=behind_one_proxy, forwarded="10.9.9.99, 203.0.113.9")
    assert not signed_in(response)
    assert set(LoginAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_a_spoofed_forwarded_address_cannot_lock_out_someone_else(personas, behind_one_proxy):
    for _ in range(5):
        attempt("donghua", "wrong", ip=behind_one_proxy, forwarded="198.51.100.7, 203.0.113.9")
    victim = attempt("donghua", "pw", ip=behind_one_proxy, forwarded="198.51.100.7")
    assert signed_in(victim)


@pytest.mark.parametrize("value", ["not-an-ip", "", ",,,", "1.2.3.4:80", "🙂"])
def test_a_malformed_forwarded_address_is_ignored(personas, behind_one_proxy, value):
    response = attempt("donghua", "pw", ip=behind_one_proxy, forwarded=value)
    assert response.status_code == 302
    assert LoginAttempt.objects.get().ip_address == behind_one_proxy


def test_without_trusted_proxies_the_forwarded_header_is_ignored(personas, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    attempt("donghua", "wrong", ip="10.0.0.5", forwarded="1.1.1.1")
    assert LoginAttempt.objects.get().ip_address == "10.0.0.5"


def test_password_spraying_from_one_address_is_stopped(personas, settings):
    settings.LOGIN_ADDRESS_LOCKOUT_ATTEMPTS = 20
    usernames = [f"user{n}" for n in range(20)]
    for username in usernames:
        for _ in range(4):
            attempt(username, "wrong", ip="10.6.6.6")
    # The same address may no longer sign in anyone, even with the right password …
    assert not signed_in(attempt("donghua", "pw", ip="10.6.6.6"))
    # … while the person at their own address is untouched.
    assert signed_in(attempt("donghua", "pw", ip="10.0.0.1"))
    assert LoginAttempt.objects.filter(refused=True).exists()


def test_guessing_one_username_from_many_addresses_backs_off(personas, settings):
    settings.LOGIN_USERNAME_LOCKOUT_ATTEMPTS = 10
    for n in range(10):
        attempt("donghua", "wrong", ip=f"10.7.0.{n}")
    # A new address must wait: the right password is not even checked.
    assert not signed_in(attempt("donghua", "pw", ip="10.7.1.1"))


def test_the_victim_at_an_address_they_used_before_is_never_locked_out(personas, settings):
    settings.LOGIN_USERNAME_LOCKOUT_ATTEMPTS = 10
    assert signed_in(attempt("donghua", "pw", ip="10.0.0.1"))
    for n in range(30):
        attempt("donghua", "wrong", ip=f"10.7.0.{n}")
    assert signed_in(attempt("donghua", "pw", ip="10.0.0.1"))


def test_the_username_back_off_ends_a_few_minutes_after_the_last_real_guess(personas, settings):
    settings.LOGIN_USERNAME_LOCKOUT_ATTEMPTS = 10
    settings.LOGIN_USERNAME_BACKOFF_MINUTES = 5
    for n in range(10):
        attempt("donghua", "wrong", ip=f"10.7.0.{n}")
    # Hammering during the back-off is refused and does not make it last longer.
    for n in range(50):
        attempt("donghua", "wrong", ip=f"10.8.0.{n}")
    assert LoginAttempt.objects.filter(refused=True).count() == 50
    LoginAttempt.objects.update(at=timezone.now() - timezone.timedelta(minutes=6))
    assert signed_in(attempt("donghua", "pw", ip="10.7.1.1"))


def test_the_admin_login_is_throttled_and_recorded(personas):
    Person.objects.create_superuser("root", password="pw", name="root")
    for _ in range(5):
        assert attempt("root", "wrong", path="/admin/login/").status_code == 200
    assert LoginAttempt.objects.filter(username="root", succeeded=False).count() == 5
    response = attempt("root", "pw", path="/admin/login/")
    assert not signed_in(response)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOCKOUT).exists()
    assert signed_in(attempt("root", "pw", ip="10.0.0.2", path="/admin/login/"))


def test_sign_in_failure_lockout_and_success_are_in_the_audit_log(personas):
    for _ in range(5):
        attempt("donghua", "wrong")
    attempt("donghua", "pw")
    client = Client(REMOTE_ADDR="10.0.0.3", HTTP_USER_AGENT="Mobile Safari")
    client.post("/login/", {"username": "donghua", "password": "pw"})
    client.post("/logout/")
    actions = list(
        AuditEntry.objects.order_by("at", "pk").values_list("action", "outcome", "ip_address")
    )
    assert actions == [
        *[("login_failed", "failure", "10.0.0.1")] * 5,
        ("lockout", "denied", "10.0.0.1"),
        ("login", "success", "10.0.0.3"),
        ("logout", "success", "10.0.0.3"),
    ]
    assert AuditEntry.objects.filter(user_agent="Mobile Safari").count() == 2
