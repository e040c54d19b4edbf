"""The ledger list, the inbox and the supervision list cost the same queries for 2 or 30 rows."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections.models import Finding, FindingEvent, Status, SupervisionLevel, SupervisionOrder

pytestmark = pytest.mark.django_db


def grow_to(n, template):
    """Copies of one finding (with a supervision order) until there are n of them."""
    while Finding.objects.count() < n:
        copy = Finding.objects.get(pk=template.pk)
        copy.pk = None
        copy.save()
        FindingEvent.objects.create(finding=copy, action="create", to_status=copy.status)
        SupervisionOrder.objects.create(
            campaign=copy.campaign,
            finding=copy,
            level=1,
            year=2026,
            sequence=SupervisionOrder.objects.count() + 1,
        )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize(
    "url_name",
    ["inspections:finding_list", "inspections:supervision_list", "inspections:finding_inbox"],
)
def test_query_count_does_not_grow_with_rows(make_finding, personas, client_for, url_name):
    template = make_finding("rectifying")
    template.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    grow_to(2, template)
    client = client_for(personas.street_leader)
    url = reverse(url_name)
    client.get(url)  # warm caches (session, content types)
    small, response = count_queries(client, url)
    grow_to(30, template)
    large, response = count_queries(client, url)
    assert small == large
    if url_name == "inspections:finding_list":
        assert len(response.context["page"]) == 30
        assert Finding.objects.filter(status=Status.RECTIFYING).count() == 30


@pytest.mark.parametrize("sort", ["deadline", "-deadline", "status", "supervision", "unit"])
def test_every_sort_has_a_tie_break_so_pages_never_share_or_skip_a_finding(
    personas, client_for, make_finding, sort
):
    """Thirty-five findings with the same deadline, status, level and unit: page 1 and page 2
    of any sort hold each of them exactly once."""
    grow_to(35, make_finding("assigned"))
    client = client_for(personas.office_admin)
    codes = []
    for page in (1, 2):
        html = client.get(reverse("inspections:finding_list"), {"sort": sort, "page": page})
        codes += re.findall(r'href="/ledger/findings/(\d+)/"', html.content.decode())
    assert sorted(map(int, codes)) == sorted(Finding.objects.values_list("pk", flat=True))
    from inspections.filters import ledger_filter

    ordering = ledger_filter(
        personas.office_admin, Finding.objects.first().campaign, {"sort": sort}
    ).qs.query.order_by
    assert ordering[-1].lstrip("-") == "pk", ordering


def test_the_supervision_lists_pages_hold_each_finding_once_in_its_order(
    personas, client_for, make_finding
):
    """A page's ids are chosen first, then their rows read by id: both pages keep the list's
    order (deadline, then id, within a level) and no finding is on both or on neither."""
    template = make_finding("rectifying")
    template.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    grow_to(55, template)
    for n, pk in enumerate(Finding.objects.order_by("pk").values_list("pk", flat=True)):
        Finding.objects.filter(pk=pk).update(deadline=template.deadline - timedelta(days=n % 7))
    client = client_for(personas.street_leader)
    pages = [
        client.get(reverse("inspections:supervision_list"), {"page": n}).context["page"]
        for n in (1, 2)
    ]

    assert [len(page) for page in pages] == [50, 5]
    assert pages[0].paginator.count == 55
    shown = [row["pk"] for page in pages for row in page]
    in_order = Finding.objects.order_by("deadline", "pk").values_list("pk", flat=True)
    assert shown == list(in_order)
