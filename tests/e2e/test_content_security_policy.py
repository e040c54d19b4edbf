"""Under the Content-Security-Policy the page behaviour moved out of inline handlers still
works: a removal asks first, and only goes ahead when the person agrees."""

import datetime

import pytest

from campaign.models import WorkdayOverride

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_removing_a_holiday_asks_first_and_cancel_keeps_it(browser_page, live_server, personas):
    day = WorkdayOverride.objects.create(
        date=datetime.date(2026, 10, 8), is_working_day=False, name="国庆节"
    )
    page = browser_page
    login(page, live_server, "office")
    page.goto(f"{live_server.url}/tasks/calendar/?year=2026")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="删除").click()
    page.wait_for_timeout(300)
    assert WorkdayOverride.objects.filter(pk=day.pk).exists()

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        page.get_by_role("button", name="删除").click()
    assert not WorkdayOverride.objects.filter(pk=day.pk).exists()
    assert questions == ["确定删除这一天吗？"] * 2
