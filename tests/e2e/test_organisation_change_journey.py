"""The office imports an organisation list that replaces a street's liaison: the preview shows
the change before → after, the import needs the ended role confirmed, then one membership
ends, another starts and the old holder's open items pass to the new one. Nothing is deleted."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from campaign.models import Membership, Person, Role
from campaign.notifications import notify

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def workbook_bytes():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某市责任单位及联络员名单"])
    ws.append(
        ["序号", "单位名称", "单位类别", "上级单位", "第一责任人", "职务", "联络员", "联系电话"]
    )
    ws.append([1, "东华街道", "街道", "东城区", "张秀英", "主任", "钱新", "13900000009"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_an_import_that_changes_a_liaison_previews_ends_starts_and_hands_over(
    browser_page, live_server, personas, city
):
    old = personas.street_liaison.memberships.get()
    notify(
        recipients=[personas.street_liaison],
        subject="逾期任务：背街小巷整治",
        campaign=city.campaign,
    )
    memberships_before = set(Membership.history.values_list("pk", flat=True))
    page = browser_page

    login(page, live_server, "office")
    page.goto(f"{live_server.url}/org/units/import/")
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "联络员名单.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": workbook_bytes(),
            }
        ],
    )
    page.get_by_role("button", name="检查并预览").click()
    change = page.locator("#people-changes + ul li.role-change")
    expect(change).to_have_count(1)
    text = change.inner_text()
    assert "东华街道" in text and "朱涛" in text and "钱新" in text and "新人员" in text
    assert Membership.objects.get(pk=old.pk).ended_at is None  # nothing written yet

    # The ended role must be confirmed before the import runs.
    confirm = page.get_by_role("button", name="确认导入")
    confirm.click()
    assert page.locator("#confirm-ended").evaluate("(box) => !box.validity.valid")
    assert Membership.objects.get(pk=old.pk).ended_at is None
    page.check("#confirm-ended")
    confirm.click()
    page.wait_for_selector("h1:has-text('组织架构已导入')")
    result = page.locator("main").inner_text()
    assert "钱新" in result and "1 项待办已移交" in result

    old.refresh_from_db()
    assert old.ended_at is not None and old.ended_by == personas.office_admin
    successor = Membership.objects.get(unit=city.donghua, role=Role.UNIT_LIAISON)
    assert successor.person.name == "钱新"
    assert list(successor.person.notifications.values_list("subject", flat=True)) == [
        "逾期任务：背街小巷整治"
    ]
    assert memberships_before <= set(Membership.history.values_list("pk", flat=True))
    assert not Person.objects.get(pk=personas.street_liaison.pk).memberships.exists()
