"""List pages keep a constant query count; the battle map is built from aggregate queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks.models import Task, TaskPart
from tasks.services import build_battle_map

from .conftest import make_task

PAST = datetime.date.today() - datetime.timedelta(days=3)


def make_tasks(city, personas, n):
    units = [city.donghua, city.donghua1, city.xinshi, city.east, city.chengguan]
    for i in range(n):
        task = make_task(
            city,
            lead_unit=units[i % len(units)],
            responsible=[city.donghua1, city.donghua2],
            title=f"任务{i}",
        )
        if i % 3 == 0:
            # The responsible community reports on its own part.
            part = task.parts.get(unit=city.donghua1)
            part.report_progress(actor=personas.community_leader, text="进展", progress=50)


def count_queries(client, url, params=None):
    """The queries of a visit after a first one (the filter choices are kept from it)."""
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("persona", "url", "params"),
    [
        ("office_admin", "tasks:task_list", {}),
        (
            "office_admin",
            "tasks:task_list",
            {"status": ["not_started", "in_progress"], "overdue": ""},
        ),
        ("command_staff", "tasks:task_list", {}),
        ("district_leader", "tasks:task_mine", {"show": "all"}),
        ("office_admin", "tasks:battle_map", {}),
        ("district_leader", "tasks:battle_map", {}),
    ],
)
def test_list_pages_use_the_same_number_of_queries_for_2_and_30_tasks(
    city, personas, client_for, persona, url, params
):
    client = client_for(getattr(personas, persona))
    make_tasks(city, personas, 2)
    small = count_queries(client, reverse(url), params)
    make_tasks(city, personas, 28)
    assert Task.objects.count() == 30
    large = count_queries(client, reverse(url), params)
    assert small == large


def test_the_export_uses_the_same_number_of_queries_for_2_and_30_tasks(city, personas, client_for):
    client = client_for(personas.office_admin)

    def export_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("tasks:task_export"))
            b"".join(response.streaming_content)
        return len(ctx.captured_queries)

    make_tasks(city, personas, 2)
    small = export_queries()
    make_tasks(city, personas, 28)
    assert export_queries() == small


def test_the_battle_map_adds_up_by_office_and_unit_with_rollup_to_the_district(
    city, personas, django_assert_max_num_queries
):
    make_task(city, lead_unit=city.donghua1, title="社区任务", progress=50)
    make_task(city, lead_unit=city.xinshi, title="街道任务", progress=100, status="accepted")
    make_task(city, lead_unit=city.chengguan, title="城管任务", deadline=PAST)
    make_task(city, lead_unit=city.west, office=False, title="西城任务")
    from campaign.models import Unit

    tops = list(Unit.objects.filter(campaign=city.campaign, depth=0))
    # Two GROUP BYs, offices, units, items, and the calendar for the yellow window.
    with django_assert_max_num_queries(5):
        data = build_battle_map(Task.objects.filter(campaign=city.campaign), visible_units=tops)
    office = city.command_office.pk
    east = data.grid[(office, city.east.pk)]
    assert (east.total, east.accepted, east.progress) == (2, 1, 75)
    assert data.grid[(office, city.chengguan.pk)].overdue == 1
    assert data.grid[(office, city.chengguan.pk)].colour == "red"
    assert data.grid[(None, city.west.pk)].total == 1
    assert data.total.total == 4
    assert [o.pk if o else None for o in data.offices] == [office, None]


def test_the_battle_map_page_is_colour_coded_with_overdue_counts(city, personas, client_for):
    make_task(city, lead_unit=city.chengguan, title="城管任务", deadline=PAST)
    page = client_for(personas.office_admin).get(reverse("tasks:battle_map")).content.decode()
    assert "bm-red" in page
    assert "市城管局" in page


def test_the_task_page_uses_the_same_number_of_queries_for_2_and_12_reports(
    task, part, personas, client_for
):
    from tasks.models import Milestone

    from .conftest import photo_upload

    client = client_for(personas.street_liaison)

    def report(n):
        from campaign.uploads import prepare_photo

        for i in range(n):
            part.report_progress(
                actor=personas.street_liaison,
                text=f"第{i}次报送",
                progress=min(90, part.progress + 5),
                photos=[prepare_photo(photo_upload(size=(40, 30)))],
            )
            Milestone.objects.create(task=task, date=task.deadline, deliverable=f"节点{i}")

    report(2)
    small = count_queries(client, task.get_absolute_url())
    report(10)
    assert count_queries(client, task.get_absolute_url()) == small


@pytest.mark.parametrize(
    "columns",
    [
        ["east", "west", "chengguan"],  # the office: the top of the tree
        ["east", "donghua", "xinshi"],  # a district: itself and its streets
        ["donghua", "donghua1", "donghua2"],  # a street: parts elsewhere are their own columns
        ["xiguan1"],  # a community: every other unit is a column of its own
    ],
)
def test_each_part_is_counted_in_the_nearest_column_on_its_units_path(city, personas, columns):
    """The battle map groups parts by their unit's path cut at the deepest column, not by
    unit (the office's map read 6,400 groups at city size, one per office × unit, for 69
    columns). A part under a column counts in the nearest one on its path; a part under
    none counts in its own unit's column."""
    from campaign.models import Unit

    make_task(city, lead_unit=city.east, responsible=[city.donghua, city.xinshi1], deadline=PAST)
    make_task(city, lead_unit=city.donghua, responsible=[city.donghua1, city.donghua2])
    make_task(
        city,
        lead_unit=city.chengguan,
        responsible=[city.xiguan1, city.donghua1],
        office=False,
        status="accepted",
    )
    make_task(city, lead_unit=city.xiguan, responsible=[city.xiguan1], deadline=PAST)
    visible = [getattr(city, name) for name in columns]
    columns_ids = {unit.pk for unit in visible}
    tasks = Task.objects.filter(campaign=city.campaign)

    data = build_battle_map(tasks, visible_units=visible)

    expected = {}
    for part in TaskPart.objects.filter(task__in=tasks).with_light().select_related("task"):
        unit = Unit.objects.get(pk=part.unit_id)
        on_path = [pk for pk in [unit.pk, *reversed(unit.ancestor_ids)] if pk in columns_ids]
        column = on_path[0] if on_path else part.unit_id
        cell = expected.setdefault((part.task.command_office_id, column), [0, 0, 0])
        cell[0] += 1
        cell[1] += part.status == Task.Status.ACCEPTED
        cell[2] += part.light == "red"
    got = {key: [c.total, c.accepted, c.overdue] for key, c in data.grid.items()}
    assert got == expected
    assert sorted(u.pk for u in data.units) == sorted({column for _office, column in expected})


