"""Ledger workflows that span several models or the outside world.

The state machine itself lives on `Finding` (models.py); here are the steps around it:
logging a finding with its photos, citizen reports, notifications after an event, the
daily overdue escalation and the workbook import of an inspection team's findings.
"""

import datetime
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign import choices_cache
from campaign.models import AuditEntry, Membership, Notification, Role, Standard, Unit
from campaign.outbox import handler
from campaign.transitions import DomainError
from campaign.workbook import (
    RowError,
    UnitMatcher,
    WorkbookInvalid,
    clean_text,
    invisible_note,
    is_blank,
    label_key,
    locate_table,
    match_key,
    parse_date,
    shown,
)

from .models import (
    DEFAULT_CATEGORIES,
    UNIT_PENDING,
    Finding,
    FindingCategory,
    FindingEvent,
    FindingPhoto,
    Interview,
    LedgerSettings,
    Open311Key,
    Severity,
    Source,
    Status,
)


def ensure_categories(campaign):
    """Give a campaign the usual categories the first time it needs them; returns them."""
    categories = FindingCategory.objects.filter(campaign=campaign)
    if not categories.exists():
        FindingCategory.objects.bulk_create(
            [
                FindingCategory(campaign=campaign, name=name, icon=icon, position=i)
                for i, (name, icon) in enumerate(DEFAULT_CATEGORIES.items())
            ],
            ignore_conflicts=True,
        )
        # Made in bulk, without the save signals that change the campaign's choices version:
        # the filters would keep offering the choices read before these existed.
        choices_cache.touch(campaign.pk)
    return categories.filter(is_active=True)


def log_finding(*, campaign, actor, photos=(), assign_to=None, deadline=None, **values):
    """Register a finding with its before-photos, and hand it to a unit at once if asked.

    `values` are Finding fields (description, category, severity, address, …). Returns the
    finding; its first event is "logged", the second "assigned" when `assign_to` is given.
    """
    with transaction.atomic():
        values.setdefault("source", Source.ROUTINE)
        finding = Finding.objects.create(
            campaign=campaign, created_by=actor, status=Status.REGISTERED, **values
        )
        event = FindingEvent.objects.create(
            finding=finding,
            actor=actor,
            action=FindingEvent.Action.CREATE,
            to_status=finding.status,
        )
        for upload in photos:
            FindingPhoto.add(finding, upload, kind=FindingPhoto.Kind.BEFORE, by=actor, event=event)
        if assign_to is not None:
            finding.assign(actor=actor, unit=assign_to, deadline=deadline)
    return finding


def submit_citizen_report(
    *,
    campaign,
    description,
    address,
    photos=(),
    category=None,
    latitude=None,
    longitude=None,
    name="",
    phone="",
    email="",
    channel="",
):
    """随手拍 (or an Open311 request through `channel`): a citizen's report becomes a
    registered finding in the office's triage inbox, with a private follow-up token.
    Returns the finding; its `code` is the reference the citizen is given."""
    return log_finding(
        campaign=campaign,
        actor=None,
        photos=photos,
        source=Source.CITIZEN,
        category=category,
        description=description,
        address=address,
        latitude=latitude,
        longitude=longitude,
        reporter_name=name,
        reporter_phone=phone,
        reporter_email=email,
        channel=channel,
        follow_token=secrets.token_urlsafe(32),
        found_on=timezone.localdate(),
    )


def issue_open311_key(*, campaign, name, actor):
    """A new Open311 API key for an integrating system, audited; returns (row, key). The key
    itself is shown once and never stored."""
    with transaction.atomic():
        row, key = Open311Key.issue(campaign=campaign, name=name, actor=actor)
        AuditEntry.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=row,
            summary=_("Issued an Open311 API key to %(system)s") % {"system": row.name},
        )
    return row, key


def revoke_open311_key(*, key, actor):
    """Revoke an Open311 API key (it is refused from now on), audited."""
    with transaction.atomic():
        key.revoke()
        AuditEntry.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=key,
            summary=_("Revoked the Open311 API key of %(system)s") % {"system": key.name},
        )


# --- Notifications ------------------------------------------------------------------------


def _unit_people(unit):
    if unit is None:
        return []
    return [
        m.person
        for m in Membership.objects.filter(
            unit=unit, role__in=[Role.UNIT_LEADER, Role.UNIT_LIAISON]
        ).select_related("person")
    ]


def _office_people(campaign):
    return [
        m.person
        for m in Membership.objects.filter(
            campaign=campaign, role=Role.OFFICE_ADMIN
        ).select_related("person")
    ]


