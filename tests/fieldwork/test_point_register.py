"""The point register (点位): default types, scoped list and detail, office edits audited,
points taken out of use rather than deleted, concurrent edits refused."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import AuditEntry
from fieldwork.models import DEFAULT_POINT_TYPES, Point, PointType

pytestmark = pytest.mark.django_db


def test_a_campaign_gets_the_evaluation_systems_point_types_when_the_register_opens(
    personas, client_for, campaign
):
    assert not PointType.objects.filter(campaign=campaign).exists()
    response = client_for(personas.office_admin).get("/field/points/")
    assert response.status_code == 200
    names = list(PointType.objects.filter(campaign=campaign).values_list("name", flat=True))
    assert names == DEFAULT_POINT_TYPES
    for expected in (
        "农贸市场",
        "背街小巷",
        "学校周边",
        "公共广场",
        "交通场站",
        "医院",
        "居民小区",
        "窗口单位",
    ):
        assert expected in names


def test_the_office_adds_and_renames_point_types_and_the_change_is_audited(
    personas, client_for, point_types
):
    client = client_for(personas.office_admin)
    response = client.post(
        "/field/point-types/", {"name": "城中村", "position": 20, "is_active": "on"}
    )
    assert response.status_code == 302
    added = PointType.objects.get(name="城中村")
    client.post(f"/field/point-types/{added.pk}/edit/", {"name": "城乡结合部", "position": 20})
    added.refresh_from_db()
    assert added.name == "城乡结合部" and not added.is_active
    assert (
        AuditEntry.objects.filter(
            object_type="fieldwork.pointtype", object_id=str(added.pk)
        ).count()
        == 2
    )
    # Another name that exists already is refused.
    response = client.post("/field/point-types/", {"name": "医院", "position": 1})
    assert response.status_code == 200 and PointType.objects.filter(name="医院").count() == 1


def test_units_see_only_the_points_of_their_territory(personas, client_for, city, make_point):
    make_point("东华农贸市场", territory=city.donghua1)
    make_point("西关农贸市场", territory=city.xiguan, at=None)
    east = client_for(personas.district_leader).get("/field/points/").content.decode()
    west = client_for(personas.other_district_leader).get("/field/points/").content.decode()
    office = client_for(personas.office_admin).get("/field/points/").content.decode()
    assert "东华农贸市场" in east and "西关农贸市场" not in east
    assert "西关农贸市场" in west and "东华农贸市场" not in west
    assert "东华农贸市场" in office and "西关农贸市场" in office


def test_a_point_out_of_scope_answers_404(personas, client_for, city, make_point):
    point = make_point("西关农贸市场", territory=city.xiguan)
    assert client_for(personas.district_leader).get(f"/field/points/{point.pk}/").status_code == 404
    assert (
        client_for(personas.other_district_leader).get(f"/field/points/{point.pk}/").status_code
        == 200
    )


def test_the_list_filters_by_type_district_unit_and_search(
    personas, client_for, city, make_point, point_types
):
    make_point("东华农贸市场", territory=city.donghua)
    make_point("实验小学", type="学校周边", territory=city.xinshi)
    make_point("西关车站", type="交通场站", territory=city.xiguan)
    client = client_for(personas.office_admin)

    def names(query):
        page = client.get("/field/points/", query).context["page"]
        return sorted(row["name"] for row in page)

    assert names({"type": point_types["学校周边"].pk}) == ["实验小学"]
    assert names({"district": city.west.pk}) == ["西关车站"]
    assert names({"unit": city.donghua.pk}) == ["东华农贸市场"]
    assert names({"q": "小学"}) == ["实验小学"]
    # A unit outside the person's scope is asking for another unit's data.
    street = client_for(personas.street_leader)
    assert street.get("/field/points/", {"unit": city.xiguan.pk}).status_code == 404


def test_the_list_reads_the_same_number_of_queries_for_2_and_for_40_points(
    personas, client_for, city, make_point, finding_at
):
    client = client_for(personas.district_leader)

    def count():  # after a first visit (the filter choices are kept from it)
        client.get("/field/points/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/field/points/").status_code == 200
        return len(ctx.captured_queries)

    for n in range(2):
        finding_at(make_point(f"市场{n}", territory=city.donghua1))
    few = count()
    for n in range(2, 40):
        make_point(f"市场{n}", territory=city.xinshi1, department=city.chengguan)
    assert count() == few


def test_the_office_creates_and_edits_a_point_with_an_audit_entry(
    personas, client_for, city, point_types
):
    client = client_for(personas.office_admin)
    data = {
        "type": point_types["背街小巷"].pk,
        "name": "建设里",
        "address": "建设路北侧",
        "latitude": "34.751234",
        "longitude": "113.651234",
        "territory": city.donghua1.pk,
        "unit": city.donghua1.pk,
    }
    response = client.post("/field/points/new/", data)
    point = Point.objects.get(name="建设里")
    assert response.status_code == 302 and response["Location"] == f"/field/points/{point.pk}/"
    response = client.post(
        f"/field/points/{point.pk}/edit/",
        {**data, "address": "建设路南侧", "is_active": "on", "version": point.version},
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.address == "建设路南侧" and point.version == 2
    entries = AuditEntry.objects.filter(object_type="fieldwork.point", object_id=str(point.pk))
    assert sorted(entries.values_list("action", flat=True)) == ["create", "update"]
    assert entries.get(action="update").changes == {"fields": ["address"]}


def test_an_edit_from_a_stale_page_saves_nothing(
    personas, client_for, city, make_point, point_types
):
    point = make_point("建设里")
    client = client_for(personas.office_admin)
    data = {
        "type": point.type_id,
        "name": point.name,
        "address": "甲",
        "territory": city.donghua.pk,
        "unit": city.donghua.pk,
        "is_active": "on",
        "version": 1,
    }
    assert client.post(f"/field/points/{point.pk}/edit/", data).status_code == 302
    response = client.post(f"/field/points/{point.pk}/edit/", {**data, "address": "乙"})
    assert response.status_code == 409
    point.refresh_from_db()
    assert point.address == "甲" and point.version == 2


def test_coordinates_outside_wgs84_ranges_are_refused(personas, client_for, city, point_types):
    response = client_for(personas.office_admin).post(
        "/field/points/new/",
        {
            "type": point_types["医院"].pk,
            "name": "市人民医院",
            "latitude": "113.65",
            "longitude": "34.75",
            "territory": city.donghua.pk,
            "unit": city.donghua.pk,
        },
    )
    assert response.status_code == 200
    assert "latitude" in response.context["form"].errors
    assert not Point.objects.filter(name="市人民医院").exists()


def test_a_point_taken_out_of_use_is_kept_and_hidden_from_the_list(
    personas, client_for, city, make_point
):
    point = make_point("旧货市场")
    client = client_for(personas.office_admin)
    client.post(
        f"/field/points/{point.pk}/edit/",
        {
            "type": point.type_id,
            "name": point.name,
            "address": point.address,
            "territory": city.donghua.pk,
            "unit": city.donghua.pk,
            "version": point.version,
        },
    )
    point.refresh_from_db()
    assert not point.is_active
    assert list(client.get("/field/points/").context["page"]) == []
    shown = client.get("/field/points/", {"inactive": "on"}).context["page"]
    assert [row["pk"] for row in shown] == [point.pk]
    assert client.get(f"/field/points/{point.pk}/").status_code == 200


def test_only_the_office_edits_points(personas, client_for, make_point):
    point = make_point("东华农贸市场")
    for person in (personas.inspector, personas.district_leader, personas.leader):
        client = client_for(person)
        assert client.get("/field/points/new/").status_code == 403
        assert client.get(f"/field/points/{point.pk}/edit/").status_code == 403


def test_the_detail_lists_the_points_findings_and_history(
    personas, client_for, make_point, finding_at
):
    point = make_point("东华农贸市场")
    finding = finding_at(point, description="摊位外溢占道")
    page = client_for(personas.district_leader).get(f"/field/points/{point.pk}/")
    assert finding.code in page.content.decode()
    assert page.context["open_count"] == 1


def test_the_menu_calls_the_register_dianwei_not_the_standards_fenzhi(personas, client_for):
    """ "Points" is also the standards' score (分值): the register has its own words."""
    html = client_for(personas.inspector).get("/field/points/").content.decode()
    links = {
        href: text.strip()
        for href, text in re.findall(r'<a class="nav-link[^"]*" href="([^"]+)">([^<]+)</a>', html)
    }
    assert links["/field/points/"] == "点位"


