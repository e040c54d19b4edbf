"""The ledger's counts: exact for open findings, capped for the years of closed ones."""

import datetime

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections import views
from inspections.filters import ledger_filter
from inspections.models import Finding, Status

pytestmark = pytest.mark.django_db


def add(city, status, n, **extra):
    for i in range(n):
        Finding.objects.create(
            campaign=city.campaign,
            source="routine",
            description=f"问题{status}{i}",
            unit=city.donghua1,
            territory=city.donghua1,
            status=status,
            **extra,
        )


def test_open_findings_are_counted_exactly_and_closed_ones_up_to_the_cap(
    city, personas, client_for, monkeypatch
):
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    add(city, Status.CLOSED, 5)
    add(city, Status.RECTIFYING, 4, deadline=datetime.date(2020, 1, 1))
    add(city, Status.ASSIGNED, 2)
    # Past the deadline but waiting for the office, not the unit: not overdue.
    add(city, Status.AWAITING, 1, deadline=datetime.date(2020, 1, 1))

    context = client_for(personas.office_admin).get(reverse("inspections:finding_list")).context
    counts = {value: n for value, _label, n in context["counts"]}

    assert counts[Status.RECTIFYING] == 4
    assert counts[Status.ASSIGNED] == 2
    assert counts[Status.CLOSED] == "3+"
    assert context["overdue_count"] == 4
    assert context["total"].endswith("+")


def test_below_the_cap_every_count_is_exact(city, personas, client_for):
    add(city, Status.CLOSED, 3)
    add(city, Status.VOIDED, 1)
    add(city, Status.ASSIGNED, 2)

    context = client_for(personas.street_leader).get(reverse("inspections:finding_list")).context
    counts = {value: n for value, _label, n in context["counts"]}

    assert (counts[Status.CLOSED], counts[Status.VOIDED], counts[Status.ASSIGNED]) == (3, 1, 2)
    assert context["total"] == 6
    assert context["page"].paginator.count == 6


def test_counts_are_one_query_and_empty_filters_count_nothing(city, personas, client_for):
    add(city, Status.CLOSED, 2)
    add(city, Status.ASSIGNED, 1)
    client = client_for(personas.office_admin)
    url = reverse("inspections:finding_list")

    with CaptureQueriesContext(connection) as queries:
        context = client.get(url, {"q": "问题%"}).context
    assert context["total"] == 0  # "%" is a character to find, not a wildcard
    assert (
        len([q for q in queries if 'inspections_finding"' in q["sql"] and "COUNT(" in q["sql"]])
        == 1
    )

    # A filter that can match nothing (to_do() for work that is not the person's) counts 0.
    counts, overdue = Finding.objects.none().status_counts(on=datetime.date.today(), cap=3)
    assert (counts, overdue) == ({Status.CLOSED: 0, Status.VOIDED: 0}, 0)


@pytest.mark.parametrize("persona", ["office_admin", "district_leader", "street_liaison"])
def test_each_way_a_person_sees_findings_is_written_once_in_the_counts(
    city, personas, client_for, persona
):
    """The counts read each way of seeing findings three times (open ones grouped, closed and
    voided ones up to the cap), but the way is written once in the query, a named part the
    three reads inline: written out three times, a district's query carried its unit ids
    six times over and was made (its parameters quoted into it) three times as long."""
    add(city, Status.ASSIGNED, 1)
    with CaptureQueriesContext(connection) as queries:
        # Overdue only: counted from the findings for every persona (without it, the office's
        # counts are summed from the tally PostgreSQL keeps: test_ledger_tally).
        url = reverse("inspections:finding_list")
        client_for(getattr(personas, persona)).get(url, {"overdue": "true"})
    (counts,) = [q["sql"] for q in queries if "COUNT(*) FILTER" in q["sql"]]
    ways = counts.count(" AS NOT MATERIALIZED (")
    assert ways == (1 if persona == "office_admin" else 2)  # the campaign; units, territories
    assert counts.count('FROM "inspections_finding"') == ways


def test_closed_findings_are_counted_up_to_a_thousand(city, personas, client_for):
    """A district's closed history is not read to the end on every page: counting up to
    10,000 of them took 29 ms at city size, twice the page's time with a tenth of the ledger."""
    Finding.objects.bulk_create(
        Finding(
            campaign=city.campaign,
            source="routine",
            description=f"已销号{i}",
            unit=city.donghua1,
            territory=city.donghua1,
            status=Status.CLOSED,
        )
        for i in range(1_001)
    )

    context = client_for(personas.office_admin).get(reverse("inspections:finding_list")).context
    counts = {value: n for value, _label, n in context["counts"]}

    assert counts[Status.CLOSED] == "1000+"
    assert context["total"] == "1000+"


