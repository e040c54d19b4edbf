"""Tasks (任务): standards broken into dated work owned by named units.

A task moves through a small state machine (not started → in progress → submitted for
acceptance → accepted, or returned to the unit); every move is a model method of the
house shape and leaves a `TaskEvent`. Progress reports (`ProgressUpdate`) and their
evidence are append-only. `Task.version` detects two people editing at once.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.db.models import Case, CharField, Q, Value, When
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


class TaskError(ValidationError):
    """A move the task's rules forbid; the message is shown to the person as it is."""


class TaskConflict(TaskError):
    """Someone else changed the task after this person opened it."""


# --- Traffic lights (红黄灯), derived when read ---------------------------------------------
# One rule for every page, export and count: work is *owed* until it is handed in for
# acceptance; owed work past its deadline is red (overdue), owed work due within
# TASK_WARNING_WORKING_DAYS working days (the office's calendar, 调休 included) is yellow.
# Nothing is stored, so no page waits for the nightly job. `prefix` points the lookups at a
# related row's fields ("task__" from a per-unit part).


def warning_until(on):
    """The last deadline that is yellow on `on`: N working days ahead on the calendar."""
    from campaign.workdays import WorkdayCalendar

    calendar = WorkdayCalendar(on, on + datetime.timedelta(days=60))
    return calendar.add_working_days(on, settings.TASK_WARNING_WORKING_DAYS)


def owed_q(on, *, status="status", submitted_at="submitted_at"):
    """Work not handed in by the end of `on`: still open, or submitted only after that day."""
    return Q(**{f"{status}__in": Task.OPEN_STATUSES}) | Q(**{f"{submitted_at}__date__gt": on})


def overdue_q(on=None, *, deadline="deadline", **owed):
    on = on or timezone.localdate()
    return Q(**{f"{deadline}__lt": on}) & owed_q(on, **owed)


def due_soon_q(on=None, *, deadline="deadline", **owed):
    on = on or timezone.localdate()
    window = {f"{deadline}__gte": on, f"{deadline}__lte": warning_until(on)}
    return Q(**window) & owed_q(on, **owed)


