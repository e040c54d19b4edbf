"""Tasks (任务): standards broken into dated work owned by named units.

A task has one part (`TaskPart`, 分工) per unit it names — its lead unit, each responsible
unit and each cooperating unit. Each part moves through a small state machine of its own
(not started → in progress → submitted for acceptance → accepted, or returned to the unit)
with its own progress reports and evidence; the task's status and progress roll up from its
parts. Every move is a model method on `campaign.transitions.transition` and leaves a
`TaskEvent`. Progress reports (`ProgressUpdate`) and their evidence are append-only.
Traffic lights (red/yellow) are derived when read, never stored.
"""

import datetime
import uuid
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.links import pk_url
from campaign.models import (
    AppendOnlyModel,
    Campaign,
    ChoiceLabels,
    CommandOffice,
    IndicatorNode,
    Standard,
    Unit,
)
from campaign.transitions import Change, DomainError, not_possible_message, rule, transition

# --- Traffic lights (红黄灯), derived when read ---------------------------------------------
# One rule for every page, export and count: a part's work is *owed* until it is handed in
# for acceptance; owed work past the task's deadline is red (overdue), owed work due within
# TASK_WARNING_WORKING_DAYS working days (the office's calendar, 调休 included) is yellow.
# Nothing is stored, so no page waits for the nightly job. A task's light is the worst of
# its parts'. The keyword arguments point the lookups at a related row ("task__status").


def warning_until(on):
    """The last deadline that is yellow on `on`: N working days ahead on the calendar."""
    from campaign.workdays import WorkdayCalendar

    calendar = WorkdayCalendar(on, on + datetime.timedelta(days=60))
    return calendar.add_working_days(on, settings.TASK_WARNING_WORKING_DAYS)


def owed_q(on, *, status="status", submitted_at="submitted_at"):
    """Work not handed in by the end of `on`: still open, or submitted only after that day.
    Nothing is handed in after the end of today, so from today on the status alone says it:
    the open parts are read from their own index, not OR-ed with the hand-in times."""
    still_open = Q(**{f"{status}__in": Task.OPEN_STATUSES})
    if on >= timezone.localdate():
        return still_open
    # The day's end as a moment, not each row's timestamp converted to a local date.
    next_day = on + datetime.timedelta(days=1)
    next_day = timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()))
    return still_open | Q(**{f"{submitted_at}__gte": next_day})


def overdue_q(on=None, *, deadline="task__deadline", **owed):
    on = on or timezone.localdate()
    return Q(**{f"{deadline}__lt": on}) & owed_q(on, **owed)


def due_soon_q(on=None, *, deadline="task__deadline", **owed):
    on = on or timezone.localdate()
    window = {f"{deadline}__gte": on, f"{deadline}__lte": warning_until(on)}
    return Q(**window) & owed_q(on, **owed)


def light_expression(overdue, due_soon):
    return Case(
        When(overdue, then=Value("red")),
        When(due_soon, then=Value("yellow")),
        default=Value(""),
        output_field=CharField(),
    )


def counted_ways(*, part="", task="task__"):
    """The parts a person's figures count (dashboard, task list), as `Scope` lookups:
    campaign-wide roles every part; command staff every part of their office's tasks; unit
    people their own units' parts and every part of a task their unit leads. A street
    liaison sees the other streets' parts of a shared task, but counts only their street's.
    From a task, `part="parts__", task=""`."""
    return {
        "campaign": f"{task}campaign",
        "units": [f"{part}unit", f"{task}lead_unit"],
        "command_office": f"{task}command_office",
    }


