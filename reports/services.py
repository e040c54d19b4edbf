"""Weekly figures, rankings and the making of a bulletin.

Periods are ISO weeks written "2026-W47" (Monday to Sunday, Asia/Shanghai dates).

Figures (see `compute_figures`): a finding or task counts for the unit it is handed to
AND for every unit above it, because a district answers for its whole territory (属地管理);
units are only ever compared with units of the same kind. Voided findings count nowhere.

Ranking rules (see `rank_rows`), as the scoring page explains them to the office:

- Equal values share a rank and the next rank is skipped ("1, 2, 2, 4"); tied units are
  listed in the order of the unit tree.
- Rate rankings (closure rate, task completion) only rank units with at least the
  campaign's minimum count (`ScoringRule.min_findings_for_rate` / `min_tasks_for_rate`);
  the others are listed after the ranked units as "too few to rank".
- The red list names the best `list_size` units of a kind by composite score, the black
  list the worst; a unit tied with the last one named is named too, and no unit is on
  both lists.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import Campaign, Unit
from campaign.workdays import WorkdayCalendar

from .models import Bulletin, BulletinSettings, PeriodSnapshot, ScoringRule, UnitSnapshot

ONE_DAY = datetime.timedelta(days=1)
TWO_PLACES = Decimal("0.01")


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


def period_label(period):
    start, end = period_bounds(period)
    return _("%(start)s to %(end)s") % {
        "start": f"{start.month}月{start.day}日",
        "end": f"{end.month}月{end.day}日",
    }


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


def default_period(campaign, now=None):
    """The week a bulletin made now would cover, per the campaign's settings."""
    bulletin_settings = BulletinSettings.for_campaign(campaign)
    today = timezone.localdate(now) if now else timezone.localdate()
    return iso_period(today - datetime.timedelta(days=7 * bulletin_settings.covers))


# --- Figures ------------------------------------------------------------------------------


def _local_date(moment):
    return timezone.localdate(moment) if moment else None


def _ancestors_and_self(path):
    return [int(part) for part in path.strip("/").split("/") if part]


def compute_figures(*, campaign, start, end, rules=None):
    """Each unit's figures for the week start..end, as unsaved `UnitSnapshot` rows.

    Reads every non-voided finding of the campaign found by `end` and every task due by
    `end` once (values only) and credits each to its unit and the units above it.
    """
    from inspections.models import Finding, FindingEvent, Severity
    from inspections.models import Status as FindingStatus
    from tasks.models import TaskPart

    rules = rules or ScoringRule.for_campaign(campaign)
    units = list(Unit.objects.filter(campaign=campaign).order_by("path"))
    rows = {
        u.pk: UnitSnapshot(unit=u, unit_name=u.name, unit_kind=u.kind, unit_path=u.path)
        for u in units
    }

    def credit(path, **increments):
        for unit_id in _ancestors_and_self(path):
            row = rows.get(unit_id)
            if row is None:
                continue
            for name, value in increments.items():
                setattr(row, name, getattr(row, name) + value)

    findings = (
        Finding.objects.filter(campaign=campaign, unit__isnull=False, found_on__lte=end)
        .exclude(status=FindingStatus.VOIDED)
        .values_list(
            "unit__path",
            "severity",
            "found_on",
            "status",
            "deadline",
            "closed_at",
            "submitted_at",
            "relapse_of_id",
        )
    )
    calendar = WorkdayCalendar(start - datetime.timedelta(days=7), end)
    severity_field = {
        Severity.MINOR: "minor_week",
        Severity.SERIOUS: "serious_week",
        Severity.CRITICAL: "critical_week",
    }
    for path, severity, found_on, status, deadline, closed_at, submitted_at, relapse in findings:
        closed_on = _local_date(closed_at)
        closed_by_end = closed_on is not None and closed_on <= end
        this_week = start <= found_on <= end
        inc = {"found_total": 1}
        if this_week:
            inc["found_week"] = 1
            inc[severity_field[severity]] = 1
            if relapse:
                inc["relapses_week"] = 1
        if relapse:
            inc["relapses_total"] = 1
        if closed_by_end:
            inc["closed_total"] = 1
            if closed_on >= start:
                inc["closed_week"] = 1
        else:
            inc["open_count"] = 1
        # The unit stops "owing" the finding when it hands in a rectification or it is
        # closed off; until then every working day past the deadline counts against it.
        if deadline is not None and status != FindingStatus.REGISTERED:
            stop = closed_on
            if status == FindingStatus.AWAITING and submitted_at is not None:
                stop = _local_date(submitted_at)
            if deadline < end and (stop is None or stop > end):
                inc["overdue_count"] = 1
            window_from = max(deadline, start - ONE_DAY)
            window_to = min(stop, end) if stop is not None else end
            if window_to > window_from:
                days = calendar.working_days_between(window_from, window_to)
                if days > 0:
                    inc["overdue_days_week"] = days
        credit(path, **inc)

    returned = FindingEvent.objects.filter(
        finding__campaign=campaign,
        action=FindingEvent.Action.FAIL,
        at__date__gte=start,
        at__date__lte=end,
        finding__unit__isnull=False,
    ).values_list("finding__unit__path", flat=True)
    for path in returned:
        credit(path, returned_week=1)

    # Every unit's own part of a task counts for that unit (and the units above it);
    # overdue as of the week's last day, by the same rule as every task page.
    parts = (
        TaskPart.objects.filter(task__campaign=campaign, task__deadline__lte=end)
        .with_light(on=end)
        .values_list("unit__path", "task__deadline", "status", "accepted_at", "light")
    )
    for path, deadline, status, accepted_at, light in parts:
        accepted_on = _local_date(accepted_at) if status == TaskPart.Status.ACCEPTED else None
        inc = {"tasks_due": 1}
        if accepted_on is not None and accepted_on <= end:
            inc["tasks_done"] = 1
            if accepted_on <= deadline:
                inc["tasks_on_time"] = 1
        if light == "red":
            inc["tasks_overdue"] = 1
        credit(path, **inc)

    for row in rows.values():
        row.deduction, row.score = score(row, rules)
    return list(rows.values())


