"""The ledger's counts: exact for open findings, capped for the years of closed ones."""

import datetime

import pytest
from django.urls import reverse

from inspections import views
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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

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
