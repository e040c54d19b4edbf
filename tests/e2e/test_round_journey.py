"""A mock evaluation end to end: the office imports 30 points, draws a stratified sample of 6,
an inspector records observations on a phone (two 不达标 with photos), the two findings are on
the map, the report shows the observation count and the 得分率, and the unit sees nothing of
the round until it is released."""

import datetime
import io

import pytest
from openpyxl import Workbook
from PIL import Image
from playwright.sync_api import expect

from campaign.models import EvaluationSystem, IndicatorNode, Standard
from fieldwork.models import Point, PointType, Round
from fieldwork.services import ensure_point_types
from inspections.models import Finding

from .conftest import login
from .test_accessibility import axe_page, violations  # noqa: F401 (axe_page is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = [
    "序号",
    "点位名称",
    "点位类型",
    "地址",
    "经度",
    "纬度",
    "所属区域",
    "责任单位",
    "行业主管部门",
]


def point_workbook(tmp_path):
    """30 points: in each district 8 markets and 7 back lanes, each at its own place."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "点位清单"
    sheet.append(["2026年模拟测评点位清单"])
    sheet.append(HEADER)
    n = 0
    for streets in (["东华街道", "新市街道"], ["西关街道"]):
        for kind, count in (("农贸市场", 8), ("背街小巷", 7)):
            for i in range(count):
                n += 1
                street = streets[i % len(streets)]
                sheet.append(
                    [
                        n,
                        f"{street}{kind}{i + 1}",
                        kind,
                        f"{street}路{n}号",
                        113.60 + n * 0.002,
                        34.70 + n * 0.001,
                        street,
                        street,
                        "",
                    ]
                )
    path = tmp_path / "点位清单.xlsx"
    wb.save(path)
    return path


def photo_bytes(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def standards(city):
    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    item = IndicatorNode.objects.create(system=system, level=0, name="公共环境")
    content = IndicatorNode.objects.create(system=system, parent=item, level=1, name="市容环境")
    return [
        Standard.objects.create(
            system=system, node=content, code=code, text=text, points=1, position=i
        )
        for i, (code, text) in enumerate(
            [("1.1", "地面干净无垃圾"), ("1.2", "无占道经营"), ("1.3", "公益广告不少于3处")]
        )
    ]


# Per sampled point, in route order, the results of its two standards. The first two points
# (东城区's markets) carry the two 不达标.
RESULTS = [
    ["not_met", "met"],
    ["mostly_met", "not_met"],
    ["met", "met"],
    ["mostly_met", "met"],
    ["met", "met"],
    ["met", "mostly_met"],
]


def test_a_mock_evaluation_from_import_to_release(
    browser_page, phone_page, browser, live_server, personas, city, tmp_path
):
    clean, stalls, ads = standards(city)
    ensure_point_types(city.campaign)
    office = browser_page
    login(office, live_server, "office")

    # 1. The office imports 30 points.
    office.goto(f"{live_server.url}/field/points/import/")
    office.set_input_files("input[type=file]", str(point_workbook(tmp_path)))
    office.click("button[name=preview]")
    office.click("button[name=confirm]")
    office.wait_for_url(lambda url: "/import/" not in url)
    assert Point.objects.filter(campaign=city.campaign).count() == 30

    # 2. … says which standards are observed at each type …
    market = PointType.objects.get(campaign=city.campaign, name="农贸市场")
    lane = PointType.objects.get(campaign=city.campaign, name="背街小巷")
    for point_type, chosen in ((market, [clean, stalls]), (lane, [clean, ads])):
        office.goto(f"{live_server.url}/field/point-types/{point_type.pk}/standards/")
        for standard in chosen:
            office.check(f"input[name=standards][value='{standard.pk}']")
        office.click("#main-form button[type=submit]")
        office.wait_for_url(f"{live_server.url}/field/rounds/")
    assert set(market.standards.all()) == {clean, stalls}

    # 3. … and draws a stratified sample of 6: 2 + 1 markets, 1 + 2 lanes in 东城区 / 西城区.
    office.goto(f"{live_server.url}/field/rounds/new/")
    office.fill("#id_name", "11月模拟测评")
    office.select_option("#id_kind", "mock")
    office.check(f"input[name=inspectors][value='{personas.inspector.pk}']")
    for point_type, district, count in (
        (market, city.east, 2),
        (market, city.west, 1),
        (lane, city.east, 1),
        (lane, city.west, 2),
    ):
        office.fill(f"#id_n_{point_type.pk}_{district.pk}", str(count))
    office.click("#main-form button[type=submit]")
    office.fill("#action-draw input[name=seed]", "20261125")
    office.click("#action-draw button")
    expect(office.locator("#samples tbody tr")).to_have_count(6)
    assert "20261125" in office.text_content("#draws")
    the_round = Round.objects.get(name="11月模拟测评")
    strata = sorted((s.point.type_id, s.district_id) for s in the_round.sampled_points.all())
    assert strata == sorted(
        [(market.pk, city.east.pk)] * 2
        + [(market.pk, city.west.pk)]
        + [(lane.pk, city.east.pk)]
        + [(lane.pk, city.west.pk)] * 2
    )
    office.click("#action-start button")
    office.wait_for_selector("#round-status")

    # 4. The inspector records the observations on a phone, a photo with each 不达标.
    phone = phone_page
    login(phone, live_server, "inspector")
    for i, results in enumerate(RESULTS):
        phone.goto(f"{live_server.url}/field/rounds/")
        phone.locator("#my-points a").first.click()
        cards = phone.locator("fieldset.observation")
        expect(cards).to_have_count(2)
        for j, result in enumerate(results):
            card = cards.nth(j)
            card.locator(f"input[value={result}]").check()
            if result == "not_met":
                card.locator("input[type=text]").fill(f"第{i + 1}处问题")
                card.locator("input[type=file]").set_input_files(photo_bytes((200, 40 * j, 40)))
        phone.click("#observe-form button[type=submit]")
        phone.wait_for_url(f"{live_server.url}/field/rounds/{the_round.pk}/")
    expect(phone.locator("#my-points")).to_have_count(0)
    phone.click("#action-complete button")
    phone.wait_for_selector("#round-status")
    findings = list(Finding.objects.filter(inspection=the_round.inspection))
    assert len(findings) == 2 and all(f.photos.count() == 1 for f in findings)

    # 5. The unit (东城区, where both findings are) sees nothing of the round before release.
    unit_context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    unit = unit_context.new_page()
    login(unit, live_server, "dongcheng")
    assert all(f.territory.is_within(city.east) for f in findings)
    for url in ("/ledger/", "/ledger/inbox/", "/", "/reports/"):
        unit.goto(f"{live_server.url}{url}")
        body = unit.content()
        assert all(f.code not in body and f.description not in body for f in findings), url
    assert unit.goto(f"{live_server.url}{findings[0].get_absolute_url()}").status == 404
    assert unit.goto(f"{live_server.url}/field/rounds/{the_round.pk}/").status == 404
    unit.goto(f"{live_server.url}/field/map/")
    unit.wait_for_selector("#map[data-loaded='1']")
    expect(unit.locator("path.map-marker-finding")).to_have_count(0)

    # 6. The office sees both findings on the map and the report's figures:
    #    12 observations; 达标 7, 基本达标 3, 不达标 2 → (7 + 3 × 0.5) / 12 = 70.83 → 70.8 %.
    office.goto(f"{live_server.url}/field/map/")
    office.wait_for_selector("#map[data-loaded='1']")
    expect(office.locator("path.map-marker-finding")).to_have_count(2)
    office.goto(f"{live_server.url}/field/rounds/{the_round.pk}/report/")
    assert office.text_content("#points-sampled").strip() == "6"
    assert office.text_content("#standards-observed").strip() == "3"
    assert office.text_content("#observation-count").strip() == "12"
    assert office.text_content("#score-rate").strip() == "70.8%"

    # 7. Released: the findings are handed to their units, and the unit sees them.
    office.goto(f"{live_server.url}/field/rounds/{the_round.pk}/")
    office.click("#action-release button")
    office.wait_for_selector("#action-close")
    unit.goto(f"{live_server.url}/ledger/")
    body = unit.content()
    assert all(f.code in body for f in findings)
    unit_context.close()


def test_the_round_pages_have_no_wcag2_violation(axe_page, live_server, personas, city):  # noqa: F811
    from fieldwork import rounds
    from fieldwork.models import Frequency, RoundSchedule
    from inspections.models import Source

    clean, stalls, _ads = standards(city)
    types = {t.name: t for t in ensure_point_types(city.campaign)}
    types["农贸市场"].standards.set([clean, stalls])
    for i in range(3):
        Point.objects.create(
            campaign=city.campaign,
            type=types["农贸市场"],
            name=f"农贸市场{i + 1}",
            address=f"东华路{i + 1}号",
            territory=city.donghua,
            unit=city.donghua,
        )
    the_round = rounds.create_round(
        campaign=city.campaign,
        actor=personas.office_admin,
        name="暗访",
        kind=Source.UNDERCOVER,
        date=datetime.date.today(),
        quotas=[{"type": types["农贸市场"].pk, "district": city.east.pk, "count": 2}],
        inspectors=[personas.inspector],
    )
    rounds.draw(the_round, actor=personas.office_admin, seed=1)
    rounds.start(the_round, actor=personas.office_admin)
    schedule = RoundSchedule.objects.create(
        campaign=city.campaign, point_type=types["农贸市场"], frequency=Frequency.WEEKLY
    )
    schedule.inspectors.set([personas.inspector])
    sample = the_round.sampled_points.first()
    paths = {
        "office": [
            "/field/rounds/",
            "/field/rounds/new/",
            "/field/schedules/new/",
            f"/field/point-types/{types['农贸市场'].pk}/standards/",
            f"/field/rounds/{the_round.pk}/",
            f"/field/rounds/{the_round.pk}/route/",
            f"/field/rounds/{the_round.pk}/report/",
        ],
        "inspector": [f"/field/rounds/{the_round.pk}/points/{sample.pk}/", "/field/rounds/"],
    }
    failures = {}
    for username, urls in paths.items():
        axe_page.context.clear_cookies()
        login(axe_page, live_server, username)
        for path in urls:
            assert axe_page.goto(f"{live_server.url}{path}").status == 200, path
            axe_page.wait_for_load_state("networkidle")
            found = violations(axe_page)
            if found:
                failures[path] = found
    assert failures == {}
