"""The weekly bulletin: its content, making, editing, publishing, PDF and e-mail."""

from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign.documents import document_number
from campaign.models import Campaign, OutboxMessage
from campaign.outbox import deliver, enqueue, handler
from campaign.templatetags.site_tags import week
from campaign.transitions import Change, DomainError, transition, write_effects

from . import sections
from .models import Bulletin, BulletinSettings
from .periods import (
    PeriodError,
    default_period,
    due_period,
    normalise_period,
    period_bounds,
    previous_period,
)
from .rankings import take_snapshot

# --- The bulletin ---------------------------------------------------------------------------


def build_bulletin_data(*, campaign, period, snapshot, bulletin_settings, number, document_number):
    """The whole frozen content of one issue, as plain JSON-ready values: the frame's texts
    and every section's values (`reports.sections.SECTIONS`)."""
    previous = take_snapshot(campaign=campaign, period=previous_period(period))
    source = sections.Source(
        campaign=campaign,
        period=period,
        snapshot=snapshot,
        bulletin_settings=bulletin_settings,
        rows=list(snapshot.units.all()),
        previous_rows=list(previous.units.all()),
        previous_rules=previous.rules,
    )
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
        "start": snapshot.start.isoformat(),
        "end": snapshot.end.isoformat(),
        **sections.collect(source),
    }


def _signed(value, unit=""):
    if value in (None, 0, "0"):
        return _("the same as last week")
    number = Decimal(str(value))
    if number > 0:
        return _("up %(n)s%(unit)s on last week") % {"n": sections.num(number), "unit": unit}
    return _("down %(n)s%(unit)s on last week") % {"n": sections.num(-number), "unit": unit}


def summary_text(data):
    """The summary paragraph under the title, from the frozen figures."""
    h, c = data["headline"], data["changes"]
    text = _(
        "In %(week)s, %(found)s new problems were found across the city "
        "(%(found_change)s) and %(closed)s were rectified and closed off; %(open)s remain "
        "open, %(overdue)s of them past their deadline (%(overdue_change)s). The closure rate "
        "to date is %(rate)s%%."
    ) % {
        "week": week(data["period"]),
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


def make_bulletin(*, campaign, period=None, actor=None, auto_publish=None):
    """Make the week's bulletin, or return the one already made: (bulletin, created).

    The claim is the unique (campaign, period) constraint: the campaign row is locked
    while the next number is read, and a second maker arriving at once finds the first
    one's bulletin, so a re-run, a second beat or two clicks never make a second issue.
    With `auto_publish` (default: the campaign's setting) a new bulletin is published
    and e-mailed at once.

    Numbering: 第N期 and the document number run on in the order bulletins are made, never
    in week order, because a number once printed and sent never changes. A week made after
    a later week's bulletin is a back-fill (补发): it takes the next number, says 补发 beside
    第N期 and in the archive, and the archive lists bulletins by week.
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
            _("%(week)s has not begun yet: a bulletin reports on a week that has.")
            % {"week": week(period)}
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
            # A week earlier than one already issued is a back-fill (补发): it takes the
            # next number like any issue, and says so on the document and in the archive.
            is_backfill = Bulletin.objects.filter(campaign=campaign, start__gt=start).exists()
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
                is_backfill=is_backfill,
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
        chosen = (locked.data or {}).get("cases", [])
        locked.data = build_bulletin_data(
            campaign=locked.campaign,
            period=locked.period,
            snapshot=snapshot,
            bulletin_settings=BulletinSettings.for_campaign(locked.campaign),
            number=locked.number,
            document_number=locked.document_number,
        )
        locked.data["cases"] = chosen  # the office's choice stands
        locked.generated_at = timezone.now()
        # A summary the office has not rewritten follows the new figures.
        if locked.summary.strip() == old_summary.strip():
            locked.summary = summary_text(locked.data)
        return Change(["data", "generated_at", "summary"], [Bulletin.render_request])

    with translation.override(settings.LANGUAGE_CODE):
        transition(bulletin, "refresh", actor=actor, expected_version=expected_version, apply=apply)
    return bulletin


def choose_cases(bulletin, *, actor, finding_ids, expected_version=None):
    """The office chooses a draft's typical cases (in the order given). Each must be a
    candidate of the week (`sections.case_candidates`: handed to a unit, photographed
    before and after rectification); the cases are frozen into the bulletin."""

    def apply(locked):
        candidates = {
            f.pk: f
            for f in sections.case_candidates(locked.campaign, start=locked.start, end=locked.end)
        }
        refused = [pk for pk in finding_ids if pk not in candidates]
        if refused:
            raise DomainError(
                _(
                    "Only a problem handed to a unit, with photos before and after "
                    "rectification, can be a typical case of this week."
                )
            )
        calendar = sections.calendar_for(locked.start, locked.end)
        locked.data = {
            **locked.data,
            "cases": [
                sections.case_item(candidates[pk], end=locked.end, calendar=calendar)
                for pk in dict.fromkeys(finding_ids)
            ],
        }
        return Change(["data"], [Bulletin.render_request])

    with translation.override(settings.LANGUAGE_CODE):
        transition(bulletin, "cases", actor=actor, expected_version=expected_version, apply=apply)
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
    """Render one version of a bulletin to PDF and .docx after commit, holding no lock and
    no transaction meanwhile (a render takes seconds; on SQLite a transaction would stop
    every write). Stored only if the bulletin is still at that version; a published
    bulletin's e-mail is queued once its final PDF is stored."""
    from .exports import render_bulletin_docx_bytes, render_bulletin_pdf_bytes

    bulletin = Bulletin.objects.select_related("campaign").get(pk=bulletin_id)
    if bulletin.version != version:
        return  # changed again meanwhile: that change queued its own rendering
    with translation.override(settings.LANGUAGE_CODE):
        contents = {
            "pdf": render_bulletin_pdf_bytes(bulletin),
            "docx": render_bulletin_docx_bytes(bulletin),
        }
    suffix = "" if bulletin.status == Bulletin.Status.PUBLISHED else "-draft"
    old, new = {}, {}
    for kind, content in contents.items():
        field = getattr(bulletin, kind)
        old[kind] = field.name or ""
        new[kind] = field.storage.save(
            field.field.generate_filename(
                bulletin, f"{bulletin.period}-{bulletin.number}{suffix}.{kind}"
            ),
            ContentFile(content),
        )
    with transaction.atomic():
        stored = Bulletin.objects.filter(pk=bulletin_id, version=version).update(**new)
        if stored and bulletin.status == Bulletin.Status.PUBLISHED:
            enqueue(
                "reports.bulletins.email_bulletin",
                key=f"bulletin-email:{bulletin_id}",
                bulletin_id=bulletin_id,
            )
    storage = bulletin.pdf.storage
    for kind in contents:
        if not stored:
            storage.delete(new[kind])
        elif old[kind] and old[kind] != new[kind]:
            storage.delete(old[kind])


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
        subject = _("%(masthead)s, No. %(number)s (%(document)s), %(week)s") % {
            "masthead": data.get("masthead", ""),
            "number": bulletin.number,
            "document": bulletin.document_number,
            "week": week(bulletin.period),
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
