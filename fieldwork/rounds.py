"""Sampling rounds and recurring rounds: the workflows that span points, people and the ledger.

- `create_round`: a draft round and the inspection it will produce (暗访 or 模拟测评).
- `Round` moves (draw, redraw, start, complete, release, close) go through
  `campaign.transitions.transition`; `draw_sample` is the seeded stratified draw and
  `assign_inspectors` the conflict-free hand-out of sampled points.
- `record_observations`: one observation per applicable standard at a sampled point; a
  不达标 becomes a finding through `inspections.services.log_finding` (unassigned, so no
  unit hears of it), handed to the point's unit when the round is released.
- `round_report`: points sampled, standards observed, observations and the 得分率.
- Recurring rounds: `periods_of`, `due_schedules`, `missed_periods` — computed when read,
  from dates only, so "missed" needs no job.

The 得分率 (score rate) rule, also written on the report page:
    得分率 = (number of 达标 × 1 + number of 基本达标 × w) ÷ number of observations,
where w is the round's "weight of 基本达标" (default 0.5, the same partial credit as the
projected score in `campaign.scoring`); a 不达标 earns 0. Every observation counts once,
so a standard observed at 5 points weighs 5 times.
"""

import datetime
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.access import scope_for
from campaign.models import AuditEntry
from campaign.scoring import PARTIAL_CREDIT
from campaign.transitions import Change, DomainError, transition
from inspections.models import Finding, Inspection, Source

from .models import (
    Frequency,
    Observation,
    Point,
    Rating,
    Round,
    RoundDraw,
    RoundSchedule,
    SampledPoint,
)

KINDS = [Source.UNDERCOVER, Source.MOCK]
DEFAULT_MOSTLY_MET_WEIGHT = PARTIAL_CREDIT[Rating.MOSTLY_MET]


def create_round(
    *,
    campaign,
    actor,
    name,
    kind,
    date,
    quotas,
    exclude_days=0,
    inspectors=(),
    mostly_met_weight=DEFAULT_MOSTLY_MET_WEIGHT,
    schedule=None,
    period_start=None,
):
    """A draft round with its inspection; `quotas` are {"type", "district", "count"} dicts."""
    with transaction.atomic():
        inspection = Inspection.objects.create(
            campaign=campaign, kind=kind, date=date, team=name, created_by=actor
        )
        new = Round.objects.create(
            campaign=campaign,
            name=name,
            inspection=inspection,
            quotas=quotas,
            exclude_days=exclude_days,
            mostly_met_weight=mostly_met_weight,
            schedule=schedule,
            period_start=period_start,
            created_by=actor,
        )
        new.inspectors.set(inspectors)
        # Recorded here, in the round's transaction, so a round made by a schedule is in the
        # log as one made by hand is (actor None: the system).
        AuditEntry.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=new,
            summary=_("Created the sampling round %(round)s") % {"round": new},
            changes={"quotas": new.quotas},
        )
    return new


# --- The draw -------------------------------------------------------------------------------


def district_of(unit, district_ids):
    """The district (县区) a unit lies in: itself or its ancestor of kind district."""
    for pk in [*unit.ancestor_ids, unit.pk]:
        if pk in district_ids:
            return pk
    return None


def recently_inspected(campaign, *, on, days):
    """Ids of points observed or with a finding in the `days` days up to `on`."""
    if not days:
        return set()
    since = on - datetime.timedelta(days=days)
    observed = Observation.objects.filter(
        sample__round__campaign=campaign, recorded_at__date__gte=since
    ).values_list("sample__point_id", flat=True)
    found = Finding.objects.filter(
        campaign=campaign, point__isnull=False, found_on__gte=since
    ).values_list("point_id", flat=True)
    return {*observed, *found}


