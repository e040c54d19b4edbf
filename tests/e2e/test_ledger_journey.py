"""On a phone: an inspector logs a finding with a photo, the unit rectifies with an
after-photo, another inspector verifies, and the finding shows as 已销号."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from campaign.models import Role
from inspections.models import Finding, FindingCategory, Status
from tests.conftest import make_person

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def photo_file(tmp_path, name, color):
    path = tmp_path / name
    Image.new("RGB", (640, 480), color).save(path, "JPEG")
    return str(path)


def sign_in_as(page, live_server, username):
    """Hand the phone to someone else. Photos still loading for the previous person would
    come back with that person's session cookie, so let them finish first."""
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    page.context.clear_cookies()
    login(page, live_server, username)


def test_a_finding_goes_from_the_phone_to_closed_off(
    phone_page, live_server, personas, city, tmp_path
):
    page = phone_page
    FindingCategory.objects.create(campaign=city.campaign, name="占道经营")
    make_person(city.campaign, "inspector2", Role.INSPECTOR, name="孙丽")

    # 1. The inspector logs the finding on the spot, with a photo.
    sign_in_as(page, live_server, "inspector")
    page.goto(f"{live_server.url}/ledger/new/")
    page.set_input_files("#id_photos", photo_file(tmp_path, "before.jpg", (150, 90, 40)))
    page.fill("#id_description", "东华路与建设街交叉口流动摊点占道经营")
    page.select_option("#id_category", label="占道经营")
    page.fill("#id_address", "东华路与建设街交叉口")
    page.select_option("#id_territory", label="东华街道")
    assert page.is_checked("#id_assign_now")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/ledger/findings/\d+/$"))
    finding = Finding.objects.get()
    assert finding.status == Status.ASSIGNED and finding.unit == city.donghua
    assert "待签收" in page.locator("#finding-status").inner_text()
    expect(page.locator("#before-photos img")).to_have_count(1)
    thumb = page.locator("#before-photos img").get_attribute("src")
    response = page.request.get(f"{live_server.url}{thumb}")
    assert response.status == 200, response.status
    assert response.body()[:2] == b"\xff\xd8"
    url = page.url

    # 2. The street's liaison acknowledges and reports the rectification with an after-photo.
    sign_in_as(page, live_server, "donghua_ll")
    page.goto(url)
    with page.expect_navigation():
        page.locator("#action-acknowledge button[type=submit]").click()
    assert "整改中" in page.locator("#finding-status").inner_text()
    page.fill("#action-submit textarea[name=measures]", "已劝离摊点，设置疏导区，安排专人早晚巡查")
    page.set_input_files(
        "#action-submit input[name=photos]", photo_file(tmp_path, "after.jpg", (90, 160, 90))
    )
    with page.expect_navigation():
        page.locator("#action-submit button[type=submit]").click()
    assert "待复核" in page.locator("#finding-status").inner_text()
    expect(page.locator("#action-verify")).to_have_count(0)  # the unit cannot verify itself

    # 3. Another inspector verifies: passed, closed off.
    sign_in_as(page, live_server, "inspector2")
    page.goto(url)
    expect(page.locator("#after-photos img")).to_have_count(1)
    # The verification form is offered to this inspector (slow machines: wait for it).
    page.wait_for_selector("#action-verify", timeout=30_000)
    page.locator("#action-verify input[name=passed][value='1']").check()
    page.fill("#action-verify textarea[name=note]", "现场复核，整改到位")
    with page.expect_navigation():
        page.locator("#action-verify button[type=submit]").click()
    assert "已销号" in page.locator("#finding-status").inner_text()
    history = page.locator("#history").inner_text()
    assert "孙丽" in history and "销号" in history
    finding.refresh_from_db()
    assert finding.status == Status.CLOSED
    # Nothing overflows sideways on the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
