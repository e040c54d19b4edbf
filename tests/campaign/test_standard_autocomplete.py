"""Standard pickers: a search box over the person's own standards, not a drop-down of all."""

from django.urls import reverse


def labels(client, query=""):
    response = client.get(reverse("campaign:standard_autocomplete"), {"q": query})
    assert response.status_code == 200
    return [row["text"] for row in response.json()["results"]]


def test_street_leader_finds_only_the_standards_of_their_units(personas, standards, client_for):
    client = client_for(personas.street_leader)

    assert labels(client) == ["5.1 无占道经营"]
    assert labels(client, "乱贴") == []


def test_office_searches_every_standard_by_code_or_text(personas, standards, client_for):
    client = client_for(personas.office_admin)

    assert labels(client) == ["5.1 无占道经营", "5.2 无乱贴乱画", "6.1 公益广告"]
    assert labels(client, "5.") == ["5.1 无占道经营", "5.2 无乱贴乱画"]
    assert labels(client, "广告") == ["6.1 公益广告"]


def test_ledger_filter_renders_a_search_box_not_every_standard(personas, standards, client_for):
    client = client_for(personas.office_admin)
    chosen = standards["xiguan"]

    html = client.get(reverse("inspections:finding_list")).content.decode()
    # No option for the standard (its value alone matched another filter's option on
    # SQLite, where the standard's id is small: the supervision level's "2").
    assert f'<option value="{chosen.pk}">{chosen}' not in html
    assert f"{chosen}</option>" not in html
    assert reverse("campaign:standard_autocomplete") in html

    html = client.get(reverse("inspections:finding_list"), {"standard": chosen.pk}).content
    assert f'value="{chosen.pk}" data-role="value"'.encode() in html
    assert 'value="5.2 无乱贴乱画"'.encode() in html


def test_choosing_a_standard_outside_the_scope_is_404_on_the_ledger(
    personas, standards, client_for
):
    client = client_for(personas.street_leader)
    url = reverse("inspections:finding_list")

    assert client.get(url, {"standard": standards["donghua"].pk}).status_code == 200
    assert client.get(url, {"standard": standards["xiguan"].pk}).status_code == 404
