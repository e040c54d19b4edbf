"""The task list's rows, "my tasks" cards, the badges and the battle map's cells are written in Python (issue 13,
scale): the markup is the templates' they replaced, escaping included, for every light,
status and priority."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tasks.models import Task
from tasks.templatetags.task_tags import (
    battle_row,
    part_badges,
    task_badges,
    task_card,
    task_row,
)

from .conftest import make_task

BADGES = (
    '<span class="badge text-bg-{{ task.colour }}{% if task.colour == \'light\' %} border{% endif %}">'
    "{{ task.get_status_display }}</span>"
    '{% if task.light == "red" %} <span class="badge text-bg-danger" title="{% translate \'Overdue (red)\' %}">'
    '<i class="bi bi-exclamation-octagon"></i> {% translate "Overdue" %}</span>'
    '{% elif task.light == "yellow" %} <span class="badge text-bg-warning" title="{% translate \'Deadline near (yellow)\' %}">'
    '<i class="bi bi-alarm"></i> {% translate "Due soon" %}</span>{% endif %}'
    '{% if task.priority != "normal" %} <span class="badge text-bg-light border text-danger">'
    "{{ task.get_priority_display }}</span>{% endif %}"
)  # fmt: skip
PART_BADGES = (
    '<span class="text-nowrap"><span class="badge text-bg-{{ part.colour }}{% if part.colour == \'light\' %} border{% endif %} part-status">'
    "{{ part.get_status_display }}</span>"
    '{% if part.light == "red" %} <span class="badge text-bg-danger"><i class="bi bi-exclamation-octagon"></i> {% translate "Overdue" %}</span>'
    '{% elif part.light == "yellow" %} <span class="badge text-bg-warning"><i class="bi bi-alarm"></i> {% translate "Due soon" %}</span>{% endif %}</span>'
)  # fmt: skip
ROW = (
    "<tr>\n        "
    '{% if can_manage %}<td class="text-center cell-select"><input class="form-check-input" type="checkbox" name="tasks" value="{{ task.pk }}" aria-label="{% translate \'Select\' %} {{ task.title }}"></td>{% endif %}\n        '
    '<td><a href="{{ task.get_absolute_url }}">{{ task.title|truncatechars:80 }}</a></td>\n        '
    '<td class="text-nowrap">{{ task.lead_unit }}</td>\n        '
    '<td class="d-none d-lg-table-cell small">{% for u in task.responsible_units.all %}{{ u.name }}{% if not forloop.last %}、{% endif %}{% empty %}—{% endfor %}</td>\n        '
    '<td class="d-none d-md-table-cell small">{{ task.command_office|default:"—" }}</td>\n        '
    '<td class="text-nowrap{% if task.light == \'red\' %} text-danger fw-semibold{% endif %}">{{ task.deadline|date:"Y-m-d" }}</td>\n        '
    '<td class="text-end">{{ task.progress }}%</td>\n        '
    f'<td class="small">{BADGES}</td>\n      </tr>'
)  # fmt: skip
CARD = (
    '<a class="card text-decoration-none text-body task-card{% if task.light == \'red\' %} border-danger{% elif task.light == \'yellow\' %} border-warning{% endif %}" href="{{ task.get_absolute_url }}">\n'
    '    <div class="card-body py-2">\n'
    '      <div class="fw-semibold mb-1">{{ task.title }}</div>\n'
    f'      <div class="small mb-1">{BADGES}</div>\n'
    '      <div class="small text-muted d-flex flex-wrap gap-3">\n'
    '        <span><i class="bi bi-building"></i> {{ task.lead_unit }}</span>\n'
    '        <span class="{% if task.light == \'red\' %}text-danger fw-semibold{% endif %}"><i class="bi bi-calendar-event"></i> {{ task.deadline|date:"Y-m-d" }}</span>\n'
    "      </div>\n"
    '      <div class="progress mt-2" role="progressbar" aria-label="{% translate \'Progress\' %}" aria-valuenow="{{ task.progress }}" aria-valuemin="0" aria-valuemax="100" style="height: 1.1rem">\n'
    '        <div class="progress-bar{% if task.status == \'accepted\' %} bg-success{% endif %}" style="width: {{ task.progress }}%">{{ task.progress }}%</div>\n'
    "      </div>\n"
    "    </div>\n"
    "  </a>"
)  # fmt: skip


def _template(markup):
    return Template("{% load i18n %}" + markup)


def _as_templates_wrote_it(markup, language="zh-hans", **context):
    with translation.override(language):
        return _template(markup).render(Context(context))


@pytest.fixture
def tasks(city):
    """Red, yellow and plain tasks of every priority, with names that need escaping."""
    today = datetime.date.today()
    return [
        make_task(
            city,
            title='<b>"背街小巷" & 环境</b>' + "很长的标题" * 20,
            deadline=today - datetime.timedelta(days=2),
            priority=Task.Priority.URGENT,
            responsible=[city.donghua1, city.donghua2],
            status=Task.Status.RETURNED,
        ),
        make_task(city, title="明天到期", deadline=today + datetime.timedelta(days=1)),
        make_task(
            city,
            title="已验收",
            deadline=today - datetime.timedelta(days=9),
            status=Task.Status.ACCEPTED,
            progress=100,
            office=False,
        ),
        make_task(
            city,
            title="已提交 <script>",
            lead_unit=city.donghua1,
            status=Task.Status.SUBMITTED,
            progress=80,
            priority=Task.Priority.HIGH,
        ),
    ]


def test_the_task_lists_rows_are_the_templates_markup(tasks, personas, client_for):
    page = client_for(personas.office_admin).get(reverse("tasks:task_list")).context["page"]
    rows = list(page.object_list)
    assert {row["pk"] for row in rows} == {task.pk for task in tasks}
    assert {row["light"] for row in rows} == {"red", "yellow", ""}
    full = Task.objects.with_light().select_related("lead_unit", "command_office").in_bulk()
    # In each language in turn: the rows' words are translated once per language.
    for language in ("zh-hans", "en", "zh-hans"):
        for row in rows:
            for can_manage in (True, False):
                expected = _as_templates_wrote_it(
                    ROW, language, task=full[row["pk"]], can_manage=can_manage
                )
                with translation.override(language):
                    assert task_row(row, can_manage) == expected
    assert any("&lt;b&gt;&quot;背街小巷&quot; &amp; 环境" in task_row(row, False) for row in rows)


def test_my_tasks_cards_are_the_templates_markup(tasks, personas, client_for):
    response = client_for(personas.street_leader).get(reverse("tasks:task_mine"), {"show": "all"})
    cards = list(response.context["page"].object_list)
    assert {card["pk"] for card in cards} == {task.pk for task in tasks}
    full = Task.objects.with_light().select_related("lead_unit").in_bulk()
    for language in ("en", "zh-hans"):
        for card in cards:
            with translation.override(language):
                assert task_card(card) == _as_templates_wrote_it(
                    CARD, language, task=full[card["pk"]]
                )


def test_the_task_pages_badges_are_the_templates_markup(tasks, personas, client_for):
    client = client_for(personas.office_admin)
    for task in tasks:
        context = client.get(task.get_absolute_url()).context
        with translation.override("zh-hans"):
            assert task_badges(context["task"]) == _as_templates_wrote_it(
                BADGES, task=context["task"]
            )
            for part in context["parts"]:
                assert part_badges(part) == _as_templates_wrote_it(PART_BADGES, part=part)


CELLS = (
    '{% for u, c in cells %}<td class="{% if c.colour %}bm-{{ c.colour }}{% endif %}">{% if c.total %}'
    '<a class="text-reset text-decoration-none" href="{% url \'tasks:task_list\' %}?unit={{ u.pk }}{% if office %}&amp;command_office={{ office.pk }}{% endif %}">'
    '<span title="{% translate \'accepted / total\' %}">{{ c.accepted }}/{{ c.total }}</span> · {{ c.progress }}%'
    '{% if c.overdue %} · <span class="text-danger fw-semibold" title="{% translate \'overdue\' %}"><i class="bi bi-exclamation-octagon"></i>{{ c.overdue }}</span>{% endif %}'
    '</a>{% else %}<span class="text-muted">·</span>{% endif %}</td>{% endfor %}'
)  # fmt: skip


def test_the_battle_maps_cells_are_the_templates_markup(city, tasks, personas, client_for):
    make_task(city, lead_unit=city.xinshi, title="新市街道的任务")  # an empty cell beside it
    battle_map = (
        client_for(personas.district_leader).get(reverse("tasks:battle_map")).context["map"]
    )
    assert any(c.overdue for _office, cells, _total in battle_map.rows() for _u, c in cells)
    assert any(not c.total for _office, cells, _total in battle_map.rows() for _u, c in cells)
    for office, cells, _total in battle_map.rows():
        with translation.override("zh-hans"):
            expected = _as_templates_wrote_it(CELLS, office=office, cells=cells)
            assert battle_row(office, cells) == expected


BULK_ACTIONS = (
    '<div class="card card-body mt-3" id="bulk-actions">\n'
    '  <div class="fw-semibold mb-2">{% translate "Change the ticked tasks" %}</div>\n'
    '  <div class="row g-2 align-items-end">\n'
    '    <div class="col-md-2"><label class="form-label small" for="id_action">{{ bulk_form.action.label }}</label>{{ bulk_form.action }}</div>\n'
    '    <div class="col-md-3"><label class="form-label small" for="id_lead_unit">{{ bulk_form.lead_unit.label }}</label>{{ bulk_form.lead_unit }}</div>\n'
    '    <div class="col-md-2"><label class="form-label small" for="id_deadline">{{ bulk_form.deadline.label }}</label>{{ bulk_form.deadline }}</div>\n'
    '    <div class="col-md-2"><label class="form-label small" for="id_working_days">{{ bulk_form.working_days.label }}</label>{{ bulk_form.working_days }}</div>\n'
    '    <div class="col-md-2"><label class="form-label small" for="id_note">{{ bulk_form.note.label }}</label>{{ bulk_form.note }}</div>\n'
    '    <div class="col-md-1"><button class="btn btn-danger w-100" type="submit" data-confirm="{% translate "Change all ticked tasks?" %}">{% translate "Apply" %}</button></div>\n'
    "  </div>\n"
    "</div>\n"
)  # fmt: skip


def test_the_bulk_changes_card_is_the_templates_markup_drawn_once_per_language(
    city, personas, client_for
):
    from tasks.forms import BulkForm
    from tasks.views import bulk_actions

    page = client_for(personas.office_admin).get(reverse("tasks:task_list")).content.decode()
    for language in ("en", "zh-hans", "en"):
        form = BulkForm(campaign=city.campaign, tasks=Task.objects.none())
        expected = _as_templates_wrote_it(BULK_ACTIONS, language, bulk_form=form)
        with translation.override(language):
            assert bulk_actions(city.campaign) == expected
        if language == "zh-hans":
            assert expected + "</form>" in page
    assert (
        'id="bulk-actions"'
        not in client_for(personas.street_leader).get(reverse("tasks:task_list")).content.decode()
    )