def draw_sample(the_round, *, seed, on):
    """The points a seed draws: for each stratum (type, district) in order, `count` points at
    random from the active points of that type and district not inspected recently. The same
    seed and register give the same sample. Returns [(point, district_id)]."""
    from campaign.models import Unit

    campaign = the_round.campaign
    district_ids = set(
        Unit.objects.filter(campaign=campaign, kind=Unit.Kind.DISTRICT).values_list("pk", flat=True)
    )
    names = dict(Unit.objects.filter(pk__in=district_ids).values_list("pk", "name"))
    excluded = recently_inspected(campaign, on=on, days=the_round.exclude_days)
    types = {q["type"] for q in the_round.quotas}
    pool = [
        (point, district_of(point.territory, district_ids))
        for point in Point.objects.filter(campaign=campaign, is_active=True, type__in=types)
        .exclude(pk__in=excluded)
        .select_related("territory", "type")
        .order_by("pk")
    ]
    rng = random.Random(seed)
    chosen, taken = [], set()
    for quota in sorted(the_round.quotas, key=lambda q: (q["type"], q["district"] or 0)):
        stratum = [
            (p, d)
            for p, d in pool
            if p.type_id == quota["type"]
            and (quota["district"] is None or d == quota["district"])
            and p.pk not in taken
        ]
        if len(stratum) < quota["count"]:
            type_name = next((p.type.name for p, _d in pool if p.type_id == quota["type"]), "")
            raise DomainError(
                _(
                    "Only %(available)s points of type “%(type)s” in %(district)s can be drawn "
                    "(%(count)s asked)."
                )
                % {
                    "available": len(stratum),
                    "type": type_name or quota["type"],
                    "district": names.get(quota["district"], _("all districts")),
                    "count": quota["count"],
                }
            )
        picked = rng.sample(stratum, quota["count"])
        taken.update(p.pk for p, _d in picked)
        chosen += picked
    return chosen


def assign_inspectors(points, inspectors):
    """Hand each point to the inspector with the fewest points so far who is not a member of
    the point's unit or of the unit of its area (nobody inspects their own unit).
    Returns [inspector] in the order of `points`."""
    load = {person.pk: 0 for person in inspectors}
    assigned = []
    for point in points:
        eligible = [
            person
            for person in inspectors
            if not scope_for(person).is_member_of_unit(point.unit)
            and not scope_for(person).is_member_of_unit(point.territory)
        ]
        if not eligible:
            raise DomainError(
                _("No inspector of this round may inspect “%(point)s”: all belong to its unit.")
                % {"point": point}
            )
        person = min(eligible, key=lambda p: (load[p.pk], p.pk))
        load[person.pk] += 1
        assigned.append(person)
    return assigned


def _apply_draw(actor, reason, seed):
    def apply(locked):
        inspectors = list(locked.inspectors.order_by("pk"))
        if not inspectors:
            raise DomainError(_("Choose the inspectors of the round before drawing."))
        chosen = draw_sample(locked, seed=seed, on=timezone.localdate())
        # Group the route: by district, then by type and name.
        chosen.sort(key=lambda pd: (pd[1] or 0, pd[0].type.position, pd[0].name, pd[0].pk))
        people = assign_inspectors([p for p, _d in chosen], inspectors)
        locked.sampled_points.all().delete()
        SampledPoint.objects.bulk_create(
            SampledPoint(round=locked, point=p, district_id=d, inspector=person, position=i)
            for i, ((p, d), person) in enumerate(zip(chosen, people, strict=True))
        )
        RoundDraw.objects.create(
            round=locked,
            number=locked.draws.count() + 1,
            seed=seed,
            reason=reason,
            points=[p.pk for p, _d in chosen],
            drawn_by=actor,
        )
        locked.seed = seed
        return ["seed"]

    return apply


def draw(the_round, *, actor, seed=None, reason="", expected_version=None):
    """Draw (or, with a reason, draw again) the round's sample; both draws are kept."""
    action = "redraw" if the_round.status == Round.Status.DRAWN else "draw"
    if action == "redraw" and not reason.strip():
        raise DomainError(_("Say why the sample is drawn again."))
    seed = seed if seed is not None else secrets.randbelow(2**31)
    return transition(
        the_round,
        action,
        actor=actor,
        to=Round.Status.DRAWN,
        expected_version=expected_version,
        note=reason,
        data={"seed": seed},
        apply=_apply_draw(actor, reason, seed),
    )


