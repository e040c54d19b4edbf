"""The weekly bulletin: its content, making, editing, publishing, PDF and e-mail."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign.models import Campaign, OutboxMessage, Unit
from campaign.outbox import deliver, enqueue, handler
from campaign.transitions import Change, transition, write_effects
from campaign.workdays import WorkdayCalendar
from fieldwork.services import hot_spots_for_bulletin

from .models import Bulletin, BulletinSettings, UnitSnapshot
from .periods import (
    PeriodError,
    default_period,
    due_period,
    iso_period,
    normalise_period,
    period_bounds,
    previous_period,
)
from .rankings import ANGLE_BY_KEY, ranking, red_black_lists, take_snapshot

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
    from fieldwork.rounds import missed_in_week
    from inspections.models import UNIT_PENDING, Finding, FindingPhoto
    from inspections.models import Status as FindingStatus
    from inspections.services import interviews_between

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
        "interviews": interviews_between(campaign=campaign, start=start, end=end),
        "cases": cases,
        "hot_spots": hot_spots_for_bulletin(campaign, on=end),
        "weekly": weekly,
        "districts": districts,
        "rules": rules,
        "missed_rounds": missed_in_week(campaign, start=start, end=end),
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
            # The PDF is rendered after commit, outside this lock on the campaign row.
            write_effects([bulletin.render_request()])
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


def refresh_bulletin(bulletin, *, actor, expected_version=None):
    """Recompute a draft's figures from the ledger as it is now (the text is kept)."""

    def apply(locked):
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
        return Change(["data", "generated_at", "summary"], [Bulletin.render_request])

    with translation.override(settings.LANGUAGE_CODE):
        transition(bulletin, "refresh", actor=actor, expected_version=expected_version, apply=apply)
    return bulletin


def render_now(bulletin):
    """Render this bulletin's queued PDF in this process (for commands, which print its path)."""
    pending = OutboxMessage.objects.filter(
        idempotency_key__startswith=f"bulletin-pdf:{bulletin.pk}:", delivered_at__isnull=True
    )
    for pk in pending.values_list("pk", flat=True):
        deliver(pk)
    bulletin.refresh_from_db()
    return bulletin


# Another render of the same version may run at once (a kick and the relay): the lease
# below keeps that to one, and storing only for the current version keeps it harmless.
@handler(atomic=False)
def render_bulletin(*, bulletin_id, version):
    """Render one version of a bulletin to PDF after commit, holding no lock and no
    transaction meanwhile (a render takes about a second; on SQLite a transaction would
    stop every write). Stored only if the bulletin is still at that version; a published
    bulletin's e-mail is queued once its final PDF is stored."""
    from .exports import render_bulletin_pdf_bytes

    bulletin = Bulletin.objects.select_related("campaign").get(pk=bulletin_id)
    if bulletin.version != version:
        return  # changed again meanwhile: that change queued its own rendering
    with translation.override(settings.LANGUAGE_CODE):
        content = render_bulletin_pdf_bytes(bulletin)
    suffix = "" if bulletin.status == Bulletin.Status.PUBLISHED else "-draft"
    field = bulletin.pdf
    old = field.name or ""
    name = field.storage.save(
        field.field.generate_filename(bulletin, f"{bulletin.period}-{bulletin.number}{suffix}.pdf"),
        ContentFile(content),
    )
    with transaction.atomic():
        stored = Bulletin.objects.filter(pk=bulletin_id, version=version).update(pdf=name)
        if stored and bulletin.status == Bulletin.Status.PUBLISHED:
            enqueue(
                "reports.bulletins.email_bulletin",
                key=f"bulletin-email:{bulletin_id}",
                bulletin_id=bulletin_id,
            )
    if not stored:
        field.storage.delete(name)
    elif old and old != name:
        field.storage.delete(old)


@handler(atomic=False)
def email_bulletin(*, bulletin_id):
    """E-mail a published bulletin's PDF to the distribution list, once (an outbox handler,
    queued when the final PDF is stored).

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
    """For every campaign whose weekly time has come, queue the week's bulletin once (an
    outbox row per campaign and week, so a second beat queues nothing new).

    Returns [(campaign id, period)] queued. Cheap when nothing is due: two queries, plus
    one per campaign whose time has come; the maker itself refuses a second issue.
    """
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
        queued_now = enqueue(
            "reports.bulletins.make_due_bulletin",
            key=f"make-bulletin:{campaign.pk}:{period}",
            campaign_id=campaign.pk,
            period=period,
        )
        if queued_now is not None:
            queued.append((campaign.pk, period))
    return queued


@handler(atomic=False)
def make_due_bulletin(*, campaign_id, period):
    """Make (or find) one campaign's bulletin for one week; returns its id. It claims the
    week itself (see `make_bulletin`), so it runs outside the outbox's transaction."""
    with translation.override(settings.LANGUAGE_CODE):
        bulletin, _created = make_bulletin(
            campaign=Campaign.objects.get(pk=campaign_id), period=period
        )
    return bulletin.pk
