"""The search boxes (static/js/autocomplete.js: a unit's, a standard's) on a slow connection:
an answer that comes back after a newer search, or after a choice, is dropped. Drawn late, the
answer to the search sent when the box took focus reopened the list over the chosen unit, or
replaced the choices of what was typed since, and a tap meant for the submit button landed on
some other unit or on nothing."""

import pytest
from playwright.sync_api import expect

from campaign.models import Unit
from inspections.models import FindingCategory
from inspections.services import log_finding

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def held_back(page, pattern):
    """The first request for `pattern` (the search the box sends when it takes focus, before
    anything is typed), held until released: the box's first answer made slow."""
    held = []

    def route(request_route):
        if held:
            request_route.continue_()
        else:
            held.append(request_route)

    page.route(pattern, route)
    return held


def test_an_answer_that_comes_back_late_does_not_undo_the_choice(
    browser_page, live_server, personas, city
):
    finding = log_finding(
        campaign=city.campaign,
        actor=personas.inspector,
        description="东华路口流动摊点占道经营",
        category=FindingCategory.objects.create(campaign=city.campaign, name="占道经营"),
        address="东华路1号",
        territory=city.donghua,
    )
    page = browser_page
    login(page, live_server, personas.office_admin.username)
    held = held_back(page, "**/units/autocomplete/**")
    page.goto(f"{live_server.url}/ledger/findings/{finding.pk}/")
    # The unit box (the finding's territory, 东华街道, is offered first): another street.
    box = page.locator("[data-autocomplete]", has=page.locator("#id_assign_unit"))
    box.locator("input[type=search]").fill("新市街道")
    option = box.locator("[role=option]", has_text="新市街道").first
    expect(option).to_be_visible()
    assert held, "the search sent when the box took focus"
    option.click()
    expect(box.locator('[data-role="list"]')).to_be_hidden()

    for request_route in held:  # the focus search's answer, after the choice
        request_route.continue_()
    page.wait_for_load_state("networkidle")

    expect(box.locator('[data-role="list"]')).to_be_hidden()
    xinshi = Unit.objects.get(campaign=city.campaign, name="新市街道")
    assert box.locator('[data-role="value"]').input_value() == str(xinshi.pk)
    assert box.locator('[data-role="text"]').input_value() == "新市街道"


@pytest.mark.parametrize(
    ("field", "searched", "typed"),
    [("unit", "units", "西关"), ("standard", "standards", "乱贴")],
)
def test_an_older_answer_does_not_replace_a_newer_one(
    browser_page, live_server, personas, standards, field, searched, typed
):
    """Both of the ledger's search boxes, its units' and its standards', one script."""
    page = browser_page
    login(page, live_server, personas.office_admin.username)
    held = held_back(page, f"**/{searched}/autocomplete/**")
    page.goto(f"{live_server.url}/ledger/")
    box = page.locator("[data-autocomplete]", has=page.locator(f"#id_{field}"))
    box.locator("input[type=search]").fill(typed)
    expect(box.locator("[role=option]").first).to_contain_text(typed)
    assert held, "the search sent when the box took focus"

    for request_route in held:  # everything (nothing typed yet), answered after the search
        request_route.continue_()
    page.wait_for_load_state("networkidle")

    names = box.locator("[role=option]").all_inner_texts()
    assert names and all(typed in name for name in names), names
