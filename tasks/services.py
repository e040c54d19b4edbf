"""Task workflows that span several objects: generation from an evaluation system, bulk
changes, the daily deadline check, the battle map and the progress workbook import.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Case, Count, F, Prefetch, Q, When
from django.db.models.functions import Substr
from django.db.models.lookups import In
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaign import choices_cache
from campaign.models import (
    UNIT_ROLES,
    AuditEntry,
    IndicatorNode,
    Membership,
    Notification,
    PublishedHolidayYear,
    Role,
    Standard,
    Unit,
    WorkdayOverride,
)
from campaign.notifications import notify, queue_notice
from campaign.outbox import handler
from campaign.transitions import DomainError, write_effects
from campaign.workbook import RowError, WorkbookInvalid, label_key, locate_table
from campaign.workdays import WorkdayCalendar, unpublished_years

from .models import (
    Milestone,
    Task,
    TaskEvent,
    TaskPart,
    assignment_notice,
    due_soon_q,
    overdue_q,
    owed_q,
)


def unpublished_warning(*dates):
    """A clear warning when any date falls in a year whose holiday schedule is not known."""
    years = unpublished_years(*dates)
    if not years:
        return ""
    return _(
        "The holiday schedule for %(years)s has not been published yet (the State Council "
        "usually publishes it in November). Working days in that year are counted as Monday "
        "to Friday, so the deadline may move once the schedule is known: check it again then."
    ) % {"years": "、".join(f"{y}年" for y in years)}


def deadline_from_working_days(n, *, start=None):
    """The deadline n working days after `start` (today), with the unpublished-year warning."""
    start = start or timezone.localdate()
    calendar = WorkdayCalendar(start, start + datetime.timedelta(days=n * 2 + 40))
    deadline = calendar.add_working_days(start, n)
    return deadline, unpublished_warning(start, deadline)


# --- Creating one task ----------------------------------------------------------------------


@transaction.atomic
def create_task(*, form, milestones, actor, campaign):
    """Save a new task from its validated form and milestone formset, with its first event."""
    task = form.save(commit=False)
    task.campaign = campaign
    task.created_by = actor
    task.save()
    form.save_m2m()
    task.sync_parts()
    milestones.instance = task
    milestones.save()
    TaskEvent.objects.create(
        task=task, actor=actor, kind=TaskEvent.Kind.CREATED, to_status=task.status
    )
    write_effects([assignment_notice([task.pk])])
    return task


# --- Generation from an evaluation system ---------------------------------------------------


class GenerationMode:
    PER_STANDARD = "per_standard"
    PER_DISTRICT = "per_district"


@dataclass
class PlannedTask:
    """One task the generation would create (or already exists, or cannot create)."""

    key: str
    standard: Standard
    item: IndicatorNode | None
    title: str
    description: str
    command_office: object
    lead_unit: Unit | None
    responsible_units: list = field(default_factory=list)
    cooperating_units: list = field(default_factory=list)
    deadline: datetime.date | None = None
    exists: bool = False
    problem: str = ""

    @property
    def creatable(self):
        return not self.exists and not self.problem


@dataclass
class GenerationPlan:
    tasks: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def counts(self):
        return {
            "new": sum(t.creatable for t in self.tasks),
            "existing": sum(t.exists for t in self.tasks),
            "problems": sum(bool(t.problem) and not t.exists for t in self.tasks),
        }


def _items_by_node(system):
    """Each node id → its top-level item, from one query over the system's nodes."""
    nodes = {n.pk: n for n in IndicatorNode.objects.filter(system=system)}

    def top(node):
        while node.parent_id and node.parent_id in nodes:
            node = nodes[node.parent_id]
        return node

    return {pk: top(node) for pk, node in nodes.items()}


def _describe(standard):
    methods = dict(Standard.Method.choices)
    lines = [standard.text]
    if standard.methods:
        lines.append(
            _("Assessment: %(methods)s")
            % {"methods": "、".join(str(methods.get(m, m)) for m in standard.methods)}
        )
    lines.append(_("Points: %(points)s") % {"points": standard.points})
    if standard.is_veto:
        lines.append(_("Veto item (一票否决)"))
    return "\n".join(lines)


