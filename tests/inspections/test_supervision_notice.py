"""督办通知单: every supervision order prints as a PDF and an editable .docx with its number,
unit, problem and photos, deadline, legal basis and signature block; scoped and audited."""

import io

import docx
import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone
from docx.oxml.ns import qn

from campaign.documents import FANGSONG, HEITI, MIME_DOCX
from campaign.models import AuditEntry
from inspections.models import LedgerSettings, SupervisionLevel

pytestmark = pytest.mark.django_db

LEGAL_BASIS = "依据《某市创建全国文明城市问题整改督办办法》第十二条"


@pytest.fixture
def order(make_finding, personas, campaign):
    LedgerSettings.objects.create(campaign=campaign, legal_basis=LEGAL_BASIS)
    finding = make_finding("rectifying")
    finding.supervise(actor=personas.office_admin, level=SupervisionLevel.LISTED, note="三日内清理")
    return finding.supervision_orders.get()


def download(client_for, person, order, fmt):
    name = f"inspections:supervisionorder_{fmt}"
    return client_for(person).get(reverse(name, args=[order.pk]))


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_notice_pdf_names_number_unit_deadline_and_legal_basis(order, personas, client_for):
    response = download(client_for, personas.office_admin, order, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(body(response)))
    text = "".join(page.extract_text() for page in reader.pages)
    text = text.replace(" ", "").replace("\n", "")
    year = timezone.localdate().year
    for expected in (
        f"督办〔{year}〕{order.sequence}号",
        "东华街道",
        "2026年3月10日",  # the finding's deadline
        LEGAL_BASIS,
        "挂牌督办",
        "东华路口流动摊点占道经营",
        "三日内清理",
        "某市创建办",  # the signing office defaults to the city's creation office
    ):
        assert expected in text, expected
    # The before-photo's thumbnail is embedded.
    assert any(page.images for page in reader.pages)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOWNLOAD)
    assert (entry.actor, entry.object_id) == (personas.office_admin, str(order.pk))


def test_the_notice_docx_opens_with_chinese_font_names_and_the_photo(order, personas, client_for):
    response = download(client_for, personas.street_leader, order, "docx")
    assert response.status_code == 200
    assert response["Content-Type"] == MIME_DOCX
    opened = docx.Document(io.BytesIO(body(response)))
    texts = [p.text for p in opened.paragraphs]
    table_text = [c.text for row in opened.tables[0].rows for c in row.cells]
    year = timezone.localdate().year
    assert texts[0] == "某市创建办" and texts[1] == f"督办〔{year}〕{order.sequence}号"
    assert "督办通知单" in texts and "东华街道：" in texts and LEGAL_BASIS in texts
    assert "2026年3月10日" in table_text and "东华路口流动摊点占道经营" in table_text
    assert any(t.startswith("某市创建办") for t in texts[3:])  # the 落款
    assert len(opened.inline_shapes) == 1
    fonts = {
        run.element.rPr.rFonts.get(qn("w:eastAsia"))
        for p in opened.paragraphs
        for run in p.runs
        if run.text
    }
    assert {FANGSONG, HEITI} & fonts and None not in fonts


def test_without_a_configured_legal_basis_the_usual_wording_is_printed(
    make_finding, personas, client_for
):
    finding = make_finding("assigned")
    finding.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    order = finding.supervision_orders.get()
    opened = docx.Document(
        io.BytesIO(body(download(client_for, personas.office_admin, order, "docx")))
    )
    expected = LedgerSettings(campaign=finding.campaign).legal_basis_line()
    assert expected.startswith("根据") and expected in [p.text for p in opened.paragraphs]


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_another_districts_leader_gets_404_and_nothing_is_rendered(
    order, personas, client_for, fmt
):
    assert download(client_for, personas.other_district_leader, order, fmt).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


def test_the_supervision_list_and_the_finding_offer_both_downloads(order, personas, client_for):
    client = client_for(personas.office_admin)
    pdf_url = reverse("inspections:supervisionorder_pdf", args=[order.pk])
    docx_url = reverse("inspections:supervisionorder_docx", args=[order.pk])
    for page in (reverse("inspections:supervision_list"), order.finding.get_absolute_url()):
        html = client.get(page).content.decode()
        assert pdf_url in html and docx_url in html
