"""Weekly figures, snapshots, rankings and dashboard numbers.
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

Red and black lists (see `red_black_lists`; sizes in `BulletinSettings`):

- Only units whose week had at least `list_min_activity` of work (`UnitSnapshot.activity`)
  are considered: a unit with nothing to do does not top the red list at full marks.
- Order: composite score; equal scores are told apart by the closure rate to date (higher
  is better, none is worst), then by fewer problems still open. Units equal on all three
  are tied.
- The red list names at most `list_size` units from the top, the black list at most
  `list_size` from the bottom, and no unit is on both. A tie is never split: when the
  units tied at the cut-off would take the list past `list_size`, none of them is named
  and the list says how many share that place (并列第N名); named units that share a place
  are marked 并列 too.
"""

import datetime
import hashlib
from collections import defaultdict, namedtuple
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign import choices_cache
from campaign.access import scope_for
from campaign.models import CommandOffice, Unit
from campaign.outbox import handler
from campaign.workdays import WorkdayCalendar

from .models import Bulletin, BulletinSettings, PeriodSnapshot, ScoringRule, UnitSnapshot
from .periods import ONE_DAY, normalise_period, period_bounds

TWO_PLACES = Decimal("0.01")

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
    """Figures of a week not (yet) frozen, computed now and not saved (seconds at city size:
    only jobs call this; pages read `rows_for`)."""
    start, end = period_bounds(period)
    return compute_figures(campaign=campaign, start=start, end=end)


# An unfrozen week's figures, once computed by a job, serve pages for this long.
LIVE_MINUTES = 15


def _live_cache_key(campaign_id, period, kind):
    return f"reports:live-week:{campaign_id}:{period}:{kind}"


def weeks_for(campaign, periods, kind, snapshots=()):
    """{period: (rows, rules dict, frozen?)} of some weeks, with only the rows of `kind` (a
    ranking compares one kind): a frozen week's snapshot rows, else the live figures a job
    computed in the last LIVE_MINUTES — rows None while that job is running. `snapshots` are
    (pk, period, rules) of weeks already read; the others are read here. At most two queries
    for frozen weeks: their snapshots, then all their rows together."""
    known = {period: (pk, rules) for pk, period, rules in snapshots if period in periods}
    missing = [period for period in periods if period not in known]
    if missing:
        read = PeriodSnapshot.objects.filter(campaign=campaign, period__in=missing)
        known.update({period: (pk, rules) for pk, period, rules in _snapshot_values(read)})
    rows = defaultdict(list)
    if known:
        for values in (
            UnitSnapshot.objects.filter(
                snapshot__in=[pk for pk, _rules in known.values()], unit_kind=kind
            )
            .order_by()
            .values_list("snapshot_id", *RankedRow._fields)
        ):
            rows[values[0]].append(RankedRow._make(values[1:]))
    weeks, live_rules = {}, None
    for period in periods:
        if period in known:
            pk, rules = known[period]
            weeks[period] = (rows[pk], rules, True)
            continue
        if live_rules is None:
            live_rules = ScoringRule.for_campaign(campaign).as_dict()
        weeks[period] = (cached_live_rows(campaign, period, kind), live_rules, False)
    return weeks


class RankedRow(
    namedtuple(
        "RankedRow",
        [
            "unit_id", "unit_name", "unit_kind", "unit_path", "found_week", "closed_week",
            "found_total", "closed_total", "open_count", "overdue_count", "tasks_due",
            "tasks_done", "score",
        ],
    )
):  # fmt: skip
    """What rankings, red and black lists and their export read of a `UnitSnapshot`, read
    as values: a city's streets or communities for two weeks are hundreds of rows."""

    __slots__ = ()
    _rate = staticmethod(UnitSnapshot._rate)
    closure_rate = UnitSnapshot.closure_rate
    completion_rate = UnitSnapshot.completion_rate
    activity = UnitSnapshot.activity


LIST_SETTINGS = ("list_size", "list_min_activity")


