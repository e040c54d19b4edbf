"""An office admin enrols an authenticator on first sign-in, keeps the recovery codes, signs
out, and signs in again with password and code (on a phone-sized screen)."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.testing import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in_with_password(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", "pw")
    page.click("form[method=post]:not([action]) button[type=submit]")


def test_office_admin_enrols_and_signs_in_with_a_code(phone_page, live_server, personas):
    page = phone_page
    sign_in_with_password(page, live_server)

    # Enrolment comes before any other page: a QR code drawn on the server and the key.
    page.wait_for_url("**/account/two-factor/setup/**")
    expect(page.locator(".qr svg")).to_be_visible()
    assert "设置两步验证" in page.content()
    response = page.goto(f"{live_server.url}/org/people/")
    assert "/account/two-factor/setup/" in page.url
    device = TOTPDevice.objects.get(user=personas.office_admin, confirmed=False)
    page.fill("#id_token", totp_code(device))
    page.click("#confirm-code")

    # Ten recovery codes, shown once.
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="我已保存").click()
    page.wait_for_url(f"{live_server.url}/")
    response = page.goto(f"{live_server.url}/org/people/")
    assert response.status == 200

    # Sign out (the menu on a phone), then back in: the code is asked after the password.
    # Each tap waits for what the person sees first: the menu unfolded, then the list open.
    page.goto(f"{live_server.url}/")
    page.locator(".navbar-toggler").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.locator(".dropdown-toggle").click()
    sign_out = page.get_by_role("button", name="退出")
    expect(sign_out).to_be_visible()
    sign_out.click()
    page.wait_for_url("**/login/**")
    sign_in_with_password(page, live_server)
    page.wait_for_url("**/account/two-factor/**")
    page.fill("#id_token", "000000")
    page.click("#verify-code")
    expect(page.locator(".invalid-feedback")).to_be_visible()
    device.refresh_from_db()
    assert device.confirmed
    page.fill("#id_token", totp_code(device))
    page.click("#verify-code")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("h1").first).to_be_visible()
