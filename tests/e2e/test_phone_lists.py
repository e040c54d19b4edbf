"""Phone-first lists (issue 12, defect 4): at 360 px no list page scrolls sideways, rows read as
cards, the filters open in an off-canvas panel; the bulletin and the dashboard's charts fit."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaign.models import Role
from inspections.models import Finding, Severity, Source, Status
from tasks.models import Task
from tests.conftest import make_person

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIST_PAGES = [
    "/",
    "/tasks/",
    "/tasks/?overdue=true&q=%E6%95%B4%E6%B2%BB",
    "/tasks/mine/",
    "/ledger/",
    "/ledger/inbox/",
    "/ledger/supervision/",
    "/ledger/inspections/",
    "/reports/",
    "/reports/rankings/",
    "/reports/bulletins/",
    "/org/units/",
    "/org/people/",
    "/org/audit/",
    "/org/command-offices/",
    "/org/notifications/",
    "/org/systems/",
]

# Anything in the page wider than the screen, or a box that scrolls sideways.
OVERFLOW = """() => [...document.querySelectorAll("main *")]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1
    || (e.scrollWidth > e.clientWidth + 1 && !["visible", "hidden"].includes(getComputedStyle(e).overflowX)))
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden")
  .map(e => e.tagName + "#" + e.id + "." + e.className)"""


@pytest.fixture
def long_rows(city, personas):
    """Rows with long names, the kind that used to push the task list to 405 px."""
    today = timezone.localdate()  # the server's day (Asia/Shanghai), as the lights read it
    for n in range(3):
        task = Task.objects.create(
            campaign=city.campaign,
            title=f"背街小巷环境卫生整治，无垃圾堆积、无污水横流、无卫生死角（第{n}批）",
            lead_unit=city.chengguan,
            command_office=city.command_office,
            deadline=today - datetime.timedelta(days=n),
        )
        task.responsible_units.set([city.donghua, city.donghua1, city.donghua2, city.xinshi])
        task.sync_parts()  # one part per unit: what the lights and the overdue filter read
        Finding.objects.create(
            campaign=city.campaign,
            source=Source.ROUTINE,
            found_on=today,
            description="东华路与建设街交叉口流动摊点占道经营，油污满地",
            address="东华路与建设街交叉口东北角公交站台旁",
            severity=Severity.MINOR,
            unit=city.donghua,
            territory=city.donghua,
            status=Status.RECTIFYING,
            deadline=today - datetime.timedelta(days=1),
            supervision_level=1,
        )


@pytest.fixture
def narrow_page(browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.parametrize("username", ["office", "donghua_ll"])
def test_no_list_page_scrolls_sideways_at_360_px(
    username, narrow_page, live_server, personas, long_rows
):
    page = narrow_page
    login(page, live_server, username)
    wide = {}
    for path in LIST_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        if response.status == 403:
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        overflowing = page.evaluate(OVERFLOW)
        if width > 360 or overflowing:
            wide[path] = (width, overflowing[:3])
    assert wide == {}


def test_on_a_phone_tasks_are_cards_and_the_filters_slide_in(
    narrow_page, live_server, personas, long_rows
):
    page = narrow_page
    login(page, live_server, "office")
    page.goto(f"{live_server.url}/tasks/")
    row = page.locator("#task-table tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    deadline = row.locator("td[data-label='完成时限']")
    expect(deadline).to_be_visible()
    panel = page.locator("#task-filters")
    expect(panel).to_be_hidden()
    page.get_by_role("button", name="筛选与排序").click()
    page.wait_for_selector("#task-filters.show")
    # A filter changes the list in place (htmx) and the address keeps it.
    page.check("#id_overdue")
    page.wait_for_url(f"{live_server.url}/tasks/?overdue=on")
    expect(page.locator("#task-table tbody tr")).to_have_count(2)  # one is due today, not overdue


def test_the_bulletin_and_the_dashboard_fit_a_phone(narrow_page, live_server, city, long_rows):
    from reports.bulletins import make_bulletin

    office = make_person(city.campaign, "office2", Role.OFFICE_ADMIN)
    bulletin, _created = make_bulletin(campaign=city.campaign, period="2026-W47", actor=office)
    page = narrow_page
    login(page, live_server, "office2")
    for path in (bulletin.get_absolute_url(), "/reports/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    chart = page.locator("#chart-closure svg")
    assert chart.bounding_box()["width"] <= 360


def test_the_sign_in_pages_do_not_scroll_sideways_at_360_px(narrow_page, live_server, personas):
    """The first page on a phone, and the one a session's end leads to: its centred column's
    row was wider than the phone's narrower page margins (362 px)."""
    page = narrow_page
    for path in ("/login/", "/login/?next=%2Fledger%2F", "/account/activate/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert (width, page.evaluate(OVERFLOW)) == (360, []), path
