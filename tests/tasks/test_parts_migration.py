"""The data migration turns today's tasks into per-unit parts without losing history."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

LEAVES = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
# The tasks app goes back to just before the parts' data migration, every other app stays at
# its latest state; then everything is migrated to the latest state again.
BEFORE = [("tasks", "0004_task_parts"), *[n for n in LEAVES if n[0] != "tasks"]]
AFTER = LEAVES


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_task_one_street_submitted_for_all_becomes_parts_with_its_history():
    apps = migrate(BEFORE)
    Campaign = apps.get_model("campaign", "Campaign")
    Unit = apps.get_model("campaign", "Unit")
    Person = apps.get_model("campaign", "Person")
    Membership = apps.get_model("campaign", "Membership")
    Task = apps.get_model("tasks", "Task")
    ProgressUpdate = apps.get_model("tasks", "ProgressUpdate")
    TaskEvent = apps.get_model("tasks", "TaskEvent")

    campaign = Campaign.objects.create(
        name="创建全国文明城市",
        level="national",
        city="某市",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    lead = Unit.objects.create(campaign=campaign, name="市城管局", kind="department", path="/1/")
    streets = [
        Unit.objects.create(campaign=campaign, name=n, kind="street", path=f"/{i}/")
        for i, n in ((2, "东华街道"), (3, "新市街道"))
    ]
    liaison = Person.objects.create(username="donghua_ll", name="朱涛")
    staff = Person.objects.create(username="cmd", name="周建华")
    Membership.objects.create(
        person=liaison, campaign=campaign, role="unit_liaison", unit=streets[0]
    )
    now = timezone.now()
    task = Task.objects.create(
        campaign=campaign,
        title="占道经营集中整治",
        lead_unit=lead,
        deadline=datetime.date(2026, 6, 30),
        status="accepted",
        progress=100,
        submitted_at=now,
        accepted_at=now,
    )
    task.responsible_units.set(streets)
    update = ProgressUpdate.objects.create(
        task=task, author=liaison, text="全部整改到位", progress=100, submitted=True
    )
    TaskEvent.objects.create(task=task, kind="created", to_status="not_started")
    TaskEvent.objects.create(
        task=task,
        actor=liaison,
        kind="submitted",
        from_status="not_started",
        to_status="submitted",
        data={"update": update.pk},
    )
    TaskEvent.objects.create(
        task=task, actor=staff, kind="accepted", from_status="submitted", to_status="accepted"
    )

    apps = migrate(AFTER)
    Task = apps.get_model("tasks", "Task")
    TaskPart = apps.get_model("tasks", "TaskPart")
    ProgressUpdate = apps.get_model("tasks", "ProgressUpdate")
    TaskEvent = apps.get_model("tasks", "TaskEvent")

    parts = {p.unit.name: p for p in TaskPart.objects.filter(task_id=task.pk)}
    assert {name: p.role for name, p in parts.items()} == {
        "市城管局": "lead",
        "东华街道": "responsible",
        "新市街道": "responsible",
    }
    # The street's report, its submission and the acceptance belong to the street's part.
    donghua = parts["东华街道"]
    assert (donghua.status, donghua.progress) == ("accepted", 100)
    assert ProgressUpdate.objects.get(pk=update.pk).part_id == donghua.pk
    assert set(
        TaskEvent.objects.filter(task_id=task.pk, part_id=donghua.pk).values_list("kind", flat=True)
    ) == {"submitted", "accepted"}
    assert TaskEvent.objects.filter(task_id=task.pk).count() == 3  # nothing lost
    assert parts["新市街道"].status == "not_started"
    # The task is no longer accepted for units that never reported.
    task = Task.objects.get(pk=task.pk)
    assert (task.status, task.progress, task.accepted_at) == ("in_progress", 33, None)