def start(the_round, *, actor, expected_version=None):
    return transition(
        the_round,
        "start",
        actor=actor,
        to=Round.Status.IN_PROGRESS,
        expected_version=expected_version,
    )


def complete(the_round, *, actor, expected_version=None, on=None):
    """In progress → completed, once every sampled point has its observations."""

    def check(locked):
        missing = locked.sampled_points.filter(observations__isnull=True).count()
        if missing:
            raise DomainError(
                _("%(count)s sampled points have no observations yet.") % {"count": missing}
            )

    def apply(locked):
        locked.completed_on = on or timezone.localdate()
        return ["completed_on"]

    return transition(
        the_round,
        "complete",
        actor=actor,
        to=Round.Status.COMPLETED,
        expected_version=expected_version,
        check=check,
        apply=apply,
    )


def release(the_round, *, actor, expected_version=None):
    """Completed → released: units see the round's findings, each handed to its point's unit
    (交办 with the default deadline; the notices go out through the outbox)."""

    def apply(locked):
        locked.released_at = timezone.now()
        return ["released_at"]

    def hand_over(locked, event):
        findings = Finding.objects.filter(
            inspection_id=locked.inspection_id, unit__isnull=True
        ).select_related("point__unit", "campaign")
        for finding in findings:
            finding.assign(actor=actor, unit=finding.point.unit)

    return transition(
        the_round,
        "release",
        actor=actor,
        to=Round.Status.RELEASED,
        expected_version=expected_version,
        apply=apply,
        after=hand_over,
    )


def close(the_round, *, actor, expected_version=None):
    return transition(
        the_round, "close", actor=actor, to=Round.Status.CLOSED, expected_version=expected_version
    )


# --- Observations ---------------------------------------------------------------------------


def applicable_standards(point):
    return list(point.type.standards.current().order_by("node__position", "position", "pk"))


def record_observations(sample, *, actor, results):
    """Record a sampled point's observations: `results` maps a standard to (rating, note,
    photos). A 不达标 needs a photo and becomes a finding of the round's inspection."""
    the_round = sample.round

    def check(locked):
        if sample.inspector_id != actor.pk and not scope_for(actor).is_office_admin(
            locked.campaign
        ):
            raise DomainError(_("This point is another inspector's."))
        if sample.observations.exists():
            raise DomainError(_("The observations of this point are already recorded."))
        for standard, (rating, _note, photos) in results.items():
            if rating == Rating.NOT_MET and not photos:
                raise DomainError(
                    _("“%(standard)s” is 不达标: add a photo of it.") % {"standard": standard}
                )

    def apply(locked):
        point = sample.point
        for standard, (rating, note, photos) in results.items():
            finding = None
            if rating == Rating.NOT_MET:
                from inspections.services import log_finding

                finding = log_finding(
                    campaign=locked.campaign,
                    actor=actor,
                    photos=photos,
                    source=locked.inspection.kind,
                    inspection=locked.inspection,
                    point=point,
                    standard=standard,
                    description=note or standard.text,
                    address=point.address or point.name,
                    latitude=point.latitude,
                    longitude=point.longitude,
                    territory=point.territory,
                    found_on=timezone.localdate(),
                )
            Observation.objects.create(
                sample=sample,
                standard=standard,
                rating=rating,
                note=note,
                finding=finding,
                recorded_by=actor,
            )
        return Change()

    return transition(
        the_round,
        "observe",
        actor=actor,
        check=check,
        apply=apply,
        data={"point": sample.point_id, "observations": len(results)},
    )


# --- The report -----------------------------------------------------------------------------


