"""On a phone: a citizen's report fails to save (the photo folder cannot be written); the
error page says so in Chinese, and going back finds the text still typed in the form."""

import pytest
from PIL import Image

from inspections.models import Finding

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_failed_report_shows_a_chinese_page_and_back_keeps_the_text(
    phone_page, live_server, campaign, settings, tmp_path
):
    page = phone_page
    photo = tmp_path / "scene.jpg"
    Image.new("RGB", (640, 480), (200, 80, 40)).save(photo, "JPEG")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"

    page.goto(f"{live_server.url}/ledger/report/")
    page.fill("#id_description", "人行道上堆满建筑垃圾，行人只能走机动车道")
    page.fill("#id_address", "东华路8号")
    page.set_input_files("#id_photo", str(photo))
    page.locator("#finding-form button[type=submit]").click()

    page.wait_for_selector("text=系统暂时不可用")
    assert "存储目录不可写" in page.content()
    assert not Finding.objects.exists()

    page.go_back()
    page.wait_for_selector("#id_description")
    assert page.input_value("#id_description") == "人行道上堆满建筑垃圾，行人只能走机动车道"
    assert page.input_value("#id_address") == "东华路8号"
