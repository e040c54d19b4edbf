"""The map of points and findings with no tile server: markers drawn, nothing requested from
any other server; and the phone's field form offering the points nearest the inspector."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from fieldwork.models import Point
from fieldwork.services import ensure_point_types
from inspections.models import FindingCategory
from inspections.services import log_finding

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def points_and_findings(city, personas):
    types = {t.name: t for t in ensure_point_types(city.campaign)}
    market = Point.objects.create(
        campaign=city.campaign,
        type=types["农贸市场"],
        name="东华农贸市场",
        address="东华路18号",
        latitude=Decimal("34.750000"),
        longitude=Decimal("113.650000"),
        territory=city.donghua1,
        unit=city.donghua,
    )
    Point.objects.create(
        campaign=city.campaign,
        type=types["学校周边"],
        name="实验小学周边",
        address="新市路2号",
        latitude=Decimal("34.752000"),
        longitude=Decimal("113.655000"),
        territory=city.xinshi,
        unit=city.xinshi,
    )
    category = FindingCategory.objects.create(campaign=city.campaign, name="卫生死角")
    log_finding(
        campaign=city.campaign,
        actor=personas.inspector,
        description="市场门口垃圾堆放",
        category=category,
        address=market.address,
        point=market,
        territory=market.territory,
        found_on=datetime.date.today(),
    )
    return market


def test_the_map_draws_points_and_findings_without_any_outside_request(
    browser_page, live_server, settings, personas, city
):
    settings.MAP_TILE_URL = ""
    points_and_findings(city, personas)
    page = browser_page
    outside = []

    def guard(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    login(page, live_server, "office")
    page.goto(f"{live_server.url}/field/map/")
    page.wait_for_selector("#map[data-loaded='1']")
    expect(page.locator("path.map-marker-point")).to_have_count(2)
    expect(page.locator("path.map-marker-finding")).to_have_count(1)
    expect(page.locator("img.leaflet-tile")).to_have_count(0)
    assert "2" in page.text_content("#map-count")
    # A marker opens its popup, read when opened, with the problem and a link to it.
    page.locator("path.map-marker-finding").click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("市场门口垃圾堆放")
    expect(page.locator(".leaflet-popup-content a")).to_have_attribute(
        "href", re.compile(r"^/ledger/findings/\d+/$")
    )
    assert outside == []


def test_a_popup_opened_after_the_session_ended_says_so_instead_of_showing_the_sign_in_page(
    browser_page, live_server, personas, city
):
    points_and_findings(city, personas)
    page = browser_page
    login(page, live_server, "office")
    page.goto(f"{live_server.url}/field/map/")
    page.wait_for_selector("#map[data-loaded='1']")
    page.context.clear_cookies()  # signed out elsewhere, or the session expired
    page.locator("path.map-marker-finding").click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("未能读取这条问题")
    expect(page.locator(".leaflet-popup-content input")).to_have_count(0)


def test_gcj02_tiles_get_shifted_coordinates_for_display_only(browser_page, live_server, personas):
    page = browser_page
    login(page, live_server, "office")
    page.goto(f"{live_server.url}/field/map/")
    # 天安门 in WGS-84 → GCJ-02 as the published transformation gives it.
    lat, lng = page.evaluate("window.chuangchengToGcj02(39.908823, 116.39747)")
    assert abs(lat - 39.910226) < 0.00002 and abs(lng - 116.403714) < 0.00002
    # Outside China nothing is shifted.
    assert page.evaluate("window.chuangchengToGcj02(51.5, -0.12)") == [51.5, -0.12]


def test_the_field_form_offers_the_nearest_point_and_fills_the_place(
    phone_page, live_server, personas, city
):
    points_and_findings(city, personas)
    page = phone_page
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 34.7501, "longitude": 113.6501, "accuracy": 10})
    login(page, live_server, "inspector")
    page.goto(f"{live_server.url}/ledger/new/")
    first = page.locator("#nearest-points [data-point]").first
    first.wait_for()
    assert "东华农贸市场" in first.text_content()
    first.click()
    assert page.input_value("#id_address") == "东华路18号"
    assert page.input_value("#id_point") == str(Point.objects.get(name="东华农贸市场").pk)
    assert "东华农贸市场" in page.text_content("#chosen-point")
