"""Home = my to-dos (issue 12, defect 5): per role, counts that open the list they count, and
every place card once."""

import datetime
import re
from collections import Counter

import pytest

from inspections.models import Finding, Severity, Source, Status
from tasks.models import Task

pytestmark = pytest.mark.django_db


def tiles(html):
    """{label: (count, url)} of the to-do counts on the home page."""
    section = re.search(r'id="my-to-dos".*?</section>', html, re.S).group(0)
    found = re.findall(
        r'href="([^"]+)".*?todo-count">(\d+)</div><div class="small todo-label">([^<]+)<',
        section,
        re.S,
    )
    return {label: (int(count), url.replace("&amp;", "&")) for url, count, label in found}


def place_cards(html):
    section = html.split('id="my-to-dos"')[1]
    return re.findall(r'<a class="card h-100[^"]*" href="([^"]+)"', section)


@pytest.fixture
def work(city, personas):
    today = datetime.date.today()
    c = city.campaign

    def task(title, status, deadline, lead=city.donghua):
        task = Task.objects.create(
            campaign=c,
            title=title,
            lead_unit=lead,
            command_office=city.command_office,
            status=status,
            deadline=deadline,
        )
        task.sync_parts()  # the lead unit's own part, in the same state
        task.parts.update(status=status)
        return task

    task("背街小巷整治", Task.Status.NOT_STARTED, today + datetime.timedelta(days=30))
    task("农贸市场整治", Task.Status.IN_PROGRESS, today - datetime.timedelta(days=3))
    task("公益广告", Task.Status.SUBMITTED, today + datetime.timedelta(days=9))
    task("西关街道任务", Task.Status.NOT_STARTED, today + datetime.timedelta(days=9), city.xiguan)

    def finding(status, unit=city.donghua, **extra):
        return Finding.objects.create(
            campaign=c,
            source=Source.ROUTINE,
            found_on=today,
            description="路边垃圾未清理",
            severity=Severity.MINOR,
            unit=unit,
            territory=unit,
            status=status,
            **extra,
        )

    finding(Status.ASSIGNED, deadline=today + datetime.timedelta(days=5))
    finding(Status.RECTIFYING, deadline=today - datetime.timedelta(days=2), supervision_level=1)
    finding(Status.AWAITING, deadline=today + datetime.timedelta(days=5))
    finding(Status.AWAITING, unit=city.xiguan, deadline=today + datetime.timedelta(days=5))
    finding(Status.REGISTERED, unit=None)


def test_a_liaison_sees_what_to_report_acknowledge_and_rectify(work, personas, client_for):
    client = client_for(personas.street_liaison)
    counts = tiles(client.get("/").content.decode())
    assert {label: n for label, (n, _url) in counts.items()} == {
        "待上报": 2,
        "逾期任务": 1,
        "待签收": 1,
        "待整改": 1,
        "逾期问题": 1,
        "督办中": 1,
    }


def test_command_staff_see_what_to_accept(work, personas, client_for):
    counts = tiles(client_for(personas.command_staff).get("/").content.decode())
    assert counts["待验收"][0] == 1
    assert "待上报" not in counts and "待签收" not in counts


def test_the_office_sees_what_to_verify_and_assign(work, personas, client_for):
    counts = tiles(client_for(personas.office_admin).get("/").content.decode())
    assert counts["待验收"][0] == 1
    assert counts["待复核"][0] == 2
    assert counts["待交办"][0] == 1


def test_a_leader_only_reads_overdue_and_supervised_counts(work, personas, client_for):
    counts = tiles(client_for(personas.leader).get("/").content.decode())
    assert set(counts) == {"逾期任务", "逾期问题", "督办中"}


@pytest.mark.parametrize("persona", ["street_liaison", "command_staff", "office_admin", "leader"])
def test_each_count_opens_a_list_of_exactly_that_many(persona, work, personas, client_for):
    client = client_for(getattr(personas, persona))
    for label, (count, url) in tiles(client.get("/").content.decode()).items():
        response = client.get(url)
        assert response.status_code == 200, label
        assert response.context["page"].paginator.count == count, label


@pytest.mark.parametrize(
    "persona", ["office_admin", "leader", "inspector", "command_staff", "street_liaison"]
)
def test_no_place_card_appears_twice(persona, personas, client_for):
    html = client_for(getattr(personas, persona)).get("/").content.decode()
    repeated = [href for href, n in Counter(place_cards(html)).items() if n > 1]
    assert repeated == []
