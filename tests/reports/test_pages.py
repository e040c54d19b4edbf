"""Reports pages × personas: who sees what, who may act, and list pages' query budgets."""

import io
import re
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import Unit
from campaign.outbox import relay
from reports.bulletins import make_bulletin
from reports.models import Bulletin, ScoringRule
from reports.periods import previous_period
from reports.rankings import take_snapshot

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(city, bulletin_settings):
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1), deadline=day(2))
    make_finding(c, city.xiguan1, found_on=day(2))
    make_finding(c, city.chengguan, found_on=day(3))
    take_snapshot(campaign=c, period=WEEK)
    return city


@pytest.fixture
def draft(week):
    bulletin, _ = make_bulletin(campaign=week.campaign, period=WEEK)
    relay()  # its PDF, rendered after commit
    bulletin.refresh_from_db()
    return bulletin


def test_every_persona_may_read_the_dashboard_rankings_and_rules(personas, week, client_for):
    for person in vars(personas).values():
        client = client_for(person)
        for name in ("dashboard", "ranking_list", "scoringrule_edit", "bulletin_list"):
            assert client.get(reverse(f"reports:{name}")).status_code == 200, (person, name)


def test_a_leader_lands_on_a_dashboard_in_chinese_with_its_tables(personas, week, client_for):
    page = client_for(personas.leader).get(reverse("reports:dashboard")).content.decode()
    for heading in (
        "数据看板",
        "每周问题发现与销号",
        "各县区问题销号率",
        "各指挥部逾期情况",
        "测评预计得分",
    ):
        assert heading in page
    assert 'id="table-closure"' in page and "东城区" in page and "西城区" in page
    assert "vendor/echarts/echarts.min.js" in page


def test_a_district_sees_only_its_own_units_in_the_rankings(personas, week, client_for):
    client = client_for(personas.other_district_leader)
    page = client.get(reverse("reports:ranking_list"), {"period": WEEK, "kind": "district"})
    text = page.content.decode()
    assert "西城区" in text and "东城区" not in text
    streets = client.get(reverse("reports:ranking_list"), {"period": WEEK, "kind": "street"})
    assert "西关街道" in streets.content.decode() and "东华街道" not in streets.content.decode()


def test_command_staff_see_the_units_of_their_command_office(personas, week, client_for):
    client = client_for(personas.command_staff)
    page = client.get(reverse("reports:ranking_list"), {"period": WEEK, "kind": "department"})
    assert "市城管局" in page.content.decode()
    page = client.get(reverse("reports:ranking_list"), {"period": WEEK, "kind": "district"})
    assert "东城区" in page.content.decode() and "西城区" not in page.content.decode()


def test_the_ranking_exports_to_excel_with_the_same_rows(personas, week, client_for):
    client = client_for(personas.office_admin)
    response = client.get(
        reverse("reports:ranking_export"), {"period": WEEK, "angle": "problems", "kind": "street"}
    )
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert "本周问题最多" in rows[0][0]
    assert rows[1][:3] == ("名次", "单位", "新增问题")
    assert [r[:3] for r in rows[2:4]] == [(1, "东华街道", 1), (1, "西关街道", 1)]


def test_an_unknown_week_is_refused_with_a_message(personas, week, client_for):
    page = client_for(personas.office_admin).get(reverse("reports:ranking_list"), {"period": "x"})
    assert "不是有效的周次" in page.content.decode()


def test_only_the_office_changes_the_scoring_rules(personas, week, client_for):
    url = reverse("reports:scoringrule_edit")
    data = {name: str(getattr(ScoringRule(), name)) for name in ScoringRule.FROZEN_FIELDS}
    data["points_critical"] = "8"
    assert client_for(personas.leader).post(url, data).status_code == 403
    assert client_for(personas.district_leader).post(url, data).status_code == 403
    assert client_for(personas.office_admin).post(url, data).status_code == 302
    assert ScoringRule.objects.get(campaign=week.campaign).points_critical == 8
    page = client_for(personas.leader).get(url).content.decode()
    assert "严重问题每个扣8" in page and "只能由创建办修改" in page


