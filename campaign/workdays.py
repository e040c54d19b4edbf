"""Working-day arithmetic over the database calendar (工作日计算).

A date is a working day when it is Monday–Friday, unless a `WorkdayOverride` says
otherwise: public holidays on weekdays are overrides with `is_working_day=False`, make-up
working days (调休上班日) on weekends are overrides with `is_working_day=True`. The table is
seeded from the `chinesecalendar` package (`seed_from_package`) and edited by the office
when the State Council publishes a new year's schedule (usually in November).

Years without a `PublishedHolidayYear` row have no known holidays yet: their dates are
counted as plain Monday–Friday weeks, and callers warn with `unpublished_years(...)`.

Every function reads the overrides it needs in ONE query for the whole date range, never
one query per day; callers that do many calculations hold a `WorkdayCalendar` instead.
"""

import datetime
import logging

logger = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)

# chinesecalendar's English holiday names → the names Chinese notices use.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _weekday_rule(day):
    return day.weekday() < 5


class WorkdayCalendar:
    """The overrides of a date range, read in one query, answering working-day questions.

    Outside the loaded range a calendar loads the missing span on demand (one more query),
    so arithmetic never silently falls back to weekdays for a date it has not seen.
    """

    def __init__(self, start, end):
        self._overrides = {}
        self._start = self._end = None
        self._load(start, end)

    def _load(self, start, end):
        from .models import WorkdayOverride

        if self._start is not None:
            start, end = min(start, self._start), max(end, self._end)
        rows = WorkdayOverride.objects.filter(date__range=(start, end)).values_list(
            "date", "is_working_day"
        )
        self._overrides = dict(rows)
        self._start, self._end = start, end

    def _ensure(self, day):
        if day < self._start or day > self._end:
            # Widen generously so a long walk re-queries rarely.
            self._load(day - datetime.timedelta(days=60), day + datetime.timedelta(days=60))

    def is_working_day(self, day):
        self._ensure(day)
        return self._overrides.get(day, _weekday_rule(day))

    def add_working_days(self, start, n):
        """The n-th working day after `start` (n < 0 counts backwards; n == 0 is `start`)."""
        day, step, left = start, (ONE_DAY if n >= 0 else -ONE_DAY), abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, a, b):
        """Working days after `a` up to and including `b`; negative when `b` is before `a`."""
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


def _span_for(start, n):
    # n working days never need more than about twice as many calendar days, plus the
    # longest holiday run (Spring Festival / National Day: 8–9 days).
    days = abs(n) * 2 + 40
    if n >= 0:
        return start, start + datetime.timedelta(days=days)
    return start - datetime.timedelta(days=days), start


def is_working_day(day):
    """True when `day` is a working day (one query)."""
    return WorkdayCalendar(day, day).is_working_day(day)


def add_working_days(start, n):
    """The n-th working day after `start`, holidays and 调休 included (one query)."""
    return WorkdayCalendar(*_span_for(start, n)).add_working_days(start, n)


def working_days_between(a, b):
    """Working days in (a, b]: from today to a deadline, how many working days are left."""
    low, high = min(a, b), max(a, b)
    return WorkdayCalendar(low, high).working_days_between(a, b)


def unpublished_years(*dates):
    """Sorted years among `dates` whose holiday schedule is not in the database (one query)."""
    from .models import PublishedHolidayYear

    years = {d.year for d in dates if d is not None}
    if not years:
        return []
    known = set(PublishedHolidayYear.objects.filter(year__in=years).values_list("year", flat=True))
    return sorted(years - known)


def seed_from_package():
    """Fill the override table and the published years from `chinesecalendar`.

    Only dates that differ from the Monday–Friday rule are stored. Existing rows are kept
    as they are (the office's own corrections win). Years the package does not cover
    (it raises for them) stay unpublished and are logged as a warning. Returns a dict
    with the number of overrides and years added and the uncovered years checked.
    """
    import chinese_calendar
    from chinese_calendar import constants

    from .models import PublishedHolidayYear, WorkdayOverride

    rows = []
    for day, name in constants.holidays.items():
        if _weekday_rule(day):
            rows.append(
                WorkdayOverride(date=day, is_working_day=False, name=HOLIDAY_NAMES.get(name, name))
            )
    for day, name in constants.workdays.items():
        if not _weekday_rule(day):
            label = HOLIDAY_NAMES.get(name, name)
            rows.append(WorkdayOverride(date=day, is_working_day=True, name=f"{label}调休上班"))
    existing_dates = set(WorkdayOverride.objects.values_list("date", flat=True))
    new_rows = [r for r in rows if r.date not in existing_dates]
    WorkdayOverride.objects.bulk_create(new_rows, ignore_conflicts=True)

    covered = sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})
    version = getattr(chinese_calendar, "__version__", "")
    known_years = set(PublishedHolidayYear.objects.values_list("year", flat=True))
    new_years = [
        PublishedHolidayYear(year=y, source=f"chinesecalendar {version}".strip())
        for y in range(covered[0], covered[-1] + 1)
        if y not in known_years
    ]
    PublishedHolidayYear.objects.bulk_create(new_years, ignore_conflicts=True)

    uncovered = []
    this_year = datetime.date.today().year
    for year in (this_year, this_year + 1):
        if year in known_years or any(p.year == year for p in new_years):
            continue
        try:
            chinese_calendar.is_workday(datetime.date(year, 1, 1))
        except NotImplementedError:
            uncovered.append(year)
            logger.warning(
                "chinesecalendar has no holiday schedule for %s: enter it in the working-day "
                "calendar once the State Council publishes it; until then weekdays count as "
                "working days.",
                year,
            )
    return {"overrides": len(new_rows), "years": len(new_years), "unpublished": uncovered}
