"""The office issues a supervision order (督办) in the browser, then prints its notice
(督办通知单) from the supervision list: a PDF and an editable .docx that both parse. After a
second order it records the interview (约谈), which joins the finding's history."""

import io
import re

import docx
import pypdf
import pytest
from playwright.sync_api import expect

from campaign.documents import MIME_DOCX
from inspections.models import FindingEvent, SupervisionOrder
from tests.inspections.conftest import category, make_finding  # noqa: F401 (fixtures)

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_office_supervises_a_finding_and_downloads_its_notice(
    browser_page,
    live_server,
    personas,
    make_finding,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    page = browser_page
    finding = make_finding("rectifying")
    login(page, live_server, "office")

    # 1. On the finding's page the office issues a listed supervision order.
    page.goto(f"{live_server.url}{finding.get_absolute_url()}")
    page.select_option("#id_supervise_level", label="挂牌督办")
    page.fill("#id_supervise_note", "三日内清理到位")
    page.locator("#action-supervise button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ledger/findings/\d+/$"))
    order = SupervisionOrder.objects.get(finding=finding)
    assert order.number in page.content()

    # 2. The supervision list offers the notice; the PDF downloads and parses.
    page.goto(f"{live_server.url}/ledger/supervision/")
    row = page.locator("#supervision-table tbody tr", has_text=finding.code)
    with page.expect_download() as pdf_download:
        row.get_by_role("link", name="通知单（PDF）").click()
    pdf_path = tmp_path / "notice.pdf"
    pdf_download.value.save_as(pdf_path)
    assert pdf_download.value.suggested_filename == f"{order.number}.pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(pdf_path).pages).replace("\n", "")
    assert order.number in text and "东华街道" in text and "2026年3月10日" in text

    # 3. The Word version too, with the content type Word and WPS expect.
    link = row.get_by_role("link", name="通知单（Word）")
    with page.expect_download() as docx_download:
        link.click()
    docx_path = tmp_path / "notice.docx"
    docx_download.value.save_as(docx_path)
    paragraphs = [p.text for p in docx.Document(docx_path).paragraphs]
    assert order.number in paragraphs and "督办通知单" in paragraphs
    response = page.request.get(f"{live_server.url}{link.get_attribute('href')}")
    assert response.headers["content-type"] == MIME_DOCX
    assert docx.Document(io.BytesIO(response.body())).paragraphs[1].text == order.number
    pdf_href = row.get_by_role("link", name="通知单（PDF）").get_attribute("href")
    assert page.request.get(f"{live_server.url}{pdf_href}").headers["content-type"] == (
        "application/pdf"
    )


def test_after_a_second_order_the_office_records_the_interview_in_the_browser(
    browser_page,
    live_server,
    personas,
    make_finding,  # noqa: F811 (the fixture imported above)
):
    page = browser_page
    finding = make_finding("rectifying")
    login(page, live_server, "office")
    page.goto(f"{live_server.url}{finding.get_absolute_url()}")
    for level in ("普通督办", "重点督办"):
        # Before the second order there is no interview form to fill in.
        expect(page.locator("#action-interview")).to_have_count(0)
        page.select_option("#id_supervise_level", label=level)
        with page.expect_navigation():
            page.locator("#action-supervise button[type=submit]").click()
    page.fill("#id_interview_interviewees", "东华街道党工委书记张秀英")
    page.fill("#id_interview_conducted_by", "市创建办副主任王晓燕")
    page.fill("#id_interview_held_at", "2026-03-12T15:00")
    page.fill("#id_interview_place", "市创建办第一会议室")
    page.fill("#id_interview_outcome", "承诺三日内清除占道摊点")
    with page.expect_navigation():
        page.locator("#action-interview button[type=submit]").click()
    history = page.locator("#history").inner_text()
    assert "东华街道党工委书记张秀英" in history and "承诺三日内清除占道摊点" in history
    assert finding.events.filter(action=FindingEvent.Action.INTERVIEW).count() == 1