def test_the_rule_change_does_not_touch_a_frozen_week(personas, week, client_for, draft):
    rule = ScoringRule.for_campaign(week.campaign)
    rule.points_minor = 50
    rule.save()
    draft.refresh_from_db()
    snapshot = take_snapshot(campaign=week.campaign, period=WEEK)
    assert Decimal(draft.data["rules"]["points_minor"]) == 1
    assert Decimal(snapshot.rules["points_minor"]) == 1
    # 100 − 1 (a minor finding) − 2 overdue working days × 0.5, under the frozen rules
    assert snapshot.units.get(unit=week.donghua1).score == Decimal("98.00")


def test_drafts_are_the_offices_and_published_issues_everyones(personas, draft, client_for):
    url = reverse("reports:bulletin_detail", args=[draft.pk])
    pdf = reverse("reports:bulletin_pdf", args=[draft.pk])
    assert client_for(personas.office_admin).get(url).status_code == 200
    for person in (personas.leader, personas.district_leader, personas.command_staff):
        assert client_for(person).get(url).status_code == 404
        assert client_for(person).get(pdf).status_code == 404
    draft.publish(actor=personas.office_admin)
    relay()
    for person in (personas.leader, personas.district_leader, personas.other_district_leader):
        assert client_for(person).get(url).status_code == 200
        response = client_for(person).get(pdf)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"


def test_only_the_office_makes_and_publishes_bulletins(personas, draft, client_for):
    publish = reverse("reports:bulletin_publish", args=[draft.pk])
    create = reverse("reports:bulletin_create")
    settings_url = reverse("reports:bulletinsettings_edit")
    for person in (personas.leader, personas.inspector, personas.district_leader):
        client = client_for(person)
        assert client.post(create, {"period": "2026-W44"}).status_code == 403
        assert client.get(settings_url).status_code == 403
        assert client.post(publish).status_code in (403, 404)
    assert Bulletin.objects.count() == 1
    response = client_for(personas.office_admin).post(publish)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Bulletin.Status.PUBLISHED


def test_the_office_makes_a_week_once_through_the_page(personas, week, client_for):
    client = client_for(personas.office_admin)
    first = client.post(reverse("reports:bulletin_create"), {"period": "2026-W45"})
    second = client.post(reverse("reports:bulletin_create"), {"period": "2026-W45"}, follow=True)
    bulletin = Bulletin.objects.get()
    assert first["Location"] == bulletin.get_absolute_url()
    assert "已经生成" in second.content.decode()


def test_people_without_a_campaign_get_not_found(week, make_person_without_role, client_for):
    client = client_for(make_person_without_role)
    assert client.get(reverse("reports:dashboard")).status_code == 404
    assert client.get(reverse("reports:bulletin_list")).status_code == 404


@pytest.fixture
def make_person_without_role(db):
    from campaign.models import Person

    return Person.objects.create_user(username="nobody", password="pw", name="无角色")


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx)


def test_the_archive_takes_the_same_queries_for_2_and_12_issues(personas, week, client_for):
    client = client_for(personas.office_admin)
    url = reverse("reports:bulletin_list")

    def add(n):
        start = Bulletin.objects.count()
        for i in range(start, start + n):
            Bulletin.objects.create(
                campaign=week.campaign,
                period=f"2025-W{i + 1:02d}",
                start=f"2025-01-0{1 + i % 7}",
                end="2025-01-08",
                number=i + 1,
                year=2025,
                sequence=i + 1,
                document_number=f"创文办〔2025〕{i + 1}号",
                status=Bulletin.Status.PUBLISHED,
                published_by=personas.office_admin,
            )

    add(2)
    client.get(url)  # the office's bulletin settings are read on a first visit only
    few = count_queries(client, url)
    add(10)
    many = count_queries(client, url)
    assert few == many


def test_the_ranking_takes_the_same_queries_for_few_and_many_units(personas, week, client_for):
    client = client_for(personas.office_admin)
    url = reverse("reports:ranking_list")
    params = {"period": WEEK, "kind": "community"}
    take_snapshot(campaign=week.campaign, period="2026-W44")
    few = count_queries(client, url, params)
    for n in range(20):
        Unit(
            campaign=week.campaign, name=f"新社区{n}", kind=Unit.Kind.COMMUNITY, parent=week.xinshi
        ).save()
    for period in (WEEK, "2026-W44"):
        take_snapshot(campaign=week.campaign, period=period, refresh=True)
    many = count_queries(client, url, params)
    assert few == many


