"""Unit pickers: a search box over the person's own scope, not a drop-down of every unit."""

from django.urls import reverse


def names(client, query=""):
    response = client.get(reverse("campaign:unit_autocomplete"), {"q": query})
    assert response.status_code == 200
    return [row["text"] for row in response.json()["results"]]


def test_street_leader_finds_only_their_street_and_the_units_below(personas, client_for):
    client = client_for(personas.street_leader)

    assert names(client) == ["东华街道", "东华第1社区", "东华第2社区"]
    assert names(client, "第1") == ["东华第1社区"]


def test_another_district_is_never_offered(personas, client_for):
    client = client_for(personas.other_district_leader)

    assert names(client, "东华") == []
    assert "西关街道" in names(client, "西关")


def test_office_searches_the_whole_campaign_by_name_or_short_name(personas, city, client_for):
    city.chengguan.short_name = "城管"
    city.chengguan.save()
    client = client_for(personas.office_admin)

    assert names(client, "城管") == ["市城管局"]
    assert len(names(client)) == 10


def test_ledger_and_task_filters_render_a_search_box_not_every_unit(personas, city, client_for):
    client = client_for(personas.office_admin)
    for url in (reverse("inspections:finding_list"), reverse("tasks:task_list")):
        html = client.get(url).content.decode()

        assert "data-autocomplete" in html
        assert f'<option value="{city.xiguan1.pk}"' not in html


def test_chosen_unit_keeps_its_name_in_the_box(personas, city, client_for):
    client = client_for(personas.office_admin)

    html = client.get(reverse("inspections:finding_list"), {"unit": city.donghua.pk}).content
    assert f'value="{city.donghua.pk}" data-role="value"'.encode() in html
    assert 'value="东华街道"'.encode() in html


def test_choosing_a_unit_outside_the_scope_is_still_404_on_the_ledger(personas, city, client_for):
    client = client_for(personas.street_leader)
    url = reverse("inspections:finding_list")

    assert client.get(url, {"unit": city.xiguan.pk}).status_code == 404


def test_a_box_may_leave_out_some_kinds_of_unit(personas, client_for):
    client = client_for(personas.street_leader)
    response = client.get(reverse("campaign:unit_autocomplete"), {"exclude": "community"})

    assert [row["text"] for row in response.json()["results"]] == ["东华街道"]
