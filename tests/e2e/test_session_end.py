"""The session ends while a list is open (thirty idle minutes, or signed out in another tab):
changing a filter opens the sign-in page as a whole page, and signing in returns to the list,
instead of the sign-in form drawn inside the list's table."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_filter_changed_after_the_session_ended_opens_the_sign_in_page(
    browser_page, live_server, personas
):
    page = browser_page
    login(page, live_server, "inspector")
    page.goto(f"{live_server.url}/ledger/")
    page.context.clear_cookies()
    page.select_option("#id_status", index=1)
    page.wait_for_url("**/login/**")
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/ledger/"]
    expect(page.locator("#finding-table")).to_have_count(0)
    page.fill("#id_username", "inspector")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/ledger/")
    expect(page.locator("#finding-table")).to_be_visible()
