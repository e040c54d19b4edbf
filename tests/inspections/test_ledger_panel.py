"""The ledger's filter panel is drawn from its FilterSet (`filterset=`) and kept between
requests under `FindingFilter.panel_key()`. Drawn or kept, it is the old template's markup
(tests/campaign/test_filter_panel_markup.py); a change of anything it shows (a choice, a chosen unit's or standard's name, the
language, the person's to-do kinds) shows on the next drawing."""

from django.utils import translation

from inspections.filters import FindingFilter
from inspections.models import FindingCategory
from tests.campaign.test_filter_panel_markup import (  # noqa: F401 (a fixture)
    draw_list_panel,
    fresh,
    nasty_city,
    query,
)


def draw(city, person, data):
    return draw_list_panel(FindingFilter(data.copy(), campaign=fresh(city.campaign), user=person))


def test_a_change_to_what_the_ledger_panel_shows_shows_on_the_next_drawing(
    nasty_city,  # noqa: F811
    personas,
):
    city, office = nasty_city, personas.office_admin
    chosen = query(district=str(city.east.pk), unit=str(city.donghua.pk))
    assert "东城区 " in draw(city, office, chosen)
    assert "垃圾分类" not in draw(city, office, chosen)
    FindingCategory.objects.create(campaign=city.campaign, name="垃圾分类")
    city.east.name = "东城区（新）"
    city.east.save()
    city.donghua.name = "东华街道（新）"
    city.donghua.save()
    panel = draw(city, office, chosen)
    assert "垃圾分类" in panel and "东城区（新）" in panel and "东城区 " not in panel
    assert 'value="东华街道（新）"' in panel

    # A standard's text changes without the choices version: a chosen one is never kept.
    standard = query(standard=str(city.standard.pk))
    assert "无占道经营" in draw(city, office, standard)
    city.standard.text = "无乱堆乱放"
    city.standard.save()
    assert "无乱堆乱放" in draw(city, office, standard)

    # Another language, another person's to-do kinds.
    with translation.override("en"):
        assert "All statuses" in draw(city, office, query())
    assert "All statuses" not in draw(city, office, query())
    liaison = draw(city, personas.street_liaison, query())
    assert 'value="acknowledge"' in liaison
    assert 'value="triage"' in draw(city, office, query())
    assert 'value="triage"' not in liaison


def test_a_standard_of_spaces_chooses_none_and_the_panel_is_kept(
    nasty_city,  # noqa: F811
    personas,
):
    """What counts as a filter given a value is one rule (`campaign.filters.asked`: spaces are
    no value, the form strips them). The panel's key had its own, and drew the panel afresh
    for a standard of spaces as if one were chosen."""
    city, office = nasty_city, personas.office_admin
    spaces = FindingFilter(query(standard="  "), campaign=fresh(city.campaign), user=office)
    chosen = FindingFilter(
        query(standard=str(city.standard.pk)), campaign=fresh(city.campaign), user=office
    )

    assert spaces.panel_key() is not None
    assert chosen.panel_key() is None
