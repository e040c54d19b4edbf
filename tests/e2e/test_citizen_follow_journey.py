"""On a phone: a citizen reports a problem (随手拍) with a category and a photo, gets a
reference and a private follow-up link; the office assigns, the unit rectifies, an inspector
closes it off (销号); the link then shows it closed with the after-photo — and nothing else."""

import re

import pytest
from playwright.sync_api import expect

from campaign.models import Role
from inspections.models import Finding, FindingCategory, Status
from inspections.services import submit_citizen_report
from tests.conftest import make_person

# The accessibility walk's fixture (a context that lets axe in) and its check.
from .test_accessibility import axe_page as axe_page  # noqa: F401
from .test_accessibility import violations
from .test_ledger_journey import photo_file, sign_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_citizen_follows_the_report_to_closed_off(
    phone_page, live_server, personas, city, tmp_path
):
    page = phone_page
    FindingCategory.objects.create(
        campaign=city.campaign, name="占道经营", icon=FindingCategory.Icon.STALL
    )

    # 1. A citizen, not signed in, reports with a category, a photo and their phone number.
    page.goto(f"{live_server.url}/ledger/report/{city.campaign.pk}/")
    expect(page.locator("#public-header")).to_be_visible()
    assert "某市" in page.locator("#public-header").inner_text()
    icon = page.locator("label.category-choice", has_text="占道经营").locator("img")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", icon.element_handle())
    page.locator("label.category-choice", has_text="占道经营").click()
    page.fill("#id_description", "东华路菜场门口流动摊点占道经营")
    page.fill("#id_address", "东华路菜场门口")
    page.fill("#id_name", "李四")
    page.fill("#id_phone", "13800000000")
    page.set_input_files("#id_photo", photo_file(tmp_path, "before.jpg", (150, 90, 40)))
    with page.expect_navigation():
        page.click("#finding-form button[type=submit]")
    finding = Finding.objects.get()
    assert finding.category.name == "占道经营"
    reference = page.locator("#reference").inner_text().strip()
    assert reference == finding.code and re.fullmatch(r"\d{4}-\d{5}", reference)
    link = page.locator("#follow-link").get_attribute("href")
    assert finding.follow_token in link

    # 2. The link shows the report received, in the citizen's words.
    page.goto(link)
    assert page.locator("#reference").inner_text().strip() == reference
    assert page.locator("#follow-status").inner_text().strip() == "处理中"
    expect(page.locator("#after-photos")).to_have_count(0)

    # 3. The office assigns it to the street, which rectifies with an after-photo.
    sign_in_as(page, live_server, "office")
    url = f"{live_server.url}/ledger/findings/{finding.pk}/"
    page.goto(url)
    page.fill("#action-assign [data-autocomplete] input[type=search]", "东华街道")
    page.locator("#action-assign [role=option]", has_text="东华街道").first.click()
    with page.expect_navigation():
        page.locator("#action-assign button[type=submit]").click()
    assert "待签收" in page.locator("#finding-status").inner_text()
    sign_in_as(page, live_server, "donghua_ll")
    page.goto(url)
    with page.expect_navigation():
        page.locator("#action-acknowledge button[type=submit]").click()
    page.fill("#action-submit textarea[name=measures]", "已劝离摊点，安排保洁员张三早晚巡查")
    page.set_input_files(
        "#action-submit input[name=photos]", photo_file(tmp_path, "after.jpg", (90, 160, 90))
    )
    with page.expect_navigation():
        page.locator("#action-submit button[type=submit]").click()
    assert "待复核" in page.locator("#finding-status").inner_text()

    # 4. An inspector outside the unit verifies: closed off.
    make_person(city.campaign, "inspector2", Role.INSPECTOR, name="孙丽")
    sign_in_as(page, live_server, "inspector2")
    page.goto(url)
    page.wait_for_selector("#action-verify", timeout=30_000)
    page.locator("#action-verify input[name=passed][value='1']").check()
    page.fill("#action-verify textarea[name=note]", "复核人意见：整改到位")
    with page.expect_navigation():
        page.locator("#action-verify button[type=submit]").click()
    assert "已销号" in page.locator("#finding-status").inner_text()
    assert Finding.objects.get().status == Status.CLOSED

    # 5. Signed out again, the citizen's link shows it closed with the after-photo.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    page.goto(link)
    assert page.locator("#follow-status").inner_text().strip() == "已办结"
    assert "已销号" in page.locator("#follow-note").inner_text()
    photo = page.locator("#after-photos img")
    expect(photo).to_have_count(1)
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", photo.element_handle())
    shown = page.request.get(live_server.url + photo.get_attribute("src")).body()
    after = Finding.objects.get().photos.get(kind="after")
    with after.image.open("rb") as stored:
        assert shown == stored.read()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # ... and nothing else: not the reporter, the description, the unit, its people or notes.
    text = page.locator("body").inner_text()
    for private in [
        "李四",
        "13800000000",
        "东华路菜场门口",
        "东华街道",
        "朱涛",
        "孙丽",
        "张三",
        "复核人意见",
    ]:
        assert private not in text, private
    expect(page.locator("img")).to_have_count(2)  # the brand and the after-photo


def test_a_wrong_follow_up_token_is_not_found(phone_page, live_server, campaign):
    response = phone_page.goto(f"{live_server.url}/ledger/follow/{'x' * 43}/")
    assert response.status == 404


def test_the_public_pages_have_no_accessibility_violations(axe_page, live_server, city):  # noqa: F811
    """What a visitor sees (not signed in): the report form with its icon tiles, the
    confirmation and the follow-up page."""
    page = axe_page
    FindingCategory.objects.create(campaign=city.campaign, name="占道经营")
    page.goto(f"{live_server.url}/ledger/report/{city.campaign.pk}/")
    assert violations(page) == []
    finding = submit_citizen_report(
        campaign=city.campaign, description="路灯不亮", address="东华路", photos=[]
    )
    page.goto(f"{live_server.url}/ledger/follow/{finding.follow_token}/")
    assert page.locator("#reference").inner_text().strip() == finding.code
    assert violations(page) == []