def light_expression(on=None, **lookups):
    """SQL for the light on `on` (default today): "red", "yellow" or ""."""
    on = on or timezone.localdate()
    return Case(
        When(overdue_q(on, **lookups), then=Value("red")),
        When(due_soon_q(on, **lookups), then=Value("yellow")),
        default=Value(""),
        output_field=CharField(),
    )


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
        return self.filter(overdue_q(on))

    def with_light(self, on=None):
        """Each task with `light` ("red", "yellow" or "") for `on`, default today."""
        return self.annotate(light=light_expression(on))


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
        """Bootstrap colour of the status badge: green accepted, red overdue, yellow near.

        Reads the `light` that `with_light()` annotates."""
        light = getattr(self, "light", "")
        if self.status == self.Status.ACCEPTED:
            return "success"
        if light == "red":
            return "danger"
        if light == "yellow":
            return "warning"
        if self.status == self.Status.SUBMITTED:
            return "info"
        if self.status == self.Status.RETURNED:
            return "secondary"
        return "light"

    # --- state changes ---------------------------------------------------------------
    def _locked(self, expected_version):
        """Re-read this task under a row lock and check nobody changed it meanwhile."""
        locked = Task.objects.select_for_update().get(pk=self.pk)
        if expected_version is not None and int(expected_version) != locked.version:
            raise TaskConflict(
                gettext(
                    "Someone else changed this task while you were working on it. "
                    "Nothing was saved: look at the latest version below and try again."
                ),
                code="conflict",
            )
        return locked

    def _check_move(self, locked, to):
        if to not in self.TRANSITIONS[locked.status]:
            raise TaskError(
                gettext("A task that is “%(from)s” cannot become “%(to)s”.")
                % {"from": locked.get_status_display(), "to": self.Status(to).label},
                code="transition",
            )

    def _finish(self, locked, fields, *, actor, kind, from_status, note="", data=None):
        locked.version += 1
        locked.save(update_fields=[*fields, "version", "updated_at"])
        TaskEvent.objects.create(
            task=locked,
            actor=actor,
            kind=kind,
            from_status=from_status,
            to_status=locked.status,
            note=note,
            data=data or {},
        )
        # Keep the caller's object current, so a page can show the new state.
        for field in [*fields, "version"]:
            setattr(self, field, getattr(locked, field))
        return locked

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
        from .jobs import notify_task_submitted

        with transaction.atomic():
            locked = self._locked(expected_version)
            if locked.status not in self.OPEN_STATUSES:
                raise TaskError(
                    gettext(
                        "This task is “%(status)s”: progress can be reported again only after "
                        "the command office returns it."
                    )
                    % {"status": locked.get_status_display()},
                    code="closed",
                )
            if progress is None:
                progress = locked.progress
            if not 0 <= progress <= 100:
                raise TaskError(gettext("Progress must be between 0 and 100 %."), code="range")
            target = self.Status.SUBMITTED if submit else self.Status.IN_PROGRESS
            if submit and progress < 100:
                raise TaskError(
                    gettext("Set the progress to 100 % before submitting the task for acceptance."),
                    code="incomplete",
                )
            from_status = locked.status
            if target != from_status:
                self._check_move(locked, target)
            update = ProgressUpdate.objects.create(
                task=locked,
                author=actor,
                text=text,
                progress=progress,
                progress_before=locked.progress,
                submitted=submit,
            )
            for photo in photos:
                Evidence.objects.create(
                    update=update,
                    kind=Evidence.Kind.PHOTO,
                    file=photo.image,
                    thumbnail=photo.thumbnail,
                    original_name=photo.image.name[:200],
                    taken_at=photo.taken_at,
                    width=photo.width,
                    height=photo.height,
                )
            for document in documents:
                Evidence.objects.create(
                    update=update,
                    kind=Evidence.Kind.DOCUMENT,
                    file=document,
                    original_name=document.name[:200],
                )
            fields = ["status", "progress"]
            locked.status, locked.progress = target, progress
            if submit:
                locked.submitted_at = timezone.now()
                fields.append("submitted_at")
            reached = Q(expected_progress__lte=progress) | Q(pk__in=[m.pk for m in milestones])
            locked.milestones.filter(reached, reached_at__isnull=True).update(
                reached_at=timezone.now()
            )
            self._finish(
                locked,
                fields,
                actor=actor,
                kind=TaskEvent.Kind.SUBMITTED if submit else TaskEvent.Kind.PROGRESS,
                from_status=from_status,
                note=text,
                data={"progress": [update.progress_before, progress], "update": update.pk},
            )
            if submit:
                notify_task_submitted.delay_on_commit(locked.pk)
        return update

    def accept(self, *, actor, note="", expected_version=None):
        """The command office accepts the work (验收通过): the task is done."""
        from .jobs import notify_task_decided

        with transaction.atomic():
            locked = self._locked(expected_version)
            self._check_move(locked, self.Status.ACCEPTED)
            from_status = locked.status
            locked.status = self.Status.ACCEPTED
            locked.accepted_at = timezone.now()
            self._finish(
                locked,
                ["status", "accepted_at"],
                actor=actor,
                kind=TaskEvent.Kind.ACCEPTED,
                from_status=from_status,
                note=note,
            )
            notify_task_decided.delay_on_commit(locked.pk, accepted=True)
        return locked

    def return_to_unit(self, *, actor, reason, expected_version=None):
        """The command office returns the work with a reason (退回): the unit must redo it."""
        from .jobs import notify_task_decided

        if not (reason or "").strip():
            raise TaskError(gettext("Say why the task is returned."), code="reason")
        with transaction.atomic():
            locked = self._locked(expected_version)
            self._check_move(locked, self.Status.RETURNED)
            from_status = locked.status
            locked.status = self.Status.RETURNED
            locked.submitted_at = None
            self._finish(
                locked,
                ["status", "submitted_at"],
                actor=actor,
                kind=TaskEvent.Kind.RETURNED,
                from_status=from_status,
                note=reason,
            )
            notify_task_decided.delay_on_commit(locked.pk, accepted=False)
        return locked

    def change_assignment(
        self, *, actor, lead_unit, responsible_units=None, note="", expected_version=None
    ):
        """Hand the task to another lead unit (and, if given, other responsible units)."""
        from .jobs import queue_assignment_notice

        with transaction.atomic():
            locked = self._locked(expected_version)
            if lead_unit.campaign_id != locked.campaign_id:
                raise TaskError(gettext("That unit belongs to another campaign."), code="unit")
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
            if before["lead_unit"] != after["lead_unit"]:
                queue_assignment_notice([locked.pk])
            self._finish(
                locked,
                ["lead_unit"],
                actor=actor,
                kind=TaskEvent.Kind.REASSIGNED,
                from_status=locked.status,
                note=note,
                data={"before": before, "after": after},
            )
        return locked

    def change_deadline(
        self, *, actor, deadline, working_days=None, note="", expected_version=None
    ):
        """Move the deadline; the lights follow at once (they are derived from it)."""
        with transaction.atomic():
            locked = self._locked(expected_version)
            before = locked.deadline
            locked.deadline = deadline
            locked.deadline_working_days = working_days
            fields = ["deadline", "deadline_working_days"]
            self._finish(
                locked,
                fields,
                actor=actor,
                kind=TaskEvent.Kind.DEADLINE,
                from_status=locked.status,
                note=note,
                data={"before": before.isoformat(), "after": deadline.isoformat()},
            )
        return locked

    def record_edit(self, *, actor, changed, expected_version=None):
        """Called after the office edits the task's text or units: one event, version bump."""
        with transaction.atomic():
            locked = self._locked(expected_version)
            self._finish(
                locked,
                [],
                actor=actor,
                kind=TaskEvent.Kind.EDITED,
                from_status=locked.status,
                data={"fields": changed},
            )
        return locked


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

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
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

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
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


class Evidence(AppendOnlyModel):
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