def _title(standard, suffix=""):
    # Only whitespace is tidied: full-width Chinese punctuation stays as written.
    text = re.sub(r"\s+", " ", standard.text).strip()
    stem = f"{standard.code} {text}".strip() if standard.code else text
    limit = 280 - len(suffix)
    if len(stem) > limit:
        stem = stem[: limit - 1] + "…"
    return f"{stem}{suffix}"


def plan_generation(*, system, mode, deadline, use_standard_deadlines=True):
    """What generating tasks from `system` would create. Writes nothing.

    One task per standard (its lead unit leads, its responsible units share the work), or
    one per standard and district (the district leads; the standard's responsible units
    inside that district stay responsible; a lead unit outside it cooperates). Tasks that
    already exist for a standard and lead unit are listed as such and not made again.
    """
    campaign = system.campaign
    plan = GenerationPlan()
    standards = list(
        system.standards.filter(retired_at__isnull=True)
        .select_related("lead_unit", "lead_command_office")
        .prefetch_related("responsible_units")
        .order_by("position", "pk")
    )
    items = _items_by_node(system)
    existing = set(
        Task.objects.filter(standard__system=system).values_list("standard_id", "lead_unit_id")
    )
    districts = list(Unit.objects.filter(campaign=campaign, kind=Unit.Kind.DISTRICT))
    deadlines = []
    for standard in standards:
        due = (standard.deadline if use_standard_deadlines else None) or deadline
        deadlines.append(due)
        responsible = list(standard.responsible_units.all())
        common = {
            "standard": standard,
            "item": items.get(standard.node_id),
            "description": _describe(standard),
            "command_office": standard.lead_command_office,
            "deadline": due,
        }
        if mode == GenerationMode.PER_DISTRICT:
            for district in districts:
                inside = [u for u in responsible if u.is_within(district) and u != district]
                cooperating = (
                    [standard.lead_unit]
                    if standard.lead_unit and not standard.lead_unit.is_within(district)
                    else []
                )
                plan.tasks.append(
                    PlannedTask(
                        key=f"{standard.pk}:{district.pk}",
                        title=_title(standard, f"（{district.name}）"),
                        lead_unit=district,
                        responsible_units=inside,
                        cooperating_units=cooperating,
                        exists=(standard.pk, district.pk) in existing,
                        **common,
                    )
                )
            continue
        lead = standard.lead_unit or (responsible[0] if responsible else None)
        planned = PlannedTask(
            key=f"{standard.pk}:{lead.pk if lead else 0}",
            title=_title(standard),
            lead_unit=lead,
            responsible_units=[u for u in responsible if u != lead],
            exists=lead is not None and (standard.pk, lead.pk) in existing,
            **common,
        )
        if lead is None:
            planned.problem = _("The standard names no lead or responsible unit.")
        plan.tasks.append(planned)
    if mode == GenerationMode.PER_DISTRICT and not districts:
        plan.warnings.append(_("The campaign has no districts, so nothing can be split."))
    for planned in plan.tasks:
        if planned.deadline is None and not planned.problem:
            planned.problem = _("No deadline: give a default deadline.")
    today = timezone.localdate()
    past = sum(1 for t in plan.tasks if t.creatable and t.deadline and t.deadline < today)
    if past:
        plan.warnings.append(
            _(
                "%(n)s of these tasks would start with a deadline already past (the standard's "
                "own deadline). Untick “use the standard's own deadline” to give them the "
                "default deadline instead."
            )
            % {"n": past}
        )
    warning = unpublished_warning(*[d for d in deadlines if d])
    if warning:
        plan.warnings.append(warning)
    return plan


