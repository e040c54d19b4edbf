"""The campaign's findings by status, kept by PostgreSQL (`FindingTally`, issue 13).

The office's counts bar read every open finding of the city on every page (4,700 rows at
city size, a third of the ledger's time over its floor). The database now keeps the counts as
rows its triggers add in the same statement as each change; whatever writes the findings,
the tally is their count, and writers never wait for each other on it.
"""

import datetime
import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import Campaign
from inspections.jobs import check_finding_tallies, compact_finding_tallies
from inspections.models import Finding, FindingTally, Status
from tests.conftest import prepared_statements

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="kept by PostgreSQL's triggers (CI runs on it)"
)
pytestmark = [postgres_only]


def tallied(campaign):
    """{status: n} of the tally's rows for `campaign`, statuses at zero left out (a count
    below zero is kept, to fail the comparison)."""
    rows = FindingTally.objects.filter(campaign=campaign).values_list("status", "n")
    totals = Counter()
    for status, n in rows:
        totals[status] += n
    return {status: n for status, n in totals.items() if n}


def counted(campaign):
    return Counter(Finding.objects.filter(campaign=campaign).values_list("status", flat=True))


def findings(campaign, status, n, **extra):
    return Finding.objects.bulk_create(
        Finding(campaign=campaign, source="routine", description="问题", status=status, **extra)
        for _ in range(n)
    )


@pytest.mark.django_db
def test_the_tally_is_the_campaigns_findings_by_status_whatever_writes_them(
    city, make_finding, personas
):
    other = Campaign.objects.create(
        name="另一个创建周期", level=Campaign.Level.PROVINCIAL, city="某市",
        start_date=datetime.date(2025, 1, 1), end_date=datetime.date(2027, 12, 31),
    )  # fmt: skip
    campaign = city.campaign
    checks = []

    def check(step):
        checks.append(step)
        assert tallied(campaign) == counted(campaign), step
        assert tallied(other) == counted(other), step

    check("nothing yet")
    # The life cycle, through the models' own transitions.
    assigned = make_finding("assigned")
    voided = make_finding("voided")
    make_finding("rectifying")
    check("logged, assigned, voided, acknowledged")
    assigned.acknowledge(actor=personas.street_liaison)
    check("acknowledged")
    # In bulk: an import, a bulk update, deletes; in both campaigns.
    findings(campaign, Status.CLOSED, 40)
    findings(other, Status.ASSIGNED, 7)
    check("bulk created")
    Finding.objects.filter(campaign=other).update(status=Status.RECTIFYING)
    closed = list(Finding.objects.filter(campaign=campaign, status=Status.CLOSED)[:5])
    Finding.objects.filter(pk__in=[f.pk for f in closed]).update(status=Status.ASSIGNED)
    check("bulk updated")
    moved = Finding.objects.filter(campaign=other).first()
    Finding.objects.filter(pk=moved.pk).update(campaign=campaign)
    check("moved to another campaign")
    # Findings with a history are never deleted (protected); bulk-made ones without one can be.
    with pytest.raises(ProtectedError):
        Finding.objects.filter(pk=voided.pk).delete()
    for gone in (campaign, other):
        two = Finding.objects.filter(campaign=gone, events=None).values_list("pk", flat=True)[:2]
        Finding.objects.filter(pk__in=list(two)).delete()
    check("deleted")
    # Raw SQL, which no model signal would see.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inspections_finding SET status = %s WHERE campaign_id = %s AND status = %s",
            [Status.VOIDED, campaign.pk, Status.CLOSED],
        )
    check("raw SQL")
    # A save that changes no status adds nothing to the tally.
    rows = FindingTally.objects.count()
    Finding.objects.filter(campaign=campaign).update(address="新地址")
    assert FindingTally.objects.count() == rows
    check("other columns")
    assert len(checks) == 9


@pytest.mark.django_db
def test_compacting_keeps_the_sums_in_one_row_per_campaign_and_status(city):
    campaign = city.campaign
    made = findings(campaign, Status.ASSIGNED, 10)
    for finding in made[:6]:
        Finding.objects.filter(pk=finding.pk).update(status=Status.RECTIFYING)
    Finding.objects.filter(pk__in=[f.pk for f in made[:6]]).update(status=Status.CLOSED)
    Finding.objects.filter(pk__in=[f.pk for f in made]).update(status=Status.VOIDED)
    before = tallied(campaign)
    assert FindingTally.objects.count() > len(before)

    compact_finding_tallies()

    assert tallied(campaign) == before == counted(campaign)
    # One row per status with findings in it: rectifying and closed, emptied, are gone.
    assert sorted(FindingTally.objects.values_list("status", "n")) == [(Status.VOIDED, 10)]


