"""The dashboard keeps what does not change from one visit to the next (issue 13, scale): the
frozen weeks' figures, keyed by the snapshots read each visit, and the projected scores,
keyed by the systems' tree version. Any change to what they show appears on the next visit."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import EvaluationSystem, IndicatorNode, Standard
from inspections.models import Status
from reports.periods import previous_period
from reports.rankings import take_snapshot

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db


def make_standard(system, code, unit, points="2"):
    node = IndicatorNode.objects.filter(system=system).first() or IndicatorNode.objects.create(
        system=system, level=0, name="项目", position=0
    )
    standard = Standard.objects.create(
        system=system, node=node, code=code, text=f"标准{code}", points=Decimal(points),
        lead_unit=unit, position=int(code),
    )  # fmt: skip
    standard.responsible_units.set([unit])
    return standard


@pytest.fixture
def dashboard(city):
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1), status=Status.CLOSED, closed_on=day(2))
    make_finding(c, city.xiguan1, found_on=day(2))
    take_snapshot(campaign=c, period=WEEK)
    system = EvaluationSystem.objects.create(campaign=c, name="测评体系", level_names=["项目"])
    make_standard(system, "1", city.donghua)
    make_standard(system, "2", city.xiguan, points="3")
    return system


def visit(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    return response.context, [q["sql"] for q in ctx.captured_queries]


def figures(context):
    return context["rows"]["weekly"], context["rows"]["closure"], context["rows"]["projected"]


@pytest.mark.parametrize("persona", ["office_admin", "street_liaison", "command_staff"])
def test_a_second_visit_reads_neither_the_weeks_rows_nor_the_standards(
    personas, dashboard, client_for, persona
):
    client = client_for(getattr(personas, persona))
    first, _queries = visit(client)
    second, queries = visit(client)

    assert figures(second) == figures(first)
    assert not [sql for sql in queries if 'FROM "reports_unitsnapshot"' in sql]
    assert not [sql for sql in queries if 'FROM "campaign_standard"' in sql]


def test_a_week_frozen_again_or_newly_shows_on_the_next_visit(
    personas, city, dashboard, client_for
):
    client = client_for(personas.office_admin)
    visit(client)
    make_finding(city.campaign, city.donghua1, found_on=day(3))
    take_snapshot(campaign=city.campaign, period=WEEK, refresh=True)
    context, _queries = visit(client)
    assert [row[1:] for row in context["rows"]["weekly"]] == [(3, 1)]
    assert [row[:3] for row in context["rows"]["closure"]] == [("东城区", 2, 1), ("西城区", 1, 0)]

    take_snapshot(campaign=city.campaign, period=previous_period(WEEK))
    context, _queries = visit(client)
    assert [row[1:] for row in context["rows"]["weekly"]] == [(0, 0), (3, 1)]


def test_an_assessment_or_a_new_standard_changes_the_projected_score_on_the_next_visit(
    personas, city, dashboard, client_for
):
    client = client_for(personas.office_admin)
    context, _queries = visit(client)
    assert context["rows"]["projected"] == [("测评体系", 5, 0, 5, 0)]

    standard = Standard.objects.get(system=dashboard, code="2")
    standard.assess(actor=personas.office_admin, status="met")
    context, _queries = visit(client)
    assert context["rows"]["projected"] == [("测评体系", 5, 3, 2, Decimal("60.0"))]

    make_standard(dashboard, "3", city.donghua, points="5")
    context, _queries = visit(client)
    assert context["rows"]["projected"] == [("测评体系", 10, 3, 7, Decimal("30.0"))]


def test_each_person_sees_the_projected_score_of_their_own_standards(
    personas, dashboard, client_for
):
    office, _queries = visit(client_for(personas.office_admin))
    street, _queries = visit(client_for(personas.street_liaison))
    office_again, _queries = visit(client_for(personas.office_admin))

    assert office["rows"]["projected"] == office_again["rows"]["projected"]
    assert [row[1] for row in office["rows"]["projected"]] == [5]
    assert [row[1] for row in street["rows"]["projected"]] == [2]