def test_the_map_reads_one_group_per_office_and_column_not_one_per_unit(
    city, personas, monkeypatch
):
    """The office's map read a group for every unit with a part (6,400 at city size, over
    300 ms) and added each to its column in Python: five units under one column were five
    groups, now one."""
    from campaign.models import Unit
    from tasks import services

    make_task(
        city,
        lead_unit=city.east,
        responsible=[city.donghua, city.xinshi, city.donghua1, city.xinshi1],
    )
    grouped = []
    add = services.Cell.add

    def counted_add(cell, row):
        if "command_office" in row and all(row is not seen for seen in grouped):
            grouped.append(row)
        add(cell, row)

    monkeypatch.setattr(services.Cell, "add", counted_add)

    data = build_battle_map(
        Task.objects.filter(campaign=city.campaign),
        visible_units=list(Unit.objects.filter(campaign=city.campaign, depth=0)),
    )

    assert data.grid[(city.command_office.pk, city.east.pk)].total == 5
    assert len(grouped) == 1


def test_the_battle_map_reads_the_tasks_once(city, personas):
    """The map's two GROUP BYs start from the tasks and join their parts: from the parts, the
    tasks were read twice (joined for their office and item, and again as the set of tasks
    asked for), hashing all 10,000 of the city's twice per query (the office's map at city
    size: 47 → 38 ms and 31 → 26 ms)."""
    make_task(city, lead_unit=city.east, responsible=[city.donghua, city.xinshi])
    tasks = Task.objects.visible_to(personas.office_admin).filter(campaign=city.campaign)
    with CaptureQueriesContext(connection) as queries:
        build_battle_map(tasks, visible_units=[city.east, city.west])
    grouped = [q["sql"] for q in queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 2
    for sql in grouped:
        assert len(re.findall(r'(?:FROM|JOIN) "tasks_task"(?!\w)', sql)) == 1, sql
