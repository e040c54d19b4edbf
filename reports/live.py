"""Figures of a week not frozen yet: computed by a job, once, never inside a request.

Computing a week reads every finding and task of the campaign (seconds at city size), so
the rankings page asks `rows_for()`: a frozen week reads its snapshot; an unfrozen one reads
the figures a job computed in the last LIVE_MINUTES, or requests that job and returns None
so the page says 正在计算 and polls. The request is an outbox row whose key names the week
and the LIVE_MINUTES window: however many people open the page, the week is computed once
per window (the unique key is the lock). The figures are kept in the cache, which several
web processes share through Redis.
"""

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign
from campaign.outbox import enqueue, handler
from config.celery import app

from . import services
from .models import PeriodSnapshot, ScoringRule

LIVE_MINUTES = 15


def _cache_key(campaign_id, period):
    return f"reports:live-week:{campaign_id}:{period}"


def _window(now):
    """The LIVE_MINUTES window `now` falls in, e.g. "2026-11-29T10:45"."""
    return now.replace(minute=now.minute - now.minute % LIVE_MINUTES, second=0).strftime(
        "%Y-%m-%dT%H:%M"
    )


def rows_for(campaign, period):
    """(rows, rules dict, frozen?) of a week; rows is None while a job is computing them."""
    snapshot = PeriodSnapshot.objects.filter(campaign=campaign, period=period).first()
    if snapshot is not None:
        return list(snapshot.units.all()), snapshot.rules, True
    return live_rows(campaign, period), ScoringRule.for_campaign(campaign).as_dict(), False


def live_rows(campaign, period):
    """The unfrozen week's figures if a job computed them lately, else None (and the job asked for)."""
    rows = cache.get(_cache_key(campaign.pk, period))
    if rows is not None:
        return rows
    if app.conf.task_always_eager:
        # No worker to ask (the embedded default runs every job in-process): compute here.
        compute_week(campaign.pk, period)
        return cache.get(_cache_key(campaign.pk, period))
    with transaction.atomic():
        enqueue(
            "reports.live.compute_week",
            key=f"live-week:{campaign.pk}:{period}:{_window(timezone.now())}",
            campaign_id=campaign.pk,
            period=period,
        )
    return None


@handler
def compute_week(campaign_id, period):
    """The outbox handler: compute the week once and keep it for LIVE_MINUTES."""
    campaign = Campaign.objects.get(pk=campaign_id)
    rows = services.live_rows(campaign, period)
    cache.set(_cache_key(campaign_id, period), rows, LIVE_MINUTES * 60)