def counted_q(user, **lookups):
    """`counted_ways` as one condition."""
    from campaign.access import scope_for

    return scope_for(user).q(**counted_ways(**lookups))


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Campaign-wide roles see all; command staff their office's tasks; unit people the
        tasks whose lead, responsible or cooperating unit is theirs or below theirs."""
        from campaign.access import scope_for

        return scope_for(user).filter_pk_in(
            self,
            campaign="campaign",
            units=["lead_unit", "responsible_units", "cooperating_units"],
            command_office="command_office",
        )

    def for_units(self, units):
        """Tasks that involve any of `units` or a unit below them (the "my tasks" page)."""
        from campaign.access import ids_seen

        # By unit id from one indexed subquery, each way through its own index: an OR of
        # path prefixes across three joins hashed every task of the campaign (60 ms at city size).
        below = Unit.objects.filter(
            reduce(or_, [Q(path__startswith=unit.path) for unit in units], Q(pk__in=[]))
        ).values("pk")
        linked = [
            Q(pk__in=ids_seen(Task, Q(**{f"{way}__in": below})))
            for way in ("responsible_units", "cooperating_units")
        ]
        return self.filter(reduce(or_, linked, Q(lead_unit__in=below)))

    def open(self):
        return self.filter(status__in=Task.OPEN_STATUSES)

    def _parts(self, q):
        return Exists(TaskPart.objects.filter(q, task=OuterRef("pk")))

    def overdue(self, on=None):
        """Tasks with at least one overdue part: past their deadline (read on the task's own
        row, not joined again for each part) with a part still owed."""
        on = on or timezone.localdate()
        return self.filter(deadline__lt=on).filter(self._parts(owed_q(on)))

    def count_overdue_parts(self, user, on=None):
        """How many parts of these tasks are overdue, of those `user`'s figures count. Joined
        from the tasks, not parts filtered by a subquery of them (a third less at city size),
        and the parts chosen in the join, not counted with a FILTER over every part of the
        late tasks (half the time again: the office's count at city size, 12 ms → 6 ms)."""
        on = on or timezone.localdate()
        owed = owed_q(on, status="parts__status", submitted_at="parts__submitted_at")
        counted = counted_q(user, part="parts__", task="")
        # One filter() call: the part the conditions choose is the part counted.
        late = self.filter(Q(deadline__lt=on) & owed & counted)
        return late.aggregate(n=Count("parts"))["n"]

    def count_statuses_and_lights(self, on=None, *, until=None):
        """How many of these tasks are in each status (`{status: n}`) and how many are red
        and yellow (`{"red": n, "yellow": n}`), in one query: the light's rule as a filter
        (the parts looked up only for tasks due by the end of the yellow window), not worked
        out task by task in every count. `until` is `warning_until(on)`, when already read."""
        on = on or timezone.localdate()
        lit = Q(deadline__lte=until or warning_until(on)) & Q(self._parts(owed_q(on)))
        counts = self.aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in Task.Status.values},
            red=Count("pk", filter=Q(deadline__lt=on) & lit),
            yellow=Count("pk", filter=Q(deadline__gte=on) & lit),
        )
        lights = {light: counts.pop(light) for light in ("red", "yellow")}
        return counts, lights

    def with_light(self, on=None):
        """Each task with `light` for `on` (default today): the worst light of its parts."""
        return self.annotate(light=self._light(on, red="red", yellow="yellow", other=""))

    def with_urgency(self, on=None, *, until=None):
        """Each task with `urgency`: its light as a rank (`Task.URGENCY_LIGHTS`), to sort by
        without working the light out a second time."""
        return self.annotate(urgency=self._light(on, red=0, yellow=1, other=2, until=until))

    def _light(self, on, *, red, yellow, other, until=None):
        # The same rule as a part's light, with the deadline read on the task's own row and
        # the parts looked up once, only for tasks due by the end of the yellow window.
        on = on or timezone.localdate()
        return Case(
            When(deadline__gt=until or warning_until(on), then=Value(other)),
            When(~self._parts(owed_q(on)), then=Value(other)),
            When(deadline__lt=on, then=Value(red)),
            default=Value(yellow),
        )


def status_colour(status, light):
    """Bootstrap colour of a task's (or part's) status badge: green accepted, red overdue,
    yellow near; for list rows read as values as for model instances."""
    if status == Task.Status.ACCEPTED:
        return "success"
    if light == "red":
        return "danger"
    if light == "yellow":
        return "warning"
    if status == Task.Status.SUBMITTED:
        return "info"
    if status == Task.Status.RETURNED:
        return "secondary"
    return "light"


