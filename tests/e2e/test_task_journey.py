"""On a phone, a unit liaison reports progress with a photo and the command office accepts it."""

import datetime
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tasks.models import Task, TaskEvent, TaskEvidence

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def photo_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_liaison_updates_a_task_with_a_photo_on_a_phone_and_the_command_office_accepts_it(
    phone_page, live_server, personas, city
):
    task = Task.objects.create(
        campaign=city.campaign,
        title="东华街道背街小巷环境卫生整治",
        command_office=city.command_office,
        lead_unit=city.donghua,
        deadline=datetime.date.today() + datetime.timedelta(days=20),
    )
    task.sync_parts()
    TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.CREATED, to_status=task.status)
    page = phone_page

    # The liaison opens "my tasks" from the home page and finds the task as a card.
    login(page, live_server, "donghua_ll")
    page.get_by_role("link", name="我的任务").first.click()
    page.wait_for_url(f"{live_server.url}/tasks/mine/")
    card = page.locator("#my-tasks a", has_text="背街小巷")
    expect(card).to_be_visible()
    # Phone first: the card fits the screen without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card.click()

    # Reports the work as finished with a photo and submits it for acceptance.
    page.fill("#id_text", "已完成背街小巷垃圾清运和乱堆乱放整治")
    page.fill("#id_progress", "100")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}],
    )
    page.check("#id_submit")
    page.get_by_role("button", name="保存进展").click()
    page.wait_for_selector(".alert-success")
    assert "待验收" in page.locator("#task-status").inner_text()
    thumb = page.locator("#updates img.evidence-thumb")
    expect(thumb).to_have_count(1)
    # The thumbnail is lazy-loaded: scroll to it, then it must really load (private media view).
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert TaskEvidence.objects.filter(update__task=task).count() == 1

    # The command office staff signs in (same phone) and accepts the work.
    page.context.clear_cookies()
    login(page, live_server, "cmd")
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    page.fill("#acceptance textarea", "经实地查看，整治到位，同意验收。")
    page.get_by_role("button", name="验收通过").click()
    page.wait_for_selector(".alert-success")
    assert "已验收" in page.locator("#task-status").inner_text()
    history = page.locator("#history").inner_text()
    assert "已验收" in history and "朱涛" in history and "周建华" in history
    assert "经实地查看" in history
    task.refresh_from_db()
    assert task.status == Task.Status.ACCEPTED
