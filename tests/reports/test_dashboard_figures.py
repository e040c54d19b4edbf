"""The dashboard reads the frozen weekly snapshots plus one live query: its queries do not grow
with the ledger, and no request ever computes a whole week's figures."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign import kept
from campaign.models import Unit
from inspections.models import Finding, Status
from reports import rankings
from reports.periods import previous_period
from reports.rankings import live_figures, snapshot_figures, take_snapshot, top_units
from tasks.models import TaskPart

from .conftest import WEEK, day, make_finding, make_task

pytestmark = pytest.mark.django_db


def units_of(campaign, queryset=None):
    units = queryset if queryset is not None else Unit.objects.filter(campaign=campaign)
    return list(units.values_list("pk", "path", "kind"))


def test_closure_by_district_is_the_latest_frozen_week_over_each_districts_territory(city):
    c = city.campaign
    make_finding(c, city.donghua1, found_on=day(1), status=Status.CLOSED, closed_on=day(2))
    make_finding(c, city.donghua, found_on=day(1))
    make_finding(c, city.xinshi1, found_on=day(1), status=Status.CLOSED, closed_on=day(3))
    make_finding(c, city.xiguan1, found_on=day(1))
    make_finding(c, city.xiguan1, found_on=day(1), status=Status.VOIDED)
    take_snapshot(campaign=c, period=WEEK)
    # Found after the frozen week: not in its figures until the next week is frozen.
    make_finding(c, city.xiguan1, found_on=day(9))

    _weekly, closure, as_of = snapshot_figures(c, units_of(c))

    assert as_of == WEEK
    assert [(name, total, closed, str(rate)) for name, total, closed, rate in closure] == [
        ("东城区", 3, 2, "66.7"),
        ("西城区", 1, 0, "0.0"),
    ]


def test_weekly_figures_add_up_the_highest_visible_units_once(city):
    c = city.campaign
    before = previous_period(WEEK)
    make_finding(c, city.donghua1, found_on=day(-3), status=Status.CLOSED, closed_on=day(1))
    make_finding(c, city.donghua, found_on=day(1))
    make_finding(c, city.xiguan1, found_on=day(2))
    make_finding(c, city.chengguan, found_on=day(2), status=Status.CLOSED, closed_on=day(3))
    take_snapshot(campaign=c, period=before)
    take_snapshot(campaign=c, period=WEEK)

    weekly, _closure, _as_of = snapshot_figures(c, units_of(c))
    # A street leader's units: their street and everything below it.
    street = snapshot_figures(c, units_of(c, Unit.objects.subtree_of(city.donghua)))[0]

    assert weekly == [(before, 1, 0), (WEEK, 3, 2)]
    assert street == [(before, 1, 0), (WEEK, 1, 1)]


def test_top_units_are_those_with_no_other_above_them(city):
    units = [(u.pk, u.path) for u in (city.donghua1, city.east, city.donghua, city.chengguan)]
    assert top_units(units) == [city.east.pk, city.chengguan.pk]


def test_no_frozen_week_means_no_weekly_figures(city):
    make_finding(city.campaign, city.donghua, found_on=day(1))
    assert snapshot_figures(city.campaign, units_of(city.campaign)) == ([], [], None)


def test_live_figures_count_open_overdue_and_overdue_parts_per_command_office(city):
    c = city.campaign
    today = day(10)
    make_finding(c, city.donghua, found_on=day(1), deadline=day(5))  # overdue
    make_finding(c, city.donghua, found_on=day(1), deadline=day(20))  # open, not overdue
    make_finding(c, city.donghua, found_on=day(1), status=Status.CLOSED, closed_on=day(2))
    make_task(c, city.donghua, deadline=day(3), command_office=city.command_office)  # overdue
    make_task(c, city.xiguan, deadline=day(30), command_office=city.command_office)

    with CaptureQueriesContext(connection) as ctx:
        live = live_figures(
            Finding.objects.filter(campaign=c),
            TaskPart.objects.filter(task__campaign=c),
            today=today,
        )

    assert len(ctx) == 1
    assert live == {None: (2, 1, 0), city.command_office.pk: (0, 0, 1)}


def grow_the_ledger(city, findings, weeks):
    """More findings and more frozen weeks: the dashboard must not read more because of them."""
    c = city.campaign
    units = [city.donghua1, city.xinshi1, city.xiguan1, city.chengguan]
    for n in range(findings):
        status = Status.CLOSED if n % 2 else Status.RECTIFYING
        make_finding(
            c, units[n % 4], found_on=day(-n % 60), status=status,
            deadline=day(1), closed_on=day(2) if n % 2 else None,
        )  # fmt: skip
    period = WEEK
    for _ in range(weeks):
        take_snapshot(campaign=c, period=period)
        period = previous_period(period)


@pytest.mark.parametrize("persona", ["office_admin", "leader", "street_liaison", "command_staff"])
def test_the_dashboard_reads_the_same_queries_for_a_small_and_a_large_ledger(
    personas, city, client_for, monkeypatch, persona
):
    def whole_week(*args, **kwargs):
        raise AssertionError("the dashboard computed a whole week")

    monkeypatch.setattr(rankings, "compute_figures", whole_week)
    client = client_for(getattr(personas, persona))
    url = reverse("reports:dashboard")

    def queries():
        kept.KEPT.clear()  # each visit reads the units and offices, as a first one
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    monkeypatch.undo()
    grow_the_ledger(city, findings=4, weeks=1)
    monkeypatch.setattr(rankings, "compute_figures", whole_week)
    small = queries()
    monkeypatch.undo()
    grow_the_ledger(city, findings=60, weeks=9)
    monkeypatch.setattr(rankings, "compute_figures", whole_week)
    large = queries()

    assert len(small) == len(large) <= 20
    # The ledger is read once, for what is open now; the weeks come from the snapshots.
    ledger = [sql for sql in large if 'FROM "inspections_finding"' in sql]
    # No closed finding is read (the clause withholding unreleased sampling rounds from
    # unit and command-office people names the rounds' own closed state).
    findings_only = re.sub(
        r'"fieldwork_round" U0 WHERE NOT \(U0."status" IN \([^)]*\)\)', "", ledger[0]
    )
    assert len(ledger) == 1 and "UNION ALL" in ledger[0] and "'closed'" not in findings_only
    assert any('FROM "reports_unitsnapshot"' in sql for sql in large)


def test_an_unfrozen_week_is_not_computed_for_the_dashboard(
    personas, city, client_for, monkeypatch
):
    """Even with no snapshot at all (a new campaign), the page shows the live counts only."""
    make_finding(city.campaign, city.donghua, found_on=datetime.date.today())

    def whole_week(*args, **kwargs):
        raise AssertionError("the dashboard computed a whole week")

    monkeypatch.setattr(rankings, "compute_figures", whole_week)
    monkeypatch.setattr(rankings, "live_rows", whole_week)
    page = client_for(personas.leader).get(reverse("reports:dashboard"))

    assert page.status_code == 200
    assert page.context["open_count"] == 1 and page.context["rows"]["weekly"] == []
    assert "尚无已冻结的周数据" in page.content.decode()
