"""Tasks (任务): standards broken into dated work owned by named units.

A task moves through a small state machine (not started → in progress → submitted for
acceptance → accepted, or returned to the unit); every move is a model method of the
house shape and leaves a `TaskEvent`. Progress reports (`ProgressUpdate`) and their
evidence are append-only. `Task.version` detects two people editing at once.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.models import (
    AppendOnlyModel,
    Campaign,
    CommandOffice,
    IndicatorNode,
    Standard,
    Unit,
)
from campaign.transitions import Change, DomainError, not_possible_message, rule, transition


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
        q = Q(pk__in=[])
        for unit in units:
            for lookup in ("lead_unit", "responsible_units", "cooperating_units"):
                q |= Q(**{f"{lookup}__path__startswith": unit.path})
        return self.filter(pk__in=Task.objects.filter(q).values("pk"))

    def open(self):
        return self.filter(status__in=Task.OPEN_STATUSES)

    def overdue(self, on=None):
        on = on or timezone.localdate()
        return self.open().filter(deadline__lt=on)


class Task(models.Model):
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

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("Important")
        URGENT = "urgent", _("Urgent")

    class Flag(models.TextChoices):
        NONE = "", _("On schedule")
        YELLOW = "yellow", _("Deadline near (yellow)")
        RED = "red", _("Overdue (red)")

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
    flag = models.CharField(_("alert"), max_length=6, choices=Flag.choices, blank=True, default="")
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
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
            # The task list's default order (by deadline), read one page at a time.
            models.Index(fields=["campaign", "deadline", "id"], name="task_list_order"),
            # The daily job and the overdue filter: open tasks of a campaign by deadline.
            models.Index(fields=["campaign", "status", "deadline"]),
            # The battle map: tasks grouped by command office and lead unit.
            models.Index(fields=["campaign", "command_office", "lead_unit"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("tasks:task_detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    @property
    def colour(self):
        """Bootstrap colour of the status badge: green accepted, red overdue, yellow near."""
        if self.status == self.Status.ACCEPTED:
            return "success"
        if self.flag == self.Flag.RED:
            return "danger"
        if self.flag == self.Flag.YELLOW:
            return "warning"
        if self.status == self.Status.SUBMITTED:
            return "info"
        if self.status == self.Status.RETURNED:
            return "secondary"
        return "light"

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
        """The unit reports progress (text, %, evidence); optionally submits for acceptance.

        Starts a task that had not started, records an append-only `ProgressUpdate` with
        its evidence, and marks reached the milestones the new percentage meets and those
        the unit ticked (deliverables). A missed milestone keeps its overdue date.
        """
        updates = []

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
                task=locked,
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
            locked.milestones.filter(reached, reached_at__isnull=True).update(
                reached_at=timezone.now()
            )
            data["progress"] = [update.progress_before, progress]
            data["update"] = update.pk
            effects = []
            if submit:
                effects.append(
                    (
                        "tasks.services.notify_task_submitted",
                        "task-event:{event}",
                        {"task_id": locked.pk},
                    )
                )
            return Change(fields, effects)

        data = {}
        transition(
            self,
            "submit" if submit else "report",
            actor=actor,
            to=self.Status.SUBMITTED if submit else self.Status.IN_PROGRESS,
            expected_version=expected_version,
            note=text,
            check=check,
            apply=apply,
            data=data,
            event_kind=TaskEvent.Kind.SUBMITTED if submit else TaskEvent.Kind.PROGRESS,
        )
        return updates[0]

    def accept(self, *, actor, note="", expected_version=None):
        """The command office accepts the work (验收通过): the task is done."""

        def apply(locked):
            locked.accepted_at = timezone.now()
            locked.flag = self.Flag.NONE
            return Change(["accepted_at", "flag"], [self._decided_notice(accepted=True)])

        transition(
            self,
            "accept",
            actor=actor,
            to=self.Status.ACCEPTED,
            expected_version=expected_version,
            note=note,
            apply=apply,
            event_kind=TaskEvent.Kind.ACCEPTED,
        )
        return self

    def return_to_unit(self, *, actor, reason, expected_version=None):
        """The command office returns the work with a reason (退回): the unit must redo it."""
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
            apply=apply,
            event_kind=TaskEvent.Kind.RETURNED,
        )
        return self

    def _decided_notice(self, *, accepted):
        return (
            "tasks.services.notify_task_decided",
            "task-event:{event}",
            {"task_id": self.pk, "accepted": accepted},
        )

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
        """Move the deadline. The alert is cleared: the next daily check sets it again for
        the new date, with a reminder of its own."""
        data = {}

        def apply(locked):
            data.update(before=locked.deadline.isoformat(), after=deadline.isoformat())
            locked.deadline = deadline
            locked.deadline_working_days = working_days
            locked.flag = self.Flag.NONE
            locked.overdue_since = None
            return ["deadline", "deadline_working_days", "flag", "overdue_since"]

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


def _can_report(scope, task):
    """People of the lead or a responsible unit (or a unit above it) report progress."""
    if scope.is_read_only(task.campaign):
        return False
    units = [task.lead_unit, *task.responsible_units.all()]
    return any(scope.acts_for_unit(unit) for unit in units) or _can_manage(scope, task)


_ALL = list(Task.Status)
_report_denied = _("Only the task's units (or a unit above them) report its progress.")
_manage_denied = _("Only the creation office or the task's command office can do this.")
# Who may do what to a task, from which statuses: the buttons on the task's page, the
# views' permission checks and the methods above all read this table.
Task.RULES = {
    "report": rule(Task.OPEN_STATUSES, _can_report, _report_denied, label=_("Report progress")),
    "submit": rule(Task.OPEN_STATUSES, _can_report, _report_denied, label=_("Submit")),
    "accept": rule([Task.Status.SUBMITTED], _can_manage, _manage_denied, label=_("Accept")),
    "return": rule([Task.Status.SUBMITTED], _can_manage, _manage_denied, label=_("Return")),
    "reassign": rule(_ALL, _can_manage, _manage_denied, label=_("Reassign")),
    "deadline": rule(_ALL, _can_manage, _manage_denied, label=_("Change deadline")),
    "edit": rule(_ALL, _can_manage, _manage_denied, label=_("Edit")),
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
    reached_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)

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