def score(row, rules):
    """(deduction, composite score) of one unit's week under `rules` (a ScoringRule or the
    frozen dict of one). The score is the base minus the deduction, never below zero."""
    r = rules if isinstance(rules, dict) else rules.as_dict()

    def d(name):
        return Decimal(str(r[name]))

    deduction = (
        row.minor_week * d("points_minor")
        + row.serious_week * d("points_serious")
        + row.critical_week * d("points_critical")
        + row.overdue_days_week * d("points_overdue_day")
        + row.relapses_week * d("points_relapse")
        + row.returned_week * d("points_returned")
    )
    # Task rates on a handful of tasks would swing a unit's score: below the minimum the
    # task deductions are not applied.
    if row.tasks_due and row.tasks_due >= int(r["min_tasks_for_rate"]):
        deduction += d("task_completion_points") * (
            Decimal(row.tasks_due - row.tasks_done) / Decimal(row.tasks_due)
        )
        if row.tasks_done:
            deduction += d("task_on_time_points") * (
                Decimal(row.tasks_done - row.tasks_on_time) / Decimal(row.tasks_done)
            )
    deduction = deduction.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return deduction, max(Decimal("0"), d("base_score") - deduction).quantize(TWO_PLACES)


def take_snapshot(*, campaign, period, refresh=False):
    """The frozen figures of a week: made the first time, then read back unchanged.

    `refresh` recomputes them, but never for a week whose bulletin is published.
    """
    period = normalise_period(period)
    start, end = period_bounds(period)
    snapshot = PeriodSnapshot.objects.filter(campaign=campaign, period=period).first()
    if snapshot is not None and not refresh:
        return snapshot
    if (
        snapshot is not None
        and Bulletin.objects.filter(
            campaign=campaign, period=period, status=Bulletin.Status.PUBLISHED
        ).exists()
    ):
        return snapshot
    rules = ScoringRule.for_campaign(campaign)
    rows = compute_figures(campaign=campaign, start=start, end=end, rules=rules)
    with transaction.atomic():
        if snapshot is None:
            try:
                with transaction.atomic():
                    snapshot = PeriodSnapshot.objects.create(
                        campaign=campaign,
                        period=period,
                        start=start,
                        end=end,
                        rules=rules.as_dict(),
                    )
            except IntegrityError:
                # Someone else froze this week a moment ago: theirs stands.
                return PeriodSnapshot.objects.get(campaign=campaign, period=period)
        else:
            snapshot.units.all().delete()
            snapshot.rules = rules.as_dict()
            snapshot.taken_at = timezone.now()
            snapshot.save(update_fields=["rules", "taken_at"])
        for row in rows:
            row.snapshot = snapshot
        UnitSnapshot.objects.bulk_create(rows, batch_size=500)
    return snapshot


