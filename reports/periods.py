"""Reporting periods: ISO weeks written "2026-W47" (Monday to Sunday, Asia/Shanghai dates)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import BulletinSettings

ONE_DAY = datetime.timedelta(days=1)

# --- Periods ------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A week written in a form the office cannot have meant."""


def iso_period(day):
    """The ISO week of a date, as "2026-W47"."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_bounds(period):
    """(Monday, Sunday) of an ISO week "YYYY-Www"; PeriodError when it is not one."""
    try:
        year, week = str(period).strip().upper().split("-W")
        start = datetime.date.fromisocalendar(int(year), int(week), 1)
    except (ValueError, TypeError):
        raise PeriodError(
            _("“%(period)s” is not a week: write it like 2026-W47.") % {"period": period}
        ) from None
    return start, start + datetime.timedelta(days=6)


def normalise_period(period):
    start, _end = period_bounds(period)
    return iso_period(start)


def previous_period(period):
    start, _end = period_bounds(period)
    return iso_period(start - ONE_DAY)


def due_period(bulletin_settings, now=None):
    """The week whose bulletin is due at `now`, or None before this week's configured time.

    Only the current week's run is ever due: a missed week is made by hand
    (`make_bulletin --period`), never silently back-filled by the beat.
    """
    now = timezone.localtime(now or timezone.now())
    monday = now.date() - datetime.timedelta(days=now.weekday())
    run_at = datetime.datetime.combine(
        monday + datetime.timedelta(days=bulletin_settings.weekday), bulletin_settings.time
    )
    if now.replace(tzinfo=None) < run_at:
        return None
    covered = monday - datetime.timedelta(days=7 * bulletin_settings.covers)
    return iso_period(covered)


def default_period(campaign, now=None, *, bulletin_settings=None):
    """The week a bulletin made now would cover, per the campaign's settings (read here
    unless the caller has them)."""
    bulletin_settings = bulletin_settings or BulletinSettings.for_campaign(campaign)
    today = timezone.localdate(now) if now else timezone.localdate()
    return iso_period(today - datetime.timedelta(days=7 * bulletin_settings.covers))