class Task(ChoiceLabels, models.Model):
    """A piece of work with a lead unit, a deadline and milestones, usually from a standard."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted for acceptance")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    # The only moves a task can make; anything else is refused with a message.
    TRANSITIONS = {
        Status.NOT_STARTED: {Status.IN_PROGRESS, Status.SUBMITTED},
        Status.IN_PROGRESS: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.ACCEPTED, Status.RETURNED},
        Status.RETURNED: {Status.IN_PROGRESS, Status.SUBMITTED},
        Status.ACCEPTED: set(),
    }
    # Statuses in which the unit still owes work (and can be overdue).
    OPEN_STATUSES = [Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED]
    # The light of each `urgency` (TaskQuerySet.with_urgency), most urgent first.
    URGENCY_LIGHTS = ["red", "yellow", ""]

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("Important")
        URGENT = "urgent", _("Urgent")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("campaign")
    )
    standard = models.ForeignKey(
        Standard,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("standard"),
    )
    # The top-level item (测评项目) of the standard, kept here for filters and the battle map.
    item = models.ForeignKey(
        IndicatorNode,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evaluation item"),
    )
    title = models.CharField(_("task"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    command_office = models.ForeignKey(
        CommandOffice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("command office"),
    )
    lead_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="led_tasks", verbose_name=_("lead unit")
    )
    responsible_units = models.ManyToManyField(
        Unit, blank=True, related_name="responsible_tasks", verbose_name=_("responsible units")
    )
    cooperating_units = models.ManyToManyField(
        Unit, blank=True, related_name="cooperating_tasks", verbose_name=_("cooperating units")
    )
    deadline = models.DateField(_("deadline"))
    deadline_working_days = models.PositiveSmallIntegerField(
        _("deadline in working days"),
        null=True,
        blank=True,
        help_text=_("Set when the deadline was given as a number of working days."),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    # Bumped by every change: a form posts the version it showed, a mismatch is a conflict.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "pk"]
        constraints = [
            # Generating tasks from a system twice must not duplicate them.
            models.UniqueConstraint(
                fields=["standard", "lead_unit"],
                condition=Q(standard__isnull=False),
                name="task_standard_lead_unit_unique",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_max_100"),
        ]
        indexes = [
            # The task list's default order (by deadline), read one page at a time; and the
            # late tasks of a campaign, which the dashboard's overdue parts are joined to and
            # grouped by command office (included), read from the index alone.
            models.Index(
                fields=["campaign", "deadline", "id"],
                include=["command_office"],
                name="task_list_order",
            ),
            # The daily job and the overdue filter: open tasks of a campaign by deadline.
            models.Index(fields=["campaign", "status", "deadline"]),
            # The battle map: tasks grouped by command office and lead unit.
            models.Index(fields=["campaign", "command_office", "lead_unit"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return pk_url("tasks:task_detail", self.pk)

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def colour(self):
        """Bootstrap colour of the status badge (`status_colour`), from the `light` that
        `with_light()` annotates."""
        return status_colour(self.status, getattr(self, "light", ""))

    # --- state changes ---------------------------------------------------------------
    # Every method below is built on `campaign.transitions.transition`: lock, version,
    # the rule table `RULES` (who may do what, from which statuses), event row, outbox.

    def conflict_message(self):
        return gettext(
            "Someone else changed this task while you were working on it. "
            "Nothing was saved: look at the latest version below and try again."
        )

    def not_possible_message(self, action):
        if action in ("report", "submit"):
            return gettext(
                "This task is “%(status)s”: progress can be reported again only after "
                "the command office returns it."
            ) % {"status": self.get_status_display()}
        return not_possible_message(self.get_status_display(), self.RULES[action].label)

    def record_event(self, *, actor, action, from_status, to_status, note, data):
        return TaskEvent.objects.create(
            task=self,
            actor=actor,
            kind=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
            data=data,
        )

    @classmethod
    def rolled_up(cls, parts):
        """The task's status, progress and dates from its parts (anything with a part's
        role, status, progress, submitted_at and accepted_at), with the parts that answer for
        it (lead and responsible units; cooperating parts never hold it up). Accepted when
        every one of those is accepted, submitted when each is submitted or accepted."""
        required = [p for p in parts if p.role != TaskPart.Role.COOPERATING] or parts
        statuses = {p.status for p in required}
        if statuses == {cls.Status.ACCEPTED}:
            status = cls.Status.ACCEPTED
        elif statuses <= {cls.Status.SUBMITTED, cls.Status.ACCEPTED}:
            status = cls.Status.SUBMITTED
        elif statuses == {cls.Status.NOT_STARTED}:
            status = cls.Status.NOT_STARTED
        else:
            status = cls.Status.IN_PROGRESS
        handed_in = [p.submitted_at for p in required if p.submitted_at]
        accepted = [p.accepted_at for p in required if p.accepted_at]
        fields = {
            "status": status,
            "progress": round(sum(p.progress for p in required) / len(required)) if required else 0,
            "submitted_at": (
                max(handed_in)
                if status != cls.Status.NOT_STARTED and len(handed_in) == len(required)
                else None
            ),
            "accepted_at": max(accepted) if status == cls.Status.ACCEPTED else None,
        }
        return fields, required

    def roll_up(self):
        """Set the task's status, progress and dates from its parts (`rolled_up`; call it in
        the part's transaction, with the task row locked)."""
        fields, required = self.rolled_up(list(self.parts.all()))
        for field, value in fields.items():
            setattr(self, field, value)
        self.save(update_fields=list(fields))
        # A milestone is reached by the task when every part that answers for it reached it.
        for milestone in self.milestones.filter(reached_at__isnull=True):
            if all(milestone in p.milestones_reached.all() for p in required):
                milestone.reached_at = timezone.now()
                milestone.save(update_fields=["reached_at"])

    def sync_parts(self):
        """One part per unit the task names. A unit taken off the task loses its part only
        while that part is untouched (never reported on): history is never deleted."""
        roles = {u.pk: TaskPart.Role.COOPERATING for u in self.cooperating_units.all()}
        roles.update({u.pk: TaskPart.Role.RESPONSIBLE for u in self.responsible_units.all()})
        roles[self.lead_unit_id] = TaskPart.Role.LEAD
        existing = {p.unit_id: p for p in self.parts.all()}
        for unit_id, role in roles.items():
            part = existing.get(unit_id)
            if part is None:
                TaskPart.objects.create(task=self, unit_id=unit_id, role=role)
            elif part.role != role:
                part.role = role
                part.save(update_fields=["role"])
        gone = [p.pk for unit_id, p in existing.items() if unit_id not in roles]
        TaskPart.objects.filter(
            pk__in=gone, status=self.Status.NOT_STARTED, updates__isnull=True
        ).delete()

    def change_assignment(
        self, *, actor, lead_unit, responsible_units=None, note="", expected_version=None
    ):
        """Hand the task to another lead unit (and, if given, other responsible units)."""
        data = {}

        def check(locked):
            if lead_unit.campaign_id != locked.campaign_id:
                raise DomainError(gettext("That unit belongs to another campaign."), code="unit")

        def apply(locked):
            before = {
                "lead_unit": str(locked.lead_unit),
                "responsible_units": [str(u) for u in locked.responsible_units.all()],
            }
            locked.lead_unit = lead_unit
            if responsible_units is not None:
                locked.responsible_units.set(responsible_units)
            locked.sync_parts()
            after = {
                "lead_unit": str(lead_unit),
                "responsible_units": [str(u) for u in locked.responsible_units.all()],
            }
            data.update(before=before, after=after)
            effects = []
            if before["lead_unit"] != after["lead_unit"]:
                effects.append(assignment_notice([locked.pk]))
            return Change(["lead_unit"], effects)

        transition(
            self,
            "reassign",
            actor=actor,
            expected_version=expected_version,
            note=note,
            check=check,
            apply=apply,
            data=data,
            event_kind=TaskEvent.Kind.REASSIGNED,
        )
        return self

    def change_deadline(
        self, *, actor, deadline, working_days=None, note="", expected_version=None
    ):
        """Move the deadline; the lights follow at once (they are derived from it)."""
        data = {}

        def apply(locked):
            data.update(before=locked.deadline.isoformat(), after=deadline.isoformat())
            locked.deadline = deadline
            locked.deadline_working_days = working_days
            return ["deadline", "deadline_working_days"]

        transition(
            self,
            "deadline",
            actor=actor,
            expected_version=expected_version,
            note=note,
            apply=apply,
            data=data,
            event_kind=TaskEvent.Kind.DEADLINE,
        )
        return self

    def record_edit(self, *, actor, changed, expected_version=None):
        """Record an edit of the task's text or units the office is saving (call it in the
        same transaction, before saving the form): one event, version check and bump."""
        transition(
            self,
            "edit",
            actor=actor,
            expected_version=expected_version,
            data={"fields": changed},
            event_kind=TaskEvent.Kind.EDITED,
        )
        return self