def generate_tasks(plan, *, campaign, actor, priority=Task.Priority.NORMAL, keys=None):
    """Create the plan's new tasks (only those whose key is in `keys`, when given).

    All or nothing: a task made meanwhile by someone else fails the whole run with a
    message, and re-running then creates only what is still missing.
    """
    chosen = [t for t in plan.tasks if t.creatable and (keys is None or t.key in keys)]
    try:
        with transaction.atomic():
            tasks = Task.objects.bulk_create(
                [
                    Task(
                        campaign=campaign,
                        standard=p.standard,
                        item=p.item,
                        title=p.title,
                        description=p.description,
                        command_office=p.command_office,
                        lead_unit=p.lead_unit,
                        deadline=p.deadline,
                        priority=priority,
                        created_by=actor,
                    )
                    for p in chosen
                ]
            )
            responsible = Task.responsible_units.through
            cooperating = Task.cooperating_units.through
            responsible.objects.bulk_create(
                [
                    responsible(task_id=task.pk, unit_id=unit.pk)
                    for task, p in zip(tasks, chosen, strict=True)
                    for unit in p.responsible_units
                ]
            )
            cooperating.objects.bulk_create(
                [
                    cooperating(task_id=task.pk, unit_id=unit.pk)
                    for task, p in zip(tasks, chosen, strict=True)
                    for unit in p.cooperating_units
                ]
            )
            # One part per unit: the lead unit's, each responsible and cooperating unit's.
            TaskPart.objects.bulk_create(
                [
                    TaskPart(task=task, unit_id=unit_id, role=role)
                    for task, p in zip(tasks, chosen, strict=True)
                    for unit_id, role in _part_roles(p).items()
                ]
            )
            # Made in bulk, without the signals that change the filter choices' version.
            choices_cache.touch(campaign.pk)
            TaskEvent.objects.bulk_create(
                [
                    TaskEvent(
                        task=task,
                        actor=actor,
                        kind=TaskEvent.Kind.CREATED,
                        to_status=task.status,
                        note=_("Generated from the evaluation system"),
                    )
                    for task in tasks
                ]
            )
            if tasks:
                write_effects([assignment_notice([task.pk for task in tasks])])
    except IntegrityError:
        raise DomainError(
            _(
                "Some of these tasks were created by someone else meanwhile. Nothing was saved: "
                "preview again to see what is still missing."
            )
        ) from None
    return tasks


def _part_roles(planned):
    """Unit id → the part's role for a planned task (a unit named twice keeps its first role)."""
    roles = {u.pk: TaskPart.Role.COOPERATING for u in planned.cooperating_units}
    roles.update({u.pk: TaskPart.Role.RESPONSIBLE for u in planned.responsible_units})
    roles[planned.lead_unit.pk] = TaskPart.Role.LEAD
    return roles


# --- Bulk changes ---------------------------------------------------------------------------


def bulk_reassign(*, tasks, lead_unit, actor, note=""):
    """Give every task a new lead unit, each with its own history event. All or nothing."""
    with transaction.atomic():
        for task in tasks:
            task.change_assignment(actor=actor, lead_unit=lead_unit, note=note)
    return len(tasks)


def bulk_change_deadline(*, tasks, deadline, actor, working_days=None, note=""):
    """Move every task's deadline, each with its own history event. All or nothing."""
    with transaction.atomic():
        for task in tasks:
            task.change_deadline(
                actor=actor, deadline=deadline, working_days=working_days, note=note
            )
    return len(tasks)


# --- Notices after a move (outbox handlers) --------------------------------------------------


def _part_for_notice(part_id, task_id):
    # Rows queued before parts existed name the task: its lead unit's part stands for it.
    parts = TaskPart.objects.select_related("task__campaign", "task__command_office", "unit")
    if part_id is not None:
        return parts.get(pk=part_id)
    return parts.filter(task_id=task_id, role=TaskPart.Role.LEAD).first()


@handler
def notify_task_submitted(*, event_id, part_id=None, task_id=None):
    """Tell the command office staff (or the creation office) that a unit's part awaits
    acceptance."""
    part = _part_for_notice(part_id, task_id)
    task = part.task
    if task.command_office_id:
        people = Membership.objects.filter(command_office=task.command_office_id)
    else:
        people = Membership.objects.filter(campaign=task.campaign, role=Role.OFFICE_ADMIN)
    with translation.override(settings.LANGUAGE_CODE):
        notify(
            recipients=[m.person for m in people.select_related("person")],
            subject=_("Awaiting acceptance: %(title)s") % {"title": task.title[:120]},
            body=_("%(unit)s submitted the task “%(title)s” for acceptance.")
            % {"unit": part.unit, "title": task.title},
            url=part.get_absolute_url(),
            event=Notification.Event.TASK_REVIEW,
            campaign=task.campaign,
            dedupe_key=f"task-event:{event_id}",
        )