def test_a_street_counts_each_finding_once_whichever_way_it_sees_it(
    city, personas, client_for, monkeypatch
):
    """A street sees findings handed to its units and findings found in its territory; they
    are counted way by way (issue 13) and a finding seen both ways is still counted once,
    capped counts included."""
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    late = datetime.date(2020, 1, 1)
    both = {"unit": city.donghua1, "territory": city.donghua1}
    territory_only = {"unit": city.xiguan1, "territory": city.donghua}
    for ways, status, n, extra in [
        (both, Status.CLOSED, 2, {}),
        (territory_only, Status.CLOSED, 2, {}),
        ({"unit": city.donghua, "territory": city.xiguan}, Status.ASSIGNED, 1, {"deadline": late}),
        ({"unit": None, "territory": city.donghua2}, Status.VOIDED, 1, {}),
        ({"unit": city.xiguan1, "territory": city.xiguan1}, Status.CLOSED, 3, {}),
        ({"unit": city.xiguan1, "territory": None}, Status.ASSIGNED, 2, {"deadline": late}),
    ]:
        Finding.objects.bulk_create(
            Finding(campaign=city.campaign, source="routine", description="问题", status=status,
                    **ways, **extra)
            for _ in range(n)
        )  # fmt: skip

    context = client_for(personas.street_leader).get(reverse("inspections:finding_list")).context
    counts = {value: n for value, _label, n in context["counts"]}

    # Four closed (two seen both ways, two through the territory only): more than the cap.
    assert counts[Status.CLOSED] == "3+"
    assert (counts[Status.ASSIGNED], counts[Status.VOIDED]) == (1, 1)
    assert context["overdue_count"] == 1
    assert context["total"] == "5+"

    monkeypatch.setattr(views, "COUNT_CAP", 10)
    context = client_for(personas.street_leader).get(reverse("inspections:finding_list")).context
    assert {value: n for value, _label, n in context["counts"]}[Status.CLOSED] == 4
    assert context["total"] == len(context["page"].object_list) == 6


PERSONAS = [
    "office_admin", "leader", "inspector", "command_staff", "district_leader", "street_leader",
    "street_liaison", "community_leader", "other_district_leader", "department_leader",
]  # fmt: skip


@pytest.mark.parametrize("cap", [2, 1000])
def test_each_persons_counts_are_the_findings_they_see(city, personas, cap):
    """The counts bar counts a unit person's findings way by way (issue 13): through their
    units, then through their territories. For every persona and a cap that binds or not,
    the counts are those of the findings the person sees (`visible_to`): none of another
    unit's, none of a sampling round not yet released, each finding once."""
    from collections import Counter

    from campaign.models import EvaluationSystem, IndicatorNode, Standard
    from fieldwork.models import Round
    from inspections.models import Inspection, Source

    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    node = IndicatorNode.objects.create(system=system, level=0, name="城市管理")
    standard = Standard.objects.create(
        system=system, node=node, code="1.1", text="无占道经营", points=1,
        lead_command_office=city.command_office,
    )  # fmt: skip
    unreleased = Inspection.objects.create(campaign=city.campaign, kind=Source.MOCK)
    Round.objects.create(
        campaign=city.campaign, name="模拟测评", inspection=unreleased,
        status=Round.Status.COMPLETED,
    )  # fmt: skip
    late, units = datetime.date(2020, 1, 1), [None, city.donghua, city.donghua1, city.xiguan1]
    statuses = [Status.ASSIGNED, Status.RECTIFYING, Status.CLOSED, Status.VOIDED]
    Finding.objects.bulk_create(
        Finding(
            campaign=city.campaign, source="routine", description="问题", status=status,
            unit=unit, territory=territory, deadline=late if n % 2 else None,
            standard=standard if n % 3 == 0 else None,
            inspection=unreleased if n % 5 == 0 else None,
        )
        for n, (unit, territory, status) in enumerate(
            (unit, territory, status)
            for unit in [*units, city.chengguan]
            for territory in units
            for status in statuses
            for _copy in range(3)
        )
    )  # fmt: skip
    today = datetime.date.today()
    for name in PERSONAS:
        person = getattr(personas, name)
        seen = Finding.objects.visible_to(person).filter(campaign=city.campaign)
        expected = Counter(seen.values_list("status", flat=True))
        for status in (Status.CLOSED, Status.VOIDED):
            expected[status] = min(expected[status], cap + 1)
        expected_overdue = seen.overdue(on=today).count()
        # As the ledger counts: the person's filters on the campaign's findings, counted as
        # the person sees them.
        asked = Finding.objects.filter(campaign=city.campaign)
        counts, overdue = asked.status_counts(on=today, cap=cap, seen_by=person)
        assert {s: n for s, n in counts.items() if n} == +expected, name
        assert overdue == expected_overdue, name
        # Counting findings already scoped gives the same.
        assert seen.status_counts(on=today, cap=cap, seen_by=person) == (counts, overdue), name


