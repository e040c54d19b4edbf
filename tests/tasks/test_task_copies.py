"""Each part holds its task's campaign and deadline (`TaskPart.task_campaign`,
`TaskPart.task_deadline`), kept by the database whatever writes the task or the part
(`tasks.copies`), so that the office's count of overdue parts reads one index of the parts
(issue 13, scale): joined from the tasks, the office's task list hashed the campaign's 9,500
late tasks to count their owed parts (11.5 ms of the page at city size)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks.models import Task, TaskPart
from tasks.services import bulk_change_deadline

from .conftest import TODAY, make_task


def copies(task):
    """{(campaign id, deadline)} the task's parts hold, as the database has them."""
    return set(TaskPart.objects.filter(task=task).values_list("task_campaign", "task_deadline"))


def test_a_part_holds_its_tasks_campaign_and_deadline_whatever_writes_them(city, personas):
    task = make_task(city, lead_unit=city.donghua, responsible=[city.xinshi, city.xiguan])
    assert copies(task) == {(city.campaign.pk, task.deadline)} and task.parts.count() == 3
    # Moved through the task's own change, then a bulk change, then an update of the rows.
    later = task.deadline + datetime.timedelta(days=7)
    task.change_deadline(actor=personas.office_admin, deadline=later, note="延期")
    assert copies(task) == {(city.campaign.pk, later)}
    bulk_change_deadline(tasks=[task], deadline=TODAY, actor=personas.office_admin)
    assert copies(task) == {(city.campaign.pk, TODAY)}
    Task.objects.filter(pk=task.pk).update(deadline=TODAY + datetime.timedelta(days=1))
    assert copies(task) == {(city.campaign.pk, TODAY + datetime.timedelta(days=1))}
    # A part saved from an instance that holds other values, or made in bulk, takes its
    # task's all the same.
    part = task.parts.first()
    part.task_deadline, part.task_campaign_id = datetime.date(2020, 1, 1), None
    part.progress = 40
    part.save()
    TaskPart.objects.bulk_create(
        [
            TaskPart(
                task=task, unit=city.donghua1, role=TaskPart.Role.COOPERATING, task_deadline=TODAY
            )
        ]
    )
    assert copies(task) == {(city.campaign.pk, TODAY + datetime.timedelta(days=1))}
    assert task.parts.count() == 4


@pytest.fixture
def late_and_owed(city):
    """Twelve tasks: three late with a part still owed, and one late whose part is handed in,
    each of 东华街道 with 新市街道 responsible (two parts); the rest not yet due."""
    late = TODAY - datetime.timedelta(days=10)
    for n in range(12):
        status = Task.Status.IN_PROGRESS if n < 3 else Task.Status.SUBMITTED
        deadline = late if n < 4 else datetime.date(2099, 1, 1)
        make_task(
            city, deadline=deadline, responsible=[city.xinshi], title=f"任务{n}", status=status
        )


@pytest.mark.parametrize(
    ("asked", "overdue_parts"), [({}, 6), ({"status": Task.Status.IN_PROGRESS}, 6)]
)
def test_the_offices_overdue_parts_are_the_late_tasks_owed_parts(
    city, personas, client_for, late_and_owed, asked, overdue_parts
):
    """What the task list shows the office, with no filter (from the parts' own index) and
    with one (joined from the tasks it keeps): the same parts, and as many as the tasks'
    join counts."""
    page = client_for(personas.office_admin).get(reverse("tasks:task_list"), asked)
    assert page.context["overdue_parts"] == overdue_parts
    joined = Task.objects.filter(campaign=city.campaign).count_overdue_parts(personas.office_admin)
    assert joined == overdue_parts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes of PostgreSQL")
def test_the_offices_overdue_parts_are_read_from_the_late_parts_index_alone(
    city, personas, client_for, late_and_owed
):
    """The office's count reads no task, and every column of the parts it reads is held by
    `task_part_late`, whose condition is the open statuses it asks for."""
    from .test_task_plans import index_columns

    with CaptureQueriesContext(connection) as queries:
        page = client_for(personas.office_admin).get(reverse("tasks:task_list"))
    assert page.context["overdue_parts"] == 6
    (count,) = [
        q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(") and "taskpart" in q["sql"]
    ]
    assert 'tasks_task"' not in count.replace('"tasks_taskpart"', ""), count
    read = set(re.findall(r'"tasks_taskpart"\."(\w+)"', count)) - {"status"}
    held = index_columns("task_part_late")
    assert read and read <= held, (read, held)
