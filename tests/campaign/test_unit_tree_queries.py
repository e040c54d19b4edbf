"""The unit tree page's query count does not grow with the number of units."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import Role
from tests.conftest import make_person, make_unit


def add_units(campaign, parent, count):
    for n in range(count):
        street = make_unit(campaign, f"{parent.name}街道{n}", "street", parent)
        make_person(campaign, f"{parent.pk}-{n}", Role.UNIT_LIAISON, unit=street)


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_unit_tree_query_count_is_the_same_for_few_and_many_units(personas, city, client_for):
    client = client_for(personas.office_admin)
    add_units(city.campaign, city.east, 3)
    few = queries_for(client, "/org/units/")
    add_units(city.campaign, city.west, 40)
    many = queries_for(client, "/org/units/")
    assert few == many
    assert few > 0


def test_command_office_list_query_count_is_the_same_for_few_and_many(personas, city, client_for):
    from campaign.models import CommandOffice

    client = client_for(personas.office_admin)
    few = queries_for(client, "/org/command-offices/")
    for n in range(10):
        office = CommandOffice.objects.create(campaign=city.campaign, name=f"专班{n}")
        office.units.set([city.east, city.west])
        make_person(city.campaign, f"staff{n}", Role.COMMAND_STAFF, command_office=office)
    many = queries_for(client, "/org/command-offices/")
    assert few == many


def test_a_full_first_page_counts_the_persons_units_once_per_version(personas, city, client_for):
    # Issue 13 (scale): the office's first page is full (200 of ~900 units in a city); the
    # count under it is kept per campaign version and scope, which a unit added changes.
    client = client_for(personas.office_admin)
    for n in range(200):
        make_unit(city.campaign, f"西城社区{n}", "community", city.xiguan)
    total = 210  # the city's ten units and these

    client.get("/org/units/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/org/units/")
    assert response.context["page"].paginator.count == total
    assert not [q["sql"] for q in ctx.captured_queries if "__count" in q["sql"]]

    make_unit(city.campaign, "西城社区新", "community", city.xiguan)
    assert client.get("/org/units/").context["page"].paginator.count == total + 1
    searched = client.get("/org/units/", {"q": "西城社区1"})
    assert searched.context["page"].paginator.count == 111