def recent_snapshots_and_lists(campaign, count):
    """(pk, period, rules) of the campaign's last `count` frozen weeks, newest first, and its
    red and black lists' settings ({name: value} of LIST_SETTINGS), read together: the
    rankings page needs both on every visit. Before the first frozen week the settings are
    read on their own."""
    values = list(
        PeriodSnapshot.objects.filter(campaign=campaign)[:count].values_list(
            "pk", "period", "rules", *(f"campaign__bulletin_settings__{n}" for n in LIST_SETTINGS)
        )
    )
    if not values:
        saved = BulletinSettings.for_campaign(campaign)
        return [], {name: getattr(saved, name) for name in LIST_SETTINGS}
    lists = dict(zip(LIST_SETTINGS, values[0][3:], strict=True))
    if lists["list_size"] is None:  # none saved (the column is not null): the defaults
        lists = {n: BulletinSettings._meta.get_field(n).get_default() for n in LIST_SETTINGS}
    return [row[:3] for row in values], lists


def _snapshot_values(snapshots):
    return list(snapshots.values_list("pk", "period", "rules"))


def cached_live_rows(campaign, period, kind):
    """The unfrozen week's figures of one kind of unit if a job computed them lately, else
    None after asking for them. A page never computes a whole week: the request is an outbox
    row whose key names the week and the LIVE_MINUTES window, so however many people ask, the
    week is computed once per window (the unique key is the lock). The rows are kept in the
    cache, which several web processes share through Redis, as `RankedRow` values per kind:
    a page reads back only the kind it ranks."""
    from campaign.outbox import enqueue
    from config.celery import app

    key = _live_cache_key(campaign.pk, period, kind)
    rows = cache.get(key)
    if rows is not None:
        return rows
    if app.conf.task_always_eager:
        # No worker to ask (the embedded default runs every job in-process): compute here.
        compute_week(campaign.pk, period)
        return cache.get(key)
    now = timezone.now()
    window = now.replace(minute=now.minute - now.minute % LIVE_MINUTES, second=0)
    with transaction.atomic():
        enqueue(
            "reports.rankings.compute_week",
            key=f"live-week:{campaign.pk}:{period}:{window:%Y-%m-%dT%H:%M}",
            campaign_id=campaign.pk,
            period=period,
        )
    return None


@handler(queue="exports")
def compute_week(campaign_id, period):
    """Outbox handler: compute an unfrozen week once and keep it for LIVE_MINUTES."""
    from campaign.models import Campaign

    by_kind = {kind: [] for kind in Unit.Kind.values}
    for row in live_rows(Campaign.objects.get(pk=campaign_id), period):
        by_kind[row.unit_kind].append(RankedRow._make(getattr(row, f) for f in RankedRow._fields))
    cache.set_many(
        {_live_cache_key(campaign_id, period, kind): rows for kind, rows in by_kind.items()},
        LIVE_MINUTES * 60,
    )


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
    tied: bool = False

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


def ranking(rows, previous_rows, angle, rules, previous_rules, kind):
    """One ranking of one kind of unit, with last week's places."""
    current = rank_rows([r for r in rows if r.unit_kind == kind], angle, rules)
    before = rank_rows([r for r in previous_rows if r.unit_kind == kind], angle, previous_rules)
    return with_changes(current, before)


@dataclass
class Honours:
    """One red or black list: the units named, and the tie at the cut-off left unnamed
    ({"rank", "count", "value"} or None)."""

    named: list
    tied_out: dict | None = None
    tied_out_ids: frozenset = frozenset()


def _list_key(row):
    """Best first: score, then closure rate (none is worst), then fewest still open."""
    rate = row.closure_rate
    return (row.score, rate if rate is not None else Decimal(-1), -row.open_count)


def _honours(rows, size, keys):
    """Name at most `size` rows from the front of `rows` (already in list order, `keys`
    their list keys by unit id), whole ties only; see the module docstring."""
    groups = []
    for seen, row in enumerate(rows):
        if groups and keys[groups[-1][0].unit_id] == keys[row.unit_id]:
            groups[-1].append(row)
        elif seen >= size:
            break  # the groups so far decide the list
        else:
            groups.append([row])
    named, place = [], 1
    for group in groups:
        if len(named) + len(group) > size:
            if len(named) < size:
                tied_out = {"rank": place, "count": len(group), "value": group[0].score}
                return Honours(named, tied_out, frozenset(r.unit_id for r in group))
            break
        for row in group:
            tied = len(group) > 1
            named.append(Ranked(row=row, value=row.score, rank=place, tied=tied))
        place += len(group)
    return Honours(named)