@pytest.mark.django_db
def test_a_tally_never_kept_is_counted_from_the_findings_at_night(city):
    findings(city.campaign, Status.CLOSED, 3)
    findings(city.campaign, Status.ASSIGNED, 2)
    FindingTally.objects.all().delete()  # as if it had never been kept

    check_finding_tallies()

    assert tallied(city.campaign) == counted(city.campaign) == {"closed": 3, "assigned": 2}


@pytest.mark.django_db
def test_a_tally_that_disagrees_with_the_findings_is_counted_again_at_night(city, caplog):
    """Findings written with the triggers off (a data-only load as a replica) leave the tally
    wrong: the nightly check finds where, logs it as an error and counts again."""
    campaign = city.campaign
    findings(campaign, Status.CLOSED, 3)
    assert check_finding_tallies() == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

    FindingTally.objects.create(campaign=campaign, status=Status.ASSIGNED, n=2)
    FindingTally.objects.create(campaign=campaign, status=Status.CLOSED, n=-1)

    assert check_finding_tallies() == [
        (campaign.pk, Status.ASSIGNED, 2, 0),
        (campaign.pk, Status.CLOSED, 2, 3),
    ]
    assert tallied(campaign) == counted(campaign) == {Status.CLOSED: 3}
    (error,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "counted again" in error.getMessage()
    assert check_finding_tallies() == []


@pytest.mark.django_db(transaction=True)
def test_two_people_changing_findings_at_once_do_not_wait_for_each_other_on_the_tally(city):
    """The triggers only add rows: a transition holding its transaction open (an import of
    thousands, a slow request) locks no count that another person's transition must update."""
    first, second = findings(city.campaign, Status.ASSIGNED, 2)
    holding, release = threading.Event(), threading.Event()
    errors = []

    def hold_a_change_open():
        try:
            with transaction.atomic():
                Finding.objects.filter(pk=first.pk).update(status=Status.RECTIFYING)
                holding.set()
                release.wait(timeout=10)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold_a_change_open)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            # The same move, so the same statuses' counts: it would wait on a kept counter.
            Finding.objects.filter(pk=second.pk).update(status=Status.RECTIFYING)
    finally:
        release.set()
        thread.join(timeout=10)
    assert not errors
    assert tallied(city.campaign) == {"rectifying": 2}


@pytest.mark.django_db
def test_the_offices_counts_are_read_from_the_tally_and_a_streets_from_its_findings(
    city, personas, client_for
):
    findings(city.campaign, Status.CLOSED, 3, unit=city.donghua1, territory=city.donghua1)
    findings(city.campaign, Status.ASSIGNED, 2, unit=city.donghua1, territory=city.donghua1,
             deadline=datetime.date(2020, 1, 1))  # fmt: skip
    url = reverse("inspections:finding_list")

    for persona, query, from_tally in [
        ("office_admin", {}, True),
        ("office_admin", {"status": "open", "sort": "deadline"}, True),
        # Overdue depends on the day, and a search on the text: counted from the findings.
        ("office_admin", {"overdue": "true"}, False),
        ("office_admin", {"q": "问题"}, False),
        ("street_liaison", {}, False),
    ]:
        with CaptureQueriesContext(connection) as queries:
            context = client_for(getattr(personas, persona)).get(url, query).context
        counts = {value: n for value, _label, n in context["counts"] if n}
        read = [q["sql"] for q in queries if "inspections_findingtally" in q["sql"]]
        assert bool(read) is from_tally, (persona, query)
        assert context["overdue_count"] == 2, (persona, query)
        expected = {Status.ASSIGNED: 2}
        if "status" not in query and "overdue" not in query:
            expected[Status.CLOSED] = 3
        assert counts == expected, (persona, query)


@pytest.mark.django_db
def test_the_offices_counts_are_one_statement_prepared_for_every_office_and_day(
    city, personas, client_for
):
    """The office's counts (the tally summed, the overdue findings counted) are planned once
    per connection like a unit person's (`campaign.statements`): the campaign and the day are
    parameters, so every office person's view of the ledger runs the same statement."""
    findings(city.campaign, Status.CLOSED, 3, unit=city.donghua1, territory=city.donghua1)
    client, url = client_for(personas.office_admin), reverse("inspections:finding_list")
    for _view in range(4):
        counts = {value: n for value, _label, n in client.get(url).context["counts"] if n}
    assert counts == {Status.CLOSED: 3}
    prepared = prepared_statements("inspections_findingtally")
    assert [runs for _statement, runs in prepared] == [4], prepared
    ((statement, _runs),) = prepared
    assert '"campaign_id" = $1' in statement and "'assigned'" in statement, statement