def test_the_office_sets_when_and_to_whom_the_bulletin_goes(personas, week, client_for):
    client = client_for(personas.office_admin)
    url = reverse("reports:bulletinsettings_edit")
    data = {
        "is_enabled": "on",
        "weekday": "4",
        "time": "16:30",
        "covers": "0",
        "masthead": "创建全国文明城市工作通报",
        "issuing_office": "某市创建办",
        "document_prefix": "创城办",
        "report_to": "市委、市政府",
        "send_to": "",
        "issue_to": "各县区",
        "list_size": "5",
        "list_min_activity": "2",
        "recipients": "leader@example.cn\nnot-an-address",
    }
    page = client.post(url, data)
    assert page.status_code == 200
    assert "“not-an-address”不是有效的邮箱地址" in page.content.decode()
    data["recipients"] = "leader@example.cn\noffice@example.cn"
    assert client.post(url, data).status_code == 302
    item = week.campaign.bulletin_settings
    item.refresh_from_db()
    assert (item.weekday, item.time.hour, item.document_prefix) == (4, 16, "创城办")
    assert (item.list_size, item.list_min_activity) == (5, 2)
    assert item.recipient_list() == ["leader@example.cn", "office@example.cn"]


def test_the_office_rewrites_a_drafts_text_and_the_pdf_follows(personas, draft, client_for):
    client = client_for(personas.office_admin)
    url = reverse("reports:bulletin_edit", args=[draft.pk])
    response = client.post(
        url, {"summary": "本周全市创建工作总体平稳。", "requirements": "一、抓好整改。"}
    )
    assert response.status_code == 302
    relay()  # the PDF follows after commit
    draft.refresh_from_db()
    assert draft.summary == "本周全市创建工作总体平稳。"
    with draft.pdf.open("rb") as handle:
        text = "".join(p.extract_text() for p in pypdf.PdfReader(handle).pages)
    # The office's items are numbered by the official scheme under 六、, whatever was typed.
    assert "本周全市创建工作总体平稳" in text and "（一）抓好整改" in text
    draft.publish(actor=personas.office_admin)
    client.post(url, {"summary": "改动", "requirements": "改动"})
    draft.refresh_from_db()
    assert draft.summary == "本周全市创建工作总体平稳。"


def test_the_ranking_reads_both_weeks_rows_at_once_and_shows_each_units_move(
    personas, city, client_for
):
    c = city.campaign
    # Last week the east lost two points and the west none; this week the west lost one.
    make_finding(c, city.donghua1, found_on=day(-6))
    make_finding(c, city.donghua1, found_on=day(-5))
    make_finding(c, city.xiguan1, found_on=day(2))
    take_snapshot(campaign=c, period=previous_period(WEEK))
    take_snapshot(campaign=c, period=WEEK)
    client = client_for(personas.leader)

    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("reports:ranking_list")).content.decode()

    snapshot_reads = [q["sql"] for q in ctx.captured_queries if "reports_" in q["sql"]]
    assert sum('FROM "reports_periodsnapshot"' in sql for sql in snapshot_reads) == 1
    assert sum('FROM "reports_unitsnapshot"' in sql for sql in snapshot_reads) == 1
    table = page[page.index('id="ranking-table"') : page.index("</table>")]
    rows = [re.sub(r"^[^>]*>|<[^>]+>", " ", row).split() for row in table.split("<tr")[2:]]
    assert [row[:4] for row in rows] == [
        ["1", "东城区", "100.00", "↑1"],
        ["2", "西城区", "99.00", "↓1"],
    ]


def test_the_ranking_rows_escape_unit_names_and_mark_unranked_units(personas, city, client_for):
    city.west.name = "西城区<b>"
    city.west.save()
    make_finding(city.campaign, city.donghua1, found_on=day(1))
    take_snapshot(campaign=city.campaign, period=WEEK)
    url = reverse("reports:ranking_list") + f"?period={WEEK}&angle=closure"

    page = client_for(personas.leader).get(url).content.decode()

    assert "西城区&lt;b&gt;" in page and "西城区<b>" not in page
    # The west found nothing: no closure rate, so not ranked, listed last and greyed.
    assert '<tr class="text-muted">\n      <td>—</td>\n      <td>西城区&lt;b&gt;' in page
