"""A request htmx sends for part of a page (a list's filters, a polled export job, the nearby
findings) that is answered with a redirect (the session has ended: the sign-in page; the
account gate: the second factor) sends the whole page there, back to the page in the address
bar afterwards. Followed inside the request, the sign-in page was drawn inside the list it
was to refresh."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LEDGER = "/ledger/"
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/ledger/?status=open"}


def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_sign_in():
    response = Client().get(LEDGER, {"status": "assigned"}, headers=HTMX)
    assert response.status_code == 204 and response.content == b""
    target = urlsplit(response["HX-Redirect"])
    assert target.path == reverse("login")
    # Back to the page the person was on, not the fragment's address.
    assert parse_qs(target.query)["next"] == ["/ledger/?status=open"]
    assert "Location" not in response


def test_a_whole_page_request_is_still_redirected_as_it_was():
    response = Client().get(LEDGER, {"status": "assigned"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/ledger/%3Fstatus%3Dassigned"
    assert "HX-Redirect" not in response


def test_a_current_page_on_another_site_is_not_where_sign_in_returns():
    headers = {**HTMX, "HX-Current-URL": "https://evil.example/phish"}
    response = Client().get(LEDGER, headers=headers)
    target = urlsplit(response["HX-Redirect"])
    assert parse_qs(target.query)["next"] == ["/ledger/"]


def test_the_account_gate_sends_the_whole_page_too(personas):
    """A person with an authenticator who has not given their code this session: the gate's
    page is a whole page as well."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=personas.district_leader, name="phone", confirmed=True)
    client = Client()
    client.force_login(personas.district_leader)
    response = client.get(LEDGER, headers=HTMX)
    assert response.status_code == 204
    target = urlsplit(response["HX-Redirect"])
    assert target.path == reverse("accounts:two_factor_verify")
    assert parse_qs(target.query)["next"] == ["/ledger/?status=open"]