@dataclass
class Tally:
    """Observations of one group (all, a point type, a district) and their 得分率."""

    label: str = ""
    points: set = field(default_factory=set)
    standards: set = field(default_factory=set)
    counts: dict = field(default_factory=lambda: dict.fromkeys(Rating.values, 0))
    weighted: Decimal = Decimal("0")

    @property
    def observations(self):
        return sum(self.counts.values())

    @property
    def score_rate(self):
        """得分率 in per cent, one decimal; None with no observation."""
        if not self.observations:
            return None
        return (self.weighted * 100 / self.observations).quantize(Decimal("0.1"), ROUND_HALF_UP)


def round_report(the_round):
    """Points sampled, standards observed, observations and the 得分率: overall, per point
    type and per district (the module docstring gives the rule)."""
    weights = {
        Rating.MET: Decimal("1"),
        Rating.MOSTLY_MET: the_round.mostly_met_weight,
        Rating.NOT_MET: Decimal("0"),
    }
    overall = Tally()
    by_type, by_district = {}, {}
    observations = Observation.objects.filter(sample__round=the_round).select_related(
        "sample__point__type", "sample__district"
    )
    for obs in observations:
        point = obs.sample.point
        district = obs.sample.district
        for tally in (
            overall,
            by_type.setdefault(point.type_id, Tally(label=point.type.name)),
            by_district.setdefault(
                district.pk if district else None,
                Tally(label=district.name if district else _("No district")),
            ),
        ):
            tally.points.add(point.pk)
            tally.standards.add(obs.standard_id)
            tally.counts[obs.rating] += 1
            tally.weighted += weights[obs.rating]
    return {
        "sampled": the_round.sampled_points.count(),
        "overall": overall,
        "by_type": sorted(by_type.values(), key=lambda t: t.label),
        "by_district": sorted(by_district.values(), key=lambda t: t.label),
        "weights": weights,
    }


# --- Recurring rounds -----------------------------------------------------------------------


def period_start(frequency, day):
    """The first day of the week (Monday) or month containing `day`."""
    if frequency == Frequency.WEEKLY:
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


def period_end(frequency, start):
    if frequency == Frequency.WEEKLY:
        return start + datetime.timedelta(days=6)
    following = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def periods_of(schedule, *, until):
    """(start, end) of the schedule's periods from its first one to the one containing `until`."""
    start = period_start(schedule.frequency, schedule.starts_on)
    while start <= until:
        end = period_end(schedule.frequency, start)
        yield start, end
        start = end + datetime.timedelta(days=1)


def _completion_dates(schedules):
    """{(schedule id, period start): completed_on} of the schedules' completed rounds."""
    done = Round.objects.filter(schedule__in=schedules, completed_on__isnull=False)
    return {
        (schedule_id, start): completed_on
        for schedule_id, start, completed_on in done.values_list(
            "schedule_id", "period_start", "completed_on"
        )
    }


@dataclass
class SchedulePeriod:
    schedule: RoundSchedule
    start: datetime.date
    end: datetime.date
    round: Round | None = None


def missed_periods(schedules, *, on, since=None):
    """Periods that ended before `on` without their round completed in time, oldest first;
    `since` keeps those ending on or after a date (e.g. the bulletin's week)."""
    schedules = list(schedules)
    completed = _completion_dates(schedules) if schedules else {}
    missed = []
    for schedule in schedules:
        for start, end in periods_of(schedule, until=on):
            if end >= on or (since is not None and end < since):
                continue
            completed_on = completed.get((schedule.pk, start))
            if completed_on is None or completed_on > end:
                missed.append(SchedulePeriod(schedule, start, end))
    return sorted(missed, key=lambda p: (p.end, p.schedule.pk))