@handler
def notify_event(*, event_id):
    """Notify whoever must act next after a ledger event (an outbox handler: the event's
    transaction wrote the row). Returns the number notified."""
    from campaign.notifications import notify

    event = (
        FindingEvent.objects.select_related(
            "finding__unit", "finding__campaign", "finding__created_by"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    finding = event.finding
    A = FindingEvent.Action
    level = Notification.Level.INFO
    E = Notification.Event
    if event.action in (A.ASSIGN, A.DISPUTE_UPHELD):
        recipients, kind = _unit_people(finding.unit), E.FINDING_ASSIGNED
    elif event.action in (A.FAIL, A.PASS, A.DISPUTE_REJECTED):
        recipients, kind = _unit_people(finding.unit), E.FINDING_RESULT
    elif event.action == A.INTERVIEW:
        recipients, kind = _unit_people(finding.unit), E.SUPERVISION
    elif event.action == A.CREATE and finding.status == Status.ASSIGNED:
        # A relapse goes straight to the unit.
        recipients, kind = _unit_people(finding.unit), E.FINDING_ASSIGNED
    elif event.action == A.SUBMIT:
        recipients = (
            [finding.created_by] if finding.created_by else _office_people(finding.campaign)
        )
        kind = E.FINDING_REVIEW
    elif event.action == A.DISPUTE:
        recipients, kind = _office_people(finding.campaign), E.FINDING_REVIEW
    elif event.action == A.SUPERVISE:
        recipients = _unit_people(finding.unit) + _office_people(finding.campaign)
        level, kind = Notification.Level.OVERDUE, E.SUPERVISION
    else:
        return 0
    with translation.override("zh-hans"):
        subject = _("%(finding)s: %(action)s") % {
            "finding": finding,
            "action": event.get_action_display(),
        }
        body_parts = [finding.description[:200]]
        if finding.address:
            body_parts.append(_("Place: %(address)s") % {"address": finding.address})
        if finding.deadline and finding.status in UNIT_PENDING:
            body_parts.append(_("Deadline: %(date)s") % {"date": finding.deadline})
        if event.note:
            body_parts.append(_("Note: %(note)s") % {"note": event.note})
        if event.data.get("number"):
            body_parts.append(event.data["number"])
        created = notify(
            recipients=recipients,
            subject=subject,
            body="\n".join(body_parts),
            url=reverse("inspections:finding_detail", args=[finding.pk]),
            level=level,
            event=kind,
            campaign=finding.campaign,
            dedupe_key=f"finding-event:{event.pk}",
        )
    return len(created)


# --- Interviews (约谈) -----------------------------------------------------------------------


def interviews_between(*, campaign, start, end):
    """The interviews held from `start` to `end` (dates, inclusive), as the plain values the
    weekly bulletin freezes: unit, finding, who, by whom, when, where, outcome."""
    interviews = (
        Interview.objects.filter(campaign=campaign, held_at__date__range=(start, end))
        .select_related("unit", "finding")
        .order_by("held_at", "pk")
    )
    return [
        {
            "code": i.finding.code,
            "unit": i.unit.name,
            "interviewees": i.interviewees,
            "conducted_by": i.conducted_by,
            "held_on": timezone.localtime(i.held_at).date().isoformat(),
            "place": i.place,
            "outcome": i.outcome,
        }
        for i in interviews
    ]


# --- Daily escalation ---------------------------------------------------------------------


def escalate_overdue(*, on=None):
    """Raise overdue findings to the supervision level their lateness calls for.

    Lateness is counted in working days after the deadline; thresholds come from each
    campaign's LedgerSettings. Each level is issued once per finding. Returns the number of
    supervision orders issued.
    """
    from campaign.workdays import WorkdayCalendar

    on = on or timezone.localdate()
    overdue = (
        Finding.objects.overdue(on=on)
        .filter(campaign__is_active=True)
        .select_related("campaign")
        .order_by("campaign_id", "deadline", "pk")
    )
    earliest = overdue.order_by("deadline").values_list("deadline", flat=True).first()
    if earliest is None:
        return 0
    calendar = WorkdayCalendar(earliest, on)
    settings_by_campaign = {}
    issued = 0
    with translation.override("zh-hans"):
        for finding in overdue.iterator(chunk_size=500):
            settings = settings_by_campaign.get(finding.campaign_id)
            if settings is None:
                settings = settings_by_campaign[finding.campaign_id] = LedgerSettings.for_campaign(
                    finding.campaign
                )
            late = calendar.working_days_between(finding.deadline, on)
            # A deadline on a Friday is late on Saturday even though no working day passed.
            target = settings.level_for(max(late, 1))
            if target <= finding.supervision_level:
                continue
            try:
                finding.supervise(
                    actor=None,
                    level=target,
                    note=_("Overdue by %(days)s working days (deadline %(date)s).")
                    % {"days": max(late, 1), "date": finding.deadline},
                )
            except DomainError:
                continue  # acted on meanwhile (closed, already raised): nothing to do
            issued += 1
    return issued


# --- Workbook import ------------------------------------------------------------------------

FINDING_COLUMNS = {
    "date": ["发现时间", "发现日期", "检查时间", "检查日期", "日期", "时间"],
    "category": ["问题类别", "问题类型", "类别", "类型"],
    "description": ["问题描述", "存在问题", "问题内容", "具体问题", "问题"],
    "address": ["具体位置", "问题地点", "地点", "位置", "地址", "点位"],
    "territory": ["所属区域", "所属街道", "属地", "所在区域", "区域"],
    "unit": ["责任单位", "整改单位"],
    "severity": ["严重程度", "问题等级", "等级"],
    "standard": ["测评标准编号", "标准编号", "对应标准", "测评标准"],
    "deadline": ["整改时限", "整改期限", "完成时限"],
    # A 问题整改台账 also says what became of each problem.
    "closed": ["是否销号", "是否已销号", "销号情况", "销号状态", "销号"],
    "closed_on": ["销号日期", "销号时间"],
    "measures": ["整改情况", "整改措施", "整改结果", "整改落实情况"],
}
CLOSED_WORDS = {"是", "已销号", "销号", "√", "✓", "✔", "y", "yes", "1", "已完成", "已整改销号"}
OPEN_WORDS = {"否", "未销号", "×", "✗", "n", "no", "0", "未完成", "整改中"}
SEVERITY_LABELS = {
    "一般": Severity.MINOR,
    "轻微": Severity.MINOR,
    "较重": Severity.SERIOUS,
    "较严重": Severity.SERIOUS,
    "严重": Severity.CRITICAL,
    "重大": Severity.CRITICAL,
}


@dataclass
class FindingRow:
    row: int
    found_on: datetime.date
    description: str
    address: str
    category: object = None
    territory: object = None
    unit: object = None
    severity: str = Severity.MINOR
    standard: object = None
    deadline: datetime.date | None = None
    measures: str = ""
    closed_on: datetime.date | None = None  # set when the ledger says it is closed off


@dataclass
class FindingPlan:
    """What a findings workbook would create; nothing is written while `errors` is not empty."""

    sheet: str = ""
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    sheets: list = field(default_factory=list)  # SheetNote for each sheet: read or skipped
    warnings: list = field(default_factory=list)

    @property
    def assigned_count(self):
        return sum(1 for r in self.rows if r.unit is not None and r.closed_on is None)

    @property
    def closed_count(self):
        return sum(1 for r in self.rows if r.closed_on is not None)


def read_findings(data, *, campaign, filename=""):
    """Parse an inspection team's findings workbook (问题清单) into a plan. Writes nothing."""
    plan = FindingPlan()
    try:
        table = locate_table(
            data, fields=FINDING_COLUMNS, required={"description", "address"}, filename=filename
        )
    except WorkbookInvalid as exc:
        plan.errors = exc.errors
        return plan
    plan.sheet, plan.sheets, plan.warnings = table.sheet, table.notes, table.warnings

    categories = {label_key(c.name): c for c in FindingCategory.objects.filter(campaign=campaign)}
    matcher = UnitMatcher(Unit.objects.filter(campaign=campaign))
    standards = {
        label_key(s.code): s
        for s in Standard.objects.filter(system__campaign=campaign).exclude(code="")
    }
    cell = table.value

    def error(row, name, message):
        plan.errors.append(table.error(row, name, message))

    for row, values in table.rows():
        problems = table.problems(row, values)
        if problems:
            plan.errors.extend(problems)
            continue
        description = clean_text(cell(values, "description"))
        address = clean_text(cell(values, "address"))
        if not description:
            error(row, "description", _("The problem description is empty."))
            continue
        if not address:
            error(row, "address", _("The place is empty."))
        item = FindingRow(
            row=row, found_on=timezone.localdate(), description=description, address=address
        )
        if clean_text(cell(values, "date")):
            try:
                item.found_on = parse_date(cell(values, "date"))
            except ValueError:
                error(
                    row,
                    "date",
                    _("“%(value)s” is not a date.") % {"value": clean_text(cell(values, "date"))},
                )
        if clean_text(cell(values, "deadline")):
            try:
                item.deadline = parse_date(cell(values, "deadline"))
            except ValueError:
                error(
                    row,
                    "deadline",
                    _("“%(value)s” is not a date.")
                    % {"value": clean_text(cell(values, "deadline"))},
                )
        name = clean_text(cell(values, "category"))
        if name:
            item.category = categories.get(label_key(name))
            if item.category is None:
                error(
                    row,
                    "category",
                    _("Unknown category “%(name)s”: add it to the category list first.")
                    % {"name": name},
                )
        for attr in ("territory", "unit"):
            name = clean_text(cell(values, attr))
            if not name:
                continue
            units = matcher.match(name)
            if not units:
                error(
                    row,
                    attr,
                    _("Unknown unit “%(name)s”.") % {"name": shown(name)} + invisible_note(name),
                )
            elif len(units) > 1:
                error(
                    row,
                    attr,
                    _("“%(name)s” stands for several units: name one unit.") % {"name": name},
                )
            else:
                setattr(item, attr, units[0])
        label = clean_text(cell(values, "severity"))
        if label:
            severity = SEVERITY_LABELS.get(label_key(label))
            if severity is None:
                error(
                    row,
                    "severity",
                    _("Severity must be 一般, 较重 or 严重, not “%(value)s”.") % {"value": label},
                )
            else:
                item.severity = severity
        code = clean_text(cell(values, "standard"))
        if code:
            item.standard = standards.get(label_key(code))
            if item.standard is None:
                error(row, "standard", _("No standard with the code “%(code)s”.") % {"code": code})
        if item.unit is None and item.territory is not None and item.category is not None:
            item.unit = Finding.suggest_unit(item.category, item.territory)
        _read_closure(item, table, row, values, error)
        plan.rows.append(item)
    if not plan.rows and not plan.errors:
        plan.errors.append(RowError(plan.sheet, None, None, _("The sheet has no findings.")))
    return plan


def _read_closure(item, table, row, values, error):
    """整改情况, 是否销号 and 销号日期: a problem the ledger says is closed off comes in closed."""
    item.measures = table.text(values, "measures")
    answer = match_key(table.value(values, "closed"))
    closed_on = table.value(values, "closed_on")
    if answer and answer not in CLOSED_WORDS and answer not in OPEN_WORDS:
        error(
            row,
            "closed",
            _("Write 是 or 否 in 是否销号, not “%(value)s”.")
            % {"value": table.text(values, "closed")},
        )
        return
    if not is_blank(closed_on):
        try:
            closed_on = parse_date(closed_on)
        except ValueError:
            error(
                row,
                "closed_on",
                _("“%(value)s” is not a date.") % {"value": table.text(values, "closed_on")},
            )
            return
    else:
        closed_on = None
    if answer in CLOSED_WORDS or (closed_on and answer not in OPEN_WORDS):
        item.closed_on = closed_on or item.found_on


def apply_findings(plan, *, campaign, actor, inspection):
    """Create every finding of a checked plan in one transaction; assign those with a unit."""
    assert not plan.errors
    with transaction.atomic():
        inspection.save()
        for item in plan.rows:
            finding = log_finding(
                campaign=campaign,
                actor=actor,
                inspection=inspection,
                source=inspection.kind,
                found_on=item.found_on,
                description=item.description,
                address=item.address,
                category=item.category,
                territory=item.territory,
                severity=item.severity,
                standard=item.standard,
                measures=item.measures,
            )
            if item.closed_on is not None:
                _bring_in_closed(finding, item, actor)
            elif item.unit is not None:
                finding.assign(actor=actor, unit=item.unit, deadline=item.deadline)
        AuditEntry.record(
            actor=actor,
            action=AuditEntry.Action.IMPORT,
            obj=inspection,
            campaign=campaign,
            summary=_("Imported %(n)s findings") % {"n": len(plan.rows)},
        )
    return len(plan.rows)


def _bring_in_closed(finding, item, actor):
    """A problem closed off before the import: recorded as closed, with the import in its
    history, never assigned, escalated or counted as overdue."""
    closed_at = timezone.make_aware(datetime.datetime.combine(item.closed_on, datetime.time(12)))
    finding.unit, finding.deadline = item.unit, item.deadline
    finding.status, finding.closed_at = Status.CLOSED, closed_at
    finding.version += 1
    finding.save(update_fields=["unit", "deadline", "status", "closed_at", "version"])
    FindingEvent.objects.create(
        finding=finding,
        actor=actor,
        action=FindingEvent.Action.PASS,
        from_status=Status.REGISTERED,
        to_status=Status.CLOSED,
        note=_("Imported from a ledger that records it as closed off on %(date)s.")
        % {"date": item.closed_on.isoformat()},
        data={"imported": True, "closed_on": item.closed_on.isoformat()},
    )
