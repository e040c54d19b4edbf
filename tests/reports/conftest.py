"""Builders for the reports tests: findings and tasks with exactly the dates a case needs.

They write rows directly (not through the ledger's methods) because ranking arithmetic
is about dates and statuses, and a hand-computed case needs every one of them fixed.
"""

import datetime
import itertools
import zoneinfo

import pytest

from inspections.models import Finding, FindingEvent, Severity, Source, Status
from reports.models import BulletinSettings
from tasks.models import Task

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_counter = itertools.count(1)


def at(day, hour=10):
    """A moment on a date in the campaign's time zone."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def make_finding(
    campaign,
    unit,
    *,
    found_on,
    severity=Severity.MINOR,
    status=Status.RECTIFYING,
    deadline=None,
    closed_on=None,
    submitted_on=None,
    relapse_of=None,
    **extra,
):
    return Finding.objects.create(
        campaign=campaign,
        source=Source.ROUTINE,
        found_on=found_on,
        description=extra.pop("description", f"测试问题{next(_counter)}：路边垃圾未清理"),
        severity=severity,
        unit=unit,
        territory=unit,
        status=status,
        deadline=deadline,
        closed_at=at(closed_on) if closed_on else None,
        submitted_at=at(submitted_on) if submitted_on else None,
        relapse_of=relapse_of,
        **extra,
    )


def make_returned_event(finding, on):
    return FindingEvent.objects.create(
        finding=finding,
        action=FindingEvent.Action.FAIL,
        from_status=Status.AWAITING,
        to_status=Status.RETURNED,
        at=at(on),
        note="整改不到位",
    )


def make_task(
    campaign, unit, *, deadline, status=Task.Status.IN_PROGRESS, accepted_on=None, **extra
):
    """A task led by `unit` alone: its one part (the unit's own) is in `status`."""
    accepted_at = at(accepted_on) if accepted_on else None
    task = Task.objects.create(
        campaign=campaign,
        title=extra.pop("title", f"测试任务{next(_counter)}"),
        lead_unit=unit,
        deadline=deadline,
        status=status,
        accepted_at=accepted_at,
        **extra,
    )
    task.sync_parts()
    task.parts.update(status=status, accepted_at=accepted_at, submitted_at=accepted_at)
    return task


# ISO week 2026-W45: Monday 2 November to Sunday 8 November 2026 (no public holiday).
WEEK = "2026-W45"
MONDAY = datetime.date(2026, 11, 2)


def day(n):
    """Day n of WEEK (0 = Monday); negative for the days before it."""
    return MONDAY + datetime.timedelta(days=n)


@pytest.fixture
def bulletin_settings(campaign):
    return BulletinSettings.objects.create(
        campaign=campaign,
        issuing_office="某市创建全国文明城市工作领导小组办公室",
        recipients="shizhang@example.cn\nchuangwenban@example.cn",
    )
