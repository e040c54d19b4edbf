"""The list pages' filter panel is written in Python (campaign.widgets.filter_panel): the same
markup as the template it replaced, for every kind of field the panels hold, in both languages,
with chosen values and names that need escaping."""

import pytest
from django.http import QueryDict
from django.template import engines
from django.template.loader import get_template
from django.utils import translation

from campaign.models import Campaign, EvaluationSystem, IndicatorNode, Standard
from fieldwork.filters import PointFilter
from fieldwork.models import PointType
from inspections.filters import FindingFilter
from inspections.models import FindingCategory
from tasks.filters import TaskFilter
from tests.tasks.conftest import make_task

# templates/_filter_panel.html before it was written in Python.
OLD_PANEL = """{% load i18n %}{% comment %}One list's filters: `form`, `action` (the list's URL), `target` (the table's container),
`panel` (an id); `fields` names a template of hand-made fields when the list has no FilterSet. On phones an off-canvas panel behind a button; on wider screens a card above
the list. Every field has a label; a change re-renders the list with htmx and keeps the URL.{% endcomment %}
<button class="btn btn-outline-secondary w-100 mb-2 d-md-none" type="button" data-bs-toggle="offcanvas" data-bs-target="#{{ panel }}" aria-controls="{{ panel }}"><i class="bi bi-funnel"></i> {% translate "Filters and sorting" %}</button>
<div class="offcanvas-md offcanvas-end mb-md-3" tabindex="-1" id="{{ panel }}" aria-labelledby="{{ panel }}-title">
  <div class="offcanvas-header">
    <h2 class="offcanvas-title h5" id="{{ panel }}-title">{% translate "Filters and sorting" %}</h2>
    <button type="button" class="btn-close" data-bs-dismiss="offcanvas" data-bs-target="#{{ panel }}" aria-label="{% translate 'Close' %}"></button>
  </div>
  <div class="offcanvas-body">
    <form method="get" action="{{ action }}" class="card card-body w-100 filter-form" hx-get="{{ action }}" hx-target="{{ target }}" hx-push-url="true" hx-trigger="change, submit">
      <div class="row g-2">
      {% if fields %}{% include fields %}{% else %}{% for field in form %}
        {% if field.widget_type == "checkbox" %}
        <div class="col-12 col-md-4 col-lg-3 d-flex align-items-end"><div class="form-check mb-2">{{ field }} <label class="form-check-label" for="{{ field.id_for_label }}">{{ field.label }}</label></div></div>
        {% elif field.widget_type == "checkboxselectmultiple" %}
        <fieldset class="col-12"><legend class="form-label small mb-0">{{ field.label }}</legend>{% for choice in field %}<span class="form-check form-check-inline">{{ choice.tag }} <label class="form-check-label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label></span>{% endfor %}</fieldset>
        {% else %}
        <div class="col-12 col-md-4 col-lg-3"><label class="form-label small mb-0" for="{{ field.id_for_label }}">{{ field.label }}</label>{{ field }}</div>
        {% endif %}
      {% endfor %}{% endif %}
        <div class="col-12 col-md-4 col-lg-3 d-flex align-items-end gap-2">
          <button class="btn btn-danger flex-fill" type="submit" data-bs-dismiss="offcanvas" data-bs-target="#{{ panel }}">{% translate "Apply filters" %}</button>
          <a class="btn btn-outline-secondary" href="{{ action }}">{% translate "Clear" %}</a>
        </div>
      </div>
    </form>
  </div>
</div>
"""  # noqa: E501

NASTY = "<b>\"&amp;'</b>"


