"""The task list's filter panel is drawn from its FilterSet and kept between requests under
`TaskFilter.panel_key()`, as the ledger's is (issue 13: drawing its fields was 1.7 ms of
every task list): the same markup as the old template's, drawn or kept, and a change of
anything it shows (a unit's, command office's or item's name, a new item, the language, the
person's to-do kinds) shows on the next drawing."""

import pytest
from django.template import engines
from django.template.loader import get_template
from django.utils import translation

from campaign import kept
from tasks.filters import TaskFilter
from tests.campaign.test_filter_panel_markup import (  # noqa: F401 (a fixture)
    NASTY,
    OLD_PANEL,
    fresh,
    nasty_city,
    query,
)

from .conftest import make_task


def draw(city, person, rf, data, *, from_form=False):
    """The panel as the task list draws it (from its FilterSet), or with `from_form` as the
    old template drew it from the form."""
    request = rf.get("/tasks/", data)
    request.user = person
    filterset = TaskFilter(data.copy(), user=person, campaign=fresh(city.campaign))
    context = {"action": "/tasks/?a=1&b=<2>", "target": "#t", "panel": "p"}
    if from_form:
        return engines["django"].from_string(OLD_PANEL).render({**context, "form": filterset.form})
    return get_template("_filter_panel.html").render({**context, "filterset": filterset})


def chosen(city):
    return [
        query(),
        query(
            q=NASTY,
            todo="report",
            status=["not_started", "returned"],
            unit=str(city.donghua.pk),
            command_office=str(city.command_office.pk),
            item=str(city.item.pk),
            deadline_after="2026-01-01",
            deadline_before="not a date",
            overdue="on",
            priority="high",
        ),
        query(unit="not a number", page="3"),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["office_admin", "street_liaison"])
def test_the_task_panel_drawn_or_kept_is_the_templates_markup(
    nasty_city,  # noqa: F811
    personas,
    rf,
    language,
    who,
):
    person = getattr(personas, who)
    with translation.override(language):
        for data in chosen(nasty_city):
            old = draw(nasty_city, person, rf, data, from_form=True)
            assert draw(nasty_city, person, rf, data) == old  # drawn
            assert draw(nasty_city, person, rf, data) == old  # kept


def test_the_task_panel_is_kept_between_requests(nasty_city, personas, rf):  # noqa: F811
    office = personas.office_admin
    draw(nasty_city, office, rf, query())
    kept_before = len(kept.KEPT)
    draw(nasty_city, office, rf, query())
    assert len(kept.KEPT) == kept_before
    assert any(key[:2] == ("panel", TaskFilter) for key in kept.KEPT)


def test_a_change_to_what_the_task_panel_shows_shows_on_the_next_drawing(
    nasty_city,  # noqa: F811
    personas,
    rf,
):
    city, office = nasty_city, personas.office_admin
    chosen_unit = query(unit=str(city.donghua.pk))
    assert 'value="东华街道 ' in draw(city, office, rf, chosen_unit)
    city.donghua.name = "东华街道（新）"
    city.donghua.save()
    assert 'value="东华街道（新）"' in draw(city, office, rf, chosen_unit)

    assert "城市建设指挥部（新）" not in draw(city, office, rf, query())
    city.command_office.name = "城市建设指挥部（新）"
    city.command_office.save()
    city.item.name = "城市管理（新）"
    city.item.save()
    panel = draw(city, office, rf, query())
    assert "城市建设指挥部（新）" in panel and "城市管理（新）" in panel

    # An item offered once a task of it is made.
    other = city.item.system.nodes.create(level=0, name="公共秩序", position=2)
    assert "公共秩序" not in panel
    make_task(city, item=other)
    assert "公共秩序" in draw(city, office, rf, query())

    # Another language, another person's to-do kinds.
    with translation.override("en"):
        assert "All command offices" in draw(city, office, rf, query())
    assert "All command offices" not in draw(city, office, rf, query())
    assert 'value="report"' in draw(city, personas.street_liaison, rf, query())
    assert 'value="report"' not in draw(city, office, rf, query())
