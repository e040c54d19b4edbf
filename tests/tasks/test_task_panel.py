"""The task list's filter panel is drawn from its FilterSet and kept between requests under
`TaskFilter.panel_key()`, as the ledger's is (issue 13: drawing its fields was 1.7 ms of
every task list). Drawn or kept, it is the old template's markup (tests/campaign/
test_filter_panel_markup.py); a change of anything it shows (a unit's, command office's or
item's name, a new item, the language, the person's to-do kinds) shows on the next drawing."""

from django.utils import translation

from campaign import kept
from tasks.filters import TaskFilter
from tests.campaign.test_filter_panel_markup import (  # noqa: F401 (a fixture)
    draw_list_panel,
    fresh,
    nasty_city,
    query,
)

from .conftest import make_task


def draw(city, person, data):
    return draw_list_panel(TaskFilter(data.copy(), user=person, campaign=fresh(city.campaign)))


def test_the_task_panel_is_kept_between_requests(nasty_city, personas):  # noqa: F811
    office = personas.office_admin
    draw(nasty_city, office, query())
    kept_before = len(kept.KEPT)
    draw(nasty_city, office, query())
    assert len(kept.KEPT) == kept_before
    assert any(key[:2] == ("panel", TaskFilter) for key in kept.KEPT)


def test_a_change_to_what_the_task_panel_shows_shows_on_the_next_drawing(
    nasty_city,  # noqa: F811
    personas,
):
    city, office = nasty_city, personas.office_admin
    chosen_unit = query(unit=str(city.donghua.pk))
    assert 'value="东华街道 ' in draw(city, office, chosen_unit)
    city.donghua.name = "东华街道（新）"
    city.donghua.save()
    assert 'value="东华街道（新）"' in draw(city, office, chosen_unit)

    assert "城市建设指挥部（新）" not in draw(city, office, query())
    city.command_office.name = "城市建设指挥部（新）"
    city.command_office.save()
    city.item.name = "城市管理（新）"
    city.item.save()
    panel = draw(city, office, query())
    assert "城市建设指挥部（新）" in panel and "城市管理（新）" in panel

    # An item offered once a task of it is made.
    other = city.item.system.nodes.create(level=0, name="公共秩序", position=2)
    assert "公共秩序" not in panel
    make_task(city, item=other)
    assert "公共秩序" in draw(city, office, query())

    # Another language, another person's to-do kinds.
    with translation.override("en"):
        assert "All command offices" in draw(city, office, query())
    assert "All command offices" not in draw(city, office, query())
    assert 'value="report"' in draw(city, personas.street_liaison, query())
    assert 'value="report"' not in draw(city, office, query())
