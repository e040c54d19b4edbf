"""List pages count their rows only when the first page is full (issue 13, scale)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import Unit
from campaign.pagination import get_page


def test_a_first_page_that_is_not_full_is_the_whole_list_without_a_count(city):
    units = Unit.objects.filter(campaign=city.campaign).order_by("path")
    every = list(units)
    with CaptureQueriesContext(connection) as queries:
        page = get_page(units.all(), len(every) + 1, None)
        assert (page.paginator.count, page.paginator.num_pages) == (len(every), 1)
        assert not page.has_other_pages()
        assert list(page) == every
    assert len(queries) == 1
    assert "COUNT" not in queries[0]["sql"]


def test_a_full_first_page_and_later_pages_are_djangos(city):
    units = Unit.objects.filter(campaign=city.campaign).order_by("path")
    total = units.count()
    first = get_page(units, 2, "1")
    assert (first.paginator.count, len(first), first.has_next()) == (total, 2, total > 2)
    last = get_page(units, 2, str(first.paginator.num_pages))
    assert list(last) == list(units)[(last.number - 1) * 2 :]
    assert list(get_page(units, 2, "x")) == list(units)[:2]


def test_rows_read_with_their_related_names_are_counted_without_the_joins(city):
    """A page of `values()` over related names (the supervision list, the point register)
    counts the rows themselves when told which: Django counted through the LEFT JOINs the
    columns need, 2.7 ms of the supervision list's 9 at city size."""
    units = Unit.objects.filter(campaign=city.campaign).order_by("path")
    rows = units.values("pk", "name", "parent__name")
    total = units.count()
    for number in ("1", "2"):
        with CaptureQueriesContext(connection) as queries:
            page = get_page(rows, 2, number, counted=units)
            assert page.paginator.count == total
        (counted,) = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
        assert "JOIN" not in counted
        assert list(page) == list(rows)[(page.number - 1) * 2 :][:2]
