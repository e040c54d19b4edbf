"""The campaign's reference data as a person sees it (filter choices, their units and command
offices, the bulletin settings), read once per campaign version and scope and kept in the
process.

The filter panels offer the districts, categories, point types, command offices and (on the
task list) evaluation items the person may see: reading them cost each list page one or two
ORM queries (1–2 ms, mostly compiling them), which no JSON answer of the same rows pays.
`Campaign.choices_version` is changed in the same transaction as any of those rows is saved
or deleted (or a command office's units change, or a task is made, deleted, handed to other
units or given another item), and the campaign row is read afresh by every request, so a
kept list is served only while nothing it shows has changed. A request that read the old
version before such a change committed keeps what it read under the old version, which
nobody asks for again.
"""

import uuid

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language

from .access import scope_for
from .kept import kept
from .models import Campaign, CommandOffice, Unit


def choices(campaign, user, kind, read):
    """The `kind` data of `campaign` this person may see: `read()` once per campaign version,
    language and scope (`campaign.kept`)."""
    sees = scope_for(user).sees(campaign.pk)
    return kept(
        ("choices", campaign.pk, campaign.choices_version, kind, get_language(), sees), read
    )


def offer(field, campaign, user, kind):
    """Draw a model choice field's drop-down from the kept `kind` choices of its queryset
    (which still validates what is sent): the filter panel calls `field.kept_choices()`, so a
    request that draws no panel (an export) reads none."""

    def read():
        return [(row.pk, field.label_from_instance(row)) for row in field.queryset]

    def kept_choices():
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        return empty + choices(campaign, user, kind, read)

    field.kept_choices = kept_choices


def touch(campaign_id):
    Campaign.objects.filter(pk=campaign_id).update(choices_version=uuid.uuid4())


def _changed(sender, instance, **kwargs):
    touch(instance.campaign_id)


def _office_units_changed(sender, instance, action, reverse, **kwargs):
    if action.startswith("post_"):
        touch(instance.campaign_id)


# A task's columns that decide who sees it and which item it counts under: the task list
# offers the items of the tasks a person sees.
TASK_CHOICE_FIELDS = {"campaign", "item", "lead_unit", "command_office"}


def _task_saved(sender, instance, update_fields=None, **kwargs):
    # Progress, status and deadline changes (most saves) name their columns and change no item.
    if update_fields is None or TASK_CHOICE_FIELDS & set(update_fields):
        touch(instance.campaign_id)


def _task_units_changed(sender, instance, action, **kwargs):
    # From the task (task.responsible_units.set) or from the unit (unit.tasks.add): both
    # belong to the campaign.
    if action.startswith("post_"):
        touch(instance.campaign_id)


def _item_changed(sender, instance, **kwargs):
    touch(instance.system.campaign_id)


def connect():
    from fieldwork.models import PointType
    from inspections.models import FindingCategory
    from tasks.models import Task

    from .models import EvaluationSystem, IndicatorNode

    for model in (Unit, CommandOffice, FindingCategory, PointType, EvaluationSystem):
        uid = f"choices-cache-{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
    m2m_changed.connect(
        _office_units_changed,
        sender=CommandOffice.units.through,
        dispatch_uid="choices-cache-office-units",
    )
    # The task list's items (tasks.filters): generation, which creates tasks in bulk without
    # signals, changes the version itself.
    post_save.connect(_task_saved, sender=Task, dispatch_uid="choices-cache-Task")
    post_delete.connect(_changed, sender=Task, dispatch_uid="choices-cache-Task")
    for units in (Task.responsible_units, Task.cooperating_units):
        m2m_changed.connect(
            _task_units_changed,
            sender=units.through,
            dispatch_uid=f"choices-cache-{units.field.name}",
        )
    post_save.connect(_item_changed, sender=IndicatorNode, dispatch_uid="choices-cache-item")
    post_delete.connect(_item_changed, sender=IndicatorNode, dispatch_uid="choices-cache-item")