def test_the_ledgers_counts_are_the_findings_each_person_sees_whatever_the_filters(
    city, personas, client_for, monkeypatch
):
    """Through the page: read way by way without filters or with the status, or on the
    scoped findings with a search, the counts bar shows what the person sees."""
    from collections import Counter

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    units = [None, city.donghua, city.donghua1, city.xiguan1]
    Finding.objects.bulk_create(
        Finding(campaign=city.campaign, source="routine", description=f"问题{n % 2}",
                status=status, unit=unit, territory=territory)
        for n, (unit, territory, status) in enumerate(
            (unit, territory, status)
            for unit in units
            for territory in units
            for status in [Status.ASSIGNED, Status.CLOSED, Status.CLOSED, Status.VOIDED]
        )
    )  # fmt: skip
    for name in ["office_admin", "district_leader", "street_liaison", "community_leader"]:
        person = getattr(personas, name)
        client = client_for(person)
        seen = Finding.objects.visible_to(person).filter(campaign=city.campaign)
        for query, chosen in [
            ({}, seen),
            ({"status": "closed"}, seen.filter(status=Status.CLOSED)),
            ({"q": "问题1"}, seen.filter(description="问题1")),
        ]:
            context = client.get(reverse("inspections:finding_list"), query).context
            shown = {value: n for value, _label, n in context["counts"] if n}
            capped = {Status.CLOSED, Status.VOIDED}
            expected = {
                status: "2+" if status in capped and n > 2 else n
                for status, n in Counter(chosen.values_list("status", flat=True)).items()
            }
            assert shown == expected, (name, query)


@pytest.mark.parametrize(
    ("asked", "counted", "reads"),
    [
        ({}, {Status.ASSIGNED: 1, Status.CLOSED: 1, Status.VOIDED: 1}, 3),
        ({"status": "open"}, {Status.ASSIGNED: 1}, 1),
        ({"status": "closed"}, {Status.CLOSED: 1}, 1),
        ({"overdue": "true"}, {Status.ASSIGNED: 1}, 1),
        ({"status": "voided", "overdue": "true"}, {}, 0),
        ({"q": "问题", "status": "voided", "overdue": "true"}, {}, 0),
    ],
)
@pytest.mark.parametrize("persona", ["office_admin", "district_leader", "street_liaison"])
def test_a_status_the_filters_rule_out_is_not_read_by_the_counts(
    city, personas, client_for, persona, asked, counted, reads
):
    """The counts bar shows, per status, the findings the filters keep. With a status asked
    (the bar's own links) or only overdue findings (which wait for the unit), every other
    status counts 0, and its findings are not read: each way of seeing them was read three
    times (open ones grouped, closed and voided ones up to the cap), two of the reads to find
    nothing (a street's open ledger at city size planned six scans of the findings for two).
    With nothing kept, no count is read at all."""
    from inspections.models import FindingTally

    add(city, Status.ASSIGNED, 1, deadline=datetime.date(2020, 1, 1))
    add(city, Status.CLOSED, 1)
    add(city, Status.VOIDED, 1)
    client = client_for(getattr(personas, persona))
    with CaptureQueriesContext(connection) as queries:
        context = client.get(reverse("inspections:finding_list"), asked).context
    assert {value: n for value, _label, n in context["counts"] if n} == counted
    assert context["total"] == len(counted)
    if persona == "office_admin" and set(asked) <= {"status"} and FindingTally.is_kept("default"):
        return  # summed from the tally PostgreSQL keeps (test_ledger_tally)
    ways = 1 if persona == "office_admin" else 2  # the campaign; units, territories
    read = sum(q["sql"].count("FROM found") for q in queries)
    assert read == ways * reads, [q["sql"] for q in queries]


@pytest.mark.parametrize("persona", ["office_admin", "district_leader", "street_liaison"])
@pytest.mark.parametrize("sort", ["", "deadline", "-status"])
def test_a_search_with_few_matches_reads_them_once_for_its_counts_and_its_pages(
    city, personas, client_for, persona, sort
):
    """A search matching no more findings than a count's cap has them all read by its
    counts, which hand the page their ids: the page is chosen among those ids, sorted, and
    the search is not run a second time (a street's search at city size: its matches were
    found again to choose the page, a second plan and bitmap of the trigram and scope
    indexes, 2.2 ms of a 15 ms page). Every page holds each match once, in the list's order;
    findings the person does not see, or that do not match, are on none."""
    statuses = [Status.ASSIGNED, Status.CLOSED, Status.VOIDED, Status.RECTIFYING]
    for n in range(35):
        for unit, address in [(city.donghua1, f"建设路{n}号"), (city.xiguan, f"建设路{n}号"),
                              (city.donghua1, f"东华路{n}号")]:  # fmt: skip
            Finding.objects.create(
                campaign=city.campaign, source="routine", description="占道经营",
                address=address, unit=unit, territory=unit, status=statuses[n % 4],
                found_on=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 7),
                deadline=datetime.date(2026, 3, 1) + datetime.timedelta(days=n % 5),
            )  # fmt: skip
    person = getattr(personas, persona)
    client = client_for(person)
    expected = list(
        ledger_filter(person, city.campaign, QueryDict(f"q=建设路&sort={sort}")).qs.values_list(
            "pk", flat=True
        )
    )
    assert 35 <= len(expected) <= 70
    shown = []
    for page in range(1, 4):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                reverse("inspections:finding_list"), {"q": "建设路", "sort": sort, "page": page}
            )
        shown += [row["pk"] for row in response.context["page"]]
        searched = [q["sql"] for q in queries if "建设路" in q["sql"]]
        assert len(searched) == 1, searched  # the counts'
        if not response.context["page"].has_next():
            break
    assert shown == expected
