"""The map: points and open findings as JSON, in scope, filtered like the ledger, capped; tiles
only when configured (GCJ-02 tiles shift points in the browser, never in the data)."""

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from fieldwork import views
from inspections.models import OPEN, Finding, Status
from tests.inspections.test_ledger_plans import only_indexes, plan_sql

pytestmark = pytest.mark.django_db


def markers(client, **query):
    """The map's JSON, each finding marker (an array, in the order of `finding_fields`) as a
    dict."""
    response = client.get("/field/map/data/", query)
    assert response.status_code == 200
    data = response.json()
    fields = data["finding_fields"]
    data["findings"] = [dict(zip(fields, marker, strict=True)) for marker in data["findings"]]
    return data


def test_the_map_data_holds_points_and_open_findings_in_scope(
    personas, client_for, city, make_point, finding_at
):
    market = make_point("东华农贸市场")
    station = make_point("西关车站", type="交通场站", territory=city.xiguan)
    make_point("无坐标", at=None)
    open_here = finding_at(market)
    finding_at(station)
    east = markers(client_for(personas.district_leader))
    assert [p["name"] for p in east["points"]] == ["东华农贸市场"]
    assert east["points"][0]["open"] == 1
    assert [f["id"] for f in east["findings"]] == [open_here.pk]
    # A finding without coordinates of its own is placed at its point, as stored (WGS-84).
    assert (east["findings"][0]["lat"], east["findings"][0]["lng"]) == (34.75, 113.65)
    office = markers(client_for(personas.office_admin))
    assert len(office["points"]) == 2 and len(office["findings"]) == 2


def test_a_finding_marker_carries_what_draws_it_and_its_popup_is_read_when_opened(
    personas, client_for, city, make_point, finding_at
):
    """A marker is its finding's id, place and status, nothing more, as an array: a thousand
    markers are read from an index alone and sent to a phone in the field as 40 KB (with
    each one's text, unit and link, 600 KB at city size, its rows read one by one from the
    table). What a marker's popup shows is read when it is opened, as the person may see it."""
    market = make_point("东华农贸市场")
    text = "<b>垃圾&未清运</b>" * 10
    finding = finding_at(market, description=text, latitude="34.123456", longitude="113.5")
    finding.assign(actor=personas.office_admin, unit=city.donghua1, deadline=None)
    data = client_for(personas.office_admin).get("/field/map/data/").json()
    assert data["finding_fields"] == ["id", "lat", "lng", "status"]
    assert data["findings"] == [[finding.pk, 34.123456, 113.5, "assigned"]]
    popup_url = data["popup"].replace("{id}", str(finding.pk))
    response = client_for(personas.office_admin).get(popup_url)
    assert response.status_code == 200
    popup = response.content.decode()
    assert f'href="{finding.get_absolute_url()}"' in popup and finding.code in popup
    assert str(finding.get_status_display()) in popup and city.donghua1.name in popup
    # The start of the problem, escaped: text, never markup.
    assert escape(text[:50]) in popup and escape(text) not in popup and "<b>" not in popup
    assert response["Content-Type"].startswith("text/html")


def test_a_popup_is_only_read_by_those_who_see_the_finding(
    personas, client_for, city, make_point, finding_at
):
    station = make_point("西关车站", type="交通场站", territory=city.xiguan)
    theirs = finding_at(station)
    theirs.assign(actor=personas.office_admin, unit=city.xiguan1, deadline=None)
    popup = reverse("fieldwork:map_popup", args=[theirs.pk])
    assert client_for(personas.district_leader).get(popup).status_code == 404
    assert client_for(personas.office_admin).get(popup).status_code == 200
    missing = reverse("fieldwork:map_popup", args=[theirs.pk + 1000])
    assert client_for(personas.office_admin).get(missing).status_code == 404


def test_the_map_is_filtered_like_the_ledger(personas, client_for, city, make_point, finding_at):
    market = make_point("东华农贸市场")
    station = make_point("西关车站", type="交通场站", territory=city.xiguan)
    finding_at(market, severity="serious")
    voided = finding_at(station)
    voided.void(actor=personas.office_admin, reason="重复")
    client = client_for(personas.office_admin)
    assert len(markers(client)["findings"]) == 1  # open ones by default
    assert [f["status"] for f in markers(client, status="voided")["findings"]] == ["voided"]
    assert markers(client, district=city.west.pk)["findings"] == []
    assert len(markers(client, severity="serious")["findings"]) == 1
    # A filter value outside the person's scope is another unit's data.
    street = client_for(personas.street_leader)
    assert street.get("/field/map/data/", {"unit": city.xiguan.pk}).status_code == 404


def test_the_number_of_markers_is_capped_and_the_data_says_so(
    personas, client_for, make_point, monkeypatch
):
    monkeypatch.setattr(views, "MAP_MARKER_CAP", 3)
    for n in range(4):
        make_point(f"点{n}")
    data = markers(client_for(personas.office_admin))
    assert len(data["points"]) == 3 and data["truncated"] is True and data["cap"] == 3
    page = client_for(personas.office_admin).get("/field/map/").content.decode()
    assert 'id="map-truncated"' in page


def test_without_a_tile_server_the_page_names_no_other_server(personas, client_for, settings):
    settings.MAP_TILE_URL = ""
    page = client_for(personas.leader).get("/field/map/").content.decode()
    assert 'data-tiles=""' in page
    assert "http://" not in page.replace("http://testserver", "")
    assert "https://" not in page


def test_a_configured_tile_server_is_handed_to_the_script_with_its_key(
    personas, client_for, settings
):
    settings.MAP_TILE_URL = (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={k}"
    )
    settings.MAP_TILE_KEY = "abc123"
    settings.MAP_TILE_CRS = "gcj02"
    page = client_for(personas.leader).get("/field/map/").content.decode()
    assert "tk=abc123" in page and 'data-crs="gcj02"' in page