def live_rows(campaign, period):
    """Figures of a week not (yet) frozen, computed now and not saved."""
    start, end = period_bounds(period)
    return compute_figures(campaign=campaign, start=start, end=end)


def rows_for(campaign, period):
    """(rows, rules dict, frozen?) for a week: the snapshot when there is one, else live."""
    snapshot = PeriodSnapshot.objects.filter(campaign=campaign, period=period).first()
    if snapshot is not None:
        return list(snapshot.units.all()), snapshot.rules, True
    return live_rows(campaign, period), ScoringRule.for_campaign(campaign).as_dict(), False


# --- Rankings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Angle:
    """One way of putting units in order."""

    key: str
    label: str
    value_label: str
    value: object  # row -> number or None
    minimum: str = ""  # the rules key giving the minimum count, for rates
    count: object = None  # row -> the count the minimum applies to
    is_rate: bool = False


ANGLES = [
    Angle(
        "composite",
        gettext_lazy("Composite score"),
        gettext_lazy("Score"),
        lambda r: r.score,
    ),
    Angle(
        "problems",
        gettext_lazy("Most problems this week"),
        gettext_lazy("New problems"),
        lambda r: r.found_week,
    ),
    Angle(
        "closure",
        gettext_lazy("Highest closure rate"),
        gettext_lazy("Closure rate (%)"),
        lambda r: r.closure_rate,
        minimum="min_findings_for_rate",
        count=lambda r: r.found_total,
        is_rate=True,
    ),
    Angle(
        "open",
        gettext_lazy("Most still open"),
        gettext_lazy("Still open"),
        lambda r: r.open_count,
    ),
    Angle(
        "overdue",
        gettext_lazy("Most overdue"),
        gettext_lazy("Overdue"),
        lambda r: r.overdue_count,
    ),
    Angle(
        "tasks",
        gettext_lazy("Task completion"),
        gettext_lazy("Completion rate (%)"),
        lambda r: r.completion_rate,
        minimum="min_tasks_for_rate",
        count=lambda r: r.tasks_due,
        is_rate=True,
    ),
]
ANGLE_BY_KEY = {a.key: a for a in ANGLES}


@dataclass
class Ranked:
    """One unit's place in one ranking; `rank` is None when it is not ranked."""

    row: object
    value: object
    rank: int | None
    previous_rank: int | None = None
    previous_value: object = None
    note: str = ""

    @property
    def change(self):
        """Places moved since last week: positive is up, negative down, None when unknown."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def rank_rows(rows, angle, rules):
    """Rank rows (all of one kind) by `angle`; returns `Ranked` items, ranked ones first.

    Ties share a rank (competition ranking, "1, 2, 2, 4"); order within a tie and among
    unranked rows is the unit tree's. Rows under a rate's minimum are not ranked.
    """
    minimum = int(rules[angle.minimum]) if angle.minimum else 0
    ranked, unranked = [], []
    for row in sorted(rows, key=lambda r: r.unit_path):
        value = angle.value(row)
        if value is None or (angle.count and angle.count(row) < minimum):
            note = _("Too few to rank (fewer than %(n)s)") % {"n": minimum} if minimum else ""
            unranked.append(Ranked(row=row, value=value, rank=None, note=note))
        else:
            ranked.append(Ranked(row=row, value=value, rank=None))
    # Higher is first for every angle: the best score/rate, or the most problems.
    ranked.sort(key=lambda item: -Decimal(str(item.value)))  # stable: ties keep tree order
    previous_value, previous_rank = object(), 0
    for position, item in enumerate(ranked, start=1):
        if item.value != previous_value:
            previous_value, previous_rank = item.value, position
        item.rank = previous_rank
    return ranked + unranked


def with_changes(current, previous):
    """Fill `previous_rank`/`previous_value` of `current` from last week's ranking."""
    before = {item.row.unit_id: item for item in previous}
    for item in current:
        old = before.get(item.row.unit_id)
        if old is not None:
            item.previous_rank, item.previous_value = old.rank, old.value
    return current


