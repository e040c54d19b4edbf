"""On a 390 px phone: two streets report their own parts of one shared task; the command
office accepts one and returns the other; the task shows 1 of 2 accepted; the battle map
and the rankings show each street's own state."""

import datetime

import pytest
from playwright.sync_api import expect

from campaign.models import Membership, Person, Role
from reports.models import ScoringRule
from tasks.models import Task, TaskEvent

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = 390


def report_own_part(page, live_server, username, task, text):
    page.context.clear_cookies()
    login(page, live_server, username)
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    # The person's own part and its form come first; the other unit is folded away.
    own = page.locator("section.own-part").first
    expect(own).to_be_visible()
    assert page.locator("#other-parts").get_attribute("open") is None
    form_top = page.locator("#report-progress").bounding_box()["y"]
    assert form_top < page.locator("#other-parts").bounding_box()["y"]
    page.fill("#id_text", text)
    page.fill("#id_progress", "100")
    page.check("#id_submit")
    page.get_by_role("button", name="保存进展").click()
    page.wait_for_selector(".alert-success")
    assert "待验收" in own.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def cell_by_column(page, header):
    """The battle map's first-row cell under the column headed `header`."""
    return page.evaluate(
        """(header) => {
            const table = document.querySelector('#battle-map table');
            const heads = [...table.tHead.rows[0].cells].map(c => c.innerText.trim());
            const at = heads.indexOf(header);
            return at < 0 ? heads.join("|") : table.tBodies[0].rows[0].cells[at].innerText.trim();
        }""",
        header,
    )


def test_two_streets_report_their_own_parts_and_the_command_office_decides_each(
    phone_page, live_server, personas, city
):
    xinshi_ll = Person.objects.create_user(username="xinshi_ll", password="pw", name="何明")
    Membership.objects.create(
        person=xinshi_ll, campaign=city.campaign, role=Role.UNIT_LIAISON, unit=city.xinshi
    )
    ScoringRule.objects.create(campaign=city.campaign, min_tasks_for_rate=1)
    task = Task.objects.create(
        campaign=city.campaign,
        title="两街道共治：占道经营集中整治",
        command_office=city.command_office,
        lead_unit=city.donghua,
        deadline=datetime.date.today(),
    )
    task.responsible_units.set([city.xinshi])
    task.sync_parts()
    TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.CREATED, to_status=task.status)
    page = phone_page

    report_own_part(page, live_server, "donghua_ll", task, "东华街道：摊点全部入市入场")
    report_own_part(page, live_server, "xinshi_ll", task, "新市街道：已清理占道摊点")

    # The command office accepts 东华街道's part and returns 新市街道's.
    page.context.clear_cookies()
    login(page, live_server, "cmd")
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    donghua = task.parts.get(unit=city.donghua)
    xinshi = task.parts.get(unit=city.xinshi)
    page.fill(f"#decide-{donghua.pk} textarea", "经实地查看，同意验收。")
    page.locator(f"#decide-{donghua.pk}").get_by_role("button", name="验收通过").click()
    page.wait_for_selector(".alert-success")
    page.fill(f"#decide-{xinshi.pk} textarea", "缺少整治前后对比照片")
    page.locator(f"#decide-{xinshi.pk}").get_by_role("button", name="退回整改").click()
    page.wait_for_selector(".alert-success")
    assert "已验收 1 个" in page.locator("#parts-accepted").inner_text()
    assert "2 个单位" in page.locator("#parts-accepted").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS

    # The district sees each street's own state on the battle map and in the rankings.
    page.context.clear_cookies()
    login(page, live_server, "dongcheng")
    page.goto(f"{live_server.url}/tasks/battle-map/")
    assert cell_by_column(page, "东华街道").startswith("1/1"), cell_by_column(page, "东华街道")
    assert cell_by_column(page, "新市街道").startswith("0/1")
    page.goto(f"{live_server.url}/reports/rankings/?angle=tasks&kind=street")
    # Read the cells themselves: on a phone the table is laid out as cards.
    rows = dict(
        page.evaluate(
            """() => [...document.querySelectorAll('#ranking-table tbody tr')].map(
                (row) => [row.cells[1].textContent.trim(), row.cells[2].textContent.trim()])"""
        )
    )
    assert rows["东华街道"].startswith("100")
    assert rows["新市街道"].startswith("0")
