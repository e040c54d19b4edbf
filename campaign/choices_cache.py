"""The list pages' filter choices, read once per campaign version and scope and kept in the
process.

The filter panels offer the districts, categories, point types and command offices the
person may see: reading them cost each list page one or two ORM queries (1–2 ms, mostly
compiling them), which no JSON answer of the same rows pays. `Campaign.choices_version` is
changed in the same transaction as any of those rows is saved or deleted (or a command
office's units change), and the campaign row is read afresh by every request, so a kept list
is served only while nothing it shows has changed. A request that read the old version
before such a change committed keeps what it read under the old version, which nobody asks
for again.
"""

import uuid

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language

from .access import scope_for
from .models import Campaign, CommandOffice, Unit

# Kept lists: one per campaign version, kind, language and scope; cleared when this many are
# kept (a few hundred scopes at most in a city).
MAX_KEPT = 2000
KEPT = {}


def choices(campaign, user, kind, read):
    """The `kind` choices of `campaign` this person may see: `read()` (a list of (id, label)
    pairs) once per campaign version and scope."""
    sees = scope_for(user).sees(campaign.pk)
    key = (campaign.pk, campaign.choices_version, kind, get_language(), sees)
    try:
        return KEPT[key]
    except KeyError:
        pass
    value = read()
    if len(KEPT) >= MAX_KEPT:
        KEPT.clear()
    KEPT[key] = value
    return value


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


def connect():
    from fieldwork.models import PointType
    from inspections.models import FindingCategory

    for model in (Unit, CommandOffice, FindingCategory, PointType):
        uid = f"choices-cache-{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
    m2m_changed.connect(
        _office_units_changed,
        sender=CommandOffice.units.through,
        dispatch_uid="choices-cache-office-units",
    )