def group_by_kind(rows):
    groups = defaultdict(list)
    for row in rows:
        groups[row.unit_kind].append(row)
    return [(kind, groups[kind]) for kind in Unit.Kind.values if groups.get(kind)]


def ranking(rows, previous_rows, angle, rules, previous_rules, kind):
    """One ranking of one kind of unit, with last week's places."""
    current = rank_rows([r for r in rows if r.unit_kind == kind], angle, rules)
    before = rank_rows([r for r in previous_rows if r.unit_kind == kind], angle, previous_rules)
    return with_changes(current, before)


def red_black_lists(rows, rules):
    """(red, black) lists of one kind of unit by composite score; see the module docstring."""
    size = int(rules["list_size"])
    ordered = rank_rows(rows, ANGLE_BY_KEY["composite"], rules)
    if not ordered:
        return [], []

    def cut(items):
        if len(items) <= size:
            return list(items)
        boundary = items[size - 1].value
        return [item for index, item in enumerate(items) if index < size or item.value == boundary]

    red = cut(ordered)
    red_ids = {item.row.unit_id for item in red}
    black = [i for i in cut(list(reversed(ordered))) if i.row.unit_id not in red_ids]
    return red, black


# --- Dashboard figures ----------------------------------------------------------------------


def weekly_opened_closed(findings, *, weeks=8, today=None):
    """[(period, opened, closed)] for the last `weeks` ISO weeks of a finding queryset."""
    from inspections.models import Status as FindingStatus

    today = today or timezone.localdate()
    this_monday = today - datetime.timedelta(days=today.weekday())
    first = this_monday - datetime.timedelta(days=7 * (weeks - 1))
    periods = [iso_period(first + datetime.timedelta(days=7 * n)) for n in range(weeks)]
    opened = dict.fromkeys(periods, 0)
    closed = dict.fromkeys(periods, 0)
    base = findings.exclude(status=FindingStatus.VOIDED)
    for day in base.filter(found_on__gte=first).values_list("found_on", flat=True):
        opened[iso_period(day)] = opened.get(iso_period(day), 0) + 1
    closed_rows = base.filter(closed_at__isnull=False, closed_at__date__gte=first)
    for moment in closed_rows.values_list("closed_at", flat=True):
        key = iso_period(timezone.localdate(moment))
        closed[key] = closed.get(key, 0) + 1
    return [(p, opened.get(p, 0), closed.get(p, 0)) for p in periods]


def closure_by_district(findings, districts):
    """[(district, total, closed, rate %)] over each district's territory (属地)."""
    from inspections.models import Status as FindingStatus

    paths = list(
        findings.exclude(status=FindingStatus.VOIDED)
        .filter(unit__isnull=False)
        .values_list("unit__path", "status")
    )
    result = []
    for district in districts:
        mine = [status for path, status in paths if path.startswith(district.path)]
        total, closed = len(mine), sum(1 for s in mine if s == FindingStatus.CLOSED)
        rate = UnitSnapshot._rate(closed, total)
        result.append((district, total, closed, rate))
    return result


def overdue_by_command_office(findings, parts, offices, *, today=None):
    """[(command office, overdue findings, overdue units' parts of tasks)], plus a row for
    work on no office (office None) when there is any."""
    today = today or timezone.localdate()
    finding_counts = defaultdict(int)
    for office_id in findings.overdue(on=today).values_list(
        "standard__lead_command_office", flat=True
    ):
        finding_counts[office_id] += 1
    task_counts = defaultdict(int)
    for office_id in parts.overdue(on=today).values_list("task__command_office", flat=True):
        task_counts[office_id] += 1
    result = [(o, finding_counts.get(o.pk, 0), task_counts.get(o.pk, 0)) for o in offices]
    if finding_counts.get(None) or task_counts.get(None):
        result.append((None, finding_counts.get(None, 0), task_counts.get(None, 0)))
    return result


