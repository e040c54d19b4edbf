"""Who sees which units: the access module every later app builds on."""

import pytest

from campaign.models import Unit


def names(queryset):
    return set(queryset.values_list("name", flat=True))


def test_street_leader_sees_the_street_and_its_communities_only(personas, city):
    visible = names(Unit.objects.visible_to(personas.street_leader))
    assert visible == {"东华街道", "东华第1社区", "东华第2社区"}


def test_district_leader_sees_the_whole_district_but_not_the_other(personas, city):
    visible = names(Unit.objects.visible_to(personas.district_leader))
    assert visible == {
        "东城区",
        "东华街道",
        "东华第1社区",
        "东华第2社区",
        "新市街道",
        "新市第1社区",
    }


def test_other_district_leader_sees_nothing_of_the_first_district(personas, city):
    visible = names(Unit.objects.visible_to(personas.other_district_leader))
    assert visible == {"西城区", "西关街道", "西关第1社区"}


def test_office_admin_leader_and_inspector_see_the_whole_campaign(personas, city):
    everything = names(Unit.objects.all())
    for person in (personas.office_admin, personas.leader, personas.inspector):
        assert names(Unit.objects.visible_to(person)) == everything


def test_command_staff_see_the_units_linked_to_their_command_office(personas, city):
    assert names(Unit.objects.visible_to(personas.command_staff)) == {"东城区", "市城管局"}


def test_person_without_a_role_sees_nothing(city, django_user_model):
    stranger = django_user_model.objects.create_user(username="stranger", password="pw")
    assert not Unit.objects.visible_to(stranger).exists()


@pytest.mark.parametrize("unit_name", ["东华街道", "东华第1社区"])
def test_street_leader_opens_own_units(personas, city, client_for, unit_name):
    unit = Unit.objects.get(name=unit_name)
    response = client_for(personas.street_leader).get(unit.get_absolute_url())
    assert response.status_code == 200
    assert unit_name in response.content.decode()


@pytest.mark.parametrize("unit_name", ["新市街道", "东城区", "西城区", "西关第1社区", "市城管局"])
def test_street_leader_gets_404_for_siblings_parents_and_other_districts(
    personas, city, client_for, unit_name
):
    unit = Unit.objects.get(name=unit_name)
    response = client_for(personas.street_leader).get(unit.get_absolute_url())
    assert response.status_code == 404


def test_unit_page_never_links_to_ancestors_out_of_scope(personas, city, client_for):
    response = client_for(personas.street_leader).get(city.donghua.get_absolute_url())
    assert city.east.get_absolute_url() not in response.content.decode()


def test_unit_tree_lists_only_the_visible_subtree(personas, city, client_for):
    response = client_for(personas.street_leader).get("/org/units/")
    page = [unit["name"] for unit in response.context["page"]]
    assert page == ["东华街道", "东华第1社区", "东华第2社区"]


def test_moving_a_unit_moves_its_whole_subtree(personas, city):
    city.donghua.parent = city.west
    city.donghua.save()
    assert names(Unit.objects.visible_to(personas.other_district_leader)) >= {
        "东华街道",
        "东华第1社区",
        "东华第2社区",
    }
    community = Unit.objects.get(pk=city.donghua1.pk)
    assert community.ancestor_ids == [city.west.pk, city.donghua.pk]
    assert community.depth == 2
    assert "东华第1社区" not in names(Unit.objects.visible_to(personas.district_leader))


@pytest.mark.parametrize("ids", ["none", "one", "many"])
def test_any_of_and_its_negation_split_the_rows_between_them(city, ids):
    """`AnyOf(column, ids)` keeps the rows whose column is one of the ids and `~AnyOf` the
    others, a row with the column empty among them: on PostgreSQL the negation is a set of
    the ids hashed once, elsewhere an IN list, and with no ids the one keeps nothing and the
    other everything."""
    from campaign.access import AnyOf
    from inspections.models import Finding

    units = list(Unit.objects.order_by("pk"))
    for unit in [*units, None]:
        Finding.objects.create(
            campaign=city.campaign, source="routine", description="问题", unit=unit
        )
    chosen = {"none": [], "one": units[:1], "many": units[:-1]}[ids]
    expected = {unit.pk for unit in chosen}

    def units_of(findings):
        return sorted(findings.values_list("unit_id", flat=True), key=lambda pk: pk or 0)

    kept = Finding.objects.filter(AnyOf("unit", [unit.pk for unit in chosen]))
    passed_over = Finding.objects.filter(~AnyOf("unit", [unit.pk for unit in chosen]))
    assert units_of(kept) == sorted(expected)
    assert units_of(passed_over) == units_of(Finding.objects.exclude(unit_id__in=expected))
    assert None in units_of(passed_over)
    assert passed_over.count() + kept.count() == Finding.objects.count()


def test_a_scoped_querys_parameters_do_not_grow_with_the_units_in_scope(city, personas, client_for):
    """A district leader sees their district's units, ninety of them in a real city. Each
    scoped query carries those unit ids as one array, not one parameter per unit, each of
    which Django prepared and the driver quoted into the query: a district leader's home
    page built 56 such lists per request (139 ms at city size, 110 ms with arrays). The lists read the
    same rows as before (the scoping tests above, on both databases); on PostgreSQL they are
    now one parameter whatever the district's size, which this test checks."""
    from django.db import connection
    from django.urls import reverse

    from tests.conftest import make_unit

    if connection.vendor != "postgresql":
        pytest.skip("an IN list on other databases, one parameter per unit")
    for n in range(40):
        make_unit(city.campaign, f"东华第{n + 3}社区", Unit.Kind.COMMUNITY, city.donghua)
    sizes = []

    def parameters(execute, sql, params, many, context):
        sizes.append((len(params or ()), sql[:120]))
        return execute(sql, params, many, context)

    client = client_for(personas.district_leader)
    with connection.execute_wrapper(parameters):
        for page in ("home", "inspections:finding_list", "tasks:task_list", "reports:dashboard"):
            assert client.get(reverse(page)).status_code == 200
    most, query = max(sizes)
    assert most < 40, query
