"""Dashboard figures that read the ledger: counted in the database, not row by row in Python."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspections.models import Finding, Status
from reports.rankings import closure_by_district

from .conftest import day, make_finding

pytestmark = pytest.mark.django_db


def test_closure_by_district_adds_up_each_districts_territory(city):
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1), status=Status.CLOSED, closed_on=day(2))
    make_finding(c, city.donghua, found_on=day(1))
    make_finding(c, city.xinshi1, found_on=day(1), status=Status.CLOSED, closed_on=day(3))
    make_finding(c, city.xiguan1, found_on=day(1))
    make_finding(c, city.xiguan1, found_on=day(1), status=Status.VOIDED)

    rows = closure_by_district(Finding.objects.filter(campaign=c), [city.east, city.west])

    assert [(d.name, total, closed, str(rate)) for d, total, closed, rate in rows] == [
        ("东城区", 3, 2, "66.7"),
        ("西城区", 1, 0, "0.0"),
    ]


def test_closure_by_district_reads_one_row_per_unit_not_per_finding(city):
    for _ in range(6):
        make_finding(city.campaign, city.donghua1, found_on=day(1))

    with CaptureQueriesContext(connection) as ctx:
        closure_by_district(Finding.objects.filter(campaign=city.campaign), [city.east])

    (query,) = ctx.captured_queries
    assert "GROUP BY" in query["sql"] and "ORDER BY" not in query["sql"]
