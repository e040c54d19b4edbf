"""The ledger's filter panel is drawn from its FilterSet (`filterset=`) and kept between
requests under `FindingFilter.panel_key()`: the same markup as the old template's, drawn or
kept, and a change of anything it shows (a choice, a chosen unit's or standard's name, the
language, the person's to-do kinds) shows on the next drawing."""

import pytest
from django.template import engines
from django.template.loader import get_template
from django.utils import translation

from inspections.filters import FindingFilter
from inspections.models import FindingCategory
from tests.campaign.test_filter_panel_markup import (  # noqa: F401 (a fixture)
    NASTY,
    OLD_PANEL,
    fresh,
    nasty_city,
    query,
)


def draw(city, person, rf, data, *, kept=True):
    """The panel as the ledger draws it (from its FilterSet), or with `kept=False` as the old
    template drew it from the form."""
    request = rf.get("/ledger/", data)
    request.user = person
    filterset = FindingFilter(data.copy(), campaign=fresh(city.campaign), user=person)
    context = {"action": "/ledger/?a=1&b=<2>", "target": "#t", "panel": "p"}
    if kept:
        return get_template("_filter_panel.html").render({**context, "filterset": filterset})
    return engines["django"].from_string(OLD_PANEL).render({**context, "form": filterset.form})


def chosen(city):
    return [
        query(),
        query(page="5"),
        query(
            q=NASTY,
            todo="supervised",
            status="open",
            unit=str(city.donghua.pk),
            district=str(city.east.pk),
            category=str(city.category.pk),
            severity="serious",
            source="inspection",
            supervision="1",
            overdue="on",
            found_after="2026-01-01",
            found_before="not a date",
            sort="-deadline",
        ),
        query(standard=str(city.standard.pk), status=["open", "closed"]),
        query(sort="deadline,-status", unit="not a number"),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["office_admin", "street_liaison"])
def test_the_ledger_panel_drawn_or_kept_is_the_templates_markup(
    nasty_city,  # noqa: F811
    personas,
    rf,
    language,
    who,
):
    person = getattr(personas, who)
    with translation.override(language):
        for data in chosen(nasty_city):
            old = draw(nasty_city, person, rf, data, kept=False)
            assert draw(nasty_city, person, rf, data) == old  # drawn
            assert draw(nasty_city, person, rf, data) == old  # kept


def test_a_change_to_what_the_ledger_panel_shows_shows_on_the_next_drawing(
    nasty_city,  # noqa: F811
    personas,
    rf,
):
    city, office = nasty_city, personas.office_admin
    chosen = query(district=str(city.east.pk), unit=str(city.donghua.pk))
    assert "东城区 " in draw(city, office, rf, chosen)
    assert "垃圾分类" not in draw(city, office, rf, chosen)
    FindingCategory.objects.create(campaign=city.campaign, name="垃圾分类")
    city.east.name = "东城区（新）"
    city.east.save()
    city.donghua.name = "东华街道（新）"
    city.donghua.save()
    panel = draw(city, office, rf, chosen)
    assert "垃圾分类" in panel and "东城区（新）" in panel and "东城区 " not in panel
    assert 'value="东华街道（新）"' in panel

    # A standard's text changes without the choices version: a chosen one is never kept.
    standard = query(standard=str(city.standard.pk))
    assert "无占道经营" in draw(city, office, rf, standard)
    city.standard.text = "无乱堆乱放"
    city.standard.save()
    assert "无乱堆乱放" in draw(city, office, rf, standard)

    # Another language, another person's to-do kinds.
    with translation.override("en"):
        assert "All statuses" in draw(city, office, rf, query())
    assert "All statuses" not in draw(city, office, rf, query())
    liaison = draw(city, personas.street_liaison, rf, query())
    assert 'value="acknowledge"' in liaison
    assert 'value="triage"' in draw(city, office, rf, query())
    assert 'value="triage"' not in liaison