def projected_scores(user, campaign):
    """[(evaluation system, Score)] of the standards `user` may see, from `campaign.scoring`
    (达标 full points, 基本达标 half, the rest nothing)."""
    from campaign import scoring
    from campaign.models import Standard

    standards = (
        Standard.objects.visible_to(user)
        .current()
        .filter(system__campaign=campaign)
        .select_related("system")
    )
    return list(scoring.roll_up(standards, key=lambda s: s.system).items())


# --- The bulletin ---------------------------------------------------------------------------

KINDS_IN_BULLETIN = [Unit.Kind.DISTRICT, Unit.Kind.STREET, Unit.Kind.DEPARTMENT]


def _num(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        # 100.00 reads "100", 98.50 reads "98.5": as the office writes scores.
        return str(int(value)) if value == value.to_integral() else f"{value.normalize():f}"
    return value


def _headline(rows):
    """Campaign-wide figures: the sum over top-level units (each finding counted once)."""
    top = [r for r in rows if r.unit_path.count("/") == 2]
    total = {
        name: sum(getattr(r, name) for r in top)
        for name in (
            "found_week",
            "found_total",
            "closed_week",
            "closed_total",
            "open_count",
            "overdue_count",
            "relapses_week",
            "returned_week",
            "tasks_due",
            "tasks_done",
            "tasks_overdue",
            "critical_week",
        )
    }
    total["closure_rate"] = _num(UnitSnapshot._rate(total["closed_total"], total["found_total"]))
    total["completion_rate"] = _num(UnitSnapshot._rate(total["tasks_done"], total["tasks_due"]))
    return total


def _change(now, before):
    if now is None or before is None:
        return None
    return _num(Decimal(str(now)) - Decimal(str(before)))


def _item(finding, *, end, calendar):
    return {
        "code": finding.code,
        "unit": finding.unit.name if finding.unit_id else "",
        "territory": finding.territory.name if finding.territory_id else "",
        "description": finding.description[:120],
        "address": finding.address,
        "found_on": finding.found_on.isoformat(),
        "deadline": finding.deadline.isoformat() if finding.deadline else "",
        "severity": finding.get_severity_display(),
        "supervision": finding.get_supervision_level_display() if finding.supervision_level else "",
        "category": finding.category.name if finding.category_id else "",
        "overdue_days": calendar.working_days_between(finding.deadline, end)
        if finding.deadline and finding.deadline < end
        else 0,
    }


def build_bulletin_data(*, campaign, period, snapshot, bulletin_settings, number, document_number):
    """The whole frozen content of one issue, as plain JSON-ready values."""
    from inspections.models import UNIT_PENDING, Finding, FindingPhoto
    from inspections.models import Status as FindingStatus

    start, end = snapshot.start, snapshot.end
    rows = list(snapshot.units.all())
    rules = snapshot.rules
    previous = take_snapshot(campaign=campaign, period=previous_period(period))
    previous_rows = list(previous.units.all())
    headline = _headline(rows)
    before = _headline(previous_rows)
    headline_changes = {key: _change(value, before.get(key)) for key, value in headline.items()}

    rankings, lists = [], []
    composite = ANGLE_BY_KEY["composite"]
    for kind in KINDS_IN_BULLETIN:
        of_kind = [r for r in rows if r.unit_kind == kind]
        if not of_kind:
            continue
        items = ranking(rows, previous_rows, composite, rules, previous.rules, kind)
        rankings.append(
            {
                "kind": kind,
                "label": str(Unit.Kind(kind).label),
                "rows": [
                    {
                        "rank": i.rank,
                        "unit": i.row.unit_name,
                        "score": _num(i.row.score),
                        "change": i.change,
                        "found_week": i.row.found_week,
                        "closed_week": i.row.closed_week,
                        "open": i.row.open_count,
                        "overdue": i.row.overdue_count,
                        "overdue_days": i.row.overdue_days_week,
                        "relapses": i.row.relapses_week,
                        "returned": i.row.returned_week,
                        "closure_rate": _num(i.row.closure_rate),
                        "completion_rate": _num(i.row.completion_rate),
                    }
                    for i in items
                ],
            }
        )
        red, black = red_black_lists(of_kind, rules)
        lists.append(
            {
                "label": str(Unit.Kind(kind).label),
                "red": [{"unit": i.row.unit_name, "score": _num(i.value)} for i in red],
                "black": [{"unit": i.row.unit_name, "score": _num(i.value)} for i in black],
            }
        )

    calendar = WorkdayCalendar(start - datetime.timedelta(days=120), end)
    findings = Finding.objects.filter(campaign=campaign).select_related(
        "unit", "territory", "category"
    )
    overdue = list(
        findings.filter(status__in=UNIT_PENDING, deadline__lt=end, found_on__lte=end).order_by(
            "deadline", "pk"
        )[:30]
    )
    relapsed = list(
        findings.filter(relapse_of__isnull=False, found_on__range=(start, end)).order_by("pk")[:20]
    )
    # Typical cases: the week's most serious findings that have a photo to show.
    severity_order = {"critical": 0, "serious": 1, "minor": 2}
    candidates = list(
        findings.filter(found_on__range=(start, end), photos__kind=FindingPhoto.Kind.BEFORE)
        .exclude(status=FindingStatus.VOIDED)
        .distinct()
        .order_by("-supervision_level", "pk")[:40]
    )
    candidates.sort(key=lambda f: (severity_order.get(f.severity, 3), -f.supervision_level))
    cases = []
    for finding in candidates[:4]:
        photos = list(
            finding.photos.filter(kind=FindingPhoto.Kind.BEFORE).values_list("image", flat=True)[:2]
        )
        cases.append({**_item(finding, end=end, calendar=calendar), "photos": photos})

    weekly = []
    for back in range(7, -1, -1):
        p = iso_period(start - datetime.timedelta(days=7 * back))
        p_start, p_end = period_bounds(p)
        weekly.append(
            {
                "period": p,
                "label": f"{p_start.month}.{p_start.day}",
                "opened": findings.filter(found_on__range=(p_start, p_end))
                .exclude(status=FindingStatus.VOIDED)
                .count(),
                "closed": findings.filter(
                    closed_at__isnull=False,
                    closed_at__date__gte=p_start,
                    closed_at__date__lte=p_end,
                ).count(),
            }
        )
    districts = [
        {"unit": r.unit_name, "rate": _num(r.closure_rate) or 0, "total": r.found_total}
        for r in rows
        if r.unit_kind == Unit.Kind.DISTRICT
    ]

    return {
        "campaign": campaign.name,
        "city": campaign.city,
        "masthead": bulletin_settings.masthead,
        "issuing_office": bulletin_settings.issuing_office,
        "report_to": bulletin_settings.report_to,
        "send_to": bulletin_settings.send_to,
        "issue_to": bulletin_settings.issue_to,
        "number": number,
        "document_number": document_number,
        "period": period,
        "iso_year": start.isocalendar()[0],
        "iso_week": start.isocalendar()[1],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "start_label": f"{start.month}月{start.day}日",
        "end_label": f"{end.month}月{end.day}日",
        "headline": headline,
        "previous": before,
        "changes": headline_changes,
        "rankings": rankings,
        "lists": lists,
        "overdue": [_item(f, end=end, calendar=calendar) for f in overdue],
        "relapsed": [_item(f, end=end, calendar=calendar) for f in relapsed],
        "cases": cases,
        "weekly": weekly,
        "districts": districts,
        "rules": rules,
    }


def _signed(value, unit=""):
    if value in (None, 0, "0"):
        return _("the same as last week")
    number = Decimal(str(value))
    if number > 0:
        return _("up %(n)s%(unit)s on last week") % {"n": _num(number), "unit": unit}
    return _("down %(n)s%(unit)s on last week") % {"n": _num(-number), "unit": unit}


def summary_text(data):
    """The summary paragraph under the title, from the frozen figures."""
    h, c = data["headline"], data["changes"]
    text = _(
        "From %(start)s to %(end)s, %(found)s new problems were found across the city "
        "(%(found_change)s) and %(closed)s were rectified and closed off; %(open)s remain "
        "open, %(overdue)s of them past their deadline (%(overdue_change)s). The closure rate "
        "to date is %(rate)s%%."
    ) % {
        "start": data["start_label"],
        "end": data["end_label"],
        "found": h["found_week"],
        "found_change": _signed(c.get("found_week"), _(" items")),
        "closed": h["closed_week"],
        "open": h["open_count"],
        "overdue": h["overdue_count"],
        "overdue_change": _signed(c.get("overdue_count"), _(" items")),
        "rate": h["closure_rate"] if h["closure_rate"] is not None else "—",
    }
    if h["tasks_due"]:
        text += _(
            " Of %(due)s tasks due, %(done)s have been accepted (%(rate)s%%) and %(overdue)s "
            "are overdue."
        ) % {
            "due": h["tasks_due"],
            "done": h["tasks_done"],
            "rate": h["completion_rate"],
            "overdue": h["tasks_overdue"],
        }
    if h["relapses_week"]:
        text += _(" %(n)s closed problems came back this week.") % {"n": h["relapses_week"]}
    return text


def default_requirements():
    return _(
        "1. Units on the black list and units with overdue problems are to complete "
        "rectification within the time limit and report the results to the creation office.\n"
        "2. Relapsed problems are to be traced to their cause and put under long-term management "
        "so that they do not return.\n"
        "3. Every unit is to keep up daily self-inspection, find and fix problems early, and "
        "report progress on time."
    )


def _next_numbers(campaign, year):
    from django.db.models import Max

    agg = Bulletin.objects.filter(campaign=campaign).aggregate(number=Max("number"))
    sequence = (
        Bulletin.objects.filter(campaign=campaign, year=year).aggregate(s=Max("sequence"))["s"] or 0
    )
    return (agg["number"] or 0) + 1, sequence + 1


def document_number(prefix, year, sequence):
    return f"{prefix}〔{year}〕{sequence}号"


def make_bulletin(*, campaign, period=None, actor=None, auto_publish=None):
    """Make the week's bulletin, or return the one already made: (bulletin, created).

    The claim is the unique (campaign, period) constraint: the campaign row is locked
    while the next number is read, and a second maker arriving at once finds the first
    one's bulletin, so a re-run, a second beat or two clicks never make a second issue.
    With `auto_publish` (default: the campaign's setting) a new bulletin is published
    and e-mailed at once.
    """
    from campaign.models import AuditEntry

    from .exports import render_bulletin_pdf

    period = normalise_period(period) if period else default_period(campaign)
    bulletin_settings = BulletinSettings.for_campaign(campaign)
    if auto_publish is None:
        auto_publish = bulletin_settings.auto_publish
    existing = Bulletin.objects.filter(campaign=campaign, period=period).first()
    if existing is not None:
        return existing, False
    start, end = period_bounds(period)
    if start > timezone.localdate():
        raise PeriodError(
            _("Week %(period)s has not begun yet: a bulletin reports on a week that has.")
            % {"period": period}
        )
    try:
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            # Serialises numbering: two makers of different weeks never take one number.
            list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values("pk"))
            existing = Bulletin.objects.filter(campaign=campaign, period=period).first()
            if existing is not None:
                return existing, False
            year = timezone.localdate().year
            number, sequence = _next_numbers(campaign, year)
            doc_number = document_number(bulletin_settings.document_prefix, year, sequence)
            bulletin = Bulletin.objects.create(
                campaign=campaign,
                period=period,
                start=start,
                end=end,
                number=number,
                year=year,
                sequence=sequence,
                document_number=doc_number,
                created_by=actor,
            )
            snapshot = take_snapshot(campaign=campaign, period=period)
            bulletin.data = build_bulletin_data(
                campaign=campaign,
                period=period,
                snapshot=snapshot,
                bulletin_settings=bulletin_settings,
                number=number,
                document_number=doc_number,
            )
            bulletin.summary = summary_text(bulletin.data)
            bulletin.requirements = default_requirements()
            bulletin.save(update_fields=["data", "summary", "requirements"])
            render_bulletin_pdf(bulletin)
            AuditEntry.record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=bulletin,
                summary=_("Made %(bulletin)s") % {"bulletin": bulletin},
                campaign=campaign,
            )
    except IntegrityError:
        return Bulletin.objects.get(campaign=campaign, period=period), False
    if auto_publish:
        with translation.override(settings.LANGUAGE_CODE):
            bulletin.publish(actor=actor)
    return bulletin, True


