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
