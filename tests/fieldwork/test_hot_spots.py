"""Hot spots (热点): points and areas with repeated findings or relapses in a window, with the
trend against the window before. Fixed dates throughout."""

import datetime

import pytest

from fieldwork.models import HotSpotSettings
from fieldwork.services import hot_spots, hot_spots_for_bulletin
from inspections.models import Finding

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 31)  # the 30-day window is 2026-03-02 .. 2026-03-31


def day(n):
    return datetime.date(2026, 3, n)


def spots(user, campaign, on=TODAY):
    return hot_spots(Finding.objects.visible_to(user), campaign=campaign, on=on)


def test_three_findings_in_thirty_days_make_a_point_a_hot_spot(
    personas, city, make_point, finding_at
):
    market = make_point("东华农贸市场")
    lane = make_point("建设里", type="背街小巷")
    for n in (2, 15, 31):
        finding_at(market, found_on=day(n))
    finding_at(lane, found_on=day(10))
    finding_at(lane, found_on=day(20))
    finding_at(lane, found_on=day(1))  # the day before the window
    result = spots(personas.office_admin, city.campaign)
    assert [(s.place, s.count) for s in result.points] == [(market, 3)]
    assert (result.start, result.end) == (day(2), TODAY)


def test_the_trend_compares_with_the_window_before(personas, city, make_point, finding_at):
    market = make_point("东华农贸市场")
    for found in (datetime.date(2026, 2, 1), datetime.date(2026, 2, 20)):  # the window before
        finding_at(market, found_on=found)
    for n in (3, 4, 5, 6):
        finding_at(market, found_on=day(n))
    finding_at(market, found_on=datetime.date(2026, 1, 30))  # before both windows
    (spot,) = spots(personas.office_admin, city.campaign).points
    assert (spot.count, spot.previous, spot.trend) == (4, 2, 2)


def test_a_relapse_makes_a_hot_spot_on_its_own(personas, city, make_point, finding_at):
    market = make_point("东华农贸市场")
    first = finding_at(market, found_on=day(3))
    finding_at(market, found_on=day(20), relapse_of=first)
    (spot,) = spots(personas.office_admin, city.campaign).points
    assert (spot.count, spot.relapses) == (2, 1)


def test_voided_findings_do_not_count(personas, city, make_point, finding_at):
    market = make_point("东华农贸市场")
    for n in (2, 3):
        finding_at(market, found_on=day(n))
    finding_at(market, found_on=day(4)).void(actor=personas.office_admin, reason="重复登记")
    assert spots(personas.office_admin, city.campaign).points == []


def test_areas_are_counted_by_the_territory_findings_were_found_in(personas, city, finding_at):
    for n in (5, 6, 7):
        finding_at(territory=city.xinshi1, found_on=day(n))
    finding_at(territory=city.xiguan1, found_on=day(5))
    result = spots(personas.office_admin, city.campaign)
    assert [(s.place, s.count) for s in result.areas] == [(city.xinshi1, 3)]
    # Units see only their own territory's hot spots.
    assert spots(personas.other_district_leader, city.campaign).areas == []


def test_the_office_sets_the_thresholds_per_campaign(
    personas, client_for, city, make_point, finding_at
):
    market = make_point("东华农贸市场")
    for n in (10, 25):
        finding_at(market, found_on=day(n))
    assert spots(personas.office_admin, city.campaign).points == []
    client = client_for(personas.office_admin)
    response = client.post("/field/hot-spots/", {"window_days": 7, "min_findings": 2})
    assert response.status_code == 302
    assert HotSpotSettings.objects.get(campaign=city.campaign).min_findings == 2
    assert spots(personas.office_admin, city.campaign).points == []  # 15 days apart
    HotSpotSettings.objects.filter(campaign=city.campaign).update(window_days=30)
    assert [s.place for s in spots(personas.office_admin, city.campaign).points] == [market]
    # Others read the page but do not change the thresholds.
    assert (
        client_for(personas.leader).post("/field/hot-spots/", {"window_days": 1}).status_code == 403
    )


def test_the_dashboard_lists_the_hot_spots(personas, client_for, city, make_point, finding_at):
    market = make_point("东华农贸市场")
    for _n in range(3):
        finding_at(market)  # today's date: found_on defaults to 2026-03-02 in the builder
    Finding.objects.update(found_on=datetime.date.today())
    client = client_for(personas.leader)
    # The dashboard loads its hot spot section after the page (it reads the ledger once).
    page = client.get("/reports/").content.decode()
    assert 'hx-get="/field/hot-spots/" hx-trigger="load"' in page
    section = client.get("/field/hot-spots/", headers={"HX-Request": "true"})
    assert section.templates[0].name == "fieldwork/_hot_spots.html"
    assert "东华农贸市场" in section.content.decode()


def test_the_bulletin_function_counts_every_units_hot_spots(personas, city, make_point, finding_at):
    market = make_point("西关农贸市场", territory=city.xiguan)
    for n in (2, 9, 16):
        finding_at(market, found_on=day(n))
    finding_at(territory=city.xiguan1, found_on=day(22))
    rows = hot_spots_for_bulletin(city.campaign, on=day(22))
    assert rows == [
        {
            "place": "西关农贸市场",
            "kind": "point",
            "count": 3,
            "relapses": 0,
            "previous": 0,
            "trend": 3,
        },
        {"place": "西关街道", "kind": "area", "count": 3, "relapses": 0, "previous": 0, "trend": 3},
    ]


def test_the_bulletin_names_the_weeks_hot_spots(personas, city, make_point, finding_at):
    from reports.bulletins import make_bulletin

    market = make_point("西关农贸市场", territory=city.xiguan)
    for n in (2, 9, 16):
        finding_at(market, found_on=day(n))
    bulletin, _created = make_bulletin(
        campaign=city.campaign, period="2026-W12", actor=personas.office_admin, auto_publish=False
    )
    assert bulletin.data["hot_spots"][0]["place"] == "西关农贸市场"
