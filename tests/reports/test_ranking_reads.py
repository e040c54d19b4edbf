"""The rankings page reads the red and black lists' settings with the frozen weeks (issue
13, scale): one query fewer on every visit, and a change of the settings or a campaign
without any shows on the next visit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections.models import Status
from reports.models import BulletinSettings
from reports.rankings import take_snapshot

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(city):
    c = city.campaign
    # Two streets with enough work for the lists, one closing more than the other.
    for n in range(4):
        make_finding(c, city.donghua1, found_on=day(1), status=Status.CLOSED, closed_on=day(2))
        if n:
            make_finding(c, city.xinshi1, found_on=day(1), status=Status.CLOSED, closed_on=day(2))
        else:
            make_finding(c, city.xinshi1, found_on=day(1), deadline=day(3))
    take_snapshot(campaign=c, period=WEEK)
    return c


def visit(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("reports:ranking_list"), {"period": WEEK, "kind": "street"})
    assert response.status_code == 200
    return response.context, [q["sql"] for q in ctx.captured_queries]


def test_the_settings_are_read_with_the_frozen_weeks(personas, frozen, client_for):
    BulletinSettings.objects.create(campaign=frozen, list_size=1, list_min_activity=1)
    context, queries = visit(client_for(personas.office_admin))

    assert not [sql for sql in queries if 'FROM "reports_bulletinsettings"' in sql]
    assert [i.row.unit_name for i in context["red"]] == ["东华街道"]
    assert [i.row.unit_name for i in context["black"]] == ["新市街道"]


def test_a_change_of_the_settings_shows_on_the_next_visit(personas, frozen, client_for):
    client = client_for(personas.office_admin)
    # No settings saved: the defaults (3 units, at least 3 of work) name both streets.
    context, _queries = visit(client)
    assert [i.row.unit_name for i in context["red"]] == ["东华街道", "新市街道"]

    BulletinSettings.objects.create(campaign=frozen, list_size=1, list_min_activity=1)
    context, _queries = visit(client)
    assert [i.row.unit_name for i in context["red"]] == ["东华街道"]

    BulletinSettings.objects.filter(campaign=frozen).update(list_min_activity=100)
    context, _queries = visit(client)
    assert context["red"] == [] and context["black"] == []