def assignment_notice(task_ids):
    """The outbox effect telling each lead unit about the tasks newly given to it."""
    token = uuid.uuid4().hex
    return (
        "tasks.services.notify_tasks_assigned",
        f"tasks-assigned:{token}",
        {"task_ids": list(task_ids), "token": token},
    )


def _can_manage(scope, task):
    """Office staff, and the staff of the task's command office, edit, reassign and accept."""
    if scope.is_office_admin(task.campaign):
        return True
    return task.command_office_id is not None and scope.is_command_staff(task.command_office)


_ALL = list(Task.Status)
_manage_denied = _("Only the creation office or the task's command office can do this.")
# Who may do what to a task, from which statuses: the buttons on the task's page, the
# views' permission checks and the methods above all read this table. Reporting and
# acceptance are per unit: see `TaskPart.RULES`.
Task.RULES = {
    "reassign": rule(_ALL, _can_manage, _manage_denied, label=_("Reassign")),
    "deadline": rule(_ALL, _can_manage, _manage_denied, label=_("Change deadline")),
    "edit": rule(_ALL, _can_manage, _manage_denied, label=_("Edit")),
}


class TaskPartQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The parts of the tasks the person sees: the lead unit sees everyone's part."""
        return self.filter(task__in=Task.objects.visible_to(user))

    def counted_for(self, user):
        """The parts `user`'s figures count (`counted_ways`): a unit person's are gathered as ids,
        their units' parts and the parts of the tasks their units lead, each from its own
        index (`Scope.filter_pk_in`)."""
        from campaign.access import scope_for

        return scope_for(user).filter_pk_in(self, **counted_ways())

    def overdue(self, on=None):
        return self.filter(overdue_q(on))

    def in_order(self):
        """Lead unit first, then responsible, then cooperating units, each by the unit tree."""
        rank = Case(
            *[When(role=r, then=Value(i)) for i, r in enumerate(TaskPart.Role.values)],
            output_field=models.IntegerField(),
        )
        return self.alias(role_rank=rank).order_by("task_id", "role_rank", "unit__path")

    def with_light(self, on=None):
        """Each part with `light` ("red", "yellow" or "") for `on`, default today."""
        on = on or timezone.localdate()
        return self.annotate(light=light_expression(overdue_q(on), due_soon_q(on)))