@handler
def notify_task_decided(*, event_id, accepted, part_id=None, task_id=None):
    """Tell the part's unit leader and liaison that their work was accepted or returned."""
    part = _part_for_notice(part_id, task_id)
    task = part.task
    people = Membership.objects.filter(unit=part.unit_id, role__in=UNIT_ROLES)
    event = TaskEvent.objects.get(pk=event_id)
    with translation.override(settings.LANGUAGE_CODE):
        if accepted:
            subject = _("Accepted: %(title)s") % {"title": task.title[:120]}
            body = _("The command office accepted the task “%(title)s”.") % {"title": task.title}
        else:
            subject = _("Returned: %(title)s") % {"title": task.title[:120]}
            body = _("The command office returned the task “%(title)s”: %(reason)s") % {
                "title": task.title,
                "reason": event.note,
            }
        notify(
            recipients=[m.person for m in people.select_related("person")],
            subject=subject,
            body=body,
            url=part.get_absolute_url(),
            level="info",
            event=Notification.Event.TASK_DECISION,
            campaign=task.campaign,
            dedupe_key=f"task-event:{event_id}",
        )


@handler
def notify_tasks_assigned(*, task_ids, token):
    """Tell each lead unit's leader and liaison about the tasks newly given to it: one
    message per unit, listing the tasks, however many were generated at once."""
    tasks = Task.objects.filter(pk__in=task_ids).select_related("campaign", "lead_unit")
    by_unit = defaultdict(list)
    for task in tasks.order_by("deadline", "pk"):
        by_unit[task.lead_unit].append(task)
    people = _recipients_by_unit([unit.pk for unit in by_unit])
    with translation.override(settings.LANGUAGE_CODE):
        for unit, unit_tasks in by_unit.items():
            first = unit_tasks[0]
            lines = [f"{t.title}（{t.deadline:%Y-%m-%d}）" for t in unit_tasks[:20]]
            if len(unit_tasks) > 20:
                lines.append(_("… and %(n)s more") % {"n": len(unit_tasks) - 20})
            notify(
                recipients=people[unit.pk],
                subject=_("%(n)s new tasks for %(unit)s") % {"n": len(unit_tasks), "unit": unit},
                body="\n".join(lines),
                url=first.get_absolute_url()
                if len(unit_tasks) == 1
                else reverse("tasks:task_mine"),
                event=Notification.Event.TASK_ASSIGNED,
                campaign=first.campaign,
                dedupe_key=f"tasks:assigned:{unit.pk}:{token}",
            )


# --- The daily deadline check -----------------------------------------------------------------


def _recipients_by_unit(unit_ids):
    """Unit id → the unit's leaders and liaisons, in one query."""
    result = defaultdict(list)
    memberships = Membership.objects.filter(
        unit_id__in=unit_ids, role__in=UNIT_ROLES, person__is_active=True
    ).select_related("person")
    for membership in memberships:
        result[membership.unit_id].append(membership.person)
    return result


