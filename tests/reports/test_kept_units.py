"""The dashboard and the rankings keep the units and command offices a person may see per
campaign version and scope (issue 13, scale: the office's ~900 units were read on every
visit). A unit or command office added, renamed or moved shows on the next visit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import Unit
from reports.rankings import take_snapshot
from tests.conftest import make_unit

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(city):
    make_finding(city.campaign, city.donghua1, found_on=day(1), deadline=day(2))
    take_snapshot(campaign=city.campaign, period=WEEK)
    return city


def visit(client, name, **query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), query)
    assert response.status_code == 200
    return response.context, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("persona", ["office_admin", "street_liaison", "command_staff"])
@pytest.mark.parametrize("name", ["reports:dashboard", "reports:ranking_list"])
def test_a_second_visit_reads_neither_the_units_nor_the_command_offices(
    personas, frozen, client_for, persona, name
):
    client = client_for(getattr(personas, persona))
    visit(client, name)
    _context, queries = visit(client, name)

    # (A street's scope, the ids below its unit, is read by every page, the floors too.)
    units = [sql for sql in queries if 'FROM "campaign_unit"' in sql]
    assert not [sql for sql in units if '"campaign_unit"."kind"' in sql]
    assert not [sql for sql in queries if 'FROM "campaign_commandoffice"' in sql]


def test_a_renamed_command_office_shows_on_the_dashboards_next_visit(personas, frozen, client_for):
    client = client_for(personas.office_admin)
    context, _queries = visit(client, "reports:dashboard")
    assert context["rows"]["overdue"][0][0] == "城市建设指挥部"

    frozen.command_office.name = "市容指挥部"
    frozen.command_office.save()
    context, _queries = visit(client, "reports:dashboard")
    assert context["rows"]["overdue"][0][0] == "市容指挥部"


def test_a_new_unit_shows_in_the_rankings_kinds_on_the_next_visit(personas, frozen, client_for):
    client = client_for(personas.street_liaison)
    context, _queries = visit(client, "reports:ranking_list")
    assert "community" in [kind for kind, _label in context["kinds"]]
    assert "department" not in [kind for kind, _label in context["kinds"]]

    make_unit(frozen.campaign, "东华城管所", Unit.Kind.DEPARTMENT, frozen.donghua)
    context, _queries = visit(client, "reports:ranking_list")
    assert "department" in [kind for kind, _label in context["kinds"]]


def test_a_unit_moved_out_of_a_street_leaves_its_dashboard_on_the_next_visit(
    personas, frozen, client_for
):
    client = client_for(personas.street_liaison)
    context, _queries = visit(client, "reports:dashboard")
    assert [row[1:] for row in context["rows"]["weekly"]] == [(1, 0)]

    frozen.donghua1.parent = frozen.xinshi
    frozen.donghua1.save()
    take_snapshot(campaign=frozen.campaign, period=WEEK, refresh=True)
    context, _queries = visit(client, "reports:dashboard")
    assert [row[1:] for row in context["rows"]["weekly"]] == [(0, 0)]
