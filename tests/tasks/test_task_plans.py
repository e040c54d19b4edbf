"""A unit person's tasks are looked up by id, not found by scanning the campaign's tasks
(issue 13, scale). Each way a street sees a task (it leads it, is responsible for a part, or
cooperates) has its own index, but OR-ed together as `lead_unit_id IN (…) OR id IN (…) OR
id IN (…)` no index can answer the whole condition, so PostgreSQL read all 10,000 tasks of
the city for every count and page (4 ms each, three times per list). Gathered into one set
of ids first, the tasks are read through the primary key.

The test's tasks are few, so the planner is told not to read whole tables; the plan is
checked on PostgreSQL, the behaviour (which tasks are seen) on every database."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.models import Finding
from tasks.models import Task, TaskPart

from .conftest import TODAY, make_task


def plan(sql, params=()):
    with connection.cursor() as cursor:
        # The test's hundred tasks fit in a page or two, which PostgreSQL would read whole
        # whatever the query; told not to, what is left shows whether an index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("ANALYZE tasks_task")
        cursor.execute("ANALYZE tasks_taskpart")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def tasks_of_every_way(city):
    """A task the street leads, one it is responsible for, one it cooperates on, one of its
    community's, and a hundred of another district's that it must not see."""
    led = make_task(city, lead_unit=city.donghua)
    responsible = make_task(city, lead_unit=city.west, responsible=[city.donghua])
    cooperating = make_task(city, lead_unit=city.west)
    cooperating.cooperating_units.set([city.donghua])
    below = make_task(city, lead_unit=city.xiguan, responsible=[city.donghua1])
    for n in range(100):
        make_task(city, lead_unit=city.xiguan, title=f"西关任务{n}")
    return {led.pk, responsible.pk, cooperating.pk, below.pk}


def test_a_street_sees_the_tasks_of_each_way_once(personas, tasks_of_every_way):
    seen = list(Task.objects.visible_to(personas.street_liaison).values_list("pk", flat=True))
    assert sorted(seen) == sorted(tasks_of_every_way)
    assert Task.objects.visible_to(personas.street_liaison).count() == 4
    # The office sees every task, through its campaign.
    assert Task.objects.visible_to(personas.office_admin).count() == 104


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_a_streets_tasks_are_read_by_id_not_by_scanning_the_campaign(personas, tasks_of_every_way):
    seen = Task.objects.visible_to(personas.street_liaison).values("pk")
    counted = plan(*seen.query.sql_with_params())
    # The ways' ids are gathered once; the tasks are then read through the primary key.
    assert "Index Cond: (id = ANY" in counted, counted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
@pytest.mark.parametrize(("tasks", "reads"), [("visible", 2), ("mine", 1)])
def test_the_ways_through_a_link_table_read_it_alone(
    personas, city, tasks_of_every_way, tasks, reads
):
    """Responsible and cooperating units are many-to-many: their ways read the link tables
    alone, not joined back to the tasks (a district's list hashed all 10,000 task ids of the
    city once per way, 1.2-1.7 ms each). What a person sees reads the tasks table twice (the
    lead unit's way, then the tasks by id); "my tasks" once (its lead unit's way is a
    condition on the row)."""
    if tasks == "visible":
        seen = Task.objects.visible_to(personas.street_liaison)
    else:
        seen = Task.objects.for_units([city.donghua])
    counted = plan(*seen.values("pk").query.sql_with_params())
    task_scans = [line for line in counted.splitlines() if re.search(r" on tasks_task(?!_)", line)]
    assert len(task_scans) == reads, counted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
@pytest.mark.django_db
def test_the_lead_units_statistics_have_room_for_every_unit():
    """Lead units are few: with the default hundred commonest values kept, a district's
    ninety units were each taken to lead an average share and the planner read every task
    of the city (tasks 0010)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'tasks_task'::regclass AND attname = 'lead_unit_id'"
        )
        assert cursor.fetchone()[0] >= 1000


@pytest.fixture
def late_tasks(city):
    """Three hundred tasks ten days late: four still owed by their unit, the rest handed in."""
    late = TODAY - datetime.timedelta(days=10)
    for n in range(300):
        status = Task.Status.IN_PROGRESS if n % 75 == 0 else Task.Status.SUBMITTED
        make_task(city, deadline=late, title=f"逾期任务{n}", status=status)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_the_overdue_parts_count_reads_the_owed_parts_not_every_part(city, personas, late_tasks):
    """A past day's overdue count (TODAY is a past day: a past week's rankings read the
    lights of its last day). Owed parts are few beside those handed in over the years: the
    open ones are read from the partial index `task_part_owed`, those handed in after the
    day from the index of hand-in times. Without the second, no index answers the
    OR of the two, and every part of the campaign was read to keep the owed ones (at city
    size 25,000 read to keep 3,700)."""
    tasks = Task.objects.filter(campaign=city.campaign)
    with CaptureQueriesContext(connection) as queries:
        assert tasks.count_overdue_parts(personas.office_admin, on=TODAY) == 4
    counted = plan(queries[-1]["sql"])  # the count as it was sent, its values in place
    # Both sides of the OR from an index (the open parts from `task_part_owed` or, in a
    # table this small, the units' index), put together before any part is read.
    assert "BitmapOr" in counted, counted
    assert "Index Scan on task_part_submitted" in counted, counted