def check_deadlines(*, today=None):
    """Remind each unit of its overdue parts, near deadlines and missed milestones.

    Writes no state: the lights are derived when read (`TaskPart.objects.with_light`).
    Idempotent: every notice goes to the outbox under a key naming the part (or milestone
    and part) and the deadline, so a second run on the same day, a second beat or a rerun
    after a killed worker sends nothing twice. Returns how many new reminders were queued.
    """
    today = today or timezone.localdate()
    calendar = WorkdayCalendar(today, today + datetime.timedelta(days=60))
    parts = TaskPart.objects.filter(task__campaign__is_active=True).select_related(
        "task__campaign", "unit"
    )
    red = list(parts.filter(overdue_q(today)))
    yellow = list(parts.filter(due_soon_q(today)))
    missed = list(
        Milestone.objects.filter(
            task__campaign__is_active=True, reached_at__isnull=True, date__lt=today
        ).values_list("pk", "task_id", "date", "deliverable", "expected_progress")
    )
    by_task = defaultdict(list)
    for milestone in missed:
        by_task[milestone[1]].append(milestone)
    behind = [
        (part, milestone)
        for part in parts.filter(owed_q(today), task_id__in=list(by_task)).prefetch_related(
            "milestones_reached"
        )
        for milestone in by_task[part.task_id]
        if milestone[0] not in {m.pk for m in part.milestones_reached.all()}
    ]
    people = _recipients_by_unit({p.unit_id for p in red + yellow + [b[0] for b in behind]})
    counts = {"overdue": 0, "warning": 0, "milestones": 0}

    def remind(part, *, key, **notice):
        task = part.task
        with transaction.atomic():
            queued = queue_notice(
                recipients=people.get(part.unit_id, []),
                url=part.get_absolute_url(),
                campaign=task.campaign,
                dedupe_key=key,
                **notice,
            )
        return 1 if queued else 0

    for part in red:
        task = part.task
        counts["overdue"] += remind(
            part,
            key=f"part:{part.pk}:overdue:{task.deadline.isoformat()}",
            subject=_("Overdue task: %(title)s") % {"title": task.title[:120]},
            body=_(
                "The task “%(title)s” led by %(unit)s was due on %(deadline)s and is "
                "%(days)s working days overdue. Report its progress or submit it for acceptance."
            )
            % {
                "title": task.title,
                "unit": part.unit,
                "deadline": task.deadline,
                "days": calendar.working_days_between(task.deadline, today),
            },
            level="overdue",
            event=Notification.Event.OVERDUE,
        )
    for part in yellow:
        task = part.task
        counts["warning"] += remind(
            part,
            key=f"part:{part.pk}:warning:{task.deadline.isoformat()}",
            subject=_("Deadline near: %(title)s") % {"title": task.title[:120]},
            body=_(
                "The task “%(title)s” led by %(unit)s is due on %(deadline)s, in %(days)s "
                "working days. Its progress is %(progress)s %%."
            )
            % {
                "title": task.title,
                "unit": part.unit,
                "deadline": task.deadline,
                "days": calendar.working_days_between(today, task.deadline),
                "progress": part.progress,
            },
            level="warning",
            event=Notification.Event.PROGRESS_REMINDER,
        )
    for part, (milestone_id, _task_id, date, deliverable, expected) in behind:
        task = part.task
        what = deliverable or _("%(p)s %% done") % {"p": expected}
        counts["milestones"] += remind(
            part,
            key=f"milestone:{milestone_id}:part:{part.pk}:overdue:{date.isoformat()}",
            subject=_("Milestone missed: %(title)s") % {"title": task.title[:120]},
            body=_(
                "The task “%(title)s” should have reached “%(what)s” by %(date)s. "
                "Its progress is %(progress)s %%."
            )
            % {"title": task.title, "what": what, "date": date, "progress": part.progress},
            level="overdue",
            event=Notification.Event.PROGRESS_REMINDER,
        )
    return counts


# --- The battle map (挂图作战) ------------------------------------------------------------------


def aggregates(on):
    """The battle map's counts of tasks' parts per group (read from the tasks: `parts__`),
    with the lights of `on` (each light's own rule as a filter, not the light worked out for
    every part and compared)."""
    owed = {"status": "parts__status", "submitted_at": "parts__submitted_at"}
    return {
        "total": Count("parts"),
        "accepted": Count("parts", filter=Q(parts__status=Task.Status.ACCEPTED)),
        "submitted": Count("parts", filter=Q(parts__status=Task.Status.SUBMITTED)),
        "overdue": Count("parts", filter=overdue_q(on, deadline="deadline", **owed)),
        "warning": Count("parts", filter=due_soon_q(on, deadline="deadline", **owed)),
        "progress_avg": Avg("parts__progress"),
    }


