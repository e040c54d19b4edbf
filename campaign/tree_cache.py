"""The evaluation-system tree page's cached table (the 200-standard tree, drawn once per
version, language and scope).

`EvaluationSystem.tree_version` is bumped in the same transaction as any change to what
the table shows: a node or standard saved or deleted (the self-assessment too), a
standard's responsible units changed, a revised edition retiring rows, and a unit or
command office saved or deleted (their names are shown, a unit move changes who sees
what). A request that read the old version before such a change committed stores
what it read under the old version, which nobody asks for again.
"""

import hashlib

from django.core.cache import cache
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.urls import get_script_prefix
from django.utils.translation import get_language

from .access import scope_for
from .models import CommandOffice, EvaluationSystem, IndicatorNode, Standard, Unit

# Long enough to serve a working day; a new version makes a new key in any case.
TIMEOUT_SECONDS = 24 * 3600


def touch_trees(**lookup):
    """Bump the tree version of the systems matching `lookup`."""
    EvaluationSystem.objects.filter(**lookup).update(tree_version=F("tree_version") + 1)


def sees(campaign_id, user):
    """What decides which of a campaign's standards `user` sees, for a cache key."""
    scope = scope_for(user)
    if scope.is_superuser or campaign_id in scope.wide_campaign_ids:
        return "all"  # the campaign is theirs: every standard, whatever else they hold
    return repr((scope.unit_paths, sorted(scope.command_office_ids)))


def key(system, user):
    """The cache key of the person's unfiltered tree of `system`."""
    sees_ = sees(system.campaign_id, user)
    parts = repr((system.level_names, get_language(), get_script_prefix(), sees_))
    digest = hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()
    return f"system-tree:{system.pk}:{system.tree_version}:{digest}"


def get_or_render(system, user, render):
    """The cached table, or `render()` stored for the next request."""
    cache_key = key(system, user)
    html = cache.get(cache_key)
    if html is None:
        html = render()
        cache.set(cache_key, html, TIMEOUT_SECONDS)
    return html


def _row_changed(sender, instance, **kwargs):
    touch_trees(pk=instance.system_id)


def _names_changed(sender, instance, **kwargs):
    touch_trees(campaign_id=instance.campaign_id)


def _responsible_units_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        touch_trees(pk=instance.system_id)
    elif pk_set:
        touch_trees(standards__pk__in=pk_set)
    else:  # a unit's standards cleared
        touch_trees(campaign_id=instance.campaign_id)


def connect():
    for model, handler in (
        (Standard, _row_changed),
        (IndicatorNode, _row_changed),
        (Unit, _names_changed),
        (CommandOffice, _names_changed),
    ):
        uid = f"tree-cache-{model.__name__}"
        post_save.connect(handler, sender=model, dispatch_uid=uid)
        post_delete.connect(handler, sender=model, dispatch_uid=uid)
    m2m_changed.connect(
        _responsible_units_changed,
        sender=Standard.responsible_units.through,
        dispatch_uid="tree-cache-responsible-units",
    )
