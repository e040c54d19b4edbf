"""Bulk reassignment and deadline changes from the task list, each with history."""

import datetime

from django.urls import reverse

from campaign.models import CommandOffice
from tasks.models import TaskEvent

from .conftest import make_task


def test_bulk_reassign_moves_every_ticked_task_and_records_each(city, personas, client_for):
    tasks = [make_task(city, title=f"任务{i}") for i in range(3)]
    client = client_for(personas.office_admin)
    response = client.post(
        reverse("tasks:task_bulk"),
        {
            "action": "reassign",
            "tasks": [t.pk for t in tasks[:2]],
            "lead_unit": city.xinshi.pk,
            "note": "属地调整",
        },
    )
    assert response.status_code == 302
    leads = [t.lead_unit for t in (type(tasks[0]).objects.get(pk=t.pk) for t in tasks)]
    assert leads == [city.xinshi, city.xinshi, city.donghua]
    events = TaskEvent.objects.filter(kind=TaskEvent.Kind.REASSIGNED)
    assert events.count() == 2
    assert events.first().data["before"]["lead_unit"] == "东华街道"


def test_bulk_deadline_in_working_days_sets_the_date_and_records_each(
    city, personas, client_for, calendar_seeded
):
    tasks = [make_task(city, title=f"任务{i}") for i in range(2)]
    client_for(personas.office_admin).post(
        reverse("tasks:task_bulk"),
        {"action": "deadline", "tasks": [t.pk for t in tasks], "working_days": 5},
    )
    for task in tasks:
        task.refresh_from_db()
        assert task.deadline > datetime.date.today()
        assert task.deadline_working_days == 5
    assert TaskEvent.objects.filter(kind=TaskEvent.Kind.DEADLINE).count() == 2


def test_command_staff_cannot_bulk_change_another_offices_tasks(city, personas, client_for):
    other = CommandOffice.objects.create(campaign=city.campaign, name="文明素质指挥部")
    mine = make_task(city, title="本指挥部任务")
    theirs = make_task(city, title="其他指挥部任务", command_office=other)
    client_for(personas.command_staff).post(
        reverse("tasks:task_bulk"),
        {"action": "reassign", "tasks": [mine.pk, theirs.pk], "lead_unit": city.xinshi.pk},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    # The foreign task makes the whole form invalid: nothing changes.
    assert (mine.lead_unit, theirs.lead_unit) == (city.donghua, city.donghua)


def test_unit_people_cannot_use_bulk_changes(city, personas, client_for):
    task = make_task(city)
    response = client_for(personas.street_leader).post(
        reverse("tasks:task_bulk"),
        {"action": "reassign", "tasks": [task.pk], "lead_unit": city.xinshi.pk},
    )
    assert response.status_code == 403


def test_creating_an_ad_hoc_task_with_milestones(city, personas, client_for, calendar_seeded):
    client = client_for(personas.command_staff)
    response = client.post(
        reverse("tasks:task_create"),
        {
            "title": "农贸市场周边秩序整治",
            "description": "",
            "command_office": city.command_office.pk,
            "lead_unit": city.east.pk,
            "responsible_units": [city.donghua.pk, city.xinshi.pk],
            "working_days": 20,
            "priority": "high",
            "milestones-TOTAL_FORMS": 2,
            "milestones-INITIAL_FORMS": 0,
            "milestones-0-date": "2026-12-10",
            "milestones-0-expected_progress": 50,
            "milestones-0-deliverable": "排查摸底",
            "milestones-1-date": "",
        },
    )
    assert response.status_code == 302
    task = city.campaign.tasks.get()
    assert task.deadline_working_days == 20
    assert task.milestones.count() == 1
    assert task.events.get().kind == "created"


def test_the_new_lead_unit_hears_of_its_tasks_once_per_batch(
    city, personas, client_for, django_capture_on_commit_callbacks
):
    from campaign.models import Notification

    tasks = [make_task(city, title=f"任务{i}") for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        client_for(personas.office_admin).post(
            reverse("tasks:task_bulk"),
            {"action": "reassign", "tasks": [t.pk for t in tasks], "lead_unit": city.donghua1.pk},
        )
    # 东华第1社区 has one leader in the personas: one message per reassigned task, none elsewhere.
    notes = Notification.objects.filter(recipient=personas.community_leader)
    assert notes.count() == 3
    assert "任务0" in notes.order_by("pk").first().body
    assert not Notification.objects.filter(recipient=personas.other_district_leader).exists()