@pytest.fixture
def nasty_city(city):
    """Names and labels that need escaping in every kind of field."""
    campaign = city.campaign
    city.east.name = f"东城区 {NASTY}"
    city.east.save()
    city.donghua.name = f"东华街道 {NASTY}"
    city.donghua.save()
    city.command_office.name = f"城市建设指挥部 {NASTY}"
    city.command_office.save()
    system = EvaluationSystem.objects.create(campaign=campaign, name=f"测评体系 {NASTY}")
    city.item = IndicatorNode.objects.create(system=system, level=0, name=f"城市管理 {NASTY}")
    city.standard = Standard.objects.create(
        system=system,
        node=city.item,
        code="5.1",
        text=f"无占道经营 {NASTY}",
        points=1,
        lead_unit=city.donghua,
    )
    city.category = FindingCategory.objects.create(campaign=campaign, name=f"卫生死角 {NASTY}")
    FindingCategory.objects.create(campaign=campaign, name="占道经营")
    city.point_type = PointType.objects.create(campaign=campaign, name=f"农贸市场 {NASTY}")
    PointType.objects.create(campaign=campaign, name="背街小巷", position=1)
    make_task(city, responsible=[city.donghua1], item=city.item)
    return city


def query(**values):
    data = QueryDict(mutable=True)
    for name, value in values.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def fresh(campaign):
    """The campaign as a request reads it (with its current choices version)."""
    return Campaign.objects.get(pk=campaign.pk)


def ledger(city, person, data):
    # Not `ledger_filter`, which answers 404 to an out-of-scope value: drawn here all the same.
    return FindingFilter(data, campaign=fresh(city.campaign), user=person)


def tasks(city, person, data):
    return TaskFilter(data, user=person, campaign=fresh(city.campaign))


def points(city, person, data):
    return PointFilter(data, user=person, campaign=fresh(city.campaign))


def every_ledger_filter(city):
    """The ledger's filters, each with a value (one of them not a date)."""
    return query(
        q=NASTY,
        todo="supervised",
        status="open",
        unit=str(city.donghua.pk),
        district=str(city.east.pk),
        category=str(city.category.pk),
        severity="serious",
        source="inspection",
        standard=str(city.standard.pk),
        supervision="1",
        overdue="on",
        found_after="2026-01-01",
        found_before="not a date",
        sort="-deadline",
    )


def every_task_filter(city):
    """The task list's filters, each with a value."""
    return query(
        q=NASTY,
        todo="report",
        status=["not_started", "returned"],
        unit=str(city.donghua.pk),
        command_office=str(city.command_office.pk),
        item=str(city.item.pk),
        deadline_after="2026-03-01",
        overdue="on",
        priority="urgent",
    )


def chosen(city):
    """Each list's filters with a value in every field (one of them not a date)."""
    return [
        (ledger, query()),
        (ledger, every_ledger_filter(city)),
        (ledger, query(sort="deadline,-status", unit="not a number")),
        (tasks, query()),
        (tasks, every_task_filter(city)),
        (points, query()),
        (
            points,
            query(
                q=NASTY,
                type=str(city.point_type.pk),
                district=str(city.east.pk),
                unit=str(city.donghua.pk),
                inactive="on",
            ),
        ),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["office_admin", "street_liaison"])
def test_filter_panel_written_in_python_is_the_templates_markup(
    nasty_city, personas, rf, language, who
):
    person = getattr(personas, who)
    old = engines["django"].from_string(OLD_PANEL)
    new = get_template("_filter_panel.html")
    shown = []
    with translation.override(language):
        for make, data in chosen(nasty_city):
            form = make(nasty_city, person, data.copy()).form
            request = rf.get("/list/", data)
            request.user = person
            context = {"form": form, "action": "/list/?a=1&b=<2>", "target": "#t", "panel": "p"}
            shown.append(new.render(context, request))
            assert shown[-1] == old.render(context, request)
    assert "&lt;b&gt;&quot;&amp;amp;&#x27;&lt;/b&gt;" in "".join(shown)
    assert " selected>" in "".join(shown) and " checked" in "".join(shown)


def test_a_panel_of_hand_made_fields_is_the_templates_markup(city, personas, rf):
    """The rankings give their own fields template instead of a form."""
    old = engines["django"].from_string(OLD_PANEL)
    new = get_template("_filter_panel.html")
    request = rf.get("/reports/rankings/")
    request.user = personas.office_admin
    context = {
        "action": "/reports/rankings/",
        "target": "#ranking",
        "panel": "ranking-filters",
        "fields": "reports/_ranking_fields.html",
        "period": "2026-W10",
        "angles": [],
        "kinds": [("street", "<街道>")],
        "kind": "street",
    }
    assert new.render(context, request) == old.render(context, request)