def test_each_row_counts_the_points_open_findings_as_the_person_sees_them(
    personas, client_for, city, make_point, finding_at
):
    """Counted for the page's points only: open findings, not voided ones, in scope."""
    market = make_point("东华农贸市场")
    station = make_point("西关车站", type="交通场站", territory=city.xiguan)
    finding_at(market)
    finding_at(market)
    finding_at(market).void(actor=personas.office_admin, reason="重复")
    finding_at(station)

    def counts(person):
        page = client_for(person).get("/field/points/").content.decode()
        rows = re.findall(
            r'<a href="/field/points/(\d+)/">.*?<td class="text-end">(.*?)</td>', page, re.S
        )
        return {int(pk): re.sub(r"<[^>]+>", "", cell) for pk, cell in rows}

    assert counts(personas.office_admin) == {market.pk: "2", station.pk: "1"}
    assert counts(personas.district_leader) == {market.pk: "2"}


def test_open_findings_are_counted_for_the_shown_points_only(
    personas, client_for, make_point, finding_at
):
    """The register and the map counted every point's findings across the city (622 and 661 ms
    for the office at city size): the register counts the findings of its listed points only,
    the map (a thousand points) the campaign's open findings, which are few whatever the
    history; a closed finding is never read, and no query joins the points to the ledger."""
    market = make_point("东华农贸市场")
    finding_at(market)
    client = client_for(personas.office_admin)
    for url, reads in (
        ("/field/points/", f'"point_id" IN ({market.pk})'),
        ("/field/map/data/", "\"status\" IN ('registered'"),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counting = [q["sql"] for q in queries if 'COUNT("inspections_finding"' in q["sql"]]
        assert counting and all(reads in sql for sql in counting), url
        # A query of the points (not the map's findings, placed by their point) never reads
        # the ledger.
        assert not any(
            q["sql"].split(" FROM ", 1)[-1].startswith('"fieldwork_point"')
            and "inspections_finding" in q["sql"]
            for q in queries
        ), url