def red_black_lists(rows, *, size, min_activity):
    """(red, black) `Honours` of one kind of unit; see the module docstring."""
    active = sorted((r for r in rows if r.activity >= min_activity), key=lambda r: r.unit_path)
    keys = {r.unit_id: _list_key(r) for r in active}
    best_first = sorted(active, key=lambda r: keys[r.unit_id], reverse=True)
    red = _honours(best_first, size, keys)
    # The units sharing the red list's cut-off place are not black-listed either.
    red_ids = {item.row.unit_id for item in red.named} | red.tied_out_ids
    worst_first = [
        r for r in sorted(active, key=lambda r: keys[r.unit_id]) if r.unit_id not in red_ids
    ]
    return red, _honours(worst_first, size, keys)


# --- Dashboard figures ----------------------------------------------------------------------


def visible_units(campaign, user):
    """(pk, path, kind) of the units of `campaign` that `user` may see, in tree order.

    Kept in the process per campaign version and scope (`campaign.choices_cache`): the
    version changes in the same transaction as any unit is saved or deleted, so a unit
    added, renamed or moved shows on the next visit, and the office's whole tree (~900
    units in a city, 1-2 ms) is not read on every visit of the dashboard or the rankings.
    """

    def read():
        units = Unit.objects.visible_to(user).filter(campaign=campaign).order_by("path")
        return list(units.values_list("pk", "path", "kind"))

    return choices_cache.choices(campaign, user, "units (pk, path, kind)", read)


def kinds_seen(kinds):
    """The kinds of unit among `kinds`, in the order of kinds: a ranking compares one kind,
    the first of them unless another is asked for."""
    present = set(kinds)
    return [kind for kind in Unit.Kind.values if kind in present]


def first_kind(kinds):
    """The kind a ranking shows unless another is asked for: the first of `kinds` (as
    `kinds_seen` gives them), districts for a person who sees no unit."""
    return kinds[0] if kinds else Unit.Kind.DISTRICT


def visible_command_offices(campaign, user):
    """(pk, name) of the command offices of `campaign` that `user` may see, by name; kept
    like `visible_units` (the version changes with any command office or its units)."""

    def read():
        offices = CommandOffice.objects.visible_to(user).filter(campaign=campaign)
        return list(offices.order_by("name", "pk").values_list("pk", "name"))

    return choices_cache.choices(campaign, user, "command offices (pk, name)", read)


def top_units(units):
    """The highest of `units` (pk, path pairs): those with no other of them above. A snapshot
    row credits every unit above the one a finding is handed to, so these rows add up to
    everything the person may see, each finding once."""
    tops, last = [], None
    for pk, path in sorted(units, key=lambda unit: unit[1]):
        if last is None or not path.startswith(last):
            tops.append(pk)
            last = path
    return tops


def snapshot_figures(campaign, units, *, weeks=8):
    """The dashboard's weekly figures from the frozen snapshots, never from the ledger.

    `units` are the (pk, path, kind) of the units the person may see. Returns
    (weekly, closure, period): `weekly` is [(period, found, closed)] for the last `weeks`
    frozen weeks (oldest first) summed over the highest of `units`; `closure` is
    [(district name, found, closed, rate %)] of the visible districts at the end of the
    latest frozen week, `period`. The weeks' rows are read once per set of snapshots and
    units: the key names each snapshot as last frozen (`taken_at` moves in the transaction
    that replaces its rows), the highest units and the districts.
    """
    snapshots = list(
        PeriodSnapshot.objects.filter(campaign=campaign)
        .order_by("-start")
        .values_list("pk", "period", "taken_at")[:weeks]
    )
    if not snapshots:
        return [], [], None
    tops = top_units([(pk, path) for pk, path, _kind in units])
    districts = [pk for pk, _path, kind in units if kind == Unit.Kind.DISTRICT]
    key = _digest_key("reports:dashboard-weeks", campaign.pk, (snapshots, tops, districts))
    figures = cache.get(key)
    if figures is None:
        figures = _snapshot_sums([pk for pk, _period, _taken in snapshots], tops, districts)
        cache.set(key, figures, CACHE_SECONDS)
    found, closed, closure = figures
    weekly = [(period, found.get(pk, 0), closed.get(pk, 0)) for pk, period, _t in snapshots[::-1]]
    return weekly, closure, snapshots[0][1]