class TaskPart(ChoiceLabels, models.Model):
    """One unit's part of a task (分工): its own progress, evidence, milestones reached,
    submission and acceptance by the command office. Everything that counts tasks counts
    these."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit")
        RESPONSIBLE = "responsible", _("Responsible unit")
        COOPERATING = "cooperating", _("Cooperating unit")

    Status = Task.Status
    TRANSITIONS = Task.TRANSITIONS
    OPEN_STATUSES = Task.OPEN_STATUSES

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="parts", verbose_name=_("task")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="task_parts", verbose_name=_("unit")
    )
    role = models.CharField(_("role in the task"), max_length=12, choices=Role.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    milestones_reached = models.ManyToManyField(
        "Milestone", blank=True, related_name="reached_by", verbose_name=_("milestones reached")
    )
    # Bumped by every change: a form posts the version it showed, a mismatch is a conflict.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    # The task's campaign and deadline, copied onto each of its parts by the database as the
    # part or the task is written (`tasks.copies`), whatever writes them: the count of a
    # campaign's overdue parts reads one index of the parts, not every late task of the
    # campaign hashed to find theirs (the office's task list at city size: 9.3 ms → 0.7).
    # Read in queries only: an instance keeps what it was made with.
    task_campaign = models.ForeignKey(
        Campaign,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        editable=False,
        related_name="+",
    )
    task_deadline = models.DateField(null=True, editable=False)

    objects = TaskPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("task part")
        verbose_name_plural = _("task parts")
        ordering = ["task", "role", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit"], name="task_part_one_per_unit"),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="task_part_progress_max_100"
            ),
        ]
        indexes = [
            # Rankings, the bulletin and the battle map: a unit's parts by status.
            models.Index(fields=["unit", "status"]),
            # What is owed (`owed_q`): the parts still open, few beside those handed in over
            # the years, and those handed in after a given day, each from its own index.
            # Today's count reads the open parts from theirs alone: it holds what the count
            # reads of a part (its task, and the part and unit counted).
            models.Index(
                fields=["task"],
                include=["id", "unit"],
                condition=Q(status__in=Task.OPEN_STATUSES),
                name="task_part_owed",
            ),
            models.Index(fields=["submitted_at"], name="task_part_submitted"),
            # A campaign's overdue parts today (`TaskFilter.count_overdue_parts`): the open
            # parts by their task's campaign and deadline.
            models.Index(
                fields=["task_campaign", "task_deadline"],
                condition=Q(status__in=Task.OPEN_STATUSES),
                name="task_part_late",
            ),
        ]

    def __str__(self):
        return f"{self.task} · {self.unit}"

    def get_absolute_url(self):
        return f"{self.task.get_absolute_url()}#part-{self.pk}"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    colour = Task.colour

    # --- state changes (on `campaign.transitions.transition`) ---------------------------

    def conflict_message(self):
        return gettext(
            "Someone else changed this part of the task while you were working on it. "
            "Nothing was saved: look at the latest version below and try again."
        )

    def not_possible_message(self, action):
        if action in ("report", "submit"):
            return gettext(
                "This part is “%(status)s”: progress can be reported again only after "
                "the command office returns it."
            ) % {"status": self.get_status_display()}
        return not_possible_message(self.get_status_display(), self.RULES[action].label)

    def record_event(self, *, actor, action, from_status, to_status, note, data):
        return TaskEvent.objects.create(
            task_id=self.task_id,
            part=self,
            actor=actor,
            kind=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
            data=data,
        )

    def _roll_up_task(self):
        # The task row is locked after the part's: two units handing in at once roll up in turn.
        task = Task.objects.select_for_update().get(pk=self.task_id)
        task.roll_up()

    def report_progress(
        self,
        *,
        actor,
        text,
        progress,
        photos=(),
        documents=(),
        milestones=(),
        submit=False,
        expected_version=None,
    ):
        """The unit reports progress on its part (text, %, evidence); optionally submits it.

        Records an append-only `ProgressUpdate` with its evidence, marks reached the
        milestones the new percentage meets and those the unit ticked, and rolls the task up.
        """
        updates = []
        data = {}

        def check(locked):
            nonlocal progress
            if progress is None:
                progress = locked.progress
            if not 0 <= progress <= 100:
                raise DomainError(gettext("Progress must be between 0 and 100 %."), code="range")
            if submit and progress < 100:
                raise DomainError(
                    gettext("Set the progress to 100 % before submitting the task for acceptance."),
                    code="incomplete",
                )

        def apply(locked):
            update = ProgressUpdate.objects.create(
                task_id=locked.task_id,
                part=locked,
                author=actor,
                text=text,
                progress=progress,
                progress_before=locked.progress,
                submitted=submit,
            )
            updates.append(update)
            for photo in photos:
                TaskEvidence.objects.create(
                    update=update,
                    kind=TaskEvidence.Kind.PHOTO,
                    file=photo.image,
                    thumbnail=photo.thumbnail,
                    original_name=photo.image.name[:200],
                    taken_at=photo.taken_at,
                    width=photo.width,
                    height=photo.height,
                )
            for document in documents:
                TaskEvidence.objects.create(
                    update=update,
                    kind=TaskEvidence.Kind.DOCUMENT,
                    file=document,
                    original_name=document.name[:200],
                )
            fields = ["progress"]
            locked.progress = progress
            if submit:
                locked.submitted_at = timezone.now()
                fields.append("submitted_at")
            reached = Q(expected_progress__lte=progress) | Q(pk__in=[m.pk for m in milestones])
            locked.milestones_reached.add(*Milestone.objects.filter(reached, task=locked.task_id))
            data["progress"] = [update.progress_before, progress]
            data["update"] = update.pk
            effects = []
            if submit:
                effects.append(
                    (
                        "tasks.services.notify_task_submitted",
                        "task-event:{event}",
                        {"part_id": locked.pk},
                    )
                )
            return Change(fields, effects)

        transition(
            self,
            "submit" if submit else "report",
            actor=actor,
            to=self.Status.SUBMITTED if submit else self.Status.IN_PROGRESS,
            expected_version=expected_version,
            note=text,
            check=check,
            apply=self._then_roll_up(
                apply, self.Status.SUBMITTED if submit else self.Status.IN_PROGRESS
            ),
            data=data,
            event_kind=TaskEvent.Kind.SUBMITTED if submit else TaskEvent.Kind.PROGRESS,
        )
        return updates[0]

    def _then_roll_up(self, apply, to):
        """Wrap `apply` so the task rolls up from the part's new state in the same transaction."""

        def wrapped(locked):
            change = apply(locked)
            locked.status = to
            fields = change.fields if isinstance(change, Change) else list(change or [])
            locked.save(update_fields=[*fields, "status"])
            locked._roll_up_task()
            return change

        return wrapped

    def accept(self, *, actor, note="", expected_version=None):
        """The command office accepts this unit's part (验收通过)."""

        def apply(locked):
            locked.accepted_at = timezone.now()
            return Change(["accepted_at"], [self._decided_notice(accepted=True)])

        transition(
            self,
            "accept",
            actor=actor,
            to=self.Status.ACCEPTED,
            expected_version=expected_version,
            note=note,
            apply=self._then_roll_up(apply, self.Status.ACCEPTED),
            event_kind=TaskEvent.Kind.ACCEPTED,
        )
        return self

    def return_to_unit(self, *, actor, reason, expected_version=None):
        """The command office returns this unit's part with a reason (退回): it must redo it."""
        if not (reason or "").strip():
            raise DomainError(gettext("Say why the task is returned."), code="reason")

        def apply(locked):
            locked.submitted_at = None
            return Change(["submitted_at"], [self._decided_notice(accepted=False)])

        transition(
            self,
            "return",
            actor=actor,
            to=self.Status.RETURNED,
            expected_version=expected_version,
            note=reason,
            apply=self._then_roll_up(apply, self.Status.RETURNED),
            event_kind=TaskEvent.Kind.RETURNED,
        )
        return self

    def _decided_notice(self, *, accepted):
        return (
            "tasks.services.notify_task_decided",
            "task-event:{event}",
            {"part_id": self.pk, "accepted": accepted},
        )