@dataclass
class Cell:
    """One cell of the battle map: counts and mean progress of a group of tasks."""

    total: int = 0
    accepted: int = 0
    submitted: int = 0
    overdue: int = 0
    warning: int = 0
    progress_total: float = 0

    def add(self, row):
        self.total += row["total"]
        self.accepted += row["accepted"]
        self.submitted += row["submitted"]
        self.overdue += row["overdue"]
        self.warning += row["warning"]
        self.progress_total += (row["progress_avg"] or 0) * row["total"]

    @property
    def progress(self):
        return round(self.progress_total / self.total) if self.total else 0

    @property
    def colour(self):
        if not self.total:
            return ""
        if self.overdue:
            return "red"
        if self.warning:
            return "yellow"
        if self.accepted == self.total:
            return "green"
        return "blue"


@dataclass
class BattleMap:
    offices: list
    units: list
    items: list
    grid: dict  # (office id or None, unit id) -> Cell
    office_totals: dict
    unit_totals: dict
    by_item: dict  # item id or None -> Cell
    total: Cell

    def rows(self):
        """Rows for the template: (office, [(unit, cell) in column order], row total)."""
        return [
            (office, [(u, self.grid.get((office_id, u.pk), Cell())) for u in self.units], total)
            for office, office_id, total in (
                (o, o.pk if o else None, self.office_totals.get(o.pk if o else None, Cell()))
                for o in self.offices
            )
        ]

    def column_totals(self):
        return [self.unit_totals.get(u.pk, Cell()) for u in self.units]

    def item_rows(self):
        return [(item, self.by_item.get(item.pk if item else None, Cell())) for item in self.items]


def build_battle_map(tasks, *, visible_units):
    """Each unit's parts of `tasks` by command office × unit and by item, from two GROUP BY
    queries: every unit's own state, not its lead unit's. Each starts from `tasks` (one row
    per task: scopes and filters choose tasks through their ids) and joins their parts: from
    the parts, the tasks were read twice, joined and as the set asked for (the office's map
    at city size: 47 → 38 ms and 31 → 26 ms).

    Parts roll up to the nearest column on the part's unit path, so a district's column
    (when its streets are not columns) counts the work of its streets and communities.
    They are grouped by their unit's path cut at the longest column path, which keeps every
    column on it whole, not by unit: the office's map read one group per office and unit
    (6,400 at city size) to fill 69 columns. A part under no column has its unit's own.
    """
    visible = {u.pk: u for u in visible_units}
    counted = aggregates(timezone.localdate())
    with_parts = tasks.order_by().filter(parts__isnull=False)
    columns_by_length = {}
    for unit in visible_units:
        columns_by_length.setdefault(len(unit.path), []).append(unit.path)
    under_a_column = [
        Q(In(Substr("parts__unit__path", 1, length), paths))
        for length, paths in columns_by_length.items()
    ]
    by_office_unit = with_parts.values(
        "command_office",
        cut=Substr("parts__unit__path", 1, max(columns_by_length, default=0)),
        own=(
            Case(When(reduce(or_, under_a_column), then=None), default="parts__unit")
            if under_a_column
            else F("parts__unit")
        ),
    ).annotate(**counted)
    grid, office_totals, unit_totals, columns = {}, {}, {}, {}
    total = Cell()
    for row in by_office_unit:
        # The cut path's whole steps (its last may be cut short): the nearest column on it.
        path_ids = [int(p) for p in row["cut"].split("/")[1:-1]]
        column = row["own"] or next(pk for pk in reversed(path_ids) if pk in visible)
        columns[column] = True
        office = row["command_office"]
        grid.setdefault((office, column), Cell()).add(row)
        office_totals.setdefault(office, Cell()).add(row)
        unit_totals.setdefault(column, Cell()).add(row)
        total.add(row)
    by_item = {}
    for row in with_parts.values("item").annotate(**counted):
        by_item.setdefault(row["item"], Cell()).add(row)

    from campaign.models import CommandOffice

    office_ids = [pk for pk in office_totals if pk is not None]
    offices = list(CommandOffice.objects.filter(pk__in=office_ids).order_by("name"))
    if None in office_totals:
        offices.append(None)
    # The column units in one query (some lead units are outside the person's unit list).
    column_units = sorted(
        Unit.objects.filter(pk__in=list(columns)),
        key=lambda u: (u.kind != Unit.Kind.DISTRICT, u.kind, u.path),
    )
    item_ids = [pk for pk in by_item if pk is not None]
    items = list(IndicatorNode.objects.filter(pk__in=item_ids).order_by("position"))
    if None in by_item:
        items.append(None)
    return BattleMap(
        offices=offices,
        units=column_units,
        items=items,
        grid=grid,
        office_totals=office_totals,
        unit_totals=unit_totals,
        by_item=by_item,
        total=total,
    )


