"""Turn every task into per-unit parts without losing history.

Each task gets a part for its lead unit, each responsible unit and each cooperating unit.
A progress report (and its evidence) goes to the part of the unit its author reported for
(the author's unit role among the task's units), else to the lead unit's part; its events
follow it. Each part then takes the state its own reports give it: the task's acceptance or
return applies to the part that handed the work in. The task's status and progress are rolled
up from its parts, as they are from now on: a task one street submitted for 52 units is no
longer "accepted" for all of them.
"""

from collections import defaultdict

from django.db import migrations

OPEN = {"not_started", "in_progress", "returned"}


def forwards(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    TaskPart = apps.get_model("tasks", "TaskPart")
    ProgressUpdate = apps.get_model("tasks", "ProgressUpdate")
    TaskEvent = apps.get_model("tasks", "TaskEvent")
    Membership = apps.get_model("campaign", "Membership")

    unit_roles = defaultdict(set)  # person id → unit ids they held a unit role for
    for person_id, unit_id in Membership.objects.filter(
        role__in=["unit_leader", "unit_liaison"], unit__isnull=False
    ).values_list("person_id", "unit_id"):
        unit_roles[person_id].add(unit_id)

    for task in Task.objects.prefetch_related("responsible_units", "cooperating_units"):
        roles = {u.pk: "cooperating" for u in task.cooperating_units.all()}
        roles.update({u.pk: "responsible" for u in task.responsible_units.all()})
        roles[task.lead_unit_id] = "lead"
        parts = {
            unit_id: TaskPart.objects.create(task=task, unit_id=unit_id, role=role)
            for unit_id, role in roles.items()
        }
        lead = parts[task.lead_unit_id]
        updates = list(ProgressUpdate.objects.filter(task=task).order_by("at", "pk"))
        part_of_update = {}
        for update in updates:
            mine = [parts[u] for u in unit_roles.get(update.author_id, ()) if u in parts]
            part = mine[0] if mine else lead
            part_of_update[update.pk] = part
            ProgressUpdate.objects.filter(pk=update.pk).update(part=part)
            part.progress = update.progress
            part.status = "submitted" if update.submitted else "in_progress"
            part.submitted_at = update.at if update.submitted else None
        # The task's own decision applies to the part that handed the work in last.
        submitted = [u for u in updates if u.submitted]
        decided = part_of_update[submitted[-1].pk] if submitted else lead
        if task.status == "accepted":
            decided.status, decided.accepted_at = "accepted", task.accepted_at
            decided.submitted_at = decided.submitted_at or task.submitted_at
            decided.progress = 100
        elif task.status == "returned":
            decided.status, decided.submitted_at = "returned", None
        elif task.status == "submitted" and not submitted:
            decided.status, decided.submitted_at = "submitted", task.submitted_at
        for part in parts.values():
            part.save()
        for event in TaskEvent.objects.filter(task=task).exclude(
            kind__in=["created", "reassigned", "deadline", "edited"]
        ):
            update_id = (event.data or {}).get("update")
            part = part_of_update.get(update_id) or (
                decided if event.kind in ("accepted", "returned") else lead
            )
            TaskEvent.objects.filter(pk=event.pk).update(part=part)
        reached = task.milestones.filter(reached_at__isnull=False)
        for part in {p.pk: p for p in part_of_update.values()}.values() or [lead]:
            part.milestones_reached.add(*reached)

        required = [p for p in parts.values() if p.role != "cooperating"]
        statuses = {p.status for p in required}
        if statuses == {"accepted"}:
            status = "accepted"
        elif statuses <= {"submitted", "accepted"}:
            status = "submitted"
        elif statuses == {"not_started"}:
            status = "not_started"
        else:
            status = "in_progress"
        task.status = status
        task.progress = round(sum(p.progress for p in required) / len(required))
        if status not in ("submitted", "accepted"):
            task.submitted_at = None
        if status != "accepted":
            task.accepted_at = None
        task.save(update_fields=["status", "progress", "submitted_at", "accepted_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0004_task_parts"),
        ("campaign", "0005_merge_20261129_1831"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