def due_schedules(schedules, *, on):
    """The current periods not yet done, with the round already started for them, if any."""
    schedules = list(schedules)
    if not schedules:
        return []
    rounds = {
        (r.schedule_id, r.period_start): r
        for r in Round.objects.filter(schedule__in=schedules, period_start__isnull=False)
    }
    due = []
    for schedule in schedules:
        start = period_start(schedule.frequency, on)
        if start < period_start(schedule.frequency, schedule.starts_on):
            continue
        existing = rounds.get((schedule.pk, start))
        if existing is None or existing.completed_on is None:
            due.append(
                SchedulePeriod(schedule, start, period_end(schedule.frequency, start), existing)
            )
    return due


def active_schedules(campaign):
    return RoundSchedule.objects.filter(campaign=campaign, is_active=True).select_related(
        "point_type"
    )


def startable(user, schedules):
    """Ids of the schedules this person may start a round of: the office all, an inspector
    the ones they belong to."""
    campaign_ids = {s.campaign_id for s in schedules}
    scope = scope_for(user)
    mine = {
        s.pk for s in schedules if scope.is_superuser or s.campaign_id in scope.admin_campaign_ids
    }
    rest = [s.pk for s in schedules if s.pk not in mine]
    if rest and campaign_ids & scope.inspector_campaign_ids:
        mine |= set(
            RoundSchedule.objects.filter(pk__in=rest, inspectors=user).values_list("pk", flat=True)
        )
    return mine


def start_scheduled_round(schedule, *, actor, on=None, seed=None):
    """The round of the schedule's current period: created, drawn (every point of the type,
    or `sample_size` of them) and started; the existing one if it was started already."""
    on = on or timezone.localdate()
    start_day = period_start(schedule.frequency, on)
    existing = Round.objects.filter(schedule=schedule, period_start=start_day).first()
    if existing is not None:
        return existing
    count = (
        schedule.sample_size
        or Point.objects.filter(
            campaign=schedule.campaign, type=schedule.point_type, is_active=True
        ).count()
    )
    with transaction.atomic():
        new = create_round(
            campaign=schedule.campaign,
            actor=actor,
            name=f"{schedule.point_type} {start_day:%Y-%m-%d}",
            kind=Source.UNDERCOVER,
            date=on,
            quotas=[{"type": schedule.point_type_id, "district": None, "count": count}],
            inspectors=schedule.inspectors.all(),
            schedule=schedule,
            period_start=start_day,
        )
        # The schedule's own inspectors run it: the office's rule is not asked (actor=None).
        draw(new, actor=None, seed=seed)
        start(new, actor=None)
    return new


def my_open_samples(user, campaign):
    """Sampled points of rounds in progress waiting for this inspector's observations."""
    return SampledPoint.objects.filter(
        round__campaign=campaign,
        round__status=Round.Status.IN_PROGRESS,
        inspector=user,
        observations__isnull=True,
    )


def sample_counts(rounds):
    """{round id: (sampled, observed)} for a list of rounds, in one query."""
    rows = (
        SampledPoint.objects.filter(round__in=rounds)
        .values("round_id")
        .annotate(
            sampled=Count("pk", distinct=True),
            observed=Count("pk", filter=Q(observations__isnull=False), distinct=True),
        )
    )
    return {row["round_id"]: (row["sampled"], row["observed"]) for row in rows}


def route_sheets(the_round):
    """The sampled points grouped by inspector, then district, for the printed route sheets."""
    sheets = defaultdict(lambda: defaultdict(list))
    samples = the_round.sampled_points.select_related(
        "point__type", "point__unit", "district", "inspector"
    ).order_by("inspector__pk", "position")
    for sample in samples:
        sheets[sample.inspector][sample.district].append(sample)
    return [(person, list(districts.items())) for person, districts in sheets.items()]


def missed_in_week(campaign, *, start, end):
    """The recurring rounds missed in a bulletin's week (periods ending within it), as plain
    values for the bulletin's frozen content."""
    missed = missed_periods(
        active_schedules(campaign), on=end + datetime.timedelta(days=1), since=start
    )
    return [
        {
            "schedule": str(p.schedule),
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
        }
        for p in missed
    ]