def test_a_streets_counted_parts_are_its_own_and_those_of_the_tasks_it_leads(
    personas, city, tasks_of_every_way
):
    """The dashboard counts a unit person's own units' parts and every part of a task their
    unit leads, each part once."""
    parts = TaskPart.objects.filter(task__campaign=city.campaign)
    expected = {
        part.pk
        for part in parts.select_related("unit", "task__lead_unit")
        if part.unit.path.startswith(city.donghua.path)
        or part.task.lead_unit.path.startswith(city.donghua.path)
    }
    counted = parts.counted_for(personas.street_liaison).values_list("pk", flat=True)
    assert sorted(counted) == sorted(expected) and expected
    assert parts.counted_for(personas.office_admin).count() == parts.count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_a_streets_dashboard_reads_its_parts_by_id_not_every_task(
    personas, city, tasks_of_every_way
):
    """A street's dashboard counts its overdue parts: the street's own, and those of the
    tasks it leads. OR-ed across the join to the task (`part.unit IN (…) OR task.lead_unit
    IN (…)`), no index answered it, and every task of the city was read to keep the street's
    (9,500 at city size, 6 ms of the page). The two ways' part ids are gathered first, each
    from its own index: the street's units are matched in indexes, never row by row."""
    parts = TaskPart.objects.counted_for(personas.street_liaison).filter(
        task__campaign=city.campaign
    )
    sql, params = parts.overdue(on=TODAY).order_by().values("pk").query.sql_with_params()
    counted = plan(sql, params)
    filtered = [
        line.strip()
        for line in counted.splitlines()
        if line.strip().startswith(("Filter", "Join Filter")) and "unit_id = ANY" in line
    ]
    assert filtered == [], counted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes of PostgreSQL")
def test_the_dashboards_overdue_parts_read_the_late_tasks_from_the_list_index_alone(
    city, personas, late_tasks
):
    """The dashboard's overdue parts per command office join the owed parts to the late
    tasks of the campaign, which are nearly all of them after three years (9,500 of 10,000
    at city size), hashed at once. task_list_order holds the campaign and the deadline, and
    includes the command office the figures are grouped by, so at city size the late tasks
    are read from the index alone; before, every late task's row was read from the table
    (7.3 ms → 4.6 ms of the office's dashboard). Which way the planner reads a test's few
    rows, whose pages no VACUUM has marked all-visible, says nothing of that; what is
    checked is that the index holds every column of the tasks the query reads, which it
    does not without the included column."""
    from reports.rankings import live_figures

    findings = Finding.objects.filter(campaign=city.campaign)
    parts = TaskPart.objects.counted_for(personas.office_admin).filter(task__campaign=city.campaign)
    with CaptureQueriesContext(connection) as queries:
        live = live_figures(findings, parts, today=TODAY)
    assert sum(n for _open, _overdue, n in live.values()) == 4
    (figures,) = [q["sql"] for q in queries if "tasks_taskpart" in q["sql"]]
    read = set(re.findall(r'"tasks_task"\."(\w+)"', figures))
    held = index_columns("task_list_order")
    assert read and read <= held, (read, held)


def index_columns(index):
    """The columns `index` holds, its key and those it includes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indexrelid = %s::regclass",
            [index],
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes of PostgreSQL")
@pytest.mark.parametrize("persona", ["office_admin", "street_liaison"])
def test_todays_overdue_parts_are_read_from_the_owed_parts_index_alone(
    city, personas, late_tasks, persona
):
    """What a unit owes on a past day is what it had not handed in by that day's end: still
    open, or submitted only after it (`owed_q`), two indexes OR-ed, and the parts they find
    read from the table. No part is handed in after the end of today, so today's count asks
    for the open parts alone, and task_part_owed holds every column of the parts the count
    reads (the task, and the part and its unit that are counted). At city size the office's
    task list counted its overdue parts in 4.8 ms, the owed parts' rows fetched one by one
    from the table; from the index alone, in 3.7. With the hand-in times still asked, or a
    column the index lacks, the test fails."""
    today = timezone.localdate()
    tasks = Task.objects.filter(campaign=city.campaign)
    with CaptureQueriesContext(connection) as queries:
        assert tasks.count_overdue_parts(getattr(personas, persona), on=today) == 4
    (count,) = [q["sql"] for q in queries if "tasks_taskpart" in q["sql"]]
    assert "submitted_at" not in count, count
    # The status is asked as the index's condition is written, so it need not be held.
    read = set(re.findall(r'"tasks_taskpart"\."(\w+)"', count)) - {"status"}
    held = index_columns("task_part_owed")
    assert read and read <= held, (read, held)
