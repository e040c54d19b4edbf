"""Browser journeys: Playwright driving Debian's Chromium (never a downloaded browser).

Use `browser_page` (desktop) or `phone_page` (390×844) with `login(page, live_server, username)`.
Tests here need `@pytest.mark.django_db(transaction=True)` because the live server runs in
another thread.
"""

import pytest

from accounts.testing import enrol_totp, totp_code
from campaign.models import Person

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def policy_refusals(page):
    """What the Content-Security-Policy refused on this page (an inline script or handler
    left somewhere shows here): the fixtures below fail the test unless it stays empty."""
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )
    return refused


@pytest.fixture
def browser_page(page):
    page.set_default_timeout(15_000)
    refused = policy_refusals(page)
    yield page
    assert refused == []


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused = policy_refusals(page)
    yield page
    context.close()
    assert refused == []


def login(page, live_server, username, password="pw"):
    """Sign in through the real form (with the authenticator's code when the person's role
    requires two-factor sign-in) and wait for the home page."""
    person = Person.objects.get(username=username)
    device = enrol_totp(person) if person.needs_two_factor() else None
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    if device:
        page.wait_for_url("**/account/two-factor/**")
        page.fill("#id_token", totp_code(device))
        page.click("#verify-code")
    page.wait_for_url(f"{live_server.url}/")
