"""The finding form suggests the points nearest the inspector's location, and a chosen point
gives the finding its place, area and unit."""

from decimal import Decimal

import pytest

from inspections.models import Finding
from tests.inspections.conftest import make_photo

from .conftest import CENTRE

pytestmark = pytest.mark.django_db


def offset(metres_north, metres_east=0):
    """A place `metres_north` and `metres_east` of CENTRE (about 111 km per degree; at 34.75°
    a degree of longitude is about 91 km)."""
    return (
        (CENTRE[0] + Decimal(metres_north) / Decimal(111_000)).quantize(Decimal("0.000001")),
        (CENTRE[1] + Decimal(metres_east) / Decimal(91_200)).quantize(Decimal("0.000001")),
    )


def nearest(client, at):
    response = client.get(
        "/field/points/nearest/", {"latitude": str(at[0]), "longitude": str(at[1])}
    )
    assert response.status_code == 200
    return [p.name for p in response.context["points"]], response


def test_the_nearest_points_within_300_metres_come_nearest_first(
    personas, client_for, city, make_point
):
    make_point("200米北", at=offset(200))
    make_point("50米东", at=offset(0, 50))
    make_point("120米西南", at=offset(-80, -90))
    make_point("400米北", at=offset(400))
    make_point("350米东", at=offset(0, 350))
    make_point("无坐标", at=None)
    make_point("停用", at=offset(10), is_active=False)
    names, response = nearest(client_for(personas.inspector), CENTRE)
    assert names == ["50米东", "120米西南", "200米北"]
    distances = [round(p.distance) for p in response.context["points"]]
    assert (
        distances == sorted(distances) and 45 <= distances[0] <= 55 and 195 <= distances[2] <= 205
    )


def test_at_most_five_points_are_suggested(personas, client_for, make_point):
    for n in range(8):
        make_point(f"点{n}", at=offset(10 * n))
    names, _response = nearest(client_for(personas.inspector), CENTRE)
    assert names == [f"点{n}" for n in range(5)]


def test_without_a_location_nothing_is_suggested(personas, client_for, make_point):
    make_point("东华农贸市场")
    response = client_for(personas.inspector).get("/field/points/nearest/")
    assert response.context["points"] == []
    response = client_for(personas.inspector).get(
        "/field/points/nearest/", {"latitude": "999", "longitude": "1"}
    )
    assert response.context["points"] == []


def test_only_those_who_log_findings_ask_for_nearby_points(personas, client_for):
    assert client_for(personas.district_leader).get("/field/points/nearest/").status_code == 403
    assert client_for(personas.office_admin).get("/field/points/nearest/").status_code == 200


def test_the_finding_form_offers_the_nearest_points_once_located(personas, client_for):
    page = client_for(personas.inspector).get("/ledger/new/").content.decode()
    assert 'id="nearest-points-box" aria-live="polite" data-url="/field/points/nearest/"' in page
    assert 'name="point"' in page


def test_a_finding_logged_at_a_point_takes_its_address_area_and_unit(
    personas, client_for, city, make_point
):
    point = make_point(
        "东华农贸市场", territory=city.donghua1, unit=city.donghua, address="东华路18号"
    )
    client = client_for(personas.inspector)
    form = client.get("/ledger/new/").context["form"]
    response = client.post(
        "/ledger/new/",
        {
            "photos": [make_photo()],
            "description": "市场门口垃圾堆放",
            "category": form.fields["category"].queryset.first().pk,
            "severity": "minor",
            "point": point.pk,
            "assign_now": "on",
            "form_token": form["form_token"].value(),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    finding = Finding.objects.get(description="市场门口垃圾堆放")
    assert (finding.point, finding.address, finding.territory, finding.unit) == (
        point,
        "东华路18号",
        city.donghua1,
        city.donghua,
    )


def test_a_finding_needs_an_address_or_a_point(personas, client_for):
    client = client_for(personas.inspector)
    form = client.get("/ledger/new/").context["form"]
    response = client.post(
        "/ledger/new/",
        {
            "photos": [make_photo()],
            "description": "无地址",
            "category": form.fields["category"].queryset.first().pk,
            "severity": "minor",
            "form_token": form["form_token"].value(),
        },
    )
    assert response.status_code == 200
    assert "address" in response.context["form"].errors