def test_a_changed_choice_shows_on_the_next_drawing(nasty_city, personas, rf):
    """Drawn drop-downs are kept for the next request only while their choices are the same:
    a new category, a renamed district, point type, command office or chosen unit shows at
    once."""
    city, person = nasty_city, personas.office_admin
    new = get_template("_filter_panel.html")

    def draw(make, data):
        request = rf.get("/list/", data)
        request.user = person
        form = make(city, person, data.copy()).form
        return new.render({"form": form, "action": "/l/", "target": "#t", "panel": "p"}, request)

    chosen = query(district=str(city.east.pk), unit=str(city.donghua.pk))
    for make in (ledger, points):
        assert "东城区 " in draw(make, chosen) and "东城区 " in draw(make, chosen)
    assert "垃圾分类" not in draw(ledger, chosen)
    assert "指挥部（新）" not in draw(tasks, query(status=["returned"]))
    FindingCategory.objects.create(campaign=city.campaign, name="垃圾分类")
    city.east.name = "东城区（新）"
    city.east.save()
    city.donghua.name = "东华街道（新）"
    city.donghua.save()
    city.point_type.name = "农贸市场（新）"
    city.point_type.save()
    city.command_office.name = "城市建设指挥部（新）"
    city.command_office.save()
    ledger_panel, points_panel = draw(ledger, chosen), draw(points, chosen)
    assert "垃圾分类" in ledger_panel
    for panel in (ledger_panel, points_panel):
        assert "东城区（新）" in panel and "东城区 " not in panel
        assert 'value="东华街道（新）"' in panel
    assert "农贸市场（新）" in points_panel
    assert "指挥部（新）" in draw(tasks, query(status=["returned"]))


def test_the_kept_drawings_are_bounded(monkeypatch):
    from campaign import kept

    monkeypatch.setattr(kept, "KEPT", {})
    monkeypatch.setattr(kept, "MAX_KEPT", 3)
    for n in range(10):
        assert kept.kept(("select", n), lambda n=n: f"<select>{n}</select>") == (
            f"<select>{n}</select>"
        )
        assert len(kept.KEPT) <= 3
    assert kept.kept(("select", 9), lambda: "drawn again") == "<select>9</select>"


# --- Panels kept under their FilterSet's panel_key (the ledger, the task list) -----------------


def draw_list_panel(filterset, *, from_form=False):
    """A list's panel as the page draws it from its FilterSet (kept under its `panel_key()`),
    or with `from_form` as the old template drew it from the form."""
    context = {"action": "/list/?a=1&b=<2>", "target": "#t", "panel": "p"}
    if from_form:
        return engines["django"].from_string(OLD_PANEL).render({**context, "form": filterset.form})
    return get_template("_filter_panel.html").render({**context, "filterset": filterset})


def kept_panels(city):
    """Each list whose panel is kept, with the values it is drawn with: those of `chosen()`,
    and a page, a standard chosen (drawn, not kept), and every ledger filter but the standard
    (kept)."""
    every_but_the_standard = every_ledger_filter(city)
    del every_but_the_standard["standard"]
    other_task_dates = every_task_filter(city)
    for name, value in (("deadline_after", "2026-01-01"), ("deadline_before", "not a date")):
        other_task_dates[name] = value
    other_task_dates["priority"] = "high"
    return [(make, data) for make, data in chosen(city) if make in (ledger, tasks)] + [
        (ledger, query(page="5")),
        (ledger, every_but_the_standard),
        (ledger, query(standard=str(city.standard.pk), status=["open", "closed"])),
        (tasks, other_task_dates),
        (tasks, query(unit="not a number", page="3")),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["office_admin", "street_liaison"])
def test_a_kept_panel_drawn_or_kept_is_the_templates_markup(nasty_city, personas, language, who):
    person = getattr(personas, who)
    with translation.override(language):
        for make, data in kept_panels(nasty_city):
            old = draw_list_panel(make(nasty_city, person, data.copy()), from_form=True)
            assert draw_list_panel(make(nasty_city, person, data.copy())) == old  # drawn
            assert draw_list_panel(make(nasty_city, person, data.copy())) == old  # kept
