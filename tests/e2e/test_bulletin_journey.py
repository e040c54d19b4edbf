"""The office makes, checks and publishes the week's bulletin and downloads the PDF; a leader
opens the dashboard."""

import datetime
import io
import re

import docx
import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect

from inspections.models import Finding, FindingPhoto, Severity, Source, Status
from reports.models import Bulletin, BulletinSettings

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ledger(city):
    monday = datetime.date(2026, 11, 2)
    for unit, severity, offset in [
        (city.donghua1, Severity.SERIOUS, 1),
        (city.xiguan1, Severity.MINOR, 2),
        (city.chengguan, Severity.CRITICAL, 3),
    ]:
        Finding.objects.create(
            campaign=city.campaign,
            source=Source.UNDERCOVER,
            found_on=monday + datetime.timedelta(days=offset),
            description="背街小巷垃圾堆积，沿街商户占道经营",
            severity=severity,
            unit=unit,
            territory=unit,
            status=Status.RECTIFYING,
            deadline=monday + datetime.timedelta(days=offset + 1),
        )
    # One problem has photos before and after rectification: it may be a typical case.
    case = Finding.objects.get(unit=city.donghua1)
    for kind in (FindingPhoto.Kind.BEFORE, FindingPhoto.Kind.AFTER):
        buffer = io.BytesIO()
        Image.new("RGB", (60, 40), (180, 40, 40)).save(buffer, "JPEG")
        photo = FindingPhoto(finding=case, kind=kind)
        photo.image.save(f"{kind}.jpg", ContentFile(buffer.getvalue()), save=False)
        photo.thumbnail = photo.image.name
        photo.save()
    BulletinSettings.objects.create(campaign=city.campaign)
    return city


def test_the_office_publishes_the_weeks_bulletin_and_a_leader_reads_the_dashboard(
    browser_page, live_server, personas, ledger, tmp_path
):
    page = browser_page
    login(page, live_server, "office")

    page.get_by_role("link", name="排名通报").first.click()
    page.get_by_role("link", name="工作周通报").first.click()
    page.wait_for_url(f"{live_server.url}/reports/bulletins/")
    assert "尚未生成通报" in page.content()

    page.fill("#id_period", "2026-W45")
    page.get_by_role("button", name="生成该周通报").click()
    page.wait_for_url(f"{live_server.url}/reports/bulletins/*/")
    assert "已生成草稿" in page.content()
    assert page.locator(".masthead-title").inner_text() == "创建全国文明城市工作通报"
    assert "第1期" in page.locator(".masthead-issue").inner_text()
    assert "东城区" in page.locator("table.ranking").first.inner_text()

    # The office prints the suggested typical case (it comes ticked).
    page.get_by_text("选定典型案例").first.click()
    assert page.locator("#choose-cases input[type=checkbox]").first.is_checked()
    page.get_by_role("button", name="印发所选案例").click()
    page.wait_for_load_state()
    assert "东华第1社区" in page.locator(".bulletin").inner_text()
    expect(page.locator(".bulletin .photos img")).to_have_count(2)

    page.get_by_role("button", name="印发").first.click()
    page.locator("#confirm-publish").click()
    page.wait_for_load_state()
    assert "已印发" in page.locator("h1").inner_text()

    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    target = tmp_path / "bulletin.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    bulletin = Bulletin.objects.get()
    assert bulletin.status == Bulletin.Status.PUBLISHED
    with page.expect_download() as download_info:
        page.locator("#download-docx").click()
    target = tmp_path / "bulletin.docx"
    download_info.value.save_as(target)
    editable = docx.Document(str(target))
    assert any("东华第1社区" in p.text for p in editable.paragraphs)

    # A leader signs in and lands on the dashboard from the home page.
    page.context.clear_cookies()
    login(page, live_server, "leader")
    page.get_by_role("link", name="数据看板").first.click()
    page.wait_for_url(f"{live_server.url}/reports/")
    page.locator("#chart-weekly svg").first.wait_for()
    assert page.locator("#chart-closure svg").count() >= 1
    page.get_by_text("查看数据表").first.click()
    # Weeks read in words: 2026年第45周（11月2日—11月8日）.
    assert re.search(r"\d{4}年第\d+周（\d+月\d+日—", page.locator("#table-weekly").inner_text())
    assert bulletin.document_number in page.content()
