"""随手拍: anyone may report with a photo; reports land as registered findings; rate-limited."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from campaign.models import AuditEntry
from inspections import views
from inspections.models import PUBLIC_STATUS_NOTES, Finding, Source, Status
from inspections.views import CITIZEN_REPORTS_PER_HOUR

from .conftest import make_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def report(client, campaign, **extra):
    data = {
        "description": "小区门口垃圾桶满溢，三天没人清运",
        "address": "东华路12号小区门口",
        "photo": [make_photo("report.jpg")],
        "latitude": "30.123456",
        "longitude": "120.654321",
        "phone": "13800000000",
    }
    data.update(extra)
    return client.post(reverse("inspections:citizen_report_for", args=[campaign.pk]), data)


def test_a_citizen_reports_without_signing_in_and_the_office_gets_a_registered_finding(
    campaign, personas, client_for
):
    client = Client()
    assert client.get(reverse("inspections:citizen_report")).status_code == 200
    response = report(client, campaign)
    assert response.status_code == 200 and "inspections/citizen_report_done.html" in [
        t.name for t in response.templates
    ]
    finding = Finding.objects.get()
    assert (finding.status, finding.source, finding.created_by) == (
        Status.REGISTERED,
        Source.CITIZEN,
        None,
    )
    assert str(finding.latitude) == "30.123456" and finding.photos.count() == 1
    inbox = client_for(personas.office_admin).get(reverse("inspections:finding_inbox"))
    triage = {key: items for key, _t, items in inbox.context["sections"]}["triage"]
    assert [f["pk"] for f in triage] == [finding.pk]


def test_a_report_needs_a_real_photo(campaign):
    fake = SimpleUploadedFile("a.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = report(Client(), campaign, photo=[fake])
    assert response.status_code == 200 and response.context["form"].errors["photo"]
    assert not Finding.objects.exists()


def test_reports_are_rate_limited_per_address(campaign):
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(CITIZEN_REPORTS_PER_HOUR):
        assert report(client, campaign).status_code == 200
    response = report(client, campaign)
    assert response.status_code == 429
    assert Finding.objects.count() == CITIZEN_REPORTS_PER_HOUR
    # Another address is not affected.
    assert report(Client(REMOTE_ADDR="10.9.9.9"), campaign).status_code == 200


def test_a_robot_filling_the_hidden_field_creates_nothing(campaign):
    response = report(Client(), campaign, website="http://spam.example")
    assert response.status_code == 200
    assert not Finding.objects.exists()


def test_the_office_triages_a_citizen_report_completing_category_area_and_severity(
    campaign, personas, city, category, client_for
):
    report(Client(), campaign)
    finding = Finding.objects.get()
    client_for(personas.office_admin).post(
        reverse("inspections:finding_assign", args=[finding.pk]),
        {
            "version": finding.version,
            "unit": city.donghua.pk,
            "category": category.pk,
            "severity": "critical",
            "territory": city.donghua.pk,
            "note": "请立即清运",
        },
    )
    finding.refresh_from_db()
    assert (finding.status, finding.unit, finding.category) == (
        Status.ASSIGNED,
        city.donghua,
        category,
    )
    assert (finding.severity, finding.territory) == ("critical", city.donghua)
    assert finding.deadline is not None


# --- The category, the reference and the private follow-up link -------------------------------


def test_the_report_page_has_the_site_header_and_categories_with_icons(campaign, category):
    page = Client().get(reverse("inspections:citizen_report_for", args=[campaign.pk]))
    body = page.content.decode()
    assert 'id="public-header"' in body and campaign.city in body
    assert f'value="{category.pk}"' in body and static(category.icon_path) in body
    report(Client(), campaign, category=category.pk)
    assert Finding.objects.get().category == category


def test_the_confirmation_gives_a_reference_and_a_private_follow_up_link(campaign):
    response = report(Client(), campaign)
    finding = Finding.objects.get()
    assert response.context["finding"] == finding
    body = response.content.decode()
    assert finding.code in body
    assert len(finding.follow_token) >= 40
    follow = reverse("inspections:citizen_follow", args=[finding.follow_token])
    assert response.context["follow_url"] == f"http://testserver{follow}"
    assert response.context["follow_url"] in body
    # The reference is the Open311 service_request_id too: one number for both.
    detail = Client().get(
        reverse("open311:request_detail", kwargs={"fmt": "json", "code": finding.code})
    )
    assert detail.json()[0]["service_request_id"] == finding.code


def test_the_follow_up_link_shows_the_status_change_and_the_after_photo_after_closing_off(
    campaign, personas, city, category
):
    report(Client(), campaign)
    finding = Finding.objects.get()
    follow = reverse("inspections:citizen_follow", args=[finding.follow_token])
    page = Client().get(follow)
    assert page.status_code == 200 and finding.code in page.content.decode()
    assert str(PUBLIC_STATUS_NOTES[Status.REGISTERED]) in page.content.decode()
    assert not page.context["after_photos"]

    finding.assign(actor=personas.office_admin, unit=city.donghua, category=category)
    finding.acknowledge(actor=personas.street_liaison)
    finding.submit_rectification(
        actor=personas.street_liaison, measures="已清运", photos=[make_photo("after.jpg")]
    )
    page = Client().get(follow)
    assert str(PUBLIC_STATUS_NOTES[Status.AWAITING]) in page.content.decode()
    assert not page.context["after_photos"]  # shown once closed off, not before
    finding.verify(actor=personas.inspector, passed=True, note="整改到位")
    page = Client().get(follow)
    body = page.content.decode()
    assert str(PUBLIC_STATUS_NOTES[Status.CLOSED]) in body
    after = finding.photos.get(kind="after")
    assert [p.pk for p in page.context["after_photos"]] == [after.pk]
    photo_url = reverse("open311:media", args=[after.pk])
    assert photo_url in body and Client().get(photo_url).status_code == 200


def test_the_follow_up_link_reveals_nothing_else(campaign, personas, city, category):
    report(Client(), campaign, name="李四", phone="13800000000")
    finding = Finding.objects.get()
    finding.assign(
        actor=personas.office_admin, unit=city.donghua, category=category, note="内部批示：从严"
    )
    finding.acknowledge(actor=personas.street_liaison, note="已签收")
    finding.submit_rectification(
        actor=personas.street_liaison,
        measures="安排保洁员张三清运",
        photos=[make_photo("after.jpg")],
    )
    finding.verify(actor=personas.inspector, passed=True, note="复核人意见：到位")
    body = (
        Client()
        .get(reverse("inspections:citizen_follow", args=[finding.follow_token]))
        .content.decode()
    )
    private = [
        "李四",
        "13800000000",
        finding.description,
        finding.address,
        city.donghua.name,
        "内部批示",
        "已签收",
        "张三",
        "复核人意见",
        str(personas.inspector),
        str(personas.street_liaison),
        str(personas.office_admin),
        reverse("inspections:photo_file", args=[finding.photos.get(kind="before").pk]),
    ]
    assert [text for text in private if text in body] == []
    assert 'id="main-nav"' not in body  # a visitor gets the brand, not the staff menu


def test_a_wrong_token_is_404_and_audited(campaign):
    report(Client(), campaign)
    response = Client().get(reverse("inspections:citizen_follow", args=["x" * 43]))
    assert response.status_code == 404
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DENIED)
    assert entry.outcome == AuditEntry.Outcome.DENIED and entry.actor is None


def test_undercover_findings_have_no_follow_up_page(campaign, personas, category):
    report(Client(), campaign)
    finding = Finding.objects.get()
    Finding.objects.filter(pk=finding.pk).update(source=Source.UNDERCOVER)
    follow = reverse("inspections:citizen_follow", args=[finding.follow_token])
    assert Client().get(follow).status_code == 404


def test_follow_up_views_are_rate_limited_per_address(campaign, monkeypatch):
    monkeypatch.setattr(views, "FOLLOW_VIEWS_PER_HOUR", 2)
    report(Client(), campaign)
    follow = reverse("inspections:citizen_follow", args=[Finding.objects.get().follow_token])
    client = Client(REMOTE_ADDR="10.1.2.4")
    assert [client.get(follow).status_code for _ in range(3)] == [200, 200, 429]
    assert Client(REMOTE_ADDR="10.9.9.8").get(follow).status_code == 200