# --- The progress workbook (the office's layout) ----------------------------------------------

PROGRESS_COLUMNS = {
    "number": ["任务编号", "编号"],
    "seq": ["序号"],
    "title": ["任务", "工作任务", "任务名称", "任务内容"],
    "lead_unit": ["牵头单位"],
    "responsible": ["责任单位"],
    "deadline": ["完成时限", "时限"],
    "progress": ["进展", "进展情况", "工作进展", "完成情况"],
    "status": ["状态"],
}
_PERCENT = re.compile(r"^[【\[(（]?\s*(\d{1,3})\s*[%％][】\])）]?\s*[，,。;；:：]?\s*(.*)$", re.S)


def progress_cell(part, latest_text):
    """The 进展 cell as exported: 【80%】 then the latest report, which the import reads back."""
    return f"【{part.progress}%】{latest_text or ''}".strip()


def parse_progress(text):
    """(percentage or None, text) from a 进展 cell such as “【80%】已完成主体施工”."""
    match = _PERCENT.match(text)
    if not match:
        return None, text
    return int(match.group(1)), match.group(2).strip()


@dataclass
class ProgressRow:
    row: int
    part: TaskPart
    progress: int
    text: str
    action: str  # "update" or "unchanged"


@dataclass
class ProgressPlan:
    sheet: str = ""
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    sheets: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def counts(self):
        return {
            "update": sum(r.action == "update" for r in self.rows),
            "unchanged": sum(r.action == "unchanged" for r in self.rows),
        }


def read_progress(data, *, campaign, user, filename=""):
    """Parse an exported task list whose 进展 column the units filled in. Writes nothing.

    Each row is one unit's part: the task is matched by 任务编号 when the column is there,
    else by 任务 (and 牵头单位 when two tasks share a title); the part by 责任单位, or, when
    that is empty, the one part of the task the person reports on. Only a unit's own part
    can change.
    """
    from campaign.access import scope_for

    scope = scope_for(user)
    plan = ProgressPlan()
    try:
        table = locate_table(
            data, fields=PROGRESS_COLUMNS, required={"title", "progress"}, filename=filename
        )
    except WorkbookInvalid as exc:
        plan.errors = exc.errors
        return plan
    plan.sheet, plan.sheets, plan.warnings = table.sheet, table.notes, table.warnings
    tasks = list(
        Task.objects.visible_to(user)
        .filter(campaign=campaign)
        .select_related("campaign", "lead_unit", "command_office")
        .prefetch_related(Prefetch("parts", queryset=TaskPart.objects.select_related("unit")))
    )
    latest = _latest_texts([p.pk for t in tasks for p in t.parts.all()])
    by_pk = {t.pk: t for t in tasks}
    by_title = defaultdict(list)
    for task in tasks:
        by_title[label_key(task.title)].append(task)
    seen = {}
    for number, values in table.rows():

        def error(key, message, row=number):
            plan.errors.append(table.error(row, key, message))

        problems = table.problems(number, values)
        if problems:
            plan.errors.extend(problems)
            continue

        title = table.text(values, "title")
        task = None
        raw_number = table.text(values, "number")
        if raw_number:
            task = by_pk.get(int(raw_number)) if raw_number.isdecimal() else None
            if task is None:
                error("number", _("No task numbered “%(n)s” that you can see.") % {"n": raw_number})
                continue
        elif not title:
            error("title", _("The task is empty."))
            continue
        else:
            candidates = by_title.get(label_key(title), [])
            lead = table.text(values, "lead_unit")
            if len(candidates) > 1 and lead:
                candidates = [
                    t for t in candidates if label_key(t.lead_unit.name) == label_key(lead)
                ]
            if not candidates:
                error("title", _("No task “%(title)s” that you can see.") % {"title": title[:60]})
                continue
            if len(candidates) > 1:
                error(
                    "title",
                    _(
                        "Several tasks are called “%(title)s”: keep the 任务编号 column to tell them apart."
                    )
                    % {"title": title[:60]},
                )
                continue
            task = candidates[0]
        parts = list(task.parts.all())
        unit_name = table.text(values, "responsible")
        if unit_name:
            part = next((p for p in parts if label_key(p.unit.name) == label_key(unit_name)), None)
        else:
            mine = [p for p in parts if TaskPart.RULES["report"].allows(scope, p)]
            part = mine[0] if len(mine) == 1 else (parts[0] if len(parts) == 1 else None)
        if part is None:
            error("responsible", _("Say which unit's part of the task this row reports."))
            continue
        part.task = task
        if part.pk in seen:
            error(
                "title",
                _("This task appears twice (first in row %(row)s).") % {"row": seen[part.pk]},
            )
            continue
        seen[part.pk] = number
        progress, text = parse_progress(table.text(values, "progress"))
        if progress is None:
            progress = part.progress
        if progress > 100:
            error("progress", _("The percentage must be between 0 and 100."))
            continue
        unchanged = progress == part.progress and text == (latest.get(part.pk) or "")
        if unchanged or not text:
            plan.rows.append(ProgressRow(number, part, progress, text, "unchanged"))
            continue
        if not TaskPart.RULES["report"].allows(scope, part):
            error("progress", _("You may not report progress on this task."))
            continue
        if not part.is_open:
            error(
                "progress",
                _("The task is “%(status)s”: its progress cannot change now.")
                % {"status": part.get_status_display()},
            )
            continue
        plan.rows.append(ProgressRow(number, part, progress, text, "update"))
    return plan