def test_the_csp_allows_the_tile_servers_images_only(monkeypatch):
    from config.settings import _tile_origins

    assert _tile_origins("") == []
    assert _tile_origins("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}") == [
        "https://*.tianditu.gov.cn"
    ]
    assert _tile_origins("http://tiles.intranet:8080/{z}/{x}/{y}.png") == [
        "http://tiles.intranet:8080"
    ]


def test_the_map_page_has_no_inline_script(personas, client_for):
    page = client_for(personas.office_admin).get("/field/map/").content.decode()
    assert "<script>" not in page and "onclick" not in page
    assert "vendor/leaflet-1.9.4/leaflet.js" in page and "fieldwork/map.js" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
@pytest.mark.parametrize(
    ("status", "index"), [("", "finding_open_order"), ("closed", "finding_status_order")]
)
@pytest.mark.parametrize("persona", ["office_admin", "street_liaison"])
def test_the_maps_markers_are_chosen_in_order_in_the_index_of_their_status(
    personas, client_for, make_point, finding_at, persona, status, index
):
    """The map chooses its markers' ids, the newest located findings of the status shown, in
    an index of that status which holds the scope's columns and a finding's place (its
    coordinates, its point): open ones in `finding_open_order`, those of a status asked for
    in `finding_status_order`, read in the index's order (no sort of what it holds) and from
    the index alone. Before, a street's closed markers walked the city's closed findings
    newest first through the table to keep its own (209,000 rows, 430 ms at city size); the
    office's open ones were sorted from every open finding of the city (15 ms). A marker's
    place and status are read from the index too. The points'
    open findings are counted in `finding_open_order` alone, not by an IN list of a thousand
    point ids (planned value by value). Which index the planner prefers on a test's few rows
    is its own affair: the findings' other indexes are dropped."""
    market = make_point("东华农贸市场")
    for n in range(3):
        finding_at(market, found_on=datetime.date(2026, 3, 2 + n))
        finding_at(None, latitude="34.5", longitude="113.5")
    if status:
        Finding.objects.update(status=status)
    with CaptureQueriesContext(connection) as queries:
        data = markers(
            client_for(getattr(personas, persona)), **({"status": status} if status else {})
        )
    assert len(data["findings"]) == 6 and data["points"][0]["open"] == (0 if status else 3)
    finding_queries = [q["sql"] for q in queries if 'FROM "inspections_finding"' in q["sql"]]
    (placed,) = [sql for sql in finding_queries if "ORDER BY" in sql]
    (counted,) = [sql for sql in finding_queries if "COUNT(" in sql]
    only_indexes(index, "finding_open_order")
    placed_plan, counted_plan = plan_sql(placed), plan_sql(counted, sort=True)
    chosen = placed_plan.split("Limit", 1)[-1]  # the ids chosen, under their LIMIT
    assert f"Index Only Scan using {index}" in chosen, placed_plan
    assert "Sort" not in chosen, placed_plan
    # A marker's place and status are in the index: no finding's row is read (by id, after
    # choosing them, a thousand rows read one by one at city size).
    read = [line for line in placed_plan.splitlines() if " on inspections_finding" in line]
    assert read and all("Index Only Scan" in line for line in read), placed_plan
    # A marker placed at its point is placed by the point joined to it, the one read of the
    # points: not also checked against a list of every placed point of the city (read whole
    # for every map, and the office's open markers 4.3 → 3.8 ms at city size, a street's
    # closed ones 41 → 33 ms).
    points_read = [line for line in placed_plan.splitlines() if " on fieldwork_point" in line]
    assert len(points_read) == 1, placed_plan
    assert "Index Only Scan using finding_open_order" in counted_plan, counted_plan
    assert '"point_id" IN' not in counted, counted


@pytest.mark.parametrize("status", ["", "closed", "assigned"])
@pytest.mark.parametrize(
    "persona", ["office_admin", "district_leader", "street_liaison", "command_staff"]
)
def test_the_markers_are_the_newest_located_findings_each_person_sees(
    personas, client_for, city, make_point, finding_at, monkeypatch, persona, status
):
    """Whichever way a person sees findings (their units, their territories, their command
    office's standards), the map shows the newest located ones they see, each once, at most
    the cap: the same markers as the ledger's scope read in one query."""
    monkeypatch.setattr(views, "MAP_MARKER_CAP", 4)
    market = make_point("东华农贸市场")
    station = make_point("西关车站", type="交通场站", territory=city.xiguan)
    for n, (point, unit) in enumerate(
        [(market, city.donghua1), (market, city.xiguan1), (station, city.donghua), (None, None)] * 2
    ):
        finding = finding_at(
            point, found_on=datetime.date(2026, 3, 1 + n), latitude="34.5" if not point else None,
            longitude="113.5" if not point else None,
        )  # fmt: skip
        if unit:
            finding.assign(actor=personas.office_admin, unit=unit, deadline=None)
        if n % 3 == 0:
            Finding.objects.filter(pk=finding.pk).update(status=Status.CLOSED)
    person = getattr(personas, persona)
    seen = Finding.objects.visible_to(person).filter(
        Q(latitude__isnull=False) | Q(point__latitude__isnull=False)
    )
    seen = seen.filter(status=status) if status else seen.filter(status__in=OPEN)
    expected = [f.pk for f in seen.order_by("-found_on", "-pk")[:4]]
    data = markers(client_for(person), **({"status": status} if status else {}))
    assert [m["id"] for m in data["findings"]] == expected
    assert data["truncated"] == (seen.count() > 4 or len(data["points"]) > 4)