def _reports_for_part(scope, part):
    """Only the part's own unit reports on it: not a unit above, not another unit of the task."""
    if scope.is_read_only(part.task.campaign):
        return False
    return any(unit.pk == part.unit_id for unit in scope.units)


def _manages_part(scope, part):
    return _can_manage(scope, part.task)


_report_denied = _("Only the unit itself reports progress on its part of the task.")
# Who may do what to a part, from which statuses (the page's buttons read this too).
TaskPart.RULES = {
    "report": rule(
        Task.OPEN_STATUSES, _reports_for_part, _report_denied, label=_("Report progress")
    ),
    "submit": rule(Task.OPEN_STATUSES, _reports_for_part, _report_denied, label=_("Submit")),
    "accept": rule([Task.Status.SUBMITTED], _manages_part, _manage_denied, label=_("Accept")),
    "return": rule([Task.Status.SUBMITTED], _manages_part, _manage_denied, label=_("Return")),
}


class Milestone(models.Model):
    """A dated step of a task (序时进度节点): progress expected by then, or a deliverable."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("task")
    )
    date = models.DateField(_("date"))
    expected_progress = models.PositiveSmallIntegerField(
        _("expected progress (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    deliverable = models.CharField(_("deliverable"), max_length=300, blank=True)
    # Set when every part that answers for the task reached it (see `Task.roll_up`).
    reached_at = models.DateTimeField(_("reached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["task", "date"]
        indexes = [
            # The daily job: milestones not reached whose date has passed.
            models.Index(fields=["date", "reached_at"]),
        ]

    def __str__(self):
        return f"{self.date} {self.deliverable or (self.expected_progress or '')}"

    @property
    def is_missed(self):
        """Not reached and its date has passed (derived, like a task's light)."""
        return self.reached_at is None and self.date < timezone.localdate()

    def clean(self):
        if self.expected_progress is None and not self.deliverable:
            raise ValidationError(
                _("Give the progress expected by this date, or the deliverable, or both.")
            )


class TaskEvent(AppendOnlyModel):
    """One line of a task's history: who did what and when, with the status before and after."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        PROGRESS = "progress", _("Progress reported")
        SUBMITTED = "submitted", _("Submitted for acceptance")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")
        REASSIGNED = "reassigned", _("Reassigned")
        DEADLINE = "deadline", _("Deadline changed")
        EDITED = "edited", _("Edited")
        WARNING = "warning", _("Deadline near")
        OVERDUE = "overdue", _("Overdue")
        MILESTONE_OVERDUE = "milestone_overdue", _("Milestone missed")

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="events")
    # The unit's part the event is about; empty for the task as a whole.
    part = models.ForeignKey(
        TaskPart, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=12, choices=Task.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Task.Status.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["at", "pk"]
        indexes = [
            # The history on a task's page.
            models.Index(fields=["task", "at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class ProgressUpdate(AppendOnlyModel):
    """A progress report by the unit: text, percentage and evidence. Never edited afterwards."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="updates")
    part = models.ForeignKey(TaskPart, on_delete=models.PROTECT, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField(_("progress"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    progress_before = models.PositiveSmallIntegerField(default=0)
    submitted = models.BooleanField(_("submitted for acceptance"), default=False)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-at", "-pk"]
        indexes = [
            # The progress list on a task's page, newest first.
            models.Index(fields=["task", "at"]),
        ]

    def __str__(self):
        return f"{self.task} {self.progress}%"


def evidence_path(instance, filename):
    return f"tasks/evidence/{timezone.now():%Y/%m}/{filename}"


def thumbnail_path(instance, filename):
    return f"tasks/evidence/{timezone.now():%Y/%m}/thumbs/{filename}"


class TaskEvidence(AppendOnlyModel):
    """A photo (resized, with a thumbnail) or document attached to a progress update.

    Stored as private media and served only through `tasks:evidence_file`.
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")

    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=evidence_path, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=255, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["update", "pk"]

    def __str__(self):
        return self.original_name or self.file.name