def apply_progress(plan, *, actor):
    """Write a plan with no errors as progress updates, all in one transaction."""
    if plan.errors:
        raise WorkbookInvalid(plan.errors)
    rows = [r for r in plan.rows if r.action == "update"]
    with transaction.atomic():
        for row in rows:
            try:
                row.part.report_progress(actor=actor, text=row.text, progress=row.progress)
            except DomainError as exc:
                raise WorkbookInvalid(
                    [RowError(plan.sheet, row.row, None, "；".join(exc.messages))]
                ) from None
    return plan.counts


def _latest_texts(part_ids):
    """Part id → text of its newest progress update, in one query."""
    from .models import ProgressUpdate

    latest = {}
    rows = (
        ProgressUpdate.objects.filter(part_id__in=part_ids)
        .order_by("part_id", "-at", "-pk")
        .values_list("part_id", "text")
    )
    for part_id, text in rows:
        latest.setdefault(part_id, text)
    return latest


# --- The working-day calendar (kept by the office) -------------------------------------------


@transaction.atomic
def save_workday_override(*, actor, campaign, date, is_working_day, name):
    """Enter a holiday on a weekday or a 调休 working day (replacing what that date had)."""
    override, _created = WorkdayOverride.objects.update_or_create(
        date=date, defaults={"is_working_day": is_working_day, "name": name}
    )
    AuditEntry.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=override,
        campaign=campaign,
        summary=_("Working-day calendar: %(date)s %(name)s")
        % {"date": override.date, "name": override.name},
        changes={"is_working_day": override.is_working_day},
    )
    return override


@transaction.atomic
def remove_workday_override(*, actor, campaign, override):
    AuditEntry.record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        obj=override,
        campaign=campaign,
        summary=_("Working-day calendar: removed %(date)s") % {"date": override.date},
    )
    override.delete()


@transaction.atomic
def mark_holiday_year(*, actor, campaign, year, published):
    """Mark a year's holiday schedule as entered (deadlines in it stop carrying a warning)."""
    if published:
        PublishedHolidayYear.objects.get_or_create(
            year=year, defaults={"source": _("entered by the office")}
        )
    else:
        PublishedHolidayYear.objects.filter(year=year).delete()
    AuditEntry.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=campaign,
        campaign=campaign,
        summary=_("Working-day calendar: %(year)s marked as %(state)s")
        % {"year": year, "state": _("published") if published else _("not published")},
    )