def refresh_bulletin(bulletin, *, actor):
    """Recompute a draft's figures from the ledger as it is now (the text is kept)."""
    from campaign.models import AuditEntry

    from .exports import render_bulletin_pdf
    from .models import BulletinError

    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if locked.status != Bulletin.Status.DRAFT:
            raise BulletinError(_("A published bulletin can no longer be changed."))
        snapshot = take_snapshot(campaign=locked.campaign, period=locked.period, refresh=True)
        old_summary = summary_text(locked.data) if locked.data else ""
        locked.data = build_bulletin_data(
            campaign=locked.campaign,
            period=locked.period,
            snapshot=snapshot,
            bulletin_settings=BulletinSettings.for_campaign(locked.campaign),
            number=locked.number,
            document_number=locked.document_number,
        )
        locked.generated_at = timezone.now()
        # A summary the office has not rewritten follows the new figures.
        if locked.summary.strip() == old_summary.strip():
            locked.summary = summary_text(locked.data)
        locked.save(update_fields=["data", "generated_at", "summary"])
        render_bulletin_pdf(locked)
        AuditEntry.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            summary=_("Recomputed the figures of %(bulletin)s") % {"bulletin": locked},
            campaign=locked.campaign,
        )
    return locked


def email_bulletin(bulletin_id):
    """E-mail a published bulletin's PDF to the distribution list, once.

    The conditional UPDATE on `emailed_at` is the claim: a re-run sends nothing.
    Returns the number of addresses written to.
    """
    from django.core.mail import EmailMessage

    bulletin = Bulletin.objects.select_related("campaign").get(pk=bulletin_id)
    if bulletin.status != Bulletin.Status.PUBLISHED:
        return 0
    recipients = BulletinSettings.for_campaign(bulletin.campaign).recipient_list()
    if not recipients:
        return 0
    claimed = Bulletin.objects.filter(pk=bulletin.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return 0
    data = bulletin.data
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(masthead)s, No. %(number)s (%(document)s)") % {
            "masthead": data.get("masthead", ""),
            "number": bulletin.number,
            "document": bulletin.document_number,
        }
        body = "\n\n".join(
            [
                bulletin.summary,
                _("The bulletin is attached as a PDF. It can also be read at %(url)s")
                % {"url": settings.SITE_URL.rstrip("/") + bulletin.get_absolute_url()},
                data.get("issuing_office", ""),
            ]
        )
    message = EmailMessage(subject=subject, body=body, to=recipients)
    try:
        with bulletin.pdf.open("rb") as handle:
            message.attach(f"{bulletin.document_number}.pdf", handle.read(), "application/pdf")
        message.send(fail_silently=False)
    except Exception:
        # Give the claim back so a retry can send it.
        Bulletin.objects.filter(pk=bulletin.pk).update(emailed_at=None)
        raise
    return len(recipients)


def produce_due_bulletins(now=None):
    """For every campaign whose weekly time has come, queue the week's bulletin once.

    Returns [(campaign id, period)] queued. Cheap when nothing is due: two queries, plus
    one per campaign whose time has come; the maker itself refuses a second issue.
    """
    from .jobs import make_bulletin_job

    queued = []
    saved = {s.campaign_id: s for s in BulletinSettings.objects.filter(campaign__is_active=True)}
    # A campaign whose office never opened the settings page runs on the defaults.
    for campaign in Campaign.objects.filter(is_active=True):
        item = saved.get(campaign.pk) or BulletinSettings(campaign=campaign)
        if not item.is_enabled:
            continue
        period = due_period(item, now)
        if period is None:
            continue
        if Bulletin.objects.filter(campaign_id=campaign.pk, period=period).exists():
            continue
        make_bulletin_job.delay(campaign.pk, period)
        queued.append((campaign.pk, period))
    return queued
