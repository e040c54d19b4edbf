"""Out of scope answers 404 everywhere: list filters, detail, every action, photos, export."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inspections.models import Status

pytestmark = pytest.mark.django_db

ACTIONS = [
    "finding_assign",
    "finding_acknowledge",
    "finding_submit",
    "finding_verify",
    "finding_dispute",
    "finding_decide",
    "finding_void",
    "finding_supervise",
    "finding_relapse",
]


def export_rows(response):
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(workbook.active.iter_rows(min_row=3, values_only=True))


def test_another_district_sees_none_of_the_findings_in_the_list(make_finding, personas, client_for):
    finding = make_finding("assigned")
    response = client_for(personas.other_district_leader).get(reverse("inspections:finding_list"))
    assert response.status_code == 200
    assert finding.code not in response.content.decode()
    assert (
        finding.code
        in client_for(personas.street_leader)
        .get(reverse("inspections:finding_list"))
        .content.decode()
    )


def test_filtering_the_list_by_a_unit_out_of_scope_is_404(personas, city, client_for):
    client = client_for(personas.other_district_leader)
    for param in ("unit", "district"):
        response = client.get(reverse("inspections:finding_list"), {param: city.east.pk})
        assert response.status_code == 404
    assert (
        client.get(reverse("inspections:finding_list"), {"unit": city.west.pk}).status_code == 200
    )


def test_the_unit_filter_lists_only_units_in_scope(personas, city, client_for):
    response = client_for(personas.street_leader).get(reverse("inspections:finding_list"))
    choices = [u.name for u in response.context["filter"].filters["unit"].queryset]
    assert "东华街道" in choices and "东华第1社区" in choices
    assert "西城区" not in choices and "新市街道" not in choices


@pytest.mark.parametrize("state", ["assigned", "awaiting", "closed", "disputed"])
def test_detail_and_every_action_are_404_out_of_scope(make_finding, personas, client_for, state):
    finding = make_finding(state)
    client = client_for(personas.other_district_leader)
    assert client.get(finding.get_absolute_url()).status_code == 404
    for name in ACTIONS:
        response = client.post(
            reverse(f"inspections:{name}", args=[finding.pk]),
            {"version": finding.version, "note": "x", "passed": "1", "level": "1"},
        )
        assert response.status_code == 404, name
    finding.refresh_from_db()
    assert finding.status == state


def test_photos_are_404_out_of_scope_and_served_in_scope(make_finding, personas, client_for):
    finding = make_finding("assigned")
    photo = finding.photos.get()
    for name in ("inspections:photo_file", "inspections:photo_thumb"):
        url = reverse(name, args=[photo.pk])
        assert client_for(personas.other_district_leader).get(url).status_code == 404
        response = client_for(personas.street_liaison).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # a JPEG


def test_the_export_is_scoped_and_404_for_a_unit_out_of_scope(
    make_finding, personas, city, client_for
):
    make_finding("assigned")
    url = reverse("inspections:finding_export")
    other = client_for(personas.other_district_leader)
    assert other.get(url, {"unit": city.east.pk}).status_code == 404
    assert export_rows(other.get(url)) == []
    rows = export_rows(client_for(personas.street_leader).get(url))
    assert len(rows) == 1 and rows[0][8] == "东华街道"


def test_a_read_only_leader_sees_the_finding_but_every_action_is_403(
    make_finding, personas, client_for
):
    finding = make_finding("awaiting")
    client = client_for(personas.leader)
    assert client.get(finding.get_absolute_url()).status_code == 200
    for name in ACTIONS:
        response = client.post(reverse(f"inspections:{name}", args=[finding.pk]), {"version": 1})
        assert response.status_code == 403, name
    finding.refresh_from_db()
    assert finding.status == Status.AWAITING


def test_unit_people_cannot_open_the_field_entry_or_import_pages(personas, client_for):
    client = client_for(personas.street_leader)
    assert client.get(reverse("inspections:finding_create")).status_code == 403
    assert client.get(reverse("inspections:finding_import")).status_code == 403
    assert client.get(reverse("inspections:category_list")).status_code == 403


def test_command_staff_see_findings_on_their_office_standards_only(
    make_finding, personas, client_for, city
):
    from campaign.models import EvaluationSystem, IndicatorNode, Standard

    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    node = IndicatorNode.objects.create(system=system, level=0, name="城市管理")
    standard = Standard.objects.create(
        system=system,
        node=node,
        code="5.1",
        text="无占道经营",
        points=1,
        lead_command_office=city.command_office,
    )
    theirs = make_finding("assigned", standard=standard)
    other = make_finding("assigned", address="别处")
    client = client_for(personas.command_staff)
    assert client.get(theirs.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
