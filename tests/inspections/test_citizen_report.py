"""随手拍: anyone may report with a photo; reports land as registered findings; rate-limited."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from inspections.models import Finding, Source, Status
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
    assert [f.pk for f in triage] == [finding.pk]


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
