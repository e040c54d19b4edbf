"""The filter panels' choices kept between requests (campaign.choices_cache): read once per
campaign version and scope, never shown stale, never another person's."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import Campaign, CommandOffice
from inspections.models import FindingCategory


def options(html, name):
    """The option texts of the drop-down `name` in a page."""
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def visit(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), " ".join(q["sql"] for q in queries.captured_queries)


def test_a_second_visit_reads_no_choices_and_a_change_shows_on_the_next(city, personas, client_for):
    client = client_for(personas.office_admin)
    first, _sql = visit(client, "/ledger/")
    page, sql = visit(client, "/ledger/")
    assert options(page, "category") == options(first, "category")
    assert "inspections_findingcategory" not in sql
    FindingCategory.objects.create(campaign=city.campaign, name="垃圾<分类>")
    city.east.name = "东城区（新）"
    city.east.save()
    page, sql = visit(client, "/ledger/")
    assert "inspections_findingcategory" in sql
    assert "垃圾&lt;分类&gt;" in options(page, "category")
    assert "东城区（新）" in options(page, "district")
    assert "东城区" not in options(page, "district")


def test_each_person_is_offered_the_choices_of_their_own_scope(city, personas, client_for):
    office, _sql = visit(client_for(personas.office_admin), "/field/points/")
    district, _sql = visit(client_for(personas.district_leader), "/field/points/")
    assert {"东城区", "西城区"} <= set(options(office, "district"))
    assert "西城区" not in options(district, "district")
    assert "东城区" in options(district, "district")


def test_a_command_office_linked_to_a_unit_changes_the_version(city, personas):
    before = Campaign.objects.get(pk=city.campaign.pk).choices_version
    office = CommandOffice.objects.create(campaign=city.campaign, name="新指挥部")
    created = Campaign.objects.get(pk=city.campaign.pk).choices_version
    office.units.add(city.donghua)
    linked = Campaign.objects.get(pk=city.campaign.pk).choices_version
    assert len({before, created, linked}) == 3


def test_the_usual_categories_are_offered_once_they_are_made(city, personas, client_for):
    """A campaign is given the usual finding categories in bulk the first time it needs them
    (no save signals): the ledger's filter offers them on the next page, not the choices it
    read before they existed (then a filter by one of them answered 404, as if it were
    another unit's)."""
    from inspections.models import DEFAULT_CATEGORIES
    from inspections.services import ensure_categories

    client = client_for(personas.office_admin)
    assert not set(DEFAULT_CATEGORIES) & set(options(visit(client, "/ledger/")[0], "category"))
    category = ensure_categories(city.campaign).first()
    assert set(DEFAULT_CATEGORIES) <= set(options(visit(client, "/ledger/")[0], "category"))
    assert client.get("/ledger/", {"category": category.pk}).status_code == 200
