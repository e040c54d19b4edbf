"""On a phone a list's filter panel is folded behind its button (templates/_filter_panel.html),
so the list itself says what it is shown with: the search as typed, how many other filters,
and a link that clears them all. Inside the list's part that htmx redraws, so it follows
every change of filter."""

import re

import pytest

LISTS = [
    ("/ledger/", {"status": "closed", "severity": "serious"}),
    ("/tasks/", {"overdue": "true"}),
    ("/field/points/", {"inactive": "on"}),
    ("/org/deliveries/", {"status": "failed"}),
]


def in_force(html):
    found = re.search(r'<div [^>]*id="filters-in-force".*?</div>', html, re.S)
    return found and found.group(0)


@pytest.mark.parametrize("url, other", LISTS)
def test_a_list_says_on_a_phone_which_search_and_filters_it_is_shown_with(
    city, personas, client_for, url, other
):
    client = client_for(personas.office_admin)
    # Only sorted: nothing is filtered, nothing to say.
    assert in_force(client.get(url, {"sort": "-found_on"}).content.decode()) is None

    for headers in ({}, {"HX-Request": "true"}):
        html = client.get(url, {"q": "菜市场<b>", **other}, headers=headers).content.decode()
        shown = in_force(html)

        assert shown, headers
        assert "d-md-none" in shown  # wider screens show the panel itself
        assert "搜索“菜市场&lt;b&gt;”" in shown and "<b>" not in shown
        assert f"另有 {len(other)} 项筛选条件" in shown
        assert f'href="{url}"' in shown and "清除全部" in shown

    # Filters without a search.
    shown = in_force(client.get(url, other).content.decode())
    assert "搜索" not in shown and f"已用 {len(other)} 项筛选条件" in shown


def test_a_list_without_a_search_counts_its_filters(city, personas, client_for):
    client = client_for(personas.office_admin)
    assert in_force(client.get("/reports/bulletins/").content.decode()) is None

    for headers in ({}, {"HX-Request": "true"}):
        html = client.get(
            "/reports/bulletins/", {"status": "published", "year": "2026"}, headers=headers
        )
        shown = in_force(html.content.decode())

        assert "已用 2 项筛选条件" in shown and 'href="/reports/bulletins/"' in shown


@pytest.mark.parametrize("url, other", LISTS)
def test_a_search_of_spaces_is_no_search(city, personas, client_for, url, other):
    """The filters' form strips what is typed, so a search of spaces filters nothing: the list
    does not say it is searched, nor count it among its filters."""
    client = client_for(personas.office_admin)
    assert in_force(client.get(url, {"q": "  "}).content.decode()) is None

    shown = in_force(client.get(url, {"q": " \t", **other}).content.decode())
    assert "搜索" not in shown and f"已用 {len(other)} 项筛选条件" in shown


@pytest.mark.parametrize(
    "url, name",
    [
        ("/ledger/", "standard"),
        ("/ledger/", "unit"),
        ("/ledger/", "district"),
        ("/ledger/", "category"),
        ("/field/points/", "type"),
        ("/field/points/", "unit"),
        ("/field/points/", "district"),
    ],
)
def test_a_choice_of_spaces_is_no_choice(city, personas, client_for, url, name):
    """Spaces are no value for any filter (`campaign.filters.asked`), a choice as much as a
    search: the list shows what it shows with nothing chosen, not a 404 as if another unit's
    object had been asked for (the lists whose choices are scoped answered 404, the task
    list did not)."""
    client = client_for(personas.office_admin)
    unfiltered = client.get(url)
    spaces = client.get(url, {name: "  "})

    assert spaces.status_code == 200
    assert in_force(spaces.content.decode()) is None
    assert list(spaces.context["page"].object_list) == list(unfiltered.context["page"].object_list)
    # A value that is there but no choice still asks for something out of scope.
    assert client.get(url, {name: "0"}).status_code == 404