def _snapshot_sums(snapshots, tops, districts):
    """({snapshot: found}, {snapshot: closed}, closure) of `snapshot_figures`."""
    rows = UnitSnapshot.objects.filter(
        snapshot__in=snapshots, unit__in={*tops, *districts}
    ).values_list(
        "snapshot_id",
        "unit_id",
        "unit_name",
        "found_week",
        "closed_week",
        "found_total",
        "closed_total",
    )
    latest = snapshots[0]
    found, closed, closure = defaultdict(int), defaultdict(int), []
    top_ids = set(tops)
    for snapshot, unit, name, found_week, closed_week, found_total, closed_total in rows.order_by(
        "unit_path"
    ):
        if unit in top_ids:
            found[snapshot] += found_week
            closed[snapshot] += closed_week
        if snapshot == latest and unit in districts:
            rate = UnitSnapshot._rate(closed_total, found_total)
            closure.append((name, found_total, closed_total, rate))
    return dict(found), dict(closed), closure


# What the dashboard keeps between visits lives a working day; its keys name every version.
CACHE_SECONDS = 24 * 3600


def _digest_key(prefix, campaign_id, parts):
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"{prefix}:{campaign_id}:{digest}"


def live_figures(findings, parts, *, today=None):
    """What the dashboard shows as it is now, in one query: open and overdue findings and
    overdue units' parts of tasks, per command office (None: work on no office).

    Open findings are few whatever the ledger's history, and are counted from the
    finding_status_counts index; parts grow with tasks, not with findings.
    Returns ({office id: (open findings, overdue findings, overdue parts)}).
    """
    from inspections.models import overdue_q as finding_overdue_q

    today = today or timezone.localdate()
    open_findings = (
        findings.open()
        .order_by()
        .values_list("standard__lead_command_office")
        .annotate(
            open=Count("status"),
            overdue=Count("status", filter=finding_overdue_q(today)),
            parts=Value(0),
        )
    )
    overdue_parts = (
        parts.overdue(on=today)
        .order_by()
        .values_list("task__command_office")
        .annotate(open=Value(0), overdue=Value(0), parts=Count("*"))
    )
    figures = defaultdict(lambda: (0, 0, 0))
    for office, *counts in open_findings.union(overdue_parts, all=True):
        figures[office] = tuple(a + b for a, b in zip(figures[office], counts, strict=True))
    return dict(figures)


def overdue_by_command_office(live, offices):
    """[(command office's name, overdue findings, overdue parts)] from `live_figures` for
    `offices` ((pk, name) pairs), plus a row for work on no office (name None) when there is
    any."""
    result = [(name, *live.get(pk, (0, 0, 0))[1:]) for pk, name in offices]
    _open, findings, parts = live.get(None, (0, 0, 0))
    if findings or parts:
        result.append((None, findings, parts))
    return result


def projected_scores(user, campaign):
    """[(evaluation system's name, Score)] of the standards `user` may see, from
    `campaign.scoring` (达标 full points, 基本达标 half, the rest nothing), systems in their
    own order (newest year first, then by name). The scores are read once per version of
    the systems' trees (`campaign.tree_cache` bumps it in the transaction of any change to
    a standard, its units, a unit or a command office) and per scope."""
    from campaign.models import EvaluationSystem

    systems = list(
        EvaluationSystem.objects.filter(campaign=campaign)
        .order_by("-year", "name", "pk")
        .values_list("pk", "name", "tree_version")
    )
    if not systems:
        return []
    versions = [(pk, version) for pk, _name, version in systems]
    key = _digest_key(
        "reports:projected", campaign.pk, (versions, scope_for(user).sees(campaign.pk))
    )
    scores = cache.get(key)
    if scores is None:
        scores = _scores(user, campaign)
        cache.set(key, scores, CACHE_SECONDS)
    return [(name, scores[pk]) for pk, name, _version in systems if pk in scores]


def _scores(user, campaign):
    """{system id: Score} of the standards `user` may see (systems with none left out)."""
    from campaign import scoring
    from campaign.models import Standard

    standards = (
        Standard.objects.visible_to(user)
        .current()
        .filter(system__campaign=campaign)
        .order_by()
        .values_list("system_id", "points", "assessment")
    )
    scores = {}
    for system, points, assessment in standards:
        if system not in scores:
            scores[system] = scoring.Score()
        scores[system].add(Assessed(points, assessment))
    return scores


@dataclass(frozen=True, slots=True)
class Assessed:
    """What `campaign.scoring` reads of a standard."""

    points: Decimal
    assessment: str
