"""What a finding's page tells whom: a citizen's name and phone, an undercover (暗访)
inspection and its inspectors are for the office and inspectors only; the helper endpoints
and the public report page name nothing outside the person's scope."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from campaign.models import Campaign
from inspections.models import Inspection, Severity, Source
from inspections.services import log_finding, submit_citizen_report

from .conftest import make_photo

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2026, 3, 10)


def page(client, finding):
    return client.get(reverse("inspections:finding_detail", args=[finding.pk])).content.decode()


@pytest.fixture
def citizen_finding(city, personas):
    finding = submit_citizen_report(
        campaign=city.campaign,
        description="小区门口垃圾桶满溢",
        address="东华路12号",
        photos=[make_photo()],
        name="王秀兰",
        phone="13912345678",
    )
    finding.assign(actor=personas.office_admin, unit=city.donghua, deadline=DEADLINE)
    return finding


@pytest.mark.parametrize(
    "persona", ["street_liaison", "street_leader", "district_leader", "leader"]
)
def test_only_the_office_and_inspectors_see_a_citizen_reporters_name_and_phone(
    citizen_finding, personas, client_for, persona
):
    html = page(client_for(getattr(personas, persona)), citizen_finding)
    assert "垃圾桶满溢" in html
    assert "王秀兰" not in html and "13912345678" not in html


@pytest.mark.parametrize("persona", ["office_admin", "inspector"])
def test_the_office_and_inspectors_see_who_reported_and_how_to_reach_them(
    citizen_finding, personas, client_for, persona
):
    html = page(client_for(getattr(personas, persona)), citizen_finding)
    assert "王秀兰" in html and "13912345678" in html


@pytest.fixture
def undercover_finding(city, personas, category):
    visit = Inspection.objects.create(
        campaign=city.campaign,
        kind=Source.UNDERCOVER,
        date=datetime.date(2026, 3, 2),
        team="第三暗访组",
        area=city.donghua,
        created_by=personas.inspector,
    )
    finding = log_finding(
        campaign=city.campaign,
        actor=personas.inspector,
        photos=[make_photo()],
        description="农贸市场门口占道经营",
        category=category,
        severity=Severity.MINOR,
        address="东华路农贸市场",
        territory=city.donghua,
        inspection=visit,
        source=Source.UNDERCOVER,
    )
    finding.assign(actor=personas.office_admin, unit=city.donghua, deadline=DEADLINE)
    finding.acknowledge(actor=personas.street_liaison)
    finding.submit_rectification(
        actor=personas.street_liaison, measures="已清理摊点", photos=[make_photo("after.jpg")]
    )
    finding.verify(actor=personas.inspector, passed=False, note="仍有摊点")
    return finding


def test_a_unit_sees_an_undercover_finding_but_never_its_inspection_or_inspectors(
    undercover_finding, personas, client_for
):
    html = page(client_for(personas.street_liaison), undercover_finding)
    assert "农贸市场门口占道经营" in html and "仍有摊点" in html
    assert personas.inspector.name not in html  # 赵明 logged it and verified it
    assert "第三暗访组" not in html and "2026-03-02 暗访" not in html
    assert (
        reverse("inspections:inspection_detail", args=[undercover_finding.inspection_id])
        not in html
    )
    # The unit still sees its own people's steps.
    assert personas.street_liaison.name in html


def test_the_office_sees_an_undercover_findings_inspection_and_inspector(
    undercover_finding, personas, client_for
):
    html = page(client_for(personas.office_admin), undercover_finding)
    assert personas.inspector.name in html and "2026-03-02 暗访" in html


def test_the_unit_suggestion_names_no_unit_outside_the_persons_scope(city, personas, client_for):
    url = reverse("inspections:finding_suggest")
    params = {"territory": city.west.pk, "severity": "minor"}
    response = client_for(personas.district_leader).get(url, params)
    assert "西城区" not in response.content.decode()
    # Those who log findings see the whole campaign and get the suggestion.
    assert "西城区" in client_for(personas.inspector).get(url, params).content.decode()


def test_the_report_page_of_another_campaign_is_not_found_for_a_signed_in_person(
    campaign, personas, client_for
):
    other = Campaign.objects.create(
        name="2026年创建省级文明城市",
        level=Campaign.Level.NATIONAL,
        city="别市",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    client = client_for(personas.street_liaison)
    response = client.get(reverse("inspections:citizen_report_for", args=[other.pk]))
    assert response.status_code == 404
    assert "别市" not in response.content.decode()
    own = client.get(reverse("inspections:citizen_report_for", args=[campaign.pk]))
    assert own.status_code == 200 and "别市" not in own.content.decode()
    # Citizens, who sign in nowhere, reach each campaign's public page.
    assert (
        Client().get(reverse("inspections:citizen_report_for", args=[other.pk])).status_code == 200
    )


def test_a_photo_with_gps_in_its_exif_is_kept_without_it(city, personas, client_for, category):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG", exif=exif)
    finding = submit_citizen_report(
        campaign=city.campaign,
        description="井盖缺失",
        address="东华路3号",
        photos=[SimpleUploadedFile("gps.jpg", buffer.getvalue(), content_type="image/jpeg")],
    )
    photo = finding.photos.get()
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        assert not image.getexif().get_ifd(0x8825)
